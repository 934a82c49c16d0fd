// Sources: following a growing file (settings.follow of a CSV agent-state source). Shows what the
// polls did (the answer's "follow": file, line and bytes read, rotations, truncations, the last
// note and error), refreshed every 3 s while open, and lets operators set the file, the poll
// interval and the reconciliation, or stop following. The rest of the settings is sent back as
// the daemon answered it (it replaces settings as a whole).
import { html } from '../html.js';
import { useFollowedSource } from './source_followed.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Notice, localDateTime } from '../components.js';

/** 1 when the source can follow a file: a CSV agent-state source. */
export const canFollow = (source) => source.kind === 'csv' && source.product === 'agent_states';

function formOf(source) {
  const f = (source.settings && source.settings.follow) || {};
  return {
    file: f.file || '',
    poll_s: String(f.poll_s === undefined ? 1 : f.poll_s),
    reconcile_minutes: String(f.reconcile_minutes === undefined ? 15 : f.reconcile_minutes),
  };
}

/** A whole number when the text is one; otherwise the text, so the daemon names the field. */
const whole = (text) => (/^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : text.trim());

function Status({ follow }) {
  const { t, lang } = useI18n();
  if (!follow) {
    return html`<p class="muted" data-testid="follow-none">${t('follow.none')}</p>`;
  }
  const when = (v) => (v ? localDateTime(lang, new Date(v)) : '—');
  const rows = [
    ['file', follow.file],
    ['line', t('follow.line_value', { line: follow.line, offset: follow.offset, size: follow.size ?? '—' })],
    ['polls', t('follow.polls_value', { polls: follow.polls, last: when(follow.last_poll_at) })],
    ['changed', t('follow.changed_value', { changed: follow.rows_changed, read: follow.rows_read, at: when(follow.last_change_at) })],
    ['rejected', t('follow.rejected_value', { total: follow.rows_rejected, last: follow.last_rejected })],
    ['rotations', t('follow.turns_value', { rotations: follow.rotations, truncations: follow.truncations })],
    ['reconcile', when(follow.next_reconcile_at)],
  ];
  return html`
    <dl class="details" data-testid="follow-status">
      ${rows.map(([key, value]) => html`
        <dt>${t(`follow.${key}`)}</dt><dd data-testid=${`follow-status-${key}`}>${value}</dd>`)}
      ${follow.last_note && html`
        <dt>${t('follow.note')}</dt><dd data-testid="follow-note"><code>${follow.last_note}</code></dd>`}
      ${follow.error && html`
        <dt>${t('follow.error')}</dt>
        <dd data-testid="follow-error" class="error-text">${follow.error}
          (${t('follow.failing_since', { at: when(follow.failing_since) })})</dd>`}
    </dl>`;
}

export function SourceFollow({ source, editable, onChanged, onClose }) {
  const { t } = useI18n();
  const { current, form, setForm, busy, error, notice, save } = useFollowedSource(
    source, 'follow', formOf, onChanged,
    (follow) => (follow ? t('follow.saved', { file: follow.file }) : t('follow.stopped')));
  const submit = (e) => {
    e.preventDefault();
    save({ file: form.file.trim(), poll_s: whole(form.poll_s), reconcile_minutes: whole(form.reconcile_minutes) });
  };
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const following = Boolean(current.settings && current.settings.follow);

  return html`
    <div class="card" data-testid="follow-card">
      <h2>${t('follow.title', { name: source.name })}</h2>
      <p class="muted">${t('follow.intro')}</p>
      <${Status} follow=${following ? current.follow : null} />
      <${ErrorBox} error=${error} testid="follow-save-error" />
      <${Notice} text=${notice} testid="follow-notice" />
      ${editable && html`
        <form class="form" onSubmit=${submit} data-testid="follow-form">
          <label for="follow-file">${t('follow.file_label')}</label>
          <input id="follow-file" value=${form.file} onInput=${set('file')} placeholder="queue_log"
                 data-testid="follow-file" />
          <p class="hint">${t('follow.file_hint', { folder: (current.settings.csv || {}).folder || '' })}</p>
          <label for="follow-poll">${t('follow.poll_label')}</label>
          <input id="follow-poll" inputmode="numeric" value=${form.poll_s} onInput=${set('poll_s')}
                 data-testid="follow-poll" />
          <label for="follow-reconcile">${t('follow.reconcile_label')}</label>
          <input id="follow-reconcile" inputmode="numeric" value=${form.reconcile_minutes}
                 onInput=${set('reconcile_minutes')} data-testid="follow-reconcile" />
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="follow-save">
              ${t('follow.save')}</button>
            ${following && html`
              <button type="button" class="btn" disabled=${busy} data-testid="follow-stop"
                      onClick=${() => save(null)}>${t('follow.stop')}</button>`}
            <button type="button" class="btn" onClick=${onClose} data-testid="follow-close">
              ${t('common.close')}</button>
          </div>
        </form>`}
      ${!editable && html`
        <div class="form-actions">
          <button type="button" class="btn" onClick=${onClose} data-testid="follow-close">${t('common.close')}</button>
        </div>`}
    </div>`;
}
