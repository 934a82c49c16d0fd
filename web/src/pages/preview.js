// Source preview: the first rows of one local day read the way an import would, without
// writing anything (POST /api/v1/sources/{id}/preview, a job polled until it ends). Each row
// shows its raw fields beside what acdlink made of them: external queue, interval and values,
// or the error with file and line, or that the row filter skipped it. From a good preview the
// day can be imported at once. Discovery (POST /api/v1/sources/{id}/discover, also a job)
// reads the whole day and lists what it holds: external queues, metrics, agents, activity
// codes, so that they can be mapped before the first import.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatDate, formatLocal, messageText, useI18n } from '../i18n/index.js';
import { DateInput, ErrorBox, Notice, formatNumber } from '../components.js';
import { rememberDiscovery } from '../discovered.js';
import { DiscoverySetup } from './discovery_setup.js';

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

function PreviewRow({ row, columns }) {
  const { t, lang } = useI18n();
  const fields = row.fields || [];
  let outcome;
  if (row.error) {
    outcome = html`<td colspan="3" class="preview-error" data-testid="preview-error">${messageText(t, { code: row.error_code, params: row.error_params, message: row.error }, lang)}</td>`;
  } else if (row.filtered) {
    outcome = html`<td colspan="3"><span class="status status-off">${t('preview.filtered')}</span></td>`;
  } else if (row.agent !== undefined) {
    // an agent-state source: the agent, the state's span (local wall times) and its code
    outcome = html`
      <td data-testid="preview-agent">${row.agent}</td>
      <td data-testid="preview-local">${formatLocal(lang, row.local_start)} – ${formatLocal(lang, row.local_end) || t('timeline.open')}</td>
      <td data-testid="preview-activity">${row.activity}</td>`;
  } else {
    outcome = html`
      <td data-testid="preview-queue">${row.ext_queue}${row.queue_name ? html` <span class="muted">${row.queue_name}</span>` : ''}</td>
      <td data-testid="preview-local">${formatLocal(lang, row.local || '')}</td>
      <td data-testid="preview-values"><${Values} values=${row.values} /></td>`;
  }
  return html`
    <tr data-testid="preview-row" data-line=${row.line}
        data-outcome=${row.error ? 'error' : row.filtered ? 'filtered' : 'ok'}
        class=${row.error ? 'row-error' : ''}>
      <td class="muted" title=${row.where}>${row.line}</td>
      ${outcome}
      <td class="preview-raw" data-testid="preview-raw">${columns.map((c, i) => html`
        <span class="raw-field" data-column=${c}><span class="raw-name">${c}</span>${' '}${
          fields[i] === null || fields[i] === undefined ? '' : fields[i]}</span>${' '}`)}</td>
    </tr>`;
}

/** One list of a discovery: rows of [key, ...cells]. */
function DiscoveryTable({ testid, head, rows }) {
  return html`
    <div class="table-wrap">
      <table class="table" data-testid=${testid}>
        <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
        <tbody>${rows.map((cells) => html`
          <tr data-key=${cells[0]}>${cells.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
      </table>
    </div>`;
}

function Discovery({ source, result, day }) {
  const { t, lang } = useI18n();
  const local = (s) => formatLocal(lang, s || '');
  return html`
    <div data-testid="discovery">
      <p data-testid="discovery-counts">${t('discover.counts', {
        read: result.counts.rows_read, queues: result.queues.length, agents: result.agents.length,
        rejected: result.counts.rows_rejected })}</p>
      ${result.truncated && html`<p class="muted">${t('discover.truncated')}</p>`}
      ${result.queues.length > 0 && html`
        <h3>${t('discover.queues')}</h3>
        <${DiscoveryTable} testid="discovery-queues"
          head=${[t('preview.queue'), t('discover.name'), t('discover.rows'), t('discover.first'), t('discover.last')]}
          rows=${result.queues.map((q) => [q.ext_queue, q.name || '', q.rows, local(q.first), local(q.last)])} />
        <h3>${t('discover.metrics')}</h3>
        <${DiscoveryTable} testid="discovery-metrics"
          head=${[t('discover.metric'), t('discover.rows'), t('discover.total')]}
          rows=${result.metrics.map((m) => [m.metric, m.rows, m.aggregate === 'average'
            ? t('discover.average', { avg: formatNumber(lang, m.avg), min: formatNumber(lang, m.min), max: formatNumber(lang, m.max) })
            : formatNumber(lang, m.total)])} />
        <${DiscoverySetup} source=${source} result=${result} day=${day} />`}
      ${result.agents.length > 0 && html`
        <h3>${t('discover.agents')}</h3>
        <${DiscoveryTable} testid="discovery-agents" head=${[t('discover.agent'), t('discover.rows')]}
          rows=${result.agents.map((a) => [a.ext_agent, a.rows])} />
        <h3>${t('discover.activities')}</h3>
        <${DiscoveryTable} testid="discovery-activities" head=${[t('discover.code'), t('discover.rows')]}
          rows=${result.activities.map((a) => [a.code, a.rows])} />`}
      ${result.queues.length === 0 && result.agents.length === 0 && html`
        <p class="empty" data-testid="discovery-empty">${t('preview.empty', { day: formatDate(lang, day) })}</p>`}
      ${result.errors.length > 0 && html`
        <h3>${t('discover.errors')}</h3>
        <ul class="preview-messages" data-testid="discovery-errors">
          ${result.errors.map((e) => html`<li class="preview-error">${t('msg.run.row_rejected', { where: e.where, line: String(e.line), reason: messageText(t, { code: e.error_code, params: e.error_params, message: e.error }, lang) })}</li>`)}
        </ul>`}
    </div>`;
}

export function SourcePreview({ source, onClose }) {
  const { t, lang } = useI18n();
  const [day, setDay] = useState(todayIn(source.time_zone));
  const [rows, setRows] = useState(50);
  const [job, setJob] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const alive = useRef(true);
  useEffect(() => () => { alive.current = false; }, []);

  const read = async (e, what = 'preview') => {
    if (e) {
      e.preventDefault();
    }
    setBusy(true);
    setError(null);
    setNotice('');
    setJob(null);
    try {
      let j = what === 'discover'
        ? await api.post(`/sources/${source.id}/discover`, { day })
        : await api.post(`/sources/${source.id}/preview`, { day, rows: Number(rows) });
      while (alive.current && j.state === 'running') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        j = await api.get(`/jobs/${j.id}`);
      }
      if (alive.current) {
        setJob(j);
      }
      if (j.state === 'done' && j.kind === 'source.discover' && j.result) {
        rememberDiscovery(source.id, j.result);
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

  const done = job && job.state === 'done' ? job : null;
  const discovery = done && done.kind === 'source.discover' ? done.result : null;
  // a preview that failed still shows what it read: the file's first lines, the messages
  const shown = job && (job.state === 'done' || (job.state === 'failed' && job.result)) ? job : null;
  const result = shown && shown.kind !== 'source.discover' ? shown.result : null;
  const firstError = job && job.state === 'failed' && job.result
    ? (job.result.messages || []).find((m) => m.level === 'error') : null;
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
          <${DateInput} id="preview-day" data-testid="preview-day" required value=${day}
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
          <button type="button" class="btn" id="preview-discover" disabled=${busy}
                  onClick=${() => read(null, 'discover')}>${t('discover.run')}</button>
        </div>
      </form>
      <${ErrorBox} error=${error} testid="preview-failed" />
      ${job && job.state === 'failed' && html`
        <div class="error-box" role="alert" data-testid="preview-job-error">
          ${firstError ? messageText(t, firstError, lang)
            : messageText(t, { code: job.error_code, params: job.error_params, message: job.error }, lang)}</div>`}
      ${discovery && html`<${Discovery} source=${source} result=${discovery} day=${day} />`}
      ${result && html`
        <p data-testid="preview-counts">${t('preview.counts', {
          read: counts.rows_read, ok: counts.rows_ok, rejected: counts.rows_rejected,
          filtered: counts.rows_filtered })}</p>
        ${Number.isInteger(result.suggested_skip_lines) && html`
          <div class="notice" role="status" data-testid="preview-skip-hint"
               data-skip=${result.suggested_skip_lines}>
            ${t('preview.skip_hint', { line: result.suggested_skip_lines + 1,
              skip: result.suggested_skip_lines, field: t('sources.csv.skip_lines') })}</div>`}
        ${(result.head || []).length > 0 && html`
          <details class="preview-head" data-testid="preview-head" open=${result.rows.length === 0}>
            <summary>${t('preview.head_title')}</summary>
            <ol class="preview-head-lines">
              ${result.head.map((l) => html`<li><code>${l}</code></li>`)}
            </ol>
          </details>`}
        ${(result.messages || []).length > 0 && html`
          <ul class="preview-messages" data-testid="preview-messages">
            ${result.messages.map((m) => html`<li class=${`log-${m.level}`}>${messageText(t, m, lang)}</li>`)}
          </ul>`}
        ${result.rows.length === 0
          ? html`<p class="empty" data-testid="preview-empty">${t('preview.empty', { day: formatDate(lang, day) })}</p>`
          : html`
            <div class="table-wrap">
              <table class="table preview-table" data-testid="preview-table">
                <thead><tr>
                  <th scope="col">${t('preview.line')}</th>
                  <th scope="col">${t('preview.queue')}</th>
                  <th scope="col">${t('preview.interval')}</th>
                  <th scope="col">${t('preview.values')}</th>
                  <th scope="col">${t('preview.raw_fields')}</th>
                </tr></thead>
                <tbody>
                  ${result.rows.map((row) => html`<${PreviewRow} row=${row} columns=${columns} />`)}
                </tbody>
              </table>
            </div>`}
        ${counts.rows_ok > 0 && html`
          <button type="button" class="btn" data-testid="preview-import" onClick=${importDay}>
            ${t('preview.import_day', { day: formatDate(lang, day) })}</button>`}`}
      <${Notice} text=${notice} testid="preview-notice" />
    </div>`;
}
