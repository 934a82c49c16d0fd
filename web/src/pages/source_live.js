// Sources: polling a live-status table (settings.live_status of an ODBC agent-state source: one
// row per agent with its current state, reason and since when). Shows what the polls did (the
// answer's "follow" in mode live_status: agents, polls, changes, rejected rows, the last note
// and error, the last reconciliation), refreshed every 3 s while open, and lets operators set the
// columns and the poll interval (a live-status preset's columns are its own: only the interval),
// the history query a reconciliation reads with its span form and intervals (refusals shown
// under the field they name), or stop polling.
// The rest of the settings is sent back as the daemon answered it. A source made from a
// live-status preset polls as long as it is enabled (the preset needs its live_status member):
// stopping disables it, polling again enables it.
import { html } from '../html.js';
import { useFollowedSource } from './source_followed.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, FieldError, Notice, fieldErrors, localDateTime } from '../components.js';
const COLUMNS = ['agent_column', 'state_column', 'reason_column', 'since_column'];
const HISTORY = ['history_sql', 'history_preset', 'history_span', 'reconcile_minutes', 'reconcile_hours'];
const SPANS = ['start_only', 'start_end', 'start_duration'];

/** 1 when the source can poll a live-status table: an ODBC agent-state source, not incremental. */
export const canLive = (source) => source.kind === 'odbc' && source.product === 'agent_states'
  && !(source.settings && source.settings.incremental);

function formOf(source) {
  const l = (source.settings && source.settings.live_status) || {};
  const form = { poll_s: String(l.poll_s === undefined ? 5 : l.poll_s) };
  for (const c of COLUMNS) {
    form[c] = l[c] || '';
  }
  form.history_sql = l.history_sql || '';
  form.history_preset = l.history_preset || '';
  form.history_span = l.history_span || 'start_only';
  form.reconcile_minutes = String(l.reconcile_minutes === undefined ? 15 : l.reconcile_minutes);
  form.reconcile_hours = String(l.reconcile_hours === undefined ? 24 : l.reconcile_hours);
  return form;
}

/** The form field that shows a refusal of settings.live_status.<key> for the history fields. */
const historyField = (field) => {
  const key = field.replace(/^live_status\./, '');
  return field.startsWith('live_status.') && HISTORY.includes(key) ? key : '';
};

/** A whole number when the text is one; otherwise the text, so the daemon names the field. */
const whole = (text) => (/^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : text.trim());

function Status({ follow, history }) {
  const { t, lang } = useI18n();
  if (!follow) {
    return html`<p class="muted" data-testid="live-status-none">${t('livestatus.none')}</p>`;
  }
  const when = (v) => (v ? localDateTime(lang, new Date(v)) : '—');
  const rows = [
    ['agents', String(follow.agents ?? 0)],
    ['polls', t('livestatus.polls_value', { polls: follow.polls, last: when(follow.last_poll_at) })],
    ['changed', t('livestatus.changed_value', { changed: follow.rows_changed, read: follow.last_rows, at: when(follow.last_change_at) })],
    ['rejected', String(follow.last_rejected)],
  ];
  return html`
    <dl class="details" data-testid="live-status-status">
      ${rows.map(([key, value]) => html`
        <dt>${t(`livestatus.${key}`)}</dt><dd data-testid=${`live-status-${key}`}>${value}</dd>`)}
      ${follow.last_note && html`
        <dt>${t('livestatus.note')}</dt><dd data-testid="live-status-note"><code>${follow.last_note}</code></dd>`}
      ${history && html`
        <dt>${t('livestatus.reconciled')}</dt>
        <dd data-testid="live-status-reconciled">${follow.last_reconciliation
          ? t('livestatus.reconciled_value', { ...follow.last_reconciliation, at: when(follow.last_reconciliation.at), newest: when(follow.last_reconciliation.newest) })
          : t('livestatus.reconciled_none')}
          ${follow.next_reconcile_at && ` ${t('livestatus.next_reconcile', { at: when(follow.next_reconcile_at) })}`}</dd>`}
      ${follow.error && html`
        <dt>${t('livestatus.error')}</dt>
        <dd data-testid="live-status-error" class="error-text">${follow.error}
          (${t('livestatus.failing_since', { at: when(follow.failing_since) })})</dd>`}
    </dl>`;
}

export function SourceLive({ source, editable, onChanged, onClose }) {
  const { t } = useI18n();
  const { current, form, setForm, busy, error, notice, save } = useFollowedSource(
    source, 'live_status', formOf, onChanged,
    (live) => (live ? t('livestatus.saved') : t('livestatus.stopped')));

  const preset = Boolean(current.settings && current.settings.odbc && current.settings.odbc.preset);
  const submit = (e) => {
    e.preventDefault();
    const live = { poll_s: whole(form.poll_s) };
    if (!preset) {
      for (const c of COLUMNS) {
        live[c] = form[c].trim() || null;
      }
    }
    if (form.history_sql.trim() || form.history_preset) {
      if (form.history_sql.trim()) {
        live.history_sql = form.history_sql;
      } else {
        live.history_preset = form.history_preset; // set through the API: kept
      }
      live.history_span = form.history_span;
      live.reconcile_minutes = whole(form.reconcile_minutes);
      live.reconcile_hours = whole(form.reconcile_hours);
    }
    save(live, preset && !current.enabled ? { enabled: true } : {});
  };
  const fe = fieldErrors(error, historyField);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const polling = Boolean(current.settings && current.settings.live_status) && (!preset || current.enabled);
  const stop = () => (preset ? save(undefined, { enabled: false }) : save(null));
  const following = polling && current.follow && current.follow.mode === 'live_status' ? current.follow : null;

  return html`
    <div class="card" data-testid="live-status-card">
      <h2>${t('livestatus.title', { name: source.name })}</h2>
      <p class="muted">${t('livestatus.intro')}</p>
      <${Status} follow=${following}
        history=${Boolean(current.settings && current.settings.live_status
          && (current.settings.live_status.history_sql || current.settings.live_status.history_preset))} />
      <${ErrorBox} error=${fe.rest} testid="live-status-save-error" />
      <${Notice} text=${notice} testid="live-status-notice" />
      ${editable && html`
        <form class="form" onSubmit=${submit} data-testid="live-status-form">
          ${preset && html`<p class="hint" data-testid="live-status-preset">${t('livestatus.preset_hint')}</p>`}
          ${!preset && COLUMNS.map((c) => html`
            <label for=${`live-status-${c}`}>${t(`livestatus.${c}`)}</label>
            <input id=${`live-status-${c}`} value=${form[c]} onInput=${set(c)}
                   data-testid=${`live-status-${c}`} />`)}
          <label for="live-status-poll">${t('livestatus.poll_label')}</label>
          <input id="live-status-poll" inputmode="numeric" value=${form.poll_s} onInput=${set('poll_s')}
                 data-testid="live-status-poll" />
          <p class="hint">${t('livestatus.hint')}</p>
          <label for="live-status-history_sql">${t('livestatus.history_sql')}</label>
          <textarea id="live-status-history_sql" class="mono sql-input" rows="6" spellcheck="false"
                    value=${form.history_sql} onInput=${set('history_sql')} data-testid="live-status-history_sql"
                    aria-invalid=${fe.slot === 'history_sql' ? 'true' : undefined}></textarea>
          <${FieldError} error=${fe.at('history_sql')} id="live-status-history_sql-error" field="history_sql" />
          <p class="hint">${t('livestatus.history_hint')}</p>
          ${form.history_preset && !form.history_sql.trim() && html`
            <p class="hint" data-testid="live-status-history-preset">${t('livestatus.history_preset', { preset: form.history_preset })}</p>`}
          <label for="live-status-history_span">${t('livestatus.history_span')}</label>
          <select id="live-status-history_span" value=${form.history_span} onChange=${set('history_span')}
                  data-testid="live-status-history_span">
            ${SPANS.map((v) => html`<option value=${v}>${t(`livestatus.span_${v}`)}</option>`)}
          </select>
          <${FieldError} error=${fe.at('history_span')} id="live-status-history_span-error" field="history_span" />
          <${FieldError} error=${fe.at('history_preset')} id="live-status-history_preset-error" field="history_preset" />
          ${['reconcile_minutes', 'reconcile_hours'].map((k) => html`
            <label for=${`live-status-${k}`}>${t(`livestatus.${k}`)}</label>
            <input id=${`live-status-${k}`} inputmode="numeric" value=${form[k]} onInput=${set(k)}
                   data-testid=${`live-status-${k}`} aria-invalid=${fe.slot === k ? 'true' : undefined} />
            <${FieldError} error=${fe.at(k)} id=${`live-status-${k}-error`} field=${k} />`)}
          <div class="form-actions">
            <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="live-status-save">
              ${t('livestatus.save')}</button>
            ${polling && html`
              <button type="button" class="btn" disabled=${busy} data-testid="live-status-stop"
                      onClick=${stop}>${t('livestatus.stop')}</button>`}
            <button type="button" class="btn" onClick=${onClose} data-testid="live-status-close">
              ${t('common.close')}</button>
          </div>
        </form>`}
      ${!editable && html`
        <div class="form-actions">
          <button type="button" class="btn" onClick=${onClose} data-testid="live-status-close">${t('common.close')}</button>
        </div>`}
    </div>`;
}
