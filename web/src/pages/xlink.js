// Xlink migration: upload an Xlink installation's files, check them (dry run), import, and
// read the report of every key: converted, skipped or not convertible, with the reason.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, ReadOnlyNote, TimeZoneInput, browserTimeZone, canChange } from '../components.js';

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

function Report({ report }) {
  const { t } = useI18n();
  const [filter, setFilter] = useState('');
  const items = report.items.filter((i) => !filter || i.status === filter);
  const created = report.created || {};
  const kinds = Object.keys(created).filter((k) => created[k].length > 0);
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
          <ul>${report.actions.map((a) => html`<li data-testid="xlink-action">${a}</li>`)}</ul>
        </div>`}
      ${kinds.length > 0 && html`
        <div id="xlink-created">
          <strong>${report.dry_run ? t('xlink.would_create') : t('xlink.created')}</strong>
          <ul>${kinds.map((k) => html`
            <li data-testid="xlink-created" data-kind=${k}>${t(`xlink.kind.${k}`)}: ${created[k].join(', ')}</li>`)}</ul>
        </div>`}
      ${report.existing && report.existing.length > 0 && html`
        <p class="muted" id="xlink-existing">${t('xlink.existing', { n: report.existing.length })}</p>`}
      <div class="field">
        <label for="xlink-filter">${t('xlink.show')}</label>
        <select id="xlink-filter" value=${filter} onChange=${(e) => setFilter(e.currentTarget.value)}>
          <option value="">${t('xlink.all')}</option>
          ${STATUSES.map((s) => html`<option value=${s}>${t(`xlink.status.${s}`)}</option>`)}
        </select>
      </div>
      <div class="table-wrap">
        <table class="table table-stack" id="xlink-items">
          <thead>
            <tr>
              <th scope="col">${t('xlink.where')}</th>
              <th scope="col">${t('xlink.key')}</th>
              <th scope="col">${t('xlink.status')}</th>
              <th scope="col">${t('xlink.detail')}</th>
            </tr>
          </thead>
          <tbody>
            ${items.map((i, n) => html`
              <tr key=${n} data-testid="xlink-item" data-status=${i.status} data-key=${i.key || ''}>
                <td data-label=${t('xlink.where')}><span class="mono small">
                  ${i.file}${i.line ? `:${i.line}` : ''}${i.section ? ` [${i.section}]` : ''}</span></td>
                <td data-label=${t('xlink.key')}><span class="mono small">
                  ${i.key || ''}${i.value !== undefined ? `=${i.value}` : ''}</span></td>
                <td data-label=${t('xlink.status')}>
                  <span class=${`outcome ${STATUS_CLASS[i.status]}`}>${t(`xlink.status.${i.status}`)}</span></td>
                <td data-label=${t('xlink.detail')} class="cell-detail">${i.detail}</td>
              </tr>`)}
          </tbody>
        </table>
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
