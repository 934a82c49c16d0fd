// Alerts (admins): channels (a webhook or e-mail) with "send test", rules that send event kinds
// to a channel at most once per minimum interval, and the notices sent with their outcome.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { languages, messageText, useI18n } from '../i18n/index.js';
import {
  ConfirmButton, ErrorBox, FieldError, Notice, Time, fieldErrors, useScrollToError,
} from '../components.js';

export const ALERT_EVENTS = ['run_failed', 'rows_rejected', 'target_failing', 'backlog',
  'recompute_pending', 'health_degraded'];
const FORMATS = ['json', 'slack', 'teams'];

function emptyChannel(language = 'en') {
  return {
    name: '', kind: 'webhook', url: '', format: 'json', host: '', port: '', security: 'starttls',
    from: '', to: '', user: '', auth: 'auto', ca_file: '', secret: '', language,
  };
}

/** The settings object the daemon expects for the form's kind. */
export function buildChannelSettings(form) {
  const ca = form.ca_file.trim() ? { ca_file: form.ca_file.trim() } : {};
  const language = form.language || 'en';
  if (form.kind === 'webhook') {
    return { url: form.url.trim(), format: form.format, ...ca, language };
  }
  const s = {
    host: form.host.trim(), security: form.security, from: form.from.trim(),
    to: form.to.split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean), auth: form.auth, ...ca, language,
  };
  if (form.port.trim()) {
    s.port = Number(form.port.trim());
  }
  if (form.user.trim()) {
    s.user = form.user.trim();
  }
  return s;
}

/** The form field an error of the channel settings belongs to ('to[1]' -> 'to'). */
function channelField(field) {
  const base = field.replace(/\[\d+\]$/, '');
  return ['name', 'kind', 'url', 'format', 'host', 'port', 'security', 'from', 'to', 'user',
    'auth', 'ca_file', 'secret', 'language'].includes(base) ? base : '';
}

function CreateChannelForm({ onStart, onCreated }) {
  const { t, lang } = useI18n();
  // notices are worded in the reader's language unless another is chosen
  const [form, setForm] = useState(() => emptyChannel(lang));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const fe = fieldErrors(error, channelField, 'name');

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    onStart();
    try {
      const body = { name: form.name.trim(), kind: form.kind, settings: buildChannelSettings(form) };
      if (form.secret) {
        body.secret = form.secret;
      }
      const ch = await api.post('/alerts/channels', body);
      setForm(emptyChannel(lang));
      onCreated(ch);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (key, label, help, props = {}) => html`
    <div class="field">
      <label for=${`channel-create-${key}`}>${label}</label>
      <input id=${`channel-create-${key}`} type="text" autocomplete="off" spellcheck="false"
             value=${form[key]} onInput=${set(key)} aria-invalid=${fe.at(key) ? 'true' : 'false'}
             ...${props} />
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(key)} id=${`channel-create-${key}-error`} field=${key} />
    </div>`;
  const select = (key, label, options, labelOf, help) => html`
    <div class="field">
      <label for=${`channel-create-${key}`}>${label}</label>
      <select id=${`channel-create-${key}`} value=${form[key]} onChange=${set(key)}>
        ${options.map((o) => html`<option value=${o}>${labelOf(o)}</option>`)}
      </select>
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(key)} id=${`channel-create-${key}-error`} field=${key} />
    </div>`;
  const webhook = form.kind === 'webhook';

  return html`
    <form class="card form-grid" id="channel-create-form" ref=${ref} onSubmit=${submit} novalidate>
      <h2>${t('alerts.channel_create_title')}</h2>
      ${field('name', t('alerts.name'), '', { maxlength: 64 })}
      ${select('kind', t('alerts.kind'), ['webhook', 'email'], (k) => t(`alerts.kind.${k}`),
        t(`alerts.kind_help.${form.kind}`))}
      ${webhook && html`
        ${field('url', t('alerts.url'), t('alerts.url_help'))}
        ${select('format', t('alerts.format'), FORMATS, (f) => t(`alerts.format.${f}`))}`}
      ${!webhook && html`
        ${field('host', t('alerts.host'), '')}
        ${select('security', t('alerts.security'), ['starttls', 'tls'], (s) => t(`alerts.security.${s}`))}
        ${field('port', t('alerts.port'), t('alerts.port_help'), { inputmode: 'numeric' })}
        ${field('from', t('alerts.from'), '')}
        ${field('to', t('alerts.to'), t('alerts.to_help'))}
        ${field('user', t('alerts.user'), t('alerts.user_help'))}
        ${select('auth', t('alerts.auth'), ['auto', 'plain', 'login'], (a) => t(`alerts.auth.${a}`))}`}
      ${field('ca_file', t('alerts.ca_file'), t('alerts.ca_file_help'))}
      ${select('language', t('alerts.language'), languages.map((l) => l.code),
        (c) => languages.find((l) => l.code === c).label, t('alerts.language_help'))}
      <div class="field">
        <label for="channel-create-secret">${webhook ? t('alerts.secret_webhook') : t('alerts.secret_email')}</label>
        <input id="channel-create-secret" type="password" autocomplete="new-password"
               value=${form.secret} onInput=${set('secret')} />
        <small class="help">${t('alerts.secret_help')}</small>
        <${FieldError} error=${fe.at('secret')} id="channel-create-secret-error" field="secret" />
      </div>
      <${ErrorBox} error=${fe.rest} id="channel-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="channel-create-submit"
                disabled=${busy || !form.name.trim()}>${t('alerts.channel_create_submit')}</button>
      </div>
    </form>`;
}

/** Sends a test notice through a channel (a job) and resolves its result {ok, message}. */
async function sendTest(id) {
  const job = await api.post(`/alerts/channels/${id}/test`);
  for (let i = 0; i < 600; i++) {
    const j = await api.get(`/jobs/${job.id}`);
    if (j.state !== 'running') {
      return j.state === 'failed'
        ? { ok: false, message: j.error, message_code: j.error_code, message_params: j.error_params }
        : j.result;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return { ok: false, message: '' };
}

function channelWhere(ch) {
  if (ch.kind === 'webhook') {
    return ch.settings.url || '';
  }
  return `${ch.settings.host}:${ch.settings.port} → ${(ch.settings.to || []).join(', ')}`;
}

function ChannelRow({ channel, onChanged, onDeleted, onTested }) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const [secret, setSecret] = useState('');
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const test = () => run(async () => {
    setResult(null);
    setResult(await sendTest(channel.id));
    onChanged(await api.get(`/alerts/channels/${channel.id}`));
    onTested();
  });
  const toggle = () => run(async () => onChanged(await api.patch(`/alerts/channels/${channel.id}`, { enabled: !channel.enabled })));
  const saveSecret = () => run(async () => {
    onChanged(await api.patch(`/alerts/channels/${channel.id}`, { secret }));
    setSecret('');
  });
  const remove = () => run(async () => {
    await api.del(`/alerts/channels/${channel.id}`);
    onDeleted(channel);
  });
  return html`
    <tr data-testid="channel-row" data-name=${channel.name} data-id=${channel.id}>
      <td data-label=${t('alerts.name')}><span class="cell-name">${channel.name}</span></td>
      <td data-label=${t('alerts.kind')}>${t(`alerts.kind.${channel.kind}`)}</td>
      <td data-label=${t('alerts.where')} class="mono">${channelWhere(channel)}</td>
      <td data-label=${t('alerts.enabled')} data-testid="channel-enabled">
        ${channel.enabled ? t('common.yes') : t('common.no')}</td>
      <td data-label=${t('alerts.status')} data-testid="channel-status">
        ${channel.last_error
          ? html`<span class="status-bad">${t('alerts.status_failing')}</span>`
          : (channel.last_ok_at ? html`<span>${t('alerts.status_ok')} <${Time} value=${channel.last_ok_at} /></span>` : '–')}</td>
      <td class="cell-actions"><div class="row-actions">
        <button type="button" class="btn btn-small" disabled=${busy} data-testid="channel-test"
                onClick=${test}>${t('alerts.send_test')}</button>
        <button type="button" class="btn btn-small" disabled=${busy} data-testid="channel-toggle"
                onClick=${toggle}>${channel.enabled ? t('alerts.disable') : t('alerts.enable')}</button>
        <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                          question=${t('alerts.channel_delete_question', { name: channel.name })}
                          testid="channel-delete" onConfirm=${remove} />
      </div></td>
    </tr>
    <tr class="row-message"><td colspan="6">
      <${ErrorBox} error=${error} testid="channel-row-error" />
      ${busy && html`<p class="loading">${t('alerts.sending')}</p>`}
      ${result && html`
        <div class=${result.ok ? 'notice' : 'error-box'} role="status" data-testid="channel-test-result"
             data-ok=${String(result.ok)}>
          <strong>${result.ok ? t('alerts.test_ok') : t('alerts.test_failed')}</strong>
          ${!result.ok && html`<span> ${messageText(t, { message: result.message, code: result.message_code, params: result.message_params }, lang)}</span>`}
        </div>`}
      ${!result && channel.last_error && html`
        <p class="error-message" data-testid="channel-last-error">${t('alerts.last_error')} ${messageText(t, { message: channel.last_error, code: channel.last_error_code, params: channel.last_error_params }, lang)}</p>`}
      <div class="inline-form">
        <label for=${`channel-secret-${channel.id}`}>
          ${channel.kind === 'webhook' ? t('alerts.secret_webhook') : t('alerts.secret_email')}
          ${' '}(${channel.secret_set ? t('alerts.secret_set') : t('alerts.secret_unset')})</label>
        <input id=${`channel-secret-${channel.id}`} type="password" autocomplete="new-password"
               class="input-small" value=${secret} data-testid="channel-secret-input"
               onInput=${(e) => setSecret(e.currentTarget.value)} />
        <button type="button" class="btn btn-small" disabled=${busy || !secret}
                data-testid="channel-secret-save" onClick=${saveSecret}>${t('common.save')}</button>
      </div>
    </td></tr>`;
}

function CreateRuleForm({ channels, onCreated }) {
  const { t } = useI18n();
  const [event, setEvent] = useState('run_failed');
  const [channel, setChannel] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [recovery, setRecovery] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const fe = fieldErrors(error, (f) => (['event', 'channel_id', 'min_interval_seconds'].includes(f) ? f : ''), 'event');
  const channelId = channel || (channels[0] ? String(channels[0].id) : '');

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const m = minutes.trim() === '' ? NaN : Number(minutes);
      const rule = await api.post('/alerts/rules', {
        event, channel_id: Number(channelId), recovery,
        min_interval_seconds: Number.isFinite(m) ? Math.round(m * 60) : -1,
      });
      onCreated(rule);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="form-grid" id="rule-create-form" onSubmit=${submit} novalidate>
      <div class="field">
        <label for="rule-create-event">${t('alerts.event')}</label>
        <select id="rule-create-event" value=${event} onChange=${(e) => setEvent(e.currentTarget.value)}>
          ${ALERT_EVENTS.map((x) => html`<option value=${x}>${t(`alerts.event.${x}`)}</option>`)}
        </select>
        <small class="help">${t(`alerts.event_help.${event}`)}</small>
        <${FieldError} error=${fe.at('event')} id="rule-create-event-error" field="event" />
      </div>
      <div class="field">
        <label for="rule-create-channel">${t('alerts.channel')}</label>
        <select id="rule-create-channel" value=${channelId} onChange=${(e) => setChannel(e.currentTarget.value)}>
          ${channels.map((c) => html`<option value=${String(c.id)}>${c.name}</option>`)}
        </select>
        <${FieldError} error=${fe.at('channel_id')} id="rule-create-channel-error" field="channel_id" />
      </div>
      <div class="field">
        <label for="rule-create-interval">${t('alerts.min_interval')}</label>
        <input id="rule-create-interval" type="text" inputmode="numeric" value=${minutes}
               aria-invalid=${fe.at('min_interval_seconds') ? 'true' : 'false'}
               onInput=${(e) => setMinutes(e.currentTarget.value)} />
        <small class="help">${t('alerts.min_interval_help')}</small>
        <${FieldError} error=${fe.at('min_interval_seconds')} id="rule-create-interval-error" field="min_interval_seconds" />
      </div>
      <div class="field">
        <label class="checkbox"><input type="checkbox" id="rule-create-recovery" checked=${recovery}
               onChange=${(e) => setRecovery(e.currentTarget.checked)} /> ${t('alerts.recovery')}</label>
      </div>
      <${ErrorBox} error=${fe.rest} id="rule-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="rule-create-submit"
                disabled=${busy || !channelId}>${t('alerts.rule_create_submit')}</button>
      </div>
    </form>`;
}

function RuleRow({ rule, onChanged, onDeleted }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <tr data-testid="rule-row" data-event=${rule.event} data-id=${rule.id}>
      <td data-label=${t('alerts.event')}>${t(`alerts.event.${rule.event}`)}</td>
      <td data-label=${t('alerts.channel')}>${rule.channel}</td>
      <td data-label=${t('alerts.min_interval')}>${t('alerts.minutes', { n: Math.round(rule.min_interval_seconds / 60) })}</td>
      <td data-label=${t('alerts.recovery')}>${rule.recovery ? t('common.yes') : t('common.no')}</td>
      <td data-label=${t('alerts.enabled')} data-testid="rule-enabled">${rule.enabled ? t('common.yes') : t('common.no')}</td>
      <td class="cell-actions"><div class="row-actions">
        <button type="button" class="btn btn-small" disabled=${busy} data-testid="rule-toggle"
                onClick=${() => run(async () => onChanged(await api.patch(`/alerts/rules/${rule.id}`, { enabled: !rule.enabled })))}>
          ${rule.enabled ? t('alerts.disable') : t('alerts.enable')}</button>
        <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                          question=${t('alerts.rule_delete_question')} testid="rule-delete"
                          onConfirm=${() => run(async () => { await api.del(`/alerts/rules/${rule.id}`); onDeleted(rule); })} />
      </div>
      <${ErrorBox} error=${error} testid="rule-row-error" compact /></td>
    </tr>`;
}

export function AlertsPage() {
  const { t, lang } = useI18n();
  const [channels, setChannels] = useState([]);
  const [rules, setRules] = useState([]);
  const [notices, setNotices] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const loadNotices = async () => {
    setNotices((await api.get('/alerts/notices', { limit: 20 })).items);
  };
  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      setChannels((await api.get('/alerts/channels', { limit: 500 })).items);
      setRules((await api.get('/alerts/rules', { limit: 500 })).items);
      await loadNotices();
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const replace = (setter) => (n) => setter((old) => old.map((o) => (o.id === n.id ? n : o)));

  return html`
    <section class="page" data-testid="alerts-page">
      <h1>${t('alerts.title')}</h1>
      <p class="muted">${t('alerts.intro')}</p>
      <${ErrorBox} error=${error} id="alerts-error" />
      <${CreateChannelForm} onStart=${() => setNotice('')}
                            onCreated=${(x) => { setNotice(t('alerts.channel_created', { name: x.name })); load(); }} />
      <${Notice} text=${notice} testid="alerts-notice" />
      <div class="card">
        <h2>${t('alerts.channels_title')}</h2>
        <div class="table-wrap">
          <table class="table table-stack" id="channels-table">
            <thead><tr>
              <th scope="col">${t('alerts.name')}</th>
              <th scope="col">${t('alerts.kind')}</th>
              <th scope="col">${t('alerts.where')}</th>
              <th scope="col">${t('alerts.enabled')}</th>
              <th scope="col">${t('alerts.status')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              ${channels.map((c) => html`
                <${ChannelRow} key=${c.id} channel=${c} onChanged=${replace(setChannels)} onTested=${loadNotices}
                               onDeleted=${(d) => { setNotice(t('alerts.channel_deleted', { name: d.name })); load(); }} />`)}
              ${!loading && channels.length === 0 && html`
                <tr><td colspan="6" class="empty">${t('alerts.channels_empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
      </div>
      <div class="card">
        <h2>${t('alerts.rules_title')}</h2>
        <p class="muted">${t('alerts.rules_intro')}</p>
        ${channels.length > 0
          ? html`<${CreateRuleForm} channels=${channels} onCreated=${(r) => { setRules((old) => [...old, r]); setNotice(t('alerts.rule_created')); }} />`
          : html`<p class="muted">${t('alerts.rules_need_channel')}</p>`}
        <div class="table-wrap">
          <table class="table table-stack" id="rules-table">
            <thead><tr>
              <th scope="col">${t('alerts.event')}</th>
              <th scope="col">${t('alerts.channel')}</th>
              <th scope="col">${t('alerts.min_interval')}</th>
              <th scope="col">${t('alerts.recovery')}</th>
              <th scope="col">${t('alerts.enabled')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              ${rules.map((r) => html`<${RuleRow} key=${r.id} rule=${r} onChanged=${replace(setRules)}
                                                   onDeleted=${(d) => setRules((old) => old.filter((o) => o.id !== d.id))} />`)}
              ${!loading && rules.length === 0 && html`<tr><td colspan="6" class="empty">${t('alerts.rules_empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
      </div>
      <div class="card">
        <h2>${t('alerts.notices_title')}</h2>
        <div class="table-wrap">
          <table class="table table-stack" id="notices-table">
            <thead><tr>
              <th scope="col">${t('alerts.when')}</th>
              <th scope="col">${t('alerts.channel')}</th>
              <th scope="col">${t('alerts.notice')}</th>
              <th scope="col">${t('alerts.outcome')}</th>
            </tr></thead>
            <tbody>
              ${notices.map((n) => html`
                <tr key=${n.id} data-testid="notice-row" data-outcome=${n.outcome} data-state=${n.state}>
                  <td data-label=${t('alerts.when')}><${Time} value=${n.created_at} /></td>
                  <td data-label=${t('alerts.channel')}>${n.channel || '–'}</td>
                  <td data-label=${t('alerts.notice')} data-testid="notice-title">${t(`alerts.state.${n.state}`)}${lang === 'fr' ? '\u00A0:' : ':'} ${messageText(t, { message: n.title, code: n.title_code, params: n.title_params }, lang)}</td>
                  <td data-label=${t('alerts.outcome')}>${t(`alerts.outcome.${n.outcome}`)}${n.error ? html`<br /><small data-testid="notice-error">${messageText(t, { message: n.error, code: n.error_code, params: n.error_params }, lang)}</small>` : ''}</td>
                </tr>`)}
              ${!loading && notices.length === 0 && html`<tr><td colspan="4" class="empty">${t('alerts.notices_empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
      </div>
    </section>`;
}
