// Source preview: the first rows of one local day read the way an import would, without
// writing anything (POST /api/v1/sources/{id}/preview, a job polled until it ends). Each row
// shows its raw fields beside what acdlink made of them: external queue, interval and values,
// or the error with file and line, or that the row filter skipped it. From a good preview the
// day can be imported at once.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Notice, formatNumber } from '../components.js';

const ROW_CHOICES = [20, 50, 200];
const POLL_MS = 300;

/** Today in the time zone `zone`, as YYYY-MM-DD. */
export function todayIn(zone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

function Values({ values }) {
  const { lang } = useI18n();
  const entries = Object.entries(values || {});
  return html`<span class="preview-values">${entries.map(([k, v], i) => html`
    ${i > 0 ? ', ' : ''}<span data-metric=${k}><b>${k}</b> ${v === null ? '–' : formatNumber(lang, v)}</span>`)}</span>`;
}

function PreviewRow({ row, ncols }) {
  const { t } = useI18n();
  const fields = row.fields || [];
  let outcome;
  if (row.error) {
    outcome = html`<td colspan="3" class="preview-error" data-testid="preview-error">${row.error}</td>`;
  } else if (row.filtered) {
    outcome = html`<td colspan="3"><span class="status status-off">${t('preview.filtered')}</span></td>`;
  } else {
    outcome = html`
      <td data-testid="preview-queue">${row.ext_queue}${row.queue_name ? html` <span class="muted">${row.queue_name}</span>` : ''}</td>
      <td data-testid="preview-local">${(row.local || '').replace('T', ' ')}</td>
      <td data-testid="preview-values"><${Values} values=${row.values} /></td>`;
  }
  return html`
    <tr data-testid="preview-row" data-line=${row.line}
        data-outcome=${row.error ? 'error' : row.filtered ? 'filtered' : 'ok'}
        class=${row.error ? 'row-error' : ''}>
      <td class="muted" title=${row.where}>${row.line}</td>
      ${Array.from({ length: ncols }, (_, i) => html`
        <td class="preview-raw">${fields[i] === null || fields[i] === undefined ? '' : fields[i]}</td>`)}
      ${outcome}
    </tr>`;
}

export function SourcePreview({ source, onClose }) {
  const { t } = useI18n();
  const [day, setDay] = useState(todayIn(source.time_zone));
  const [rows, setRows] = useState(50);
  const [job, setJob] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const alive = useRef(true);
  useEffect(() => () => { alive.current = false; }, []);

  const read = async (e) => {
    if (e) {
      e.preventDefault();
    }
    setBusy(true);
    setError(null);
    setNotice('');
    setJob(null);
    try {
      let j = await api.post(`/sources/${source.id}/preview`, { day, rows: Number(rows) });
      while (alive.current && j.state === 'running') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        j = await api.get(`/jobs/${j.id}`);
      }
      if (alive.current) {
        setJob(j);
      }
    } catch (err) {
      if (alive.current) {
        setError(err);
      }
    } finally {
      if (alive.current) {
        setBusy(false);
      }
    }
  };

  const importDay = async () => {
    setError(null);
    try {
      const run = await api.post('/runs', { source_id: source.id, from: day, to: day });
      setNotice(t('preview.run_started', { id: run.id }));
    } catch (err) {
      setError(err);
    }
  };

  const result = job && job.state === 'done' ? job.result : null;
  const columns = (result && result.columns) || [];
  const counts = result && result.counts;
  return html`
    <div class="card" data-testid="source-preview">
      <div class="page-head">
        <h2>${t('preview.title', { name: source.name })}</h2>
        <button type="button" class="btn btn-small" data-testid="preview-close" onClick=${onClose}>
          ${t('common.close')}</button>
      </div>
      <p class="muted">${t('preview.intro')}</p>
      <form class="filters filters-inline preview-form" onSubmit=${read}>
        <div class="field">
          <label for="preview-day">${t('preview.day')}</label>
          <input type="date" id="preview-day" data-testid="preview-day" required value=${day}
                 onInput=${(e) => setDay(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="preview-rows">${t('preview.rows')}</label>
          <select id="preview-rows" value=${rows} onChange=${(e) => setRows(e.currentTarget.value)}>
            ${ROW_CHOICES.map((n) => html`<option value=${n}>${n}</option>`)}
          </select>
        </div>
        <div class="field field-button">
          <button type="submit" class="btn btn-primary" id="preview-read" disabled=${busy}>
            ${busy ? t('preview.reading') : t('preview.read')}</button>
        </div>
      </form>
      <${ErrorBox} error=${error} testid="preview-failed" />
      ${job && job.state === 'failed' && html`
        <div class="error-box" role="alert" data-testid="preview-job-error">${job.error}</div>`}
      ${result && html`
        <p data-testid="preview-counts">${t('preview.counts', {
          read: counts.rows_read, ok: counts.rows_ok, rejected: counts.rows_rejected,
          filtered: counts.rows_filtered })}</p>
        ${(result.messages || []).length > 0 && html`
          <ul class="preview-messages" data-testid="preview-messages">
            ${result.messages.map((m) => html`<li class=${`log-${m.level}`}>${m.message}</li>`)}
          </ul>`}
        ${result.rows.length === 0
          ? html`<p class="empty" data-testid="preview-empty">${t('preview.empty', { day })}</p>`
          : html`
            <div class="table-wrap">
              <table class="table preview-table" data-testid="preview-table">
                <thead><tr>
                  <th scope="col">${t('preview.line')}</th>
                  ${columns.map((c) => html`<th scope="col" class="preview-raw">${c}</th>`)}
                  <th scope="col">${t('preview.queue')}</th>
                  <th scope="col">${t('preview.interval')}</th>
                  <th scope="col">${t('preview.values')}</th>
                </tr></thead>
                <tbody>
                  ${result.rows.map((row) => html`<${PreviewRow} row=${row} ncols=${columns.length} />`)}
                </tbody>
              </table>
            </div>`}
        ${counts.rows_ok > 0 && html`
          <button type="button" class="btn" data-testid="preview-import" onClick=${importDay}>
            ${t('preview.import_day', { day })}</button>`}`}
      <${Notice} text=${notice} testid="preview-notice" />
    </div>`;
}
