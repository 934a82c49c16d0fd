// Sources: following a query (settings.incremental of an ODBC agent-state source). Shows what
// the polls did (the answer's "follow": cursor, polls, the last poll and change, rows read and
// changed, rejected rows and NULL cursors, the error and since when polls fail, the next
// reconciliation), refreshed every 3 s while open, and lets operators set the cursor column and
// type, the overlap, the poll interval and the reconciliation, or stop following. A refused
// field is shown under it. The rest of the settings is sent back as the daemon answered it.
import { html } from '../html.js';
import { useFollowedSource } from './source_followed.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, FieldError, Notice, fieldErrors, localDateTime } from '../components.js';

const FIELDS = ['cursor_column', 'cursor_type', 'overlap_s', 'poll_s', 'reconcile_minutes', 'reconcile_hours'];

/** 1 when the source can follow its query: an ODBC agent-state source without a preset that
 * is not a live-status source. */
export const canFollowQuery = (source) => source.kind === 'odbc' && source.product === 'agent_states'
  && !(source.settings && ((source.settings.odbc && source.settings.odbc.preset) || source.settings.live_status));

function formOf(source) {
  const f = (source.settings && source.settings.incremental) || {};
  const or = (v, d) => String(v === undefined || v === null ? d : v);
  return {
    cursor_column: f.cursor_column || '',
    cursor_type: f.cursor_type || 'timestamp',
    overlap_s: or(f.overlap_s, 120),
    poll_s: or(f.poll_s, 5),
    reconcile_minutes: or(f.reconcile_minutes, 15),
    reconcile_hours: or(f.reconcile_hours, 24),
  };
}

/** A whole number when the text is one; otherwise the text, so the daemon names the field. */
const whole = (text) => (/^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : text.trim());

function Status({ follow }) {
  const { t, lang } = useI18n();
  if (!follow) {
    return html`<p class="muted" data-testid="incr-none">${t('incr.none')}</p>`;
  }
  const when = (v) => (v ? localDateTime(lang, new Date(v)) : '—');
  const rows = [
    ['cursor', follow.cursor === null ? '—' : `${follow.cursor_column} = ${follow.cursor}`],
    ['polls', t('incr.polls_value', { polls: follow.polls, last: when(follow.last_poll_at), rows: follow.last_rows })],
    ['changed', t('incr.changed_value', { changed: follow.rows_changed, read: follow.rows_read, at: when(follow.last_change_at) })],
    ['rejected', t('incr.rejected_value', { rejected: follow.last_rejected, nulls: follow.last_cursor_nulls })],
    ['reconcile', when(follow.next_reconcile_at)],
  ];
  return html`
    <dl class="details" data-testid="incr-status">
      ${rows.map(([key, value]) => html`
        <dt>${t(`incr.${key}`)}</dt><dd data-testid=${`incr-status-${key}`}>${value}</dd>`)}
      ${follow.last_note && html`
        <dt>${t('incr.note')}</dt><dd data-testid="incr-note"><code>${follow.last_note}</code></dd>`}
      ${follow.error && html`
        <dt>${t('incr.error')}</dt>
        <dd data-testid="incr-error" class="error-text">${follow.error}
          (${t('incr.failing_since', { at: when(follow.failing_since) })})</dd>`}
    </dl>`;
}

export function SourceIncremental({ source, editable, onChanged, onClose }) {
  const { t } = useI18n();
  const { current, form, setForm, busy, error, notice, save } = useFollowedSource(
    source, 'incremental', formOf, onChanged,
    (incremental) => (incremental ? t('incr.saved', { column: incremental.cursor_column }) : t('incr.stopped')));
  const submit = (e) => {
    e.preventDefault();
    // what the form does not show (max_states_per_poll) is sent back as the daemon answered it
    save({
      ...((current.settings && current.settings.incremental) || {}),
      cursor_column: form.cursor_column.trim(), cursor_type: form.cursor_type, overlap_s: whole(form.overlap_s),
      poll_s: whole(form.poll_s), reconcile_minutes: whole(form.reconcile_minutes), reconcile_hours: whole(form.reconcile_hours),
    });
  };
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const following = Boolean(current.settings && current.settings.incremental);
  // a refused field under its input ("incremental.overlap_s: ..."); "odbc.sql" and the rest above
  const errs = fieldErrors(error, (f) => (FIELDS.includes(f.replace(/^incremental\./, '')) ? f.replace(/^incremental\./, '') : ''));
  const input = (key, extra = {}) => html`
    <label for=${`incr-${key}`}>${t(`incr.${key}_label`)}</label>
    <input id=${`incr-${key}`} value=${form[key]} onInput=${set(key)} data-testid=${`incr-${key}`}
           aria-invalid=${errs.at(key) ? 'true' : 'false'} ...${extra} />
    <${FieldError} error=${errs.at(key)} field=${key} />`;

  return html`
    <div class="card" data-testid="incr-card">
      <h2>${t('incr.title', { name: source.name })}</h2>
      <p class="muted">${t('incr.intro')}</p>
      <${Status} follow=${following ? current.follow : null} />
      <${ErrorBox} error=${errs.rest} testid="incr-save-error" />
      <${Notice} text=${notice} testid="incr-notice" />
      ${editable && html`
        <form class="form" onSubmit=${submit} data-testid="incr-form">
          ${input('cursor_column', { placeholder: 'changed_at' })}
          <label for="incr-cursor_type">${t('incr.cursor_type_label')}</label>
          <select id="incr-cursor_type" value=${form.cursor_type} onChange=${set('cursor_type')}
                  data-testid="incr-cursor_type">
            <option value="timestamp">${t('incr.type_timestamp')}</option>
            <option value="id">${t('incr.type_id')}</option>
          </select>
          <${FieldError} error=${errs.at('cursor_type')} field="cursor_type" />
          ${input('overlap_s', { inputmode: 'numeric' })}
          <p class="hint">${t('incr.overlap_hint')}</p>
          ${input('poll_s', { inputmode: 'numeric' })}
          ${input('reconcile_minutes', { inputmode: 'numeric' })}
          ${input('reconcile_hours', { inputmode: 'numeric' })}
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="incr-save">
              ${t('incr.save')}</button>
            ${following && html`
              <button type="button" class="btn" disabled=${busy} data-testid="incr-stop"
                      onClick=${() => save(null)}>${t('incr.stop')}</button>`}
            <button type="button" class="btn" onClick=${onClose} data-testid="incr-close">
              ${t('common.close')}</button>
          </div>
        </form>`}
      ${!editable && html`
        <div class="form-actions">
          <button type="button" class="btn" onClick=${onClose} data-testid="incr-close">${t('common.close')}</button>
        </div>`}
    </div>`;
}
