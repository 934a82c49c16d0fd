// Xlink migration: upload an Xlink installation's files, check them (dry run), import, and
// read the report: one collapsible block per section in file order, headed by its outcome, with
// the sources it makes (and their settings), what to do, and every key line with its reason.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, ReadOnlyNote, TimeZoneInput, browserTimeZone, canChange } from '../components.js';
import { xlinkNoteText, xlinkTodoText } from '../xlink_notes.js';

const STATUSES = ['converted', 'skipped', 'not_convertible'];
const STATUS_CLASS = { converted: 'outcome-ok', skipped: 'outcome-denied', not_convertible: 'outcome-error' };

/** The bytes of a File as base64 (Windows-1252 files arrive unchanged). */
async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

const OUTCOME_CLASS = {
  created: 'outcome-ok',
  created_disabled: 'outcome-denied',
  not_converted: 'outcome-error',
  skipped: 'muted',
  settings: 'muted',
};

/** A source's settings as "key value" lines (SQL on its own). */
function SourceSettings({ settings }) {
  const { t } = useI18n();
  if (!settings) {
    return null;
  }
  const parts = ['csv', 'odbc', 'columns', 'metrics', 'agent_states'].filter((k) => settings[k]);
  const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  return html`
    <div class="xlink-settings">
      <p class="small">${t('xlink.source_zone', { zone: settings.time_zone, minutes: settings.interval_minutes })}</p>
      ${parts.map((k) => html`
        <p class="small mono" data-testid="xlink-setting" data-part=${k}><strong>${k}</strong>${t('common.label', { label: '' })} ${
          Object.entries(settings[k]).filter(([n, v]) => n !== 'sql' && v !== null)
            .map(([n, v]) => `${n} ${text(v)}`).join(', ')}</p>
        ${settings[k].sql && html`<pre class="mono small xlink-sql" data-testid="xlink-sql">${settings[k].sql}</pre>`}`)}
    </div>`;
}

function sourceState(src, dry) {
  if (src.exists) {
    return 'exists';
  }
  if (!src.made) {
    return 'not_made';
  }
  if (dry) {
    return src.enabled ? 'would_create' : 'would_create_disabled';
  }
  return src.enabled ? 'created' : 'created_disabled';
}

function Lines({ lines }) {
  const { t } = useI18n();
  return html`
    <div class="table-wrap">
      <table class="table table-stack">
        <thead>
          <tr>
            <th scope="col">${t('xlink.where')}</th>
            <th scope="col">${t('xlink.key')}</th>
            <th scope="col">${t('xlink.status')}</th>
            <th scope="col">${t('xlink.detail')}</th>
          </tr>
        </thead>
        <tbody>
          ${lines.map((i, n) => html`
            <tr key=${n} data-testid="xlink-item" data-status=${i.status} data-key=${i.key || ''}
                data-line=${i.line || ''}>
              <td data-label=${t('xlink.where')}><span class="mono small">
                ${i.file}${i.line ? `:${i.line}` : ''}</span></td>
              <td data-label=${t('xlink.key')}><span class="mono small">
                ${i.key || ''}${i.value !== undefined ? `=${i.value}` : ''}</span></td>
              <td data-label=${t('xlink.status')}>
                <span class=${`outcome ${STATUS_CLASS[i.status]}`}>${t(`xlink.status.${i.status}`)}</span></td>
              <td data-label=${t('xlink.detail')} class="cell-detail" data-testid="xlink-detail">${xlinkNoteText(t, i)}</td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

/** One section of a file: its outcome, its sources and to-dos, then its lines (collapsible). */
function Block({ block, dry, filter }) {
  const { t } = useI18n();
  const lines = [...block.lines, ...block.notes].filter((i) => !filter || i.status === filter);
  const open = block.todo.length > 0 || block.outcome === 'not_converted';
  return html`
    <details class="xlink-block" data-testid="xlink-block" data-outcome=${block.outcome}
             data-file=${block.file} data-section=${block.section || ''} open=${open}>
      <summary>
        <span class="mono">${block.file}${block.section !== undefined ? ` [${block.section}]` : ''}</span>
        ${block.line ? html` <span class="muted small">${t('xlink.line_of', { line: block.line })}</span>` : ''}
        ${' '}<span class=${`outcome ${OUTCOME_CLASS[block.outcome] || ''}`} data-testid="xlink-outcome">
          ${t(`xlink.outcome.${block.outcome}`)}</span>
        ${block.summary ? html` <span class="small" data-testid="xlink-summary-text">${
          xlinkNoteText(t, { detail: block.summary, detail_codes: block.summary_codes })}</span>` : ''}
        ${' '}<span class="muted small">(${t('xlink.lines', { n: lines.length })})</span>
      </summary>
      ${block.sources.map((src) => html`
        <div class="xlink-source" data-testid="xlink-source" data-name=${src.name}
             data-state=${sourceState(src, dry)}>
          <p><strong>${src.name}</strong> <span class="muted small">(${src.kind}, ${t(`xlink.product.${src.product}`)})</span>${t('common.label', { label: '' })}
            ${' '}${t(`xlink.state.${sourceState(src, dry)}`)}</p>
          ${src.made && html`<${SourceSettings} settings=${src.settings} />`}
        </div>`)}
      ${block.todo.length > 0 && html`
        <div class="notice">
          <strong>${t('xlink.todo')}</strong>
          <ul>${block.todo.map((a, k) => html`<li data-testid="xlink-block-todo">${
            xlinkTodoText(t, a, (block.todo_codes || [])[k])}</li>`)}</ul>
        </div>`}
      ${lines.length > 0 && html`<${Lines} lines=${lines} />`}
    </details>`;
}

function Report({ report }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState('');
  const created = report.created || {};
  const kinds = Object.keys(created).filter((k) => created[k].length > 0);
  const sections = report.sections || [];
  return html`
    <div class="card" id="xlink-report" data-dry-run=${report.dry_run ? 'true' : 'false'}>
      <h2>${report.dry_run ? t('xlink.report_dry') : t('xlink.report_done')}</h2>
      <p id="xlink-summary">${t('xlink.summary', report.summary)}</p>
      ${report.files.map((f) => html`
        <p class="muted small" data-testid="xlink-file">
          ${t('xlink.file_read', { name: f.name, encoding: f.encoding, endings: f.line_endings })}</p>`)}
      ${report.actions.length > 0 && html`
        <div class="notice" id="xlink-actions">
          <strong>${t('xlink.actions')}</strong>
          <ul>${report.actions.map((a, k) => html`<li data-testid="xlink-action">${
            xlinkTodoText(t, a, (report.action_codes || [])[k])}</li>`)}</ul>
        </div>`}
      ${kinds.length > 0 && html`
        <div id="xlink-created">
          <strong>${report.dry_run ? t('xlink.would_create') : t('xlink.created')}</strong>
          <ul>${kinds.map((k) => html`
            <li data-testid="xlink-created" data-kind=${k}>${t('common.label_value', { label: t(`xlink.kind.${k}`), value: created[k].join(', ') })}</li>`)}</ul>
        </div>`}
      ${report.existing && report.existing.length > 0 && html`
        <p class="muted" id="xlink-existing">${t('xlink.existing', { n: report.existing.length })}</p>`}
      <h3>${t('xlink.sections')}</h3>
      <div class="field">
        <label for="xlink-filter">${t('xlink.show')}</label>
        <select id="xlink-filter" value=${filter} onChange=${(e) => setFilter(e.currentTarget.value)}>
          <option value="">${t('xlink.all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(`xlink.status.${s}`)}</option>`)}
        </select>
      </div>
      <div id="xlink-items">
        ${sections.map((b, n) => html`<${Block} key=${n} block=${b} dry=${report.dry_run} filter=${filter} />`)}
      </div>
    </div>`;
}

export function XlinkPage({ session }) {
  const { t } = useI18n();
  const [files, setFiles] = useState([]);
  const [zone, setZone] = useState(browserTimeZone());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [report, setReport] = useState(null);
  const editable = canChange(session);

  const send = async (dryRun) => {
    setBusy(true);
    setError(null);
    try {
      const body = {
        files: await Promise.all(files.map(async (f) => ({ name: f.name, content_base64: await base64Of(f) }))),
        dry_run: dryRun,
        time_zone: zone.trim() || undefined,
      };
      setReport(await api.post('/xlink-imports', body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="page" data-testid="xlink-page">
      <h1>${t('xlink.title')}</h1>
      <div class="card">
        <p>${t('xlink.intro')}</p>
        ${!editable && html`<${ReadOnlyNote} />`}
        <div class="field">
          <label for="xlink-files">${t('xlink.files')}</label>
          <input id="xlink-files" type="file" multiple disabled=${!editable || busy}
                 onChange=${(e) => setFiles([...e.currentTarget.files])} />
          <small class="muted">${t('xlink.files_help')}</small>
        </div>
        <div class="field">
          <label for="xlink-zone">${t('xlink.time_zone')}</label>
          <${TimeZoneInput} id="xlink-zone" value=${zone} onInput=${setZone} disabled=${!editable || busy} />
          <small class="muted">${t('xlink.time_zone_help')}</small>
        </div>
        <${ErrorBox} error=${error} id="xlink-error" />
        <div class="actions">
          <button type="button" class="btn" id="xlink-check" disabled=${!editable || busy || !files.length}
                  onClick=${() => send(true)}>${t('xlink.check')}</button>
          <button type="button" class="btn btn-primary" id="xlink-import"
                  disabled=${!editable || busy || !files.length}
                  onClick=${() => send(false)}>${t('xlink.import')}</button>
        </div>
      </div>
      ${report && html`<${Report} report=${report} />`}
    </section>`;
}
