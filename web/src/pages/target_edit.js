// The edit form of one target: every setting its connector takes (schema TargetSettings), with
// each API error shown at the field it names. The daemon replaces settings whole, so the form
// sends the target's current settings with the edited values over them (a setting the form does
// not know is kept as it is). The API key is write-only: the form shows whether one is set and
// sends a key only when one was typed. Where a network target sends and whom it trusts (its URL,
// CA and pin) are set by admins only: an operator sees them read-only and sends them unchanged.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { RootsHint } from '../roots.js';
import {
  ErrorBox, FieldError, TimeZoneInput, fieldErrors, isAdmin, loadAll, useScrollToError,
} from '../components.js';

const HTTP_KEYS = ['ca_file', 'ca_pem', 'pin_sha256', 'timeout_seconds', 'max_intervals', 'use_proxy'];

/** The settings each connector takes, in the order the form shows them. */
export const CONNECTOR_KEYS = {
  'injixo-api': ['base_url', 'integration_configuration_id', 'external_system', ...HTTP_KEYS],
  'https-json': ['url', ...HTTP_KEYS, 'agent_days'],
  'csv-export': ['folder', 'create_folder', 'file_prefix', 'separator', 'date_format',
    'time_format', 'header', 'decimals', 'max_intervals', 'columns', 'agent_columns',
    'agent_date_format', 'agent_time_format', 'agent_time_zone'],
};

/** The settings only admins set or change (the daemon answers others 403). */
export const ADMIN_KEYS = ['base_url', 'url', 'ca_file', 'ca_pem', 'pin_sha256'];

const INT_KEYS = ['integration_configuration_id', 'timeout_seconds', 'max_intervals', 'decimals'];
const BOOL_KEYS = ['use_proxy', 'create_folder', 'header'];
const LIST_KEYS = ['columns', 'agent_columns'];
const AGENT_VALUES = ['start_date', 'start_time', 'end_date', 'end_time', 'agent', 'activity'];
const CONTACT_VALUES = ['queue', 'queue_name', 'channel', 'date', 'time'];
const SEPARATORS = [';', ',', '|', '\t'];
const AGENT_DAYS = ['whole', 'changes'];

let rowCounter = 0;
const rowId = () => {
  rowCounter += 1;
  return rowCounter;
};

/** The keys the form shows for a target: its connector's. */
function shownKeys(target) {
  return CONNECTOR_KEYS[target.connector];
}

/** Form state from a target: text for text and number fields, lists with row ids. */
export function formFromTarget(target) {
  const form = { name: target.name, enabled: target.enabled, secret: '' };
  for (const key of shownKeys(target)) {
    const v = target.settings[key];
    if (LIST_KEYS.includes(key)) {
      form[key] = (v || []).map((c) => ({ id: rowId(), header: c.header, value: c.value }));
    } else if (BOOL_KEYS.includes(key)) {
      form[key] = v === undefined ? key !== 'create_folder' : Boolean(v);
    } else if (key === 'agent_days') {
      form[key] = v || 'whole';
    } else {
      form[key] = v === undefined || v === null ? '' : String(v);
    }
  }
  return form;
}

/**
 * The settings to send: the target's current ones with the form's values over them, except the
 * locked keys, which stay as they are. Whole numbers become numbers; anything else stays text
 * (the daemon names the field). Returns {settings, badInt} where badInt is the first number
 * field that holds no whole number.
 */
export function settingsFromForm(target, form, locked = []) {
  const settings = { ...target.settings };
  let badInt = '';
  for (const key of shownKeys(target)) {
    if (locked.includes(key)) {
      continue;
    }
    if (LIST_KEYS.includes(key)) {
      settings[key] = form[key].map((r) => ({ header: r.header, value: r.value }));
    } else if (BOOL_KEYS.includes(key)) {
      settings[key] = Boolean(form[key]);
    } else if (INT_KEYS.includes(key)) {
      const text = form[key].trim();
      if (/^-?\d+$/.test(text)) {
        settings[key] = Number(text);
      } else {
        badInt = badInt || key;
        settings[key] = text;
      }
    } else if (key === 'ca_pem') {
      if (form.ca_pem.trim()) {
        settings.ca_pem = form.ca_pem;
      } else {
        delete settings.ca_pem; // the daemon keeps ca_pem only when one is given
      }
    } else {
      settings[key] = key === 'separator' ? form[key] : form[key].trim();
    }
  }
  return { settings, badInt };
}

/** JSON with sorted keys, to tell whether two settings objects say the same. */
function stable(value) {
  if (Array.isArray(value)) {
    return `[${value.map(stable).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Where an error about `field` is shown: the field itself, a list for its rows, or the form. */
function resolveField(field, keys) {
  const base = field.replace(/\[\d+\].*$/, '');
  if (base === 'name' || base === 'secret' || base === 'enabled') {
    return base;
  }
  return keys.includes(base) ? base : '';
}

export function TargetEditForm({ target, session, onCancel, onSaved }) {
  const { t } = useI18n();
  const [form, setForm] = useState(() => formFromTarget(target));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [valueTypes, setValueTypes] = useState([]);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const keys = shownKeys(target);
  const admin = isAdmin(session);
  const http = target.connector !== 'csv-export';
  const locked = admin ? [] : keys.filter((k) => ADMIN_KEYS.includes(k));
  const fe = fieldErrors(error, (f) => resolveField(f, keys), 'name');
  const prefix = `target-edit-${target.id}`;
  const idOf = (key) => `${prefix}-${key.replace(/_/g, '-')}`;

  useEffect(() => {
    if (target.connector === 'csv-export') {
      loadAll('/value-types').then(setValueTypes).catch(() => setValueTypes([]));
    }
  }, [target.connector]);

  const update = (patch) => setForm((old) => ({ ...old, ...patch }));
  const onText = (key) => (e) => update({ [key]: e.currentTarget.value });

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    const { settings, badInt } = settingsFromForm(target, form, locked);
    if (badInt) {
      setError({ status: 0, code: 'invalid_field', hint: '',
        message: `${badInt}: ${t('targets.edit.whole_number')}` });
      return;
    }
    const body = {};
    if (form.name.trim() !== target.name) {
      body.name = form.name.trim();
    }
    if (form.enabled !== target.enabled) {
      body.enabled = form.enabled;
    }
    if (stable(settings) !== stable(target.settings)) {
      body.settings = settings;
    }
    if (admin && http && form.secret) {
      body.secret = form.secret; // typed: replaces the stored key; empty: the key stays
    }
    if (Object.keys(body).length === 0) {
      onSaved(target, 'unchanged');
      return;
    }
    setBusy(true);
    try {
      onSaved(await api.patch(`/targets/${target.id}`, body), 'saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (key, label, control, help, cls = '') => html`
    <div class=${`field ${cls}`} data-slot=${key}>
      <label for=${idOf(key)}>${label}</label>
      ${control}
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(key)} id=${`${idOf(key)}-error`} field=${key} />
    </div>`;
  const text = (key, props = {}) => html`
    <input id=${idOf(key)} type="text" autocomplete="off" spellcheck="false" value=${form[key]}
           class=${props.mono ? 'mono' : undefined} inputmode=${props.numeric ? 'numeric' : undefined}
           placeholder=${props.placeholder} maxlength=${props.max} readonly=${locked.includes(key)}
           aria-invalid=${fe.at(key) ? 'true' : undefined} onInput=${onText(key)} />`;
  const box = (key, label, help) => html`
    <div class="field field-check" data-slot=${key}>
      <label class="check">
        <input type="checkbox" id=${idOf(key)} checked=${form[key]}
               onChange=${(e) => update({ [key]: e.currentTarget.checked })} />
        <span>${label}</span>
      </label>
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(key)} id=${`${idOf(key)}-error`} field=${key} />
    </div>`;
  const label = (key) => t(`targets.edit.${key}`);
  const help = (key) => t(`targets.edit.${key}_help`);

  const columnsEditor = (key) => {
    const agent = key === 'agent_columns';
    const rows = form[key];
    const setRow = (id, patch) => update({ [key]: rows.map((r) => (r.id === id ? { ...r, ...patch } : r)) });
    const listId = `${idOf(key)}-values`;
    return html`
      <div class="field field-full" data-slot=${key}>
        <label id=${`${idOf(key)}-label`}>${label(key)}</label>
        <small class="help">${help(key)}</small>
        <div class="list-editor" id=${idOf(key)} data-testid=${`target-${key}`}>
          ${rows.map((row, i) => html`
            <div class="list-row" key=${row.id} data-testid="target-column-row">
              <input type="text" autocomplete="off" spellcheck="false" value=${row.header}
                     data-testid="target-column-header" maxlength="64"
                     aria-label=${t('targets.edit.column_header_n', { n: i + 1 })}
                     onInput=${(e) => setRow(row.id, { header: e.currentTarget.value })} />
              <span class="arrow" aria-hidden="true">←</span>
              ${agent
                ? html`<select data-testid="target-column-value" value=${row.value}
                               aria-label=${t('targets.edit.column_value_n', { n: i + 1 })}
                               onChange=${(e) => setRow(row.id, { value: e.currentTarget.value })}>
                    ${AGENT_VALUES.map((v) => html`<option value=${v}>${t(`targets.edit.agent_value.${v}`)}</option>`)}
                  </select>`
                : html`<input type="text" autocomplete="off" spellcheck="false" list=${listId}
                              data-testid="target-column-value" value=${row.value}
                              aria-label=${t('targets.edit.column_value_n', { n: i + 1 })}
                              onInput=${(e) => setRow(row.id, { value: e.currentTarget.value })} />`}
              <button type="button" class="btn btn-small" data-testid="target-column-remove"
                      aria-label=${t('targets.edit.column_remove_n', { n: i + 1 })}
                      onClick=${() => update({ [key]: rows.filter((r) => r.id !== row.id) })}>
                ${t('targets.edit.remove')}</button>
            </div>`)}
          ${!agent && html`<datalist id=${listId}>
            ${[...CONTACT_VALUES, ...valueTypes.map((v) => v.key)].map((v) => html`<option value=${v} />`)}
          </datalist>`}
          <${FieldError} error=${fe.at(key)} id=${`${idOf(key)}-error`} field=${key} />
          <div class="actions">
            <button type="button" class="btn btn-small" data-testid=${`target-${key}-add`}
                    onClick=${() => update({ [key]: [...rows, { id: rowId(), header: '', value: agent ? 'agent' : '' }] })}>
              ${t('targets.edit.column_add')}</button>
          </div>
        </div>
      </div>`;
  };

  const sepLabel = (s) => (s === '\t' ? t('targets.edit.tab') : s);
  const controls = {
    base_url: () => field('base_url', t('targets.base_url'), text('base_url', { mono: true }), t('targets.base_url_help'), 'field-wide'),
    integration_configuration_id: () => field('integration_configuration_id', t('targets.icid'),
      text('integration_configuration_id', { numeric: true }), t('targets.icid_help')),
    external_system: () => field('external_system', label('external_system'), text('external_system', { max: 128 }), help('external_system')),
    url: () => field('url', t('targets.url'), text('url', { mono: true }), t('targets.url_help'), 'field-wide'),
    ca_file: () => field('ca_file', t('targets.ca_file'), text('ca_file', { mono: true }), t('targets.ca_file_help'), 'field-wide'),
    ca_pem: () => field('ca_pem', label('ca_pem'), html`
      <textarea id=${idOf('ca_pem')} class="mono" rows="4" spellcheck="false" value=${form.ca_pem}
                readonly=${locked.includes('ca_pem')} aria-invalid=${fe.at('ca_pem') ? 'true' : undefined} onInput=${onText('ca_pem')} />`,
    help('ca_pem'), 'field-full'),
    pin_sha256: () => field('pin_sha256', label('pin_sha256'), text('pin_sha256', { mono: true, max: 64 }), help('pin_sha256'), 'field-wide'),
    timeout_seconds: () => field('timeout_seconds', label('timeout_seconds'), text('timeout_seconds', { numeric: true }), help('timeout_seconds')),
    max_intervals: () => field('max_intervals', label('max_intervals'), text('max_intervals', { numeric: true }), help('max_intervals')),
    use_proxy: () => box('use_proxy', label('use_proxy'), help('use_proxy')),
    agent_days: () => field('agent_days', label('agent_days'), html`
      <select id=${idOf('agent_days')} value=${form.agent_days} onChange=${onText('agent_days')}
              aria-invalid=${fe.at('agent_days') ? 'true' : undefined}>
        ${(AGENT_DAYS.includes(form.agent_days) ? AGENT_DAYS : [form.agent_days, ...AGENT_DAYS])
          .map((v) => html`<option value=${v}>${AGENT_DAYS.includes(v) ? t(`targets.edit.agent_days.${v}`) : v}</option>`)}
      </select>`, help('agent_days'), 'field-wide'),
    folder: () => field('folder', t('targets.folder'), text('folder', { mono: true }),
      html`${t('targets.folder_help')}<${RootsHint} kind="export" />`, 'field-wide'),
    create_folder: () => box('create_folder', label('create_folder'), help('create_folder')),
    file_prefix: () => field('file_prefix', label('file_prefix'), text('file_prefix', { max: 64 }), help('file_prefix')),
    separator: () => field('separator', label('separator'), html`
      <select id=${idOf('separator')} value=${form.separator} onChange=${onText('separator')}>
        ${(SEPARATORS.includes(form.separator) ? SEPARATORS : [form.separator, ...SEPARATORS])
          .map((s) => html`<option value=${s}>${sepLabel(s)}</option>`)}
      </select>`, ''),
    date_format: () => field('date_format', label('date_format'), text('date_format', { mono: true }), help('date_format')),
    time_format: () => field('time_format', label('time_format'), text('time_format', { mono: true }), help('time_format')),
    header: () => box('header', label('header'), ''),
    decimals: () => field('decimals', label('decimals'), text('decimals', { numeric: true }), help('decimals')),
    columns: () => columnsEditor('columns'),
    agent_columns: () => columnsEditor('agent_columns'),
    agent_date_format: () => field('agent_date_format', label('agent_date_format'), text('agent_date_format', { mono: true }), help('date_format')),
    agent_time_format: () => field('agent_time_format', label('agent_time_format'), text('agent_time_format', { mono: true }), help('time_format')),
    agent_time_zone: () => field('agent_time_zone', label('agent_time_zone'), html`
      <${TimeZoneInput} id=${idOf('agent_time_zone')} value=${form.agent_time_zone}
                        invalid=${Boolean(fe.at('agent_time_zone'))}
                        onInput=${(v) => update({ agent_time_zone: v })} />`, help('agent_time_zone')),
  };

  return html`
    <form class="card" id=${prefix} ref=${ref} onSubmit=${submit} novalidate
          data-testid="target-edit-form" data-id=${target.id}>
      <h2>${t('targets.edit.title', { name: target.name })}</h2>
      <p class="muted">${t(`targets.connector_help.${target.connector}`)}</p>
      <fieldset class="form-section">
        <legend>${t('targets.edit.section_general')}</legend>
        <div class="section-grid">
          ${field('name', t('targets.name'), text('name', { max: 64 }), '')}
          ${box('enabled', t('targets.enabled'), '')}
        </div>
      </fieldset>
      <fieldset class="form-section">
        <legend>${t('targets.edit.section_settings')}</legend>
        ${locked.length > 0 && html`
          <p class="muted" data-testid="target-edit-admin-note">${t('targets.edit.admin_settings_note')}</p>`}
        <div class="section-grid">
          ${keys.map((key) => controls[key]())}
        </div>
      </fieldset>
      ${http && html`
        <fieldset class="form-section">
          <legend>${t('targets.secret')}</legend>
          <p data-testid="target-edit-secret-state">
            ${target.secret_set ? t('targets.edit.secret_is_set') : t('targets.edit.secret_not_set')}</p>
          ${admin
            ? field('secret', t('targets.edit.secret_new'), html`
                <input id=${idOf('secret')} type="password" autocomplete="new-password" value=${form.secret}
                       aria-invalid=${fe.at('secret') ? 'true' : undefined} onInput=${onText('secret')} />`,
              target.secret_set ? t('targets.edit.secret_keep') : t('targets.secret_help'))
            : html`<p class="muted">${t('targets.secret_admin_only')}</p>`}
        </fieldset>`}
      <${ErrorBox} error=${fe.rest} id=${`${prefix}-error`} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id=${`${prefix}-submit`} data-testid="target-edit-save"
                disabled=${busy}>${t('common.save')}</button>
        <button type="button" class="btn" data-testid="target-edit-cancel" onClick=${onCancel}>
          ${t('common.cancel')}</button>
      </div>
    </form>`;
}
