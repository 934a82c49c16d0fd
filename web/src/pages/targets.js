// Targets: the WFM connections (injixo-api, csv-export, https-json), with a connection test
// per target. Operators configure; the API key is set by admins only and never shown again, and
// so are where a network target sends and whom it trusts (its URL, CA and pin): an operator adds
// csv-export targets only and sees those settings of the others read-only.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n, messageText } from '../i18n/index.js';
import { RootsHint } from '../roots.js';
import { TargetEditForm } from './target_edit.js';
import {
  ConfirmButton, ErrorBox, Notice, ReadOnlyNote, canChange, isAdmin, useScrollToError,
} from '../components.js';
import { ResendForm, ResendOffer, resendNotice } from './resend.js';

export const CONNECTORS = ['injixo-api', 'csv-export', 'https-json'];

/** The connectors a session may add: a network target's address is set by admins only. */
export function creatableConnectors(admin) {
  return admin ? CONNECTORS : ['csv-export'];
}

function emptyForm(admin) {
  return {
    name: '', connector: creatableConnectors(admin)[0], base_url: 'https://api.injixo.com', icid: '',
    url: '', folder: '', ca_file: '', secret: '',
  };
}

/** The settings object the daemon expects for the form's connector. */
export function buildTargetSettings(form) {
  const ca = form.ca_file.trim() ? { ca_file: form.ca_file.trim() } : {};
  if (form.connector === 'injixo-api') {
    return { base_url: form.base_url.trim(), integration_configuration_id: Number(form.icid), ...ca };
  }
  if (form.connector === 'https-json') {
    return { url: form.url.trim(), ...ca };
  }
  return { folder: form.folder.trim() };
}

function CreateTargetForm({ session, onStart, onCreated }) {
  const { t } = useI18n();
  const admin = isAdmin(session);
  const [form, setForm] = useState(() => emptyForm(admin));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const http = form.connector !== 'csv-export';

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    onStart();
    try {
      const body = { name: form.name.trim(), connector: form.connector, settings: buildTargetSettings(form) };
      if (admin && http && form.secret) {
        body.secret = form.secret;
      }
      const target = await api.post('/targets', body);
      setForm(emptyForm(admin));
      onCreated(target);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (key, label, help, props = {}) => html`
    <div class="field">
      <label for=${`target-create-${key}`}>${label}</label>
      <input id=${`target-create-${key}`} type="text" autocomplete="off" spellcheck="false"
             value=${form[key]} onInput=${set(key)} ...${props} />
      ${help && html`<small class="help">${help}</small>`}
    </div>`;

  return html`
    <form class="card form-grid" id="target-create-form" ref=${ref} onSubmit=${submit} novalidate>
      <h2>${t('targets.create_title')}</h2>
      ${field('name', t('targets.name'), '', { maxlength: 64 })}
      <div class="field">
        <label for="target-create-connector">${t('targets.connector')}</label>
        <select id="target-create-connector" value=${form.connector} onChange=${set('connector')}>
          ${creatableConnectors(admin).map((c) => html`<option value=${c}>${t(`targets.connector.${c}`)}</option>`)}
        </select>
        <small class="help">${t(`targets.connector_help.${form.connector}`)}</small>
        ${!admin && html`<small class="help" data-testid="target-create-admin-note">${t('targets.network_admin_only')}</small>`}
      </div>
      ${form.connector === 'injixo-api' && html`
        ${field('base_url', t('targets.base_url'), t('targets.base_url_help'))}
        ${field('icid', t('targets.icid'), t('targets.icid_help'), { inputmode: 'numeric' })}`}
      ${form.connector === 'https-json' && field('url', t('targets.url'), t('targets.url_help'))}
      ${form.connector === 'csv-export' && field('folder', t('targets.folder'),
        html`${t('targets.folder_help')}<${RootsHint} kind="export" />`)}
      ${http && field('ca_file', t('targets.ca_file'), t('targets.ca_file_help'))}
      ${http && admin && html`
        <div class="field">
          <label for="target-create-secret">${t('targets.secret')}</label>
          <input id="target-create-secret" type="password" autocomplete="new-password"
                 value=${form.secret} onInput=${set('secret')} />
          <small class="help">${t('targets.secret_help')}</small>
        </div>`}
      <${ErrorBox} error=${error} id="target-create-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="target-create-submit"
                disabled=${busy || !form.name.trim()}>${t('targets.create_submit')}</button>
      </div>
    </form>`;
}

/** Runs the connection test of a target (a job) and resolves its result. */
async function connectionTest(id) {
  const job = await api.post(`/targets/${id}/test`);
  for (let i = 0; i < 600; i++) {
    const j = await api.get(`/jobs/${job.id}`);
    if (j.state !== 'running') {
      if (j.state === 'failed') {
        return { ok: false, failure: 'connection', message: j.error, code: j.error_code, params: j.error_params };
      }
      return j.result;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  return { ok: false, failure: 'timeout', message: '' };
}

function TargetRow({ target, editable, admin, onEdit, onChanged, onDeleted, onNotice }) {
  const { t, lang } = useI18n();
  const [resending, setResending] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const [secret, setSecret] = useState('');
  const where = target.settings.base_url || target.settings.url || target.settings.folder || '';

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
    setResult(await connectionTest(target.id));
  });
  const toggle = () => run(async () => onChanged(await api.patch(`/targets/${target.id}`, { enabled: !target.enabled })));
  const saveSecret = () => run(async () => {
    onChanged(await api.patch(`/targets/${target.id}`, { secret }));
    setSecret('');
  });
  const remove = () => run(async () => {
    await api.del(`/targets/${target.id}`);
    onDeleted(target);
  });

  return html`
    <tr data-testid="target-row" data-name=${target.name} data-id=${target.id}>
      <td data-label=${t('targets.name')}><span class="cell-name">${target.name}</span></td>
      <td data-label=${t('targets.connector')}>${t(`targets.connector.${target.connector}`)}</td>
      <td data-label=${t('targets.where')} class="mono">${where}</td>
      <td data-label=${t('targets.enabled')} data-testid="target-enabled">
        ${target.enabled ? t('common.yes') : t('common.no')}</td>
      <td data-label=${t('targets.secret')} data-testid="target-secret">
        ${target.connector === 'csv-export' ? '–' : (target.secret_set ? t('targets.secret_set') : t('targets.secret_unset'))}</td>
      <td class="cell-actions"><div class="row-actions">
        ${editable && html`
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="target-test"
                  onClick=${test}>${t('targets.test')}</button>
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="target-edit"
                  onClick=${() => onEdit(target)}>${t('common.edit')}</button>
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="target-toggle"
                  onClick=${toggle}>${target.enabled ? t('targets.disable') : t('targets.enable')}</button>
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="target-resend"
                  onClick=${() => setResending(!resending)}>${t('resend.button')}</button>
          <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                            question=${t('targets.delete_question', { name: target.name })}
                            testid="target-delete" onConfirm=${remove} />`}
      </div></td>
    </tr>
    ${(error || result || busy || resending || (admin && target.connector !== 'csv-export')) && html`
      <tr class="row-message"><td colspan="6">
        ${resending && html`
          <${ResendForm} target=${target} onCancel=${() => setResending(false)}
                         onQueued=${(r) => { setResending(false); onNotice(resendNotice(t, r, lang)); }} />`}
        <${ErrorBox} error=${error} testid="target-row-error" />
        ${busy && html`<p class="loading">${t('targets.testing')}</p>`}
        ${result && html`
          <div class=${result.ok ? 'notice' : 'error-box'} role="status" data-testid="target-test-result"
               data-ok=${String(result.ok)} data-failure=${result.failure || ''}>
            <strong>${result.ok ? t('targets.test_ok') : t(`targets.failure.${result.failure || 'connection'}`)}</strong>
            <span data-testid="target-test-message"> ${messageText(t, result, lang)}</span>
          </div>`}
        ${admin && target.connector !== 'csv-export' && html`
          <div class="inline-form">
            <label for=${`target-secret-${target.id}`}>${t('targets.secret_change')}</label>
            <input id=${`target-secret-${target.id}`} type="password" autocomplete="new-password"
                   class="input-small" value=${secret} data-testid="target-secret-input"
                   onInput=${(e) => setSecret(e.currentTarget.value)} />
            <button type="button" class="btn btn-small" disabled=${busy || !secret}
                    data-testid="target-secret-save" onClick=${saveSecret}>${t('common.save')}</button>
          </div>`}
      </td></tr>`}`;
}

export function TargetsPage({ session }) {
  const { t, lang } = useI18n();
  const editable = canChange(session);
  const admin = isAdmin(session);
  const [items, setItems] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const [editing, setEditing] = useState(null); // {target, key}
  const top = useRef(null);

  const openEdit = (target) => {
    setNotice('');
    setEditing({ target, key: `${target.id}-${Date.now()}` });
    if (top.current && typeof top.current.scrollIntoView === 'function') {
      top.current.scrollIntoView({ block: 'start' });
    }
  };
  const onEdited = (target, how) => {
    setEditing(null);
    setItems((old) => old.map((o) => (o.id === target.id ? target : o)));
    setNotice(t(how === 'unchanged' ? 'targets.edit.unchanged_notice' : 'targets.edit.saved_notice', { name: target.name }));
  };
  const [created, setCreated] = useState(null);

  const load = async () => {
    setLoading(true);
    setError(null);
    try {
      setItems((await api.get('/targets', { limit: 500 })).items);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, []);

  return html`
    <section class="page" data-testid="targets-page" ref=${top}>
      <h1>${t('targets.title')}</h1>
      <p class="muted">${t('targets.intro')}</p>
      ${editable
        ? html`<${CreateTargetForm} session=${session} onStart=${() => setNotice('')}
                                    onCreated=${(x) => { setNotice(t('targets.created_notice', { name: x.name })); setCreated(x); load(); }} />`
        : html`<${ReadOnlyNote} />`}
      ${editing && html`
        <${TargetEditForm} key=${editing.key} target=${editing.target} session=${session}
                           onCancel=${() => setEditing(null)} onSaved=${onEdited} />`}
      <${Notice} text=${notice} testid="targets-notice" />
      ${created && editable && html`
        <${ResendOffer} target=${created} onDismiss=${() => setCreated(null)}
                        onQueued=${(r) => { setCreated(null); setNotice(resendNotice(t, r, lang)); }} />`}
      <div class="card">
        <h2>${t('targets.list_title')}</h2>
        <${ErrorBox} error=${error} id="targets-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="targets-table">
            <thead><tr>
              <th scope="col">${t('targets.name')}</th>
              <th scope="col">${t('targets.connector')}</th>
              <th scope="col">${t('targets.where')}</th>
              <th scope="col">${t('targets.enabled')}</th>
              <th scope="col">${t('targets.secret')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              ${items.map((x) => html`
                <${TargetRow} key=${x.id} target=${x} editable=${editable} admin=${admin} onEdit=${openEdit}
                              onNotice=${setNotice}
                              onChanged=${(n) => { setItems((old) => old.map((o) => (o.id === n.id ? n : o))); if (editing && editing.target.id === n.id) setEditing(null); }}
                              onDeleted=${(d) => { setItems((old) => old.filter((o) => o.id !== d.id)); if (editing && editing.target.id === d.id) setEditing(null); setNotice(t('targets.deleted_notice', { name: d.name })); }} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="6" class="empty">${t('targets.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && html`<p class="loading">${t('common.loading')}</p>`}
      </div>
    </section>`;
}
