// Sources: the ACD exports acdlink reads. Paged list with enable/disable and delete; one form for
// create, edit and (for viewers) read-only details that adapts to the kind (CSV folder or ODBC
// query) and the layout (interval rows or one row per contact).
//
// The settings travel as the documented JSON (schema SourceSettings); on edit only the changed
// top-level fields are sent (settings as a whole when any part of it changed, because the daemon
// replaces them). The ODBC password is write-only: never prefilled, set or cleared by admins only.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { messageText, useI18n } from '../i18n/index.js';
import { RereadOffer } from './reread.js';
import {
  ErrorBox, FieldError, ListSearch, LoadMore, SEARCH_SHOW_MAX, Notice, ReadOnlyNote, TimeZoneInput,
  browserTimeZone, canChange, fieldErrors, isAdmin, matchItems, useScrollToError,
} from '../components.js';
import { DeleteWithConsequences } from './delete_dialog.js';
import { IntervalOptions } from './queues.js';
import { SourcePreview } from './preview.js';
import { SourceFollow, canFollow } from './source_follow.js';
import { SourceLive, canLive } from './source_live.js';
import { SourceIncremental, canFollowQuery } from './source_incremental.js';
import { RootsHint } from '../roots.js';
import { ZonedTime } from './schedules.js';

const PAGE_SIZE = 50;

const SEPARATORS = [';', ',', '\t', '|'];
const QUOTES = ['"', "'", ''];
const ENCODINGS = ['utf-8', 'windows-1252', 'iso-8859-1', 'utf-16le', 'utf-16be'];
const DATE_ORDERS = ['dmy', 'mdy', 'ymd'];
const AFTER_IMPORT = ['keep', 'move', 'delete'];
const CSV_KEYS = ['folder', 'pattern', 'separator', 'quote', 'encoding', 'skip_lines', 'header',
  'date_order', 'date_format', 'time_format', 'timestamp_format', 'after_import',
  'archive_folder', 'strict'];

let rowCounter = 0;
const rowId = () => {
  rowCounter += 1;
  return rowCounter;
};

/** JSON with sorted keys, to tell whether two settings objects say the same. */
function stable(value) {
  if (Array.isArray(value)) {
    return `[${value.map(stable).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

/** A column field as the API wants it: digits are a 1-based number, other text a header name. */
function columnValue(text) {
  const v = (text || '').trim();
  if (!v) {
    return null;
  }
  return /^\d{1,6}$/.test(v) ? Number(v) : v;
}

const columnText = (value) => (value === null || value === undefined ? '' : String(value));

/** A whole number when the text is one; otherwise the text itself, so the daemon names the field. */
function intValue(text) {
  const v = String(text).trim();
  return /^\d{1,9}$/.test(v) ? Number(v) : v;
}

const orNull = (text) => {
  const v = (text || '').trim();
  return v ? v : null;
};

function emptyForm() {
  return {
    name: '', kind: 'csv', layout: 'interval', time_zone: browserTimeZone(),
    interval_minutes: '15', enabled: true,
    folder: '', pattern: '*.csv', sep_choice: ',', sep_custom: '', quote: '"',
    encoding: 'utf-8', skip_lines: '0', header: 'yes', date_mode: 'order', date_order: 'dmy',
    date_format: '', time_format: '', timestamp_format: '', after_import: 'keep',
    archive_folder: '', strict: false,
    col_queue: '', col_queue_name: '', time_mode: 'datetime', col_date: '', col_time: '',
    col_timestamp: '', col_answered: '', col_duration: '',
    answered_values: '', unanswered_values: '',
    metrics: [{ id: rowId(), name: '', column: '' }],
    derived: [], filter: '',
    conn_mode: 'dsn', dsn: '', connection_string: '', user: '', query_mode: 'preset', sql: '',
    preset: '', timeout_s: '300', connections: '3',
  };
}

/** The form state for an existing source (the daemon answers every setting, defaults included). */
export function formFromSource(source) {
  const form = { ...emptyForm(), metrics: [], derived: [] };
  const s = source.settings || {};
  Object.assign(form, {
    name: source.name, kind: source.kind, layout: source.layout || 'interval', time_zone: source.time_zone,
    interval_minutes: String(source.interval_minutes), enabled: source.enabled,
  });
  if (s.csv) {
    const c = s.csv;
    const sep = c.separator === undefined ? ',' : c.separator;
    Object.assign(form, {
      folder: c.folder || '', pattern: c.pattern || '',
      sep_choice: SEPARATORS.includes(sep) ? sep : 'custom',
      sep_custom: SEPARATORS.includes(sep) ? '' : sep,
      quote: c.quote === undefined || c.quote === null ? '"' : c.quote,
      encoding: c.encoding || 'utf-8',
      skip_lines: String(c.skip_lines === undefined ? 0 : c.skip_lines),
      header: c.header === false ? 'no' : 'yes',
      date_mode: c.date_format || c.time_format || c.timestamp_format ? 'formats' : 'order',
      date_order: c.date_order || 'dmy', date_format: c.date_format || '',
      time_format: c.time_format || '', timestamp_format: c.timestamp_format || '',
      after_import: c.after_import || 'keep', archive_folder: c.archive_folder || '',
      strict: Boolean(c.strict),
      // not on the form: kept as the API has it
      partial_line_wait_s: c.partial_line_wait_s,
    });
  }
  const cols = s.columns || {};
  Object.assign(form, {
    col_queue: columnText(cols.queue), col_queue_name: columnText(cols.queue_name),
    time_mode: cols.timestamp !== null && cols.timestamp !== undefined ? 'timestamp' : 'datetime',
    col_date: columnText(cols.date), col_time: columnText(cols.time),
    col_timestamp: columnText(cols.timestamp), col_answered: columnText(cols.answered),
    col_duration: columnText(cols.duration),
  });
  // the values of the answered column, as the daemon keeps them (null: its default rule)
  form.answered_values = valueListText(s.answered_values);
  form.unanswered_values = valueListText(s.unanswered_values);
  form.metrics = Object.entries(s.metrics || {}).map(([name, column]) => (
    { id: rowId(), name, column: columnText(column) }));
  if (form.kind === 'csv' && form.layout === 'interval' && form.metrics.length === 0) {
    form.metrics.push({ id: rowId(), name: '', column: '' });
  }
  form.derived = (s.derived || []).map((d) => ({ id: rowId(), name: d.name, expression: d.expression }));
  form.filter = s.filter || '';
  if (s.odbc) {
    const o = s.odbc;
    Object.assign(form, {
      conn_mode: o.connection_string ? 'string' : 'dsn', dsn: o.dsn || '',
      connection_string: o.connection_string || '', user: o.user || '',
      query_mode: o.preset ? 'preset' : 'sql', sql: o.sql || '', preset: o.preset || '',
      timeout_s: String(o.timeout_s === undefined ? 300 : o.timeout_s),
      connections: String(o.connections === undefined ? 3 : o.connections),
    });
  }
  return form;
}

/** A list of answered-column values as the form shows it: "AGENT, TRANSFER". */
const valueListText = (list) => (Array.isArray(list) ? list.join(', ') : '');

/** The form's text of answered-column values as the API's list, or null when empty. */
function valueList(text) {
  const list = text.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return list.length > 0 ? list : null;
}

const separatorOf = (form) => (form.sep_choice === 'custom' ? form.sep_custom : form.sep_choice);

/** Rows of an editable list that say anything (a fully empty row is left out). */
const filledRows = (rows, a, b) => rows.filter((r) => r[a].trim() || r[b].trim());

/** The settings object (schema SourceSettings) the form describes. */
export function buildSettings(form) {
  const settings = {};
  if (form.kind === 'csv') {
    const formats = form.date_mode === 'formats';
    const split = form.time_mode === 'datetime';
    settings.csv = {
      folder: form.folder.trim(),
      pattern: form.pattern.trim(),
      separator: separatorOf(form),
      quote: form.quote,
      encoding: form.encoding,
      skip_lines: intValue(form.skip_lines),
      header: form.header === 'yes',
      date_order: form.date_order,
      date_format: formats && split ? orNull(form.date_format) : null,
      time_format: formats && split ? orNull(form.time_format) : null,
      timestamp_format: formats && !split ? orNull(form.timestamp_format) : null,
      after_import: form.after_import,
      archive_folder: form.after_import === 'move' ? orNull(form.archive_folder) : null,
      strict: Boolean(form.strict),
    };
    if (form.partial_line_wait_s !== undefined) {
      settings.csv.partial_line_wait_s = form.partial_line_wait_s;
    }
    const contact = form.layout === 'contact';
    settings.columns = {
      queue: columnValue(form.col_queue),
      queue_name: columnValue(form.col_queue_name),
      date: split ? columnValue(form.col_date) : null,
      time: split ? columnValue(form.col_time) : null,
      timestamp: split ? null : columnValue(form.col_timestamp),
      answered: contact ? columnValue(form.col_answered) : null,
      duration: contact ? columnValue(form.col_duration) : null,
    };
    if (!contact) {
      settings.metrics = {};
      for (const row of filledRows(form.metrics, 'name', 'column')) {
        settings.metrics[row.name.trim()] = columnValue(row.column);
      }
    }
  } else {
    const byDsn = form.conn_mode === 'dsn';
    const byPreset = form.query_mode === 'preset';
    settings.odbc = {
      dsn: byDsn ? orNull(form.dsn) : null,
      connection_string: byDsn ? null : orNull(form.connection_string),
      user: orNull(form.user),
      sql: byPreset ? null : (form.sql.trim() ? form.sql : null),
      preset: byPreset ? form.preset || null : null,
      timeout_s: intValue(form.timeout_s),
      connections: intValue(form.connections),
    };
  }
  if (form.layout === 'contact') {
    settings.answered_values = valueList(form.answered_values);
    settings.unanswered_values = valueList(form.unanswered_values);
  }
  settings.derived = filledRows(form.derived, 'name', 'expression')
    .map((row) => ({ name: row.name.trim(), expression: row.expression.trim() }));
  settings.filter = orNull(form.filter);
  return settings;
}

/** A metric name the form holds twice (the JSON object would keep only one of them). */
function duplicateMetric(form) {
  if (form.kind !== 'csv' || form.layout !== 'interval') {
    return '';
  }
  const seen = new Set();
  for (const row of filledRows(form.metrics, 'name', 'column')) {
    const name = row.name.trim();
    if (seen.has(name)) {
      return name;
    }
    seen.add(name);
  }
  return '';
}

function idOf(slot) {
  return `source-${slot.replace(/[.[\]_]+/g, '-').replace(/-+$/, '')}`;
}

function SourceForm({ mode, source, presets, session, onCancel, onSaved }) {
  const { t } = useI18n();
  const admin = isAdmin(session);
  const readOnly = mode === 'view';
  const [form, setForm] = useState(() => (source ? formFromSource(source) : emptyForm()));
  const [password, setPassword] = useState('');
  const [clearPassword, setClearPassword] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);

  const csv = form.kind === 'csv';
  const contact = form.layout === 'contact';
  const split = form.time_mode === 'datetime';
  const formats = form.date_mode === 'formats';
  const showPassword = !csv && admin && !readOnly;
  // where a source that holds a password connects is an admin's (the API refuses others)
  const connLocked = !csv && !admin && !readOnly && mode !== 'create' && Boolean(source && source.password_set);
  const update = (changes) => setForm((old) => ({ ...old, ...changes }));
  const onText = (key) => (e) => update({ [key]: e.currentTarget.value });

  // Where an error about a field is shown: at that field when the form shows it, else on top.
  const resolve = (field) => {
    if (['name', 'kind', 'layout', 'time_zone', 'interval_minutes', 'enabled'].includes(field)) {
      return field;
    }
    if (field === 'password') {
      return showPassword ? 'password' : '';
    }
    if (csv && field.startsWith('csv.')) {
      const key = field.slice(4);
      const visible = CSV_KEYS.includes(key)
        && (key !== 'date_order' || !formats)
        && (!['date_format', 'time_format'].includes(key) || (formats && split))
        && (key !== 'timestamp_format' || (formats && !split))
        && (key !== 'archive_folder' || form.after_import === 'move');
      return visible ? field : '';
    }
    if (csv && field.startsWith('columns.')) {
      const key = field.slice(8);
      if (['queue', 'queue_name'].includes(key)) {
        return field;
      }
      if ((split && ['date', 'time'].includes(key)) || (!split && key === 'timestamp')) {
        return field;
      }
      if (['date', 'time', 'timestamp'].includes(key)) {
        return 'columns.when';
      }
      return contact && ['answered', 'duration'].includes(key) ? field : '';
    }
    const values = /^(un)?answered_values/.exec(field);
    if (values) {
      return contact ? `${values[1] || ''}answered_values` : '';
    }
    if (csv && !contact && (field === 'metrics' || field.startsWith('metrics.'))) {
      const name = field.slice(8);
      const index = form.metrics.findIndex((r) => r.name.trim() === name && name);
      return index >= 0 ? `metrics[${form.metrics[index].id}]` : 'metrics';
    }
    const derived = /^derived(?:\[(\d+)\])?/.exec(field);
    if (derived) {
      const rows = filledRows(form.derived, 'name', 'expression');
      const row = derived[1] !== undefined ? rows[Number(derived[1])] : null;
      return row ? `derived[${row.id}]` : 'derived';
    }
    if (field === 'filter') {
      return field;
    }
    if (!csv && field.startsWith('odbc.')) {
      const key = field.slice(5);
      if (key === 'dsn' || key === 'connection_string') {
        return form.conn_mode === 'dsn' ? 'odbc.dsn' : 'odbc.connection_string';
      }
      if (key === 'sql' || key === 'preset') {
        return form.query_mode === 'preset' ? 'odbc.preset' : 'odbc.sql';
      }
      return ['user', 'timeout_s', 'connections'].includes(key) ? field : '';
    }
    return '';
  };
  const fe = fieldErrors(error, resolve, 'name');
  const invalid = (slot) => (fe.at(slot) ? 'true' : undefined);

  /** One labelled field: label, control, help text and the API error that names it. */
  const field = (slot, label, control, help, extraClass) => html`
    <div class=${extraClass ? `field ${extraClass}` : 'field'} data-slot=${slot}>
      <label for=${idOf(slot)}>${label}</label>
      ${control}
      ${help && html`<small class="help">${help}</small>`}
      <${FieldError} error=${fe.at(slot)} id=${`${idOf(slot)}-error`} field=${slot} />
    </div>`;
  const textInput = (slot, key, opts = {}) => html`
    <input id=${idOf(slot)} type="text" autocomplete="off" autocapitalize="none" spellcheck="false"
           class=${opts.mono ? 'mono' : undefined} maxlength=${opts.max}
           placeholder=${opts.placeholder} value=${form[key]} onInput=${onText(key)}
           readonly=${opts.readOnly} aria-invalid=${invalid(slot)} />`;
  const select = (slot, key, options) => html`
    <select id=${idOf(slot)} value=${form[key]} onChange=${onText(key)} aria-invalid=${invalid(slot)}>
      ${options.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
    </select>`;
  const radios = (name, key, options, onPick) => html`
    <div class="radio-group" role="radiogroup">
      ${options.map(([value, label]) => html`
        <label class="radio">
          <input type="radio" name=${name} id=${`${name}-${value}`} value=${value}
                 checked=${form[key] === value} disabled=${name === 'source-conn-mode' && connLocked}
                 onChange=${() => (onPick ? onPick(value) : update({ [key]: value }))} />
          <span>${label}</span>
        </label>`)}
    </div>`;

  // Editable lists: metrics (name -> column) and derived fields (name, expression).
  const setRow = (list, id, changes) => update({
    [list]: form[list].map((r) => (r.id === id ? { ...r, ...changes } : r)),
  });
  const addRow = (list, row) => update({ [list]: [...form[list], { id: rowId(), ...row }] });
  const removeRow = (list, id) => update({ [list]: form[list].filter((r) => r.id !== id) });

  const layoutPresets = presets.filter((p) => p.layout === form.layout);
  const preset = presets.find((p) => p.id === form.preset);

  const submit = async (event) => {
    event.preventDefault();
    if (readOnly) {
      return;
    }
    const twice = duplicateMetric(form);
    if (twice) {
      setError({ code: 'invalid_field', message: `settings.metrics.${twice}: ${t('sources.metric_twice')}`, hint: '' });
      return;
    }
    const settings = buildSettings(form);
    let body;
    if (mode === 'create') {
      body = {
        name: form.name.trim(), kind: form.kind, layout: form.layout,
        time_zone: form.time_zone.trim(), interval_minutes: intValue(form.interval_minutes),
        enabled: form.enabled, settings,
      };
      if (showPassword && password) {
        body.password = password;
      }
    } else {
      body = {};
      if (form.name.trim() !== source.name) {
        body.name = form.name.trim();
      }
      if (form.time_zone.trim() !== source.time_zone) {
        body.time_zone = form.time_zone.trim();
      }
      if (intValue(form.interval_minutes) !== source.interval_minutes) {
        body.interval_minutes = intValue(form.interval_minutes);
      }
      if (form.enabled !== source.enabled) {
        body.enabled = form.enabled;
      }
      if (stable(settings) !== stable(buildSettings(formFromSource(source)))) {
        body.settings = settings;
      }
      if (showPassword && password) {
        body.password = password;
      } else if (showPassword && clearPassword) {
        body.password = null;
      }
      if (Object.keys(body).length === 0) {
        onSaved(source, 'unchanged');
        return;
      }
    }
    setBusy(true);
    setError(null);
    try {
      const saved = mode === 'create'
        ? await api.post('/sources', body)
        : await api.patch(`/sources/${source.id}`, body);
      setPassword('');
      setClearPassword(false);
      onSaved(saved, mode === 'create' ? 'created' : 'saved', Boolean(body.settings));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  let title = t('sources.create_title');
  if (mode === 'edit') {
    title = t('sources.edit_title', { name: source.name });
  } else if (mode === 'view') {
    title = t('sources.view_title', { name: source.name });
  }

  const general = html`
    <fieldset class="form-section">
      <legend>${t('sources.section_general')}</legend>
      <div class="section-grid">
        ${field('name', t('sources.name'), textInput('name', 'name', { max: 64 }),
          t('sources.name_help'))}
        ${field('kind', t('sources.kind'), html`
          <select id=${idOf('kind')} value=${form.kind} disabled=${mode !== 'create'}
                  onChange=${(e) => update({ kind: e.currentTarget.value })}>
            <option value="csv">${t('sources.kind.csv')}</option>
            <option value="odbc">${t('sources.kind.odbc')}</option>
          </select>`, mode === 'create' ? t('sources.kind_help') : t('sources.fixed_help'))}
        ${field('layout', t('sources.layout'), html`
          <select id=${idOf('layout')} value=${form.layout} disabled=${mode !== 'create'}
                  onChange=${(e) => update({ layout: e.currentTarget.value, preset: '' })}>
            <option value="interval">${t('sources.layout.interval')}</option>
            <option value="contact">${t('sources.layout.contact')}</option>
          </select>`, mode === 'create' ? t('sources.layout_help') : t('sources.fixed_help'))}
        ${field('time_zone', t('sources.time_zone'), html`
          <${TimeZoneInput} id=${idOf('time_zone')} value=${form.time_zone}
                            invalid=${Boolean(fe.at('time_zone'))}
                            onInput=${(v) => update({ time_zone: v })} />`,
          t('sources.time_zone_help'))}
        ${field('interval_minutes', t('sources.interval'), html`
          <select id=${idOf('interval_minutes')} value=${form.interval_minutes}
                  onChange=${onText('interval_minutes')}><${IntervalOptions} /></select>`,
          t('sources.interval_help'))}
        <div class="field field-check" data-slot="enabled">
          <label class="check">
            <input type="checkbox" id=${idOf('enabled')} checked=${form.enabled}
                   onChange=${(e) => update({ enabled: e.currentTarget.checked })} />
            <span>${t('sources.enabled_label')}</span>
          </label>
          <small class="help">${t('sources.enabled_help')}</small>
          <${FieldError} error=${fe.at('enabled')} id="source-enabled-error" field="enabled" />
        </div>
      </div>
    </fieldset>`;

  const sepLabel = (s) => (s === '\t' ? t('sources.sep.tab') : s);
  const csvFile = csv && html`
    <fieldset class="form-section" data-testid="source-csv-section">
      <legend>${t('sources.section_file')}</legend>
      <div class="section-grid">
        ${field('csv.folder', t('sources.csv.folder'),
          textInput('csv.folder', 'folder', { mono: true, placeholder: '/var/lib/acdlink/import/acd' }),
          html`${t('sources.csv.folder_help')}<${RootsHint} kind="import" />`, 'field-wide')}
        ${field('csv.pattern', t('sources.csv.pattern'),
          textInput('csv.pattern', 'pattern', { mono: true, placeholder: '*.csv' }),
          t('sources.csv.pattern_help'))}
        <div class="field" data-slot="csv.separator">
          <label for="source-csv-separator">${t('sources.csv.separator')}</label>
          <div class="inline-fields">
            <select id="source-csv-separator" value=${form.sep_choice}
                    aria-invalid=${invalid('csv.separator')}
                    onChange=${(e) => update({ sep_choice: e.currentTarget.value })}>
              ${SEPARATORS.map((s) => html`<option value=${s}>${sepLabel(s)}</option>`)}
              <option value="custom">${t('sources.sep.custom')}</option>
            </select>
            ${form.sep_choice === 'custom' && html`
              <input id="source-csv-separator-custom" type="text" class="mono input-char"
                     autocomplete="off" spellcheck="false" value=${form.sep_custom}
                     aria-label=${t('sources.sep.custom_label')}
                     aria-invalid=${invalid('csv.separator')} onInput=${onText('sep_custom')} />`}
          </div>
          <${FieldError} error=${fe.at('csv.separator')} id="source-csv-separator-error"
                         field="csv.separator" />
        </div>
        <div class="field" data-slot="csv.quote">
          <label for="source-csv-quote">${t('sources.csv.quote')}</label>
          <select id="source-csv-quote" value=${form.quote} aria-invalid=${invalid('csv.quote')}
                  onChange=${onText('quote')}>
            ${[...QUOTES, ...(QUOTES.includes(form.quote) ? [] : [form.quote])].map((q) => html`
              <option value=${q}>${q === '' ? t('sources.quote.none') : q}</option>`)}
          </select>
          <${FieldError} error=${fe.at('csv.quote')} id="source-csv-quote-error" field="csv.quote" />
        </div>
        ${field('csv.encoding', t('sources.csv.encoding'), select('csv.encoding', 'encoding',
          ENCODINGS.map((e) => [e, t(`sources.encoding.${e}`)])))}
        ${field('csv.skip_lines', t('sources.csv.skip_lines'), html`
          <input id=${idOf('csv.skip_lines')} type="number" min="0" max="1000" step="1"
                 value=${form.skip_lines} onInput=${onText('skip_lines')}
                 aria-invalid=${invalid('csv.skip_lines')} />`, t('sources.csv.skip_lines_help'))}
        ${field('csv.header', t('sources.csv.header'), select('csv.header', 'header',
          [['yes', t('sources.csv.header_yes')], ['no', t('sources.csv.header_no')]]))}
        <div class="field field-check" data-slot="csv.strict">
          <label class="check">
            <input type="checkbox" id="source-csv-strict" checked=${form.strict}
                   onChange=${(e) => update({ strict: e.currentTarget.checked })} />
            <span>${t('sources.csv.strict')}</span>
          </label>
          <small class="help">${t('sources.csv.strict_help')}</small>
          <${FieldError} error=${fe.at('csv.strict')} id="source-csv-strict-error" field="csv.strict" />
        </div>
        ${field('csv.after_import', t('sources.csv.after_import'), select('csv.after_import',
          'after_import', AFTER_IMPORT.map((a) => [a, t(`sources.after.${a}`)])))}
        ${form.after_import === 'move' && field('csv.archive_folder', t('sources.csv.archive_folder'),
          textInput('csv.archive_folder', 'archive_folder', { mono: true,
            placeholder: '/var/lib/acdlink/import/done' }), t('sources.csv.archive_help'), 'field-wide')}
      </div>
    </fieldset>`;

  const csvColumns = csv && html`
    <fieldset class="form-section" data-testid="source-columns-section">
      <legend>${t('sources.section_columns')}</legend>
      <p class="help section-help">${t('sources.columns_help')}</p>
      <div class="section-grid">
        ${field('columns.queue', t('sources.col.queue'), textInput('columns.queue', 'col_queue'),
          t('sources.col.queue_help'))}
        ${field('columns.queue_name', t('sources.col.queue_name'),
          textInput('columns.queue_name', 'col_queue_name'), t('sources.optional'))}
        <div class="field field-full" data-slot="columns.when">
          <span class="label">${t('sources.col.when')}</span>
          ${radios('source-time-mode', 'time_mode', [
            ['datetime', t('sources.col.mode_datetime')],
            ['timestamp', t('sources.col.mode_timestamp')]])}
          <${FieldError} error=${fe.at('columns.when')} id="source-columns-when-error" field="columns.when" />
        </div>
        ${split && field('columns.date', t('sources.col.date'), textInput('columns.date', 'col_date'))}
        ${split && field('columns.time', t('sources.col.time'), textInput('columns.time', 'col_time'))}
        ${!split && field('columns.timestamp', t('sources.col.timestamp'),
          textInput('columns.timestamp', 'col_timestamp'))}
        ${contact && field('columns.answered', t('sources.col.answered'),
          textInput('columns.answered', 'col_answered'), t('sources.col.answered_help'))}
        ${contact && field('columns.duration', t('sources.col.duration'),
          textInput('columns.duration', 'col_duration'), t('sources.col.duration_help'))}
      </div>
      <div class="subsection">
        <span class="label">${t('sources.dates')}</span>
        ${radios('source-date-mode', 'date_mode', [
          ['order', t('sources.dates.order')], ['formats', t('sources.dates.formats')]])}
        <div class="section-grid">
          ${!formats && field('csv.date_order', t('sources.csv.date_order'), select('csv.date_order',
            'date_order', DATE_ORDERS.map((o) => [o, t(`sources.order.${o}`)])),
          t('sources.csv.date_order_help'))}
          ${formats && split && field('csv.date_format', t('sources.csv.date_format'),
            textInput('csv.date_format', 'date_format', { mono: true, placeholder: 'dd.mm.yyyy' }),
            t('sources.csv.format_help'))}
          ${formats && split && field('csv.time_format', t('sources.csv.time_format'),
            textInput('csv.time_format', 'time_format', { mono: true, placeholder: 'HH:MM' }))}
          ${formats && !split && field('csv.timestamp_format', t('sources.csv.timestamp_format'),
            textInput('csv.timestamp_format', 'timestamp_format', { mono: true,
              placeholder: 'yyyy-mm-dd HH:MM:SS' }), t('sources.csv.format_help'))}
        </div>
      </div>
    </fieldset>`;

  const metrics = csv && !contact && html`
    <fieldset class="form-section" data-testid="source-metrics-section">
      <legend>${t('sources.section_metrics')}</legend>
      <p class="help section-help">${t('sources.metrics_help')}</p>
      <div class="list-editor" id="source-metrics" data-slot="metrics">
        ${form.metrics.length > 0 && html`
          <div class="list-row list-head" aria-hidden="true">
            <span>${t('sources.metric.name')}</span><span></span>
            <span>${t('sources.metric.column')}</span><span></span>
          </div>`}
        ${form.metrics.map((row, i) => html`
          <div class="list-item" key=${row.id} data-testid="metric-row">
            <div class="list-row">
              <input type="text" autocomplete="off" spellcheck="false" value=${row.name}
                     id=${`source-metric-name-${i}`} data-testid="metric-name" maxlength="64"
                     aria-label=${t('sources.metric.name_n', { n: i + 1 })}
                     aria-invalid=${invalid(`metrics[${row.id}]`)}
                     onInput=${(e) => setRow('metrics', row.id, { name: e.currentTarget.value })} />
              <span class="arrow" aria-hidden="true">→</span>
              <input type="text" autocomplete="off" spellcheck="false" value=${row.column}
                     id=${`source-metric-column-${i}`} data-testid="metric-column"
                     aria-label=${t('sources.metric.column_n', { n: i + 1 })}
                     aria-invalid=${invalid(`metrics[${row.id}]`)}
                     onInput=${(e) => setRow('metrics', row.id, { column: e.currentTarget.value })} />
              <button type="button" class="btn btn-small" data-testid="metric-remove"
                      aria-label=${t('sources.remove_n', { n: i + 1 })}
                      onClick=${() => removeRow('metrics', row.id)}>${t('sources.remove')}</button>
            </div>
            <${FieldError} error=${fe.at(`metrics[${row.id}]`)} id=${`source-metric-error-${i}`}
                           field=${`metrics.${row.name.trim()}`} />
          </div>`)}
        <${FieldError} error=${fe.at('metrics')} id="source-metrics-error" field="metrics" />
        <div class="actions">
          <button type="button" class="btn btn-small" id="source-metric-add"
                  onClick=${() => addRow('metrics', { name: '', column: '' })}>
            ${t('sources.metric.add')}</button>
        </div>
      </div>
    </fieldset>`;

  // which values of the answered column mean answered and which do not (any kind of source)
  const answeredSection = contact && html`
    <fieldset class="form-section" data-testid="source-answered-section">
      <legend>${t('sources.section_answered')}</legend>
      <p class="help section-help">${t('sources.answered_values_intro')}</p>
      <div class="section-grid">
        ${field('answered_values', t('sources.answered_values'),
          textInput('answered_values', 'answered_values', { placeholder: 'AGENT, TRANSFER' }),
          t('sources.answered_values_help'))}
        ${field('unanswered_values', t('sources.unanswered_values'),
          textInput('unanswered_values', 'unanswered_values', { placeholder: 'HANG, PHANTOM' }),
          t('sources.unanswered_values_help'))}
      </div>
    </fieldset>`;

  const odbcSection = !csv && html`
    <fieldset class="form-section" data-testid="source-odbc-section">
      <legend>${t('sources.section_connection')}</legend>
      ${radios('source-conn-mode', 'conn_mode', [
        ['dsn', t('sources.odbc.by_dsn')], ['string', t('sources.odbc.by_string')]])}
      ${connLocked && html`
        <p class="muted" data-testid="source-connection-admin-note">${t('sources.odbc.connection_admin_only')}</p>`}
      <div class="section-grid">
        ${form.conn_mode === 'dsn'
          ? field('odbc.dsn', t('sources.odbc.dsn'), textInput('odbc.dsn', 'dsn', { max: 255, readOnly: connLocked }),
            t('sources.odbc.dsn_help'))
          : field('odbc.connection_string', t('sources.odbc.connection_string'),
            textInput('odbc.connection_string', 'connection_string', { mono: true, max: 1023, readOnly: connLocked,
              placeholder: 'Driver={ODBC Driver 18 for SQL Server};Server=db;Database=awdb' }),
            t('sources.odbc.connection_string_help'), 'field-wide')}
        ${field('odbc.user', t('sources.odbc.user'), textInput('odbc.user', 'user', { max: 128 }),
          t('sources.optional'))}
        ${field('odbc.timeout_s', t('sources.odbc.timeout'), html`
          <input id=${idOf('odbc.timeout_s')} type="number" min="1" max="86400" step="1"
                 value=${form.timeout_s} onInput=${onText('timeout_s')}
                 aria-invalid=${invalid('odbc.timeout_s')} />`, t('sources.odbc.timeout_help'))}
        ${field('odbc.connections', t('sources.odbc.connections'), html`
          <input id=${idOf('odbc.connections')} type="number" min="1" max="8" step="1"
                 value=${form.connections} onInput=${onText('connections')}
                 aria-invalid=${invalid('odbc.connections')} />`, t('sources.odbc.connections_help'))}
      </div>
      <div class="password-box" data-testid="source-password-box">
        ${mode !== 'create' && html`
          <div class="password-status">
            <span class="label">${t('sources.password')}:</span>
            <span id="source-password-status" data-testid="source-password-status"
                  class=${source.password_set ? 'status status-on' : 'muted'}>
              ${source.password_set ? t('sources.password_is_set') : t('sources.password_not_set')}
              ${clearPassword && html` <span class="tag">${t('sources.password_will_clear')}</span>`}
            </span>
          </div>`}
        ${showPassword ? html`
          <div class="field" data-slot="password">
            <label for="source-password">
              ${mode === 'create' ? t('sources.password_new_optional') : t('sources.password_new')}</label>
            <div class="inline-fields">
              <input id="source-password" type="password" autocomplete="new-password"
                     value=${password} aria-invalid=${invalid('password')}
                     onInput=${(e) => { setPassword(e.currentTarget.value); setClearPassword(false); }} />
              ${mode !== 'create' && source.password_set && html`
                <button type="button" id="source-password-clear"
                        class=${clearPassword ? 'btn btn-small' : 'btn btn-small btn-danger'}
                        aria-pressed=${clearPassword ? 'true' : 'false'}
                        onClick=${() => { setClearPassword(!clearPassword); setPassword(''); }}>
                  ${clearPassword ? t('sources.password_keep') : t('sources.password_clear')}</button>`}
            </div>
            <small class="help">
              ${mode === 'create' ? t('sources.password_help_new') : t('sources.password_help')}</small>
            <${FieldError} error=${fe.at('password')} id="source-password-error" field="password" />
          </div>`
          : !readOnly && html`
            <small class="help" data-testid="source-password-admin-only">
              ${t('sources.password_admin_only')}</small>`}
      </div>
    </fieldset>
    <fieldset class="form-section" data-testid="source-query-section">
      <legend>${t('sources.section_query')}</legend>
      ${radios('source-query-mode', 'query_mode', [
        ['preset', t('sources.odbc.by_preset')], ['sql', t('sources.odbc.by_sql')]])}
      ${form.query_mode === 'preset'
        ? html`
          ${field('odbc.preset', t('sources.odbc.preset'), html`
            <select id=${idOf('odbc.preset')} value=${form.preset} onChange=${onText('preset')}
                    aria-invalid=${invalid('odbc.preset')}>
              <option value="">${t('sources.odbc.choose_preset')}</option>
              ${layoutPresets.map((p) => html`<option value=${p.id}>${p.title}</option>`)}
              ${form.preset && !layoutPresets.some((p) => p.id === form.preset) && html`
                <option value=${form.preset}>${preset ? preset.title : form.preset}</option>`}
            </select>`, t('sources.odbc.preset_help', { layout: t(`sources.layout.${form.layout}`) }),
            'field-wide')}
          ${preset && html`
            <div class="preset-view" data-testid="preset-view">
              <h3 data-testid="preset-title">${preset.title}</h3>
              <p class="preset-notes" data-testid="preset-notes">${preset.notes}</p>
              <pre class="sql-view" data-testid="preset-sql" tabindex="0"
                   aria-label=${t('sources.odbc.preset_sql')}>${preset.sql}</pre>
              ${!readOnly && html`
                <button type="button" class="btn btn-small" id="source-preset-to-sql"
                        onClick=${() => update({ query_mode: 'sql', sql: preset.sql })}>
                  ${t('sources.odbc.edit_as_sql')}</button>`}
            </div>`}`
        : field('odbc.sql', t('sources.odbc.sql'), html`
          <textarea id=${idOf('odbc.sql')} class="mono sql-input" rows="10" spellcheck="false"
                    value=${form.sql} onInput=${onText('sql')}
                    aria-invalid=${invalid('odbc.sql')}></textarea>`,
          t('sources.odbc.sql_help'), 'field-wide')}
    </fieldset>`;

  const derivedSection = html`
    <fieldset class="form-section" data-testid="source-derived-section">
      <legend>${t('sources.section_rows')}</legend>
      <p class="help section-help">${t('sources.derived_help')}</p>
      <div class="list-editor list-derived" id="source-derived" data-slot="derived">
        ${form.derived.length > 0 && html`
          <div class="list-row list-head" aria-hidden="true">
            <span>${t('sources.derived.name')}</span>
            <span>${t('sources.derived.expression')}</span><span></span>
          </div>`}
        ${form.derived.map((row, i) => html`
          <div class="list-item" key=${row.id} data-testid="derived-row">
            <div class="list-row">
              <input type="text" autocomplete="off" spellcheck="false" value=${row.name}
                     class="list-name" id=${`source-derived-name-${i}`} data-testid="derived-name" maxlength="64"
                     aria-label=${t('sources.derived.name_n', { n: i + 1 })}
                     aria-invalid=${invalid(`derived[${row.id}]`)}
                     onInput=${(e) => setRow('derived', row.id, { name: e.currentTarget.value })} />
              <input type="text" autocomplete="off" spellcheck="false" class="mono"
                     value=${row.expression} maxlength="1023"
                     id=${`source-derived-expression-${i}`} data-testid="derived-expression"
                     aria-label=${t('sources.derived.expression_n', { n: i + 1 })}
                     aria-invalid=${invalid(`derived[${row.id}]`)}
                     onInput=${(e) => setRow('derived', row.id, { expression: e.currentTarget.value })} />
              <button type="button" class="btn btn-small" data-testid="derived-remove"
                      aria-label=${t('sources.remove_n', { n: i + 1 })}
                      onClick=${() => removeRow('derived', row.id)}>${t('sources.remove')}</button>
            </div>
            <${FieldError} error=${fe.at(`derived[${row.id}]`)} id=${`source-derived-error-${i}`}
                           field=${`derived[${i}]`} />
          </div>`)}
        <${FieldError} error=${fe.at('derived')} id="source-derived-error" field="derived" />
        <div class="actions">
          <button type="button" class="btn btn-small" id="source-derived-add"
                  onClick=${() => addRow('derived', { name: '', expression: '' })}>
            ${t('sources.derived.add')}</button>
        </div>
      </div>
      ${field('filter', t('sources.filter'), textInput('filter', 'filter', { mono: true, max: 1023,
        placeholder: "Queue NOT LIKE 'TEST%'" }), t('sources.filter_help'), 'field-wide')}
    </fieldset>`;

  return html`
    <form class="card source-form" id="source-form" data-mode=${mode} ref=${ref}
          onSubmit=${submit} novalidate>
      <h2>${title}</h2>
      <fieldset class="plain-fieldset" disabled=${readOnly || busy}>
        ${general}
        ${csvFile}
        ${csvColumns}
        ${metrics}
        ${odbcSection}
        ${answeredSection}
        ${derivedSection}
      </fieldset>
      <${ErrorBox} error=${fe.rest} id="source-form-error" />
      <div class="actions">
        ${!readOnly && html`
          <button type="submit" class="btn btn-primary" id="source-submit" disabled=${busy}>
            ${mode === 'create' ? t('sources.create_submit') : t('common.save')}</button>`}
        <button type="button" class="btn" id="source-cancel" onClick=${onCancel}>
          ${readOnly ? t('common.close') : t('common.cancel')}</button>
      </div>
    </form>`;
}

function SourceRow({ source, editable, onOpen, onChanged, onDeleted }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const toggle = async () => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const updated = await api.patch(`/sources/${source.id}`, { enabled: !source.enabled });
      onChanged(updated);
      setNotice(updated.enabled ? t('sources.was_enabled', { name: updated.name })
        : t('sources.was_disabled', { name: updated.name }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const columns = 9;
  return html`
    <tr data-testid="source-row" data-name=${source.name} data-id=${source.id}
        data-kind=${source.kind} class=${source.enabled ? '' : 'row-disabled'}>
      <td data-label=${t('sources.name')}><span class="cell-name" data-testid="source-name">${source.name}</span></td>
      <td data-label=${t('sources.kind')} data-testid="source-kind">${t(`sources.kind.${source.kind}`)}</td>
      <td data-label=${t('sources.layout')} data-testid="source-layout">${source.layout ? t(`sources.layout.${source.layout}`) : '—'}</td>
      <td data-label=${t('sources.time_zone')} data-testid="source-tz">${source.time_zone}</td>
      <td data-label=${t('sources.interval')} data-testid="source-interval">
        ${t('common.minutes', { n: source.interval_minutes })}</td>
      <td data-label=${t('sources.status')}>
        <span class=${source.enabled ? 'status status-on' : 'status status-off'} data-testid="source-status">
          ${source.enabled ? t('sources.enabled') : t('sources.disabled')}</span>
      </td>
      <td data-label=${t('sources.next_run')}>
        <a href="#/schedules"><${ZonedTime} value=${source.next_run_at}
           zone=${source.time_zone} testid="source-next-run" /></a></td>
      <td data-label=${t('sources.password')} data-testid="source-password">
        ${source.kind === 'odbc'
          ? html`<span class=${source.password_set ? 'status status-on' : 'muted'}
                       data-set=${source.password_set ? 'true' : 'false'}>
              ${source.password_set ? t('sources.password_is_set') : t('sources.password_not_set')}</span>`
          : html`<span class="muted" title=${t('sources.password_csv')}>–</span>`}
      </td>
      <td class="cell-actions"><div class="row-actions">
        ${editable
          ? html`
            <button type="button" class="btn btn-small" disabled=${busy} data-testid="source-toggle"
                    onClick=${toggle}>${source.enabled ? t('sources.disable') : t('sources.enable')}</button>
            <button type="button" class="btn btn-small" disabled=${busy} data-testid="source-preview-open"
                    onClick=${() => onOpen('preview', source)}>${t('preview.open')}</button>
            <button type="button" class="btn btn-small" disabled=${busy} data-testid="source-edit"
                    onClick=${() => onOpen('edit', source)}>${t('common.edit')}</button>
            ${canFollow(source) && html`
              <button type="button" class="btn btn-small" disabled=${busy} data-testid="source-follow-open"
                      onClick=${() => onOpen('follow', source)}>${t('follow.open')}</button>`}
            ${canLive(source) && html`
              <button type="button" class="btn btn-small" disabled=${busy} data-testid="source-live-open"
                      onClick=${() => onOpen('live', source)}>${t('livestatus.open')}</button>`}
            ${canFollowQuery(source) && html`
              <button type="button" class="btn btn-small" disabled=${busy} data-testid="source-incr-open"
                      onClick=${() => onOpen('incremental', source)}>${t('incr.open')}</button>`}
            <${DeleteWithConsequences} kind="sources" id=${source.id} name=${source.name}
                                       disabled=${busy} testid="source-delete"
                                       onDeleted=${(answer) => onDeleted(source, answer)} />`
          : html`
            <button type="button" class="btn btn-small" data-testid="source-view"
                    onClick=${() => onOpen('view', source)}>${t('sources.details')}</button>
            ${canFollow(source) && html`
              <button type="button" class="btn btn-small" data-testid="source-follow-open"
                      onClick=${() => onOpen('follow', source)}>${t('follow.open')}</button>`}
            ${canLive(source) && html`
              <button type="button" class="btn btn-small" data-testid="source-live-open"
                      onClick=${() => onOpen('live', source)}>${t('livestatus.open')}</button>`}
            ${canFollowQuery(source) && html`
              <button type="button" class="btn btn-small" data-testid="source-incr-open"
                      onClick=${() => onOpen('incremental', source)}>${t('incr.open')}</button>`}`}
      </div></td>
    </tr>
    ${(error || notice) && html`
      <tr class="row-message"><td colspan=${columns}>
        <${ErrorBox} error=${error} testid="source-row-error" />
        <${Notice} text=${!error && notice} testid="source-row-notice" />
      </td></tr>`}`;
}

export function SourcesPage({ session }) {
  const { t, lang } = useI18n();
  const editable = canChange(session);
  const [items, setItems] = useState([]);
  const [query, setQuery] = useState('');
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [reread, setReread] = useState(null);
  const [notice, setNotice] = useState('');
  const [presets, setPresets] = useState([]);
  const [presetError, setPresetError] = useState(null);
  const [open, setOpen] = useState(null); // {mode, source, key}
  const top = useRef(null);

  const load = async (fromCursor, size = PAGE_SIZE) => {
    setLoading(true);
    setError(null);
    try {
      const data = await api.get('/sources', { limit: size, cursor: fromCursor || undefined });
      setItems((old) => (fromCursor ? old.concat(data.items) : data.items));
      setCursor(data.next_cursor || null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };

  // a search covers every entry, not only the pages loaded so far: the rest comes 500 at a time
  useEffect(() => {
    if (query.trim() && cursor && !loading && !error) {
      load(cursor, 500);
    }
  }, [query, cursor, loading]);

  useEffect(() => {
    load(null);
    api.get('/source-presets')
      .then((data) => setPresets(data.items || []))
      .catch((err) => setPresetError(err));
  }, []);

  const openForm = (mode, source) => {
    setNotice('');
    setOpen({ mode, source, key: `${mode}-${source ? source.id : 'new'}-${Date.now()}` });
    if (top.current && typeof top.current.scrollIntoView === 'function') {
      top.current.scrollIntoView({ block: 'start' });
    }
  };

  const onSaved = (source, how, settingsChanged) => {
    setOpen(null);
    setReread(how === 'saved' && settingsChanged && source.kind === 'csv' ? source : null);
    if (how === 'created') {
      setNotice(t('sources.created_notice', { name: source.name }));
      load(null);
    } else {
      setItems((old) => old.map((s) => (s.id === source.id ? source : s)));
      setNotice(how === 'unchanged' ? t('sources.unchanged_notice', { name: source.name })
        : t('sources.saved_notice', { name: source.name }));
    }
  };
  const onChanged = (source) => {
    setItems((old) => old.map((s) => (s.id === source.id ? source : s)));
    if (open && open.source && open.source.id === source.id) {
      setOpen(null); // the form would hold stale values
    }
  };
  const onDeleted = (source, answer) => {
    setItems((old) => old.filter((s) => s.id !== source.id));
    if (open && open.source && open.source.id === source.id) {
      setOpen(null);
    }
    setNotice(answer ? messageText(t, answer, lang) : t('sources.deleted_notice', { name: source.name }));
  };

  return html`
    <section class="page" data-testid="sources-page" ref=${top}>
      <div class="page-head">
        <h1>${t('sources.title')}</h1>
        ${editable && !open && html`
          <button type="button" class="btn btn-primary" id="source-new"
                  onClick=${() => openForm('create', null)}>${t('sources.new')}</button>`}
      </div>
      <p class="muted">${t('sources.intro')}</p>
      ${!editable && html`<${ReadOnlyNote} />`}
      <${ErrorBox} error=${presetError} id="presets-error" />
      ${open && open.mode === 'preview' && html`
        <${SourcePreview} key=${open.key} source=${open.source} onClose=${() => setOpen(null)} />`}
      ${open && open.mode === 'follow' && html`
        <${SourceFollow} key=${open.key} source=${open.source} editable=${editable}
                         onChanged=${(src) => setItems((old) => old.map((x) => (x.id === src.id ? src : x)))}
                         onClose=${() => setOpen(null)} />`}
      ${open && open.mode === 'live' && html`
        <${SourceLive} key=${open.key} source=${open.source} editable=${editable}
                       onChanged=${(src) => setItems((old) => old.map((x) => (x.id === src.id ? src : x)))}
                       onClose=${() => setOpen(null)} />`}
      ${open && open.mode === 'incremental' && html`
        <${SourceIncremental} key=${open.key} source=${open.source} editable=${editable}
                              onChanged=${(src) => setItems((old) => old.map((x) => (x.id === src.id ? src : x)))}
                              onClose=${() => setOpen(null)} />`}
      ${open && !['preview', 'follow', 'live', 'incremental'].includes(open.mode) && html`
        <${SourceForm} key=${open.key} mode=${open.mode} source=${open.source} presets=${presets}
                       session=${session} onCancel=${() => setOpen(null)} onSaved=${onSaved} />`}
      <${Notice} text=${notice} testid="sources-notice" />
      ${reread && editable && html`
        <${RereadOffer} source=${reread} onDismiss=${() => setReread(null)}
                        onQueued=${(run) => { setReread(null); setNotice(t('reread.queued', { id: run.id, from: run.from, to: run.to })); }} />`}
      <div class="card">
        <h2>${t('sources.list_title')}</h2>
        <${ErrorBox} error=${error} id="sources-error" />
        <${ListSearch} id="sources-search" value=${query} onInput=${setQuery}
                       shown=${matchItems(items, query, ['name', 'kind']).length} total=${items.length} />
        <div class="table-wrap">
          <table class="table table-stack" id="sources-table">
            <thead>
              <tr>
                <th scope="col">${t('sources.name')}</th>
                <th scope="col">${t('sources.kind')}</th>
                <th scope="col">${t('sources.layout')}</th>
                <th scope="col">${t('sources.time_zone')}</th>
                <th scope="col">${t('sources.interval')}</th>
                <th scope="col">${t('sources.status')}</th>
                <th scope="col">${t('sources.next_run')}</th>
                <th scope="col">${t('sources.password')}</th>
                <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${matchItems(items, query, ['name', 'kind']).slice(0, query.trim() ? SEARCH_SHOW_MAX : undefined).map((source) => html`
                <${SourceRow} key=${source.id} source=${source} editable=${editable}
                              onOpen=${openForm} onChanged=${onChanged} onDeleted=${onDeleted} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="9" class="empty">${t('sources.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
        <${LoadMore} id="sources-more" cursor=${cursor} loading=${loading} onClick=${() => load(cursor)} />
      </div>
    </section>`;
}
