// Import runs: start a run for a source and a period of days, the list of runs (newest first,
// filtered by source and state) and one run's details with its live log.
//
// A run is queued by POST /runs (202) and executed by the daemon's workers; while it is queued or
// running the details poll it every second and follow its log with the seq cursor (the last seq
// seen), so only new lines travel. The list refreshes its first page while any run it shows is
// still active. The open run lives in the address ("#/runs/12"), so a reload keeps it open.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatDate, messageText, useI18n } from '../i18n/index.js';
import {
  ConfirmButton, DateInput, ErrorBox, FieldError, LoadMore, Notice, ReadOnlyNote, Time, canChange,
  dayFromToday, fieldErrors, formatNumber, loadAll, useRouteParam, useScrollToError,
} from '../components.js';

const PAGE_SIZE = 25;
const LOG_PAGE = 500;
const MAX_LOG_LINES = 5000; // the newest ones; older lines are dropped from the view
const POLL_MS = 1000;
const LIST_POLL_MS = 2000;

export const RUN_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'];
export const RUN_TRIGGERS = ['manual', 'schedule', 'cli'];
export const LOG_LEVELS = ['error', 'warn', 'info'];
export const ROW_COUNTS = ['rows_read', 'rows_staged', 'rows_rejected', 'rows_filtered'];
export const FILE_COUNTS = ['files_read', 'files_skipped'];

/** "2026-11-24" for one day, "2026-11-24 – 2026-11-30" for several (in the reader's words). */
export function periodText(t, run, lang = 'en') {
  const from = formatDate(lang, run.from);
  return run.from === run.to ? from : t('runs.period_text', { from, to: formatDate(lang, run.to) });
}

/** Who started a run: a user or token as named, a schedule in the reader's words. */
export function creatorText(t, who) {
  const m = /^schedule (\d+)$/.exec(who || '');
  return m ? t('runs.creator_schedule', { id: m[1] }) : who;
}

export const isActive = (run) => Boolean(run) && (run.state === 'queued' || run.state === 'running');

/**
 * The list after a refresh of its first page: runs seen before are replaced by their fresh
 * copy, newer runs go on top, and with a state filter the runs that left that state drop out.
 */
export function mergeRuns(old, fresh, filter = {}) {
  const byId = new Map(fresh.map((r) => [r.id, r]));
  const known = new Set(old.map((r) => r.id));
  const newest = old.reduce((max, r) => Math.max(max, r.id), 0);
  const added = fresh.filter((r) => !known.has(r.id) && r.id > newest);
  let merged = added.concat(old.map((r) => byId.get(r.id) || r));
  if (filter.state) {
    merged = merged.filter((r) => r.state === filter.state);
  }
  return merged.sort((a, b) => b.id - a.id);
}

/** "file.csv:12: reason" -> ["file.csv:12", "reason"]; other messages -> ["", message]. */
export function splitLocation(message) {
  const match = /^([^\s:][^:]*:\d+): (.*)$/s.exec(message || '');
  return match ? [match[1], match[2]] : ['', message || ''];
}

/** A run's state; a done run whose mappings partly failed shows "done, partly". */
export function RunStateBadge({ state, partial = false }) {
  const { t } = useI18n();
  const shown = partial ? 'partial' : state;
  return html`
    <span class=${`run-state run-state-${shown}`} data-testid="run-state" data-state=${state}
          data-partial=${partial ? 'true' : 'false'}>
      ${t(`runs.state.${shown}`)}</span>`;
}

function RunProgress({ run }) {
  const { t } = useI18n();
  const { days_done: done, days_total: total } = run.progress;
  if (total <= 0) {
    // the days are not known yet (files still being read): a bar without a value moves on its own
    return html`
      <span class="run-progress">
        ${isActive(run) && html`<progress aria-label=${t('runs.progress')}></progress>`}
        <span class="run-progress-text" data-testid="run-progress">–</span>
      </span>`;
  }
  return html`
    <span class="run-progress">
      <progress max=${total} value=${Math.min(done, total)}
                aria-label=${t('runs.progress_of', { done, total })}></progress>
      <span class="run-progress-text" data-testid="run-progress">
        ${t('runs.days', { done, total })}</span>
    </span>`;
}

/** The counts of a run as small "label value" pairs; rejected rows stand out. */
function RunCounts({ run, keys }) {
  const { lang, t } = useI18n();
  return html`
    <ul class="counts">
      ${keys.map((key) => html`
        <li class=${key === 'rows_rejected' && run.counts[key] > 0 ? 'count count-bad' : 'count'}>
          <span class="count-label">${t(`runs.count.${key}`)}</span>
          <span class="count-value" data-testid="run-count" data-count=${key}
                data-value=${run.counts[key]}>${formatNumber(lang, run.counts[key], 0)}</span>
        </li>`)}
    </ul>`;
}

function SourceOptions({ sources, all }) {
  const { t } = useI18n();
  return html`
    ${all && html`<option value="">${all}</option>`}
    ${sources.map((s) => html`
      <option value=${String(s.id)}>
        ${s.enabled ? s.name : `${s.name} (${t('runs.source_disabled')})`}</option>`)}`;
}

const START_FIELDS = ['source_id', 'from', 'to', 'zero_fill', 'reread'];

function StartRunForm({ sources, onStarted }) {
  const { t } = useI18n();
  const firstEnabled = () => {
    const s = sources.find((x) => x.enabled);
    return s ? String(s.id) : '';
  };
  const [form, setForm] = useState(() => ({
    source_id: firstEnabled(), from: dayFromToday(-1), to: dayFromToday(0), zero_fill: false, reread: false,
  }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);

  // the sources arrive after the form: preselect the first enabled one
  useEffect(() => {
    if (!form.source_id || !sources.some((s) => String(s.id) === form.source_id)) {
      setForm((old) => ({ ...old, source_id: firstEnabled() }));
    }
  }, [sources]);

  const set = (key) => (e) => setForm({ ...form, [key]: e.currentTarget.value });
  const fe = fieldErrors(error, (f) => (START_FIELDS.includes(f) ? f : ''), 'source_id');

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const run = await api.post('/runs', {
        source_id: Number(form.source_id), from: form.from, to: form.to, zero_fill: form.zero_fill, reread: form.reread,
      });
      onStarted(run);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <form class="card form-grid" id="run-start-form" ref=${ref} onSubmit=${submit} novalidate>
      <h2>${t('runs.start_title')}</h2>
      <div class="field">
        <label for="run-source">${t('runs.source')}</label>
        <select id="run-source" value=${form.source_id} onChange=${set('source_id')}
                aria-invalid=${fe.at('source_id') ? 'true' : undefined}>
          ${sources.length === 0 && html`<option value="">${t('runs.no_sources')}</option>`}
          ${sources.map((s) => html`
            <option value=${String(s.id)} disabled=${!s.enabled}>
              ${s.enabled ? s.name : `${s.name} (${t('runs.source_disabled')})`}</option>`)}
        </select>
        <${FieldError} error=${fe.at('source_id')} id="run-source-error" field="source_id" />
      </div>
      <div class="field">
        <label for="run-from">${t('runs.from')}</label>
        <${DateInput} id="run-from" value=${form.from} onInput=${set('from')}
               aria-invalid=${fe.at('from') ? 'true' : undefined} />
        <small class="help">${t('runs.days_help')}</small>
        <${FieldError} error=${fe.at('from')} id="run-from-error" field="from" />
      </div>
      <div class="field">
        <label for="run-to">${t('runs.to')}</label>
        <${DateInput} id="run-to" value=${form.to} onInput=${set('to')}
               aria-invalid=${fe.at('to') ? 'true' : undefined} />
        <${FieldError} error=${fe.at('to')} id="run-to-error" field="to" />
      </div>
      <div class="field field-wide">
        <label class="check">
          <input type="checkbox" id="run-zero-fill" checked=${form.zero_fill}
                 aria-describedby="run-zero-fill-help"
                 onChange=${(e) => setForm({ ...form, zero_fill: e.currentTarget.checked })} />
          <span>${t('runs.zero_fill')}</span>
        </label>
        <small class="help" id="run-zero-fill-help">${t('runs.zero_fill_help')}</small>
      </div>
      <div class="field field-wide">
        <label class="check">
          <input type="checkbox" id="run-reread" checked=${form.reread}
                 aria-describedby="run-reread-help"
                 onChange=${(e) => setForm({ ...form, reread: e.currentTarget.checked })} />
          <span>${t('runs.reread')}</span>
        </label>
        <small class="help" id="run-reread-help">${t('runs.reread_help')}</small>
      </div>
      <${ErrorBox} error=${fe.rest} id="run-start-error" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="run-start"
                disabled=${busy || !form.source_id || !form.from || !form.to}>
          ${t('runs.start_submit')}</button>
      </div>
    </form>`;
}

function LogTime({ value }) {
  const { lang } = useI18n();
  const date = new Date(value);
  const text = Number.isNaN(date.getTime()) ? value
    : new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(date);
  return html`<time class="log-time" datetime=${value} title=${value}>${text}</time>`;
}

/** A run's error in the reader's language (from error_code), else as the daemon wrote it. */
function runError(t, run, lang) {
  return messageText(t, { code: run.error_code, params: run.error_params, message: run.error }, lang);
}

function LogLine({ line }) {
  const { t, lang } = useI18n();
  const [where, text] = splitLocation(messageText(t, line, lang));
  return html`
    <li class=${`log-line log-${line.level}`} data-testid="log-line" data-level=${line.level}
        data-seq=${line.seq}>
      <${LogTime} value=${line.ts} />
      <span class="log-level">${t(`runs.level.${line.level}`)}</span>
      <span class="log-message" data-testid="log-message">
        ${where && html`<span class="log-where">${where}:</span> `}${text}</span>
    </li>`;
}

/** One run: facts, counts, cancel, and the log followed live while the run is active. */
function RunDetail({ runId, editable, stopping, onClose, onUpdate }) {
  const { t, lang } = useI18n();
  const [run, setRun] = useState(null);
  const [lines, setLines] = useState([]);
  const [dropped, setDropped] = useState(0);
  const [error, setError] = useState(null);
  const [cancelError, setCancelError] = useState(null);
  const [cancelBusy, setCancelBusy] = useState(false);
  const [problemsOnly, setProblemsOnly] = useState(false);
  const logRef = useRef(null);
  const top = useRef(null);
  const stick = useRef(true); // the log follows its end unless the reader scrolled up
  const wake = useRef(null);
  const updateRef = useRef(onUpdate);
  updateRef.current = onUpdate;

  useEffect(() => {
    let stopped = false;
    let timer = null;
    let after = 0;
    setRun(null);
    setLines([]);
    setDropped(0);
    setError(null);
    setCancelError(null);
    stick.current = true;

    const tick = async () => {
      clearTimeout(timer);
      timer = null;
      try {
        const fresh = await api.get(`/runs/${runId}`);
        if (stopped) {
          return;
        }
        setRun(fresh);
        updateRef.current(fresh);
        // the log is read after the state: a finished run's last lines are in this read
        for (let page = 0; page < 20; page++) {
          const log = await api.get(`/runs/${runId}/log`, { limit: LOG_PAGE, cursor: after || undefined });
          if (stopped) {
            return;
          }
          if (log.items.length > 0) {
            after = log.items[log.items.length - 1].seq;
            setLines((old) => {
              const all = old.concat(log.items);
              if (all.length > MAX_LOG_LINES) {
                setDropped((d) => d + all.length - MAX_LOG_LINES);
                return all.slice(all.length - MAX_LOG_LINES);
              }
              return all;
            });
          }
          if (!log.next_cursor) {
            break;
          }
        }
        setError(null);
        if (isActive(fresh)) {
          timer = setTimeout(tick, POLL_MS);
        }
      } catch (err) {
        if (stopped) {
          return;
        }
        setError(err);
        if (err.status !== 404 && err.status !== 401 && err.status !== 403) {
          timer = setTimeout(tick, 3 * POLL_MS);
        }
      }
    };
    wake.current = () => {
      if (!stopped && !timer) {
        return; // a read is under way; it schedules the next one itself
      }
      tick();
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId]);

  useEffect(() => {
    if (top.current && typeof top.current.scrollIntoView === 'function') {
      top.current.scrollIntoView({ block: 'start' });
    }
  }, []);

  useEffect(() => {
    const box = logRef.current;
    if (box && stick.current) {
      box.scrollTop = box.scrollHeight;
    }
  }, [lines, problemsOnly]);

  const onScroll = (e) => {
    const box = e.currentTarget;
    stick.current = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
  };

  const cancel = async () => {
    setCancelBusy(true);
    setCancelError(null);
    try {
      const answer = await api.post(`/runs/${runId}/cancel`);
      setRun(answer);
      updateRef.current(answer, true); // a 202: the page shows "stopping" until it has
      if (wake.current) {
        wake.current();
      }
    } catch (err) {
      setCancelError(err);
    } finally {
      setCancelBusy(false);
    }
  };

  const shown = problemsOnly ? lines.filter((l) => l.level !== 'info') : lines;
  const problems = lines.filter((l) => l.level !== 'info').length;

  return html`
    <section class="card run-detail" id="run-detail" data-testid="run-detail"
             data-run-id=${runId} data-state=${run ? run.state : ''}
             aria-labelledby="run-detail-title" ref=${top}>
      <div class="card-head">
        <h2 id="run-detail-title">${t('runs.detail_title', { id: runId })}
          ${run && html` <${RunStateBadge} state=${run.state} partial=${Boolean(run.partial)} />`}</h2>
        <div class="row-actions">
          ${editable && run && isActive(run) && (stopping
            ? html`<span class="muted" data-testid="run-stopping">${t('runs.cancelling')}</span>`
            : html`
              <${ConfirmButton} label=${t('runs.cancel')} disabled=${cancelBusy}
                                question=${t('runs.cancel_question', { id: runId })}
                                testid="run-cancel" onConfirm=${cancel} />`)}
          <button type="button" class="btn btn-small" id="run-detail-close"
                  onClick=${onClose}>${t('common.close')}</button>
        </div>
      </div>
      <${ErrorBox} error=${error} id="run-detail-error" />
      <${ErrorBox} error=${cancelError} id="run-cancel-error" />
      ${!run && !error && html`<p class="loading">${t('common.loading')}</p>`}
      ${run && html`
        <dl class="facts-grid">
          <div><dt>${t('runs.source')}</dt><dd data-testid="run-source">${run.source.name}</dd></div>
          <div><dt>${t('runs.period')}</dt>
            <dd data-testid="run-period">${periodText(t, run, lang)}</dd></div>
          <div><dt>${t('runs.progress')}</dt><dd><${RunProgress} run=${run} /></dd></div>
          <div><dt>${t('runs.trigger')}</dt>
            <dd>${t(`runs.trigger.${run.trigger}`)}
              <span class="muted"> · ${t('runs.by', { who: creatorText(t, run.created_by) })}</span></dd></div>
          <div><dt>${t('runs.zero_fill_fact')}</dt>
            <dd data-testid="run-zero-fill">${run.zero_fill ? t('common.yes') : t('common.no')}</dd></div>
          <div><dt>${t('runs.reread_fact')}</dt>
            <dd data-testid="run-reread">${run.reread ? t('common.yes') : t('common.no')}</dd></div>
          <div><dt>${t('runs.created')}</dt><dd><${Time} value=${run.created_at} /></dd></div>
          <div><dt>${t('runs.started')}</dt><dd>${run.started_at
            ? html`<${Time} value=${run.started_at} />` : html`<span class="muted">–</span>`}</dd></div>
          <div><dt>${t('runs.finished')}</dt><dd>${run.finished_at
            ? html`<${Time} value=${run.finished_at} />` : html`<span class="muted">–</span>`}</dd></div>
          <div class="fact-wide"><dt>${t('runs.files')}</dt>
            <dd><${RunCounts} run=${run} keys=${FILE_COUNTS} /></dd></div>
          <div class="fact-wide"><dt>${t('runs.rows')}</dt>
            <dd><${RunCounts} run=${run} keys=${ROW_COUNTS} /></dd></div>
        </dl>
        ${run.error && (run.state === 'cancelled' || run.partial
          ? html`
            <div class="warning run-why" data-testid="run-error-text">
              <strong>${run.partial ? t('runs.partial_because') : t('runs.cancelled_because')}</strong>
              ${' '}<span>${runError(t, run, lang)}</span>
              ${run.partial && html` <a href="#/mappings">${t('nav.mappings')}</a>`}
            </div>`
          : html`
            <div class="error-box" data-testid="run-error-text">
              <strong class="error-title">${t('runs.failed_because')}</strong>
              <span class="error-message">${runError(t, run, lang)}</span>
            </div>`)}`}
      <div class="log-head">
        <h3>${t('runs.log')}
          ${run && isActive(run) && html` <span class="live" data-testid="run-live">${t('runs.live')}</span>`}</h3>
        <label class="check">
          <input type="checkbox" id="run-log-problems" checked=${problemsOnly}
                 onChange=${(e) => setProblemsOnly(e.currentTarget.checked)} />
          <span>${t('runs.problems_only', { n: problems })}</span>
        </label>
      </div>
      ${dropped > 0 && html`<p class="help">${t('runs.log_dropped', { n: dropped })}</p>`}
      <div class="run-log" id="run-log" data-testid="run-log" role="log" tabindex="0"
           aria-label=${t('runs.log')} ref=${logRef} onScroll=${onScroll}>
        ${shown.length > 0
          ? html`<ol>${shown.map((line) => html`<${LogLine} key=${line.seq} line=${line} />`)}</ol>`
          : html`<p class="muted log-empty">${run && isActive(run) ? t('runs.log_waiting') : t('runs.log_empty')}</p>`}
      </div>
    </section>`;
}

function RunRow({ run, editable, selected, stopping, onOpen, onChanged }) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.post(`/runs/${run.id}/cancel`), true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const columns = 9;
  return html`
    <tr data-testid="run-row" data-id=${run.id} data-state=${run.state}
        class=${selected ? 'row-selected' : ''}>
      <td data-label=${t('runs.id')}>
        <a href=${`#/runs/${run.id}`} class="cell-name" data-testid="run-link">#${run.id}</a></td>
      <td data-label=${t('runs.source')} data-testid="run-source">${run.source.name}</td>
      <td data-label=${t('runs.period')} data-testid="run-period" class="cell-period">
        ${periodText(t, run, lang)}</td>
      <td data-label=${t('runs.state')}>
        <${RunStateBadge} state=${run.state} partial=${Boolean(run.partial)} /></td>
      <td data-label=${t('runs.progress')}><${RunProgress} run=${run} /></td>
      <td data-label=${t('runs.files')}><${RunCounts} run=${run} keys=${FILE_COUNTS} /></td>
      <td data-label=${t('runs.rows')}><${RunCounts} run=${run} keys=${ROW_COUNTS} /></td>
      <td data-label=${t('runs.created')}><${Time} value=${run.created_at} />
        <div class="muted small">${t(`runs.trigger.${run.trigger}`)} · ${creatorText(t, run.created_by)}</div></td>
      <td class="cell-actions"><div class="row-actions">
        <button type="button" class="btn btn-small" data-testid="run-open"
                onClick=${() => onOpen(run.id)}>${t('runs.details')}</button>
        ${editable && isActive(run) && (stopping
          ? html`<span class="muted small" data-testid="run-row-stopping">${t('runs.cancelling')}</span>`
          : html`
            <${ConfirmButton} label=${t('runs.cancel')} disabled=${busy}
                              question=${t('runs.cancel_question', { id: run.id })}
                              testid="run-row-cancel" onConfirm=${cancel} />`)}
      </div></td>
    </tr>
    ${error && html`
      <tr class="row-message"><td colspan=${columns}>
        <${ErrorBox} error=${error} testid="run-row-error" />
      </td></tr>`}`;
}

export function RunsPage({ session }) {
  const { t } = useI18n();
  const editable = canChange(session);
  const [sources, setSources] = useState([]);
  const [sourceError, setSourceError] = useState(null);
  const [filter, setFilter] = useState({ source_id: '', state: '' });
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');
  const [noticeRun, setNoticeRun] = useState(0); // the run the "was queued" notice is about
  const [openId, setOpenId] = useRouteParam('runs');
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const loadSeq = useRef(0);

  const query = (f, fromCursor) => ({
    limit: PAGE_SIZE, cursor: fromCursor || undefined,
    source_id: f.source_id || undefined, state: f.state || undefined,
  });

  const load = async (fromCursor) => {
    const seq = ++loadSeq.current;
    const f = filterRef.current;
    setLoading(true);
    setError(null);
    try {
      const data = await api.get('/runs', query(f, fromCursor));
      if (seq !== loadSeq.current) {
        return; // the filter changed meanwhile
      }
      setItems((old) => (fromCursor ? old.concat(data.items) : data.items));
      setCursor(data.next_cursor || null);
    } catch (err) {
      if (seq === loadSeq.current) {
        setError(err);
      }
    } finally {
      if (seq === loadSeq.current) {
        setLoading(false);
      }
    }
  };

  useEffect(() => {
    loadAll('/sources').then(setSources).catch(setSourceError);
  }, []);

  useEffect(() => {
    load(null);
  }, [filter]);

  // while a listed run is active, its row follows it (first page refreshed and merged)
  const anyActive = items.some(isActive);
  useEffect(() => {
    if (!anyActive) {
      return undefined;
    }
    let stopped = false;
    const timer = setInterval(async () => {
      const seq = loadSeq.current;
      const f = filterRef.current;
      try {
        const data = await api.get('/runs', query(f, null));
        if (!stopped && seq === loadSeq.current) {
          setItems((old) => mergeRuns(old, data.items, f));
        }
      } catch {
        // the next tick tries again; the list keeps what it showed
      }
    }, LIST_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [anyActive]);

  const onStarted = (run) => {
    setNotice(t('runs.started_notice', { id: run.id, name: run.source.name }));
    setNoticeRun(run.id);
    setItems((old) => mergeRuns(old, [run], filterRef.current));
    setOpenId(run.id);
  };
  // runs told to stop while running (cancel answered 202): "stopping" until they have
  const [stopping, setStopping] = useState(() => new Set());
  // a run seen in the details or cancelled in its row: its row shows the same
  const onChanged = (run, cancelled = false) => {
    setItems((old) => old.map((r) => (r.id === run.id ? run : r)));
    if (run.id === noticeRun && !isActive(run)) {
      setNotice('');
      setNoticeRun(0);
    }
    if (cancelled && isActive(run)) {
      setStopping((old) => new Set(old).add(run.id));
    }
  };
  // the notice says that a run was queued: once that run has ended it says nothing true any more
  useEffect(() => {
    const run = noticeRun && items.find((r) => r.id === noticeRun);
    if (run && !isActive(run)) {
      setNotice('');
      setNoticeRun(0);
    }
  }, [items, noticeRun]);
  const setFilterKey = (key) => (e) => setFilter({ ...filter, [key]: e.currentTarget.value });
  const columns = 9;

  return html`
    <section class="page" data-testid="runs-page">
      <h1>${t('runs.title')}</h1>
      <p class="muted">${t('runs.intro')}</p>
      <${ErrorBox} error=${sourceError} id="runs-sources-error" />
      ${editable
        ? html`<${StartRunForm} sources=${sources} onStarted=${onStarted} />`
        : html`<${ReadOnlyNote} />`}
      <${Notice} text=${notice} testid="runs-notice" />
      ${openId && html`
        <${RunDetail} key=${openId} runId=${openId} editable=${editable}
                      stopping=${stopping.has(Number(openId))}
                      onClose=${() => setOpenId('')} onUpdate=${onChanged} />`}
      <div class="card">
        <h2>${t('runs.list_title')}</h2>
        <div class="filters filters-inline" id="runs-filters">
          <div class="field">
            <label for="runs-filter-source">${t('runs.source')}</label>
            <select id="runs-filter-source" value=${filter.source_id} onChange=${setFilterKey('source_id')}>
              <${SourceOptions} sources=${sources} all=${t('runs.all_sources')} />
            </select>
          </div>
          <div class="field">
            <label for="runs-filter-state">${t('runs.state')}</label>
            <select id="runs-filter-state" value=${filter.state} onChange=${setFilterKey('state')}>
              <option value="">${t('runs.all_states')}</option>
              ${RUN_STATES.map((s) => html`<option value=${s}>${t(`runs.state.${s}`)}</option>`)}
            </select>
          </div>
          <div class="field field-button">
            <button type="button" class="btn" id="runs-refresh" disabled=${loading}
                    onClick=${() => load(null)}>${t('runs.refresh')}</button>
          </div>
        </div>
        <${ErrorBox} error=${error} id="runs-error" />
        <div class="table-wrap">
          <table class="table table-stack runs-table" id="runs-table">
            <thead>
              <tr>
                <th scope="col">${t('runs.id')}</th>
                <th scope="col">${t('runs.source')}</th>
                <th scope="col">${t('runs.period')}</th>
                <th scope="col">${t('runs.state')}</th>
                <th scope="col">${t('runs.progress')}</th>
                <th scope="col">${t('runs.files')}</th>
                <th scope="col">${t('runs.rows')}</th>
                <th scope="col">${t('runs.created')}</th>
                <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${items.map((run) => html`
                <${RunRow} key=${run.id} run=${run} editable=${editable}
                           selected=${String(run.id) === openId}
                           stopping=${stopping.has(run.id)}
                           onOpen=${(id) => setOpenId(id)} onChanged=${onChanged} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan=${columns} class="empty">
                  ${filter.source_id || filter.state ? t('runs.empty_filtered') : t('runs.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
        <${LoadMore} id="runs-more" cursor=${cursor} loading=${loading} onClick=${() => load(cursor)} />
      </div>
    </section>`;
}
