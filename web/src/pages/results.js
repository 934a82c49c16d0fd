// Results: what acdlink computed for a WFM queue, per interval and value type, for a range of
// local days of the queue (at most 62): a table (interval in the queue's local time with its UTC
// offset x value type) and a bar chart of one value type over the intervals (uPlot, drawn on a
// canvas; it styles its elements through the DOM, which the CSP allows).
//
// The chosen queue lives in the address ("#/results/3"); a change of queue or days reloads after
// a short pause, and an answer that arrives after a newer request was sent is dropped.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot'; // its stylesheet is imported in main.js
import { html } from '../html.js';
import { api } from '../api.js';
import { formatDate, messageText, useI18n, valueTypeName } from '../i18n/index.js';
import {
  DateInput, ErrorBox, FieldError, dayFromToday, daysInclusive, formatNumber, loadAll, useRouteParam,
} from '../components.js';

export const MAX_DAYS = 62;
const CHART_HEIGHT = 280;
const RELOAD_DELAY_MS = 250;
const UNIT_SUFFIX = { seconds: 's', percent: '%' };

/**
 * The answer's items as table rows, oldest first: {start (epoch s), local, day, values {key: v}},
 * and the value type keys present, in the catalog's order (unknown keys last, by name).
 */
export function pivotResults(items, catalogKeys = []) {
  const rows = new Map();
  const keys = new Set();
  for (const item of items) {
    let row = rows.get(item.interval_start);
    if (!row) {
      row = {
        start: Math.round(Date.parse(item.interval_start) / 1000),
        local: item.local,
        day: item.local.slice(0, 10),
        values: {},
      };
      rows.set(item.interval_start, row);
    }
    row.values[item.value_type] = item.value;
    keys.add(item.value_type);
  }
  const rank = (k) => {
    const i = catalogKeys.indexOf(k);
    return i < 0 ? catalogKeys.length : i;
  };
  const ordered = [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return { rows: [...rows.values()].sort((a, b) => a.start - b.start), keys: ordered };
}

/**
 * The chart's data: every interval from the first to the last result (step = the queue's
 * interval) with the value type's value, or null where it has none (drawn as a gap).
 */
export function chartSeries(rows, key, intervalMinutes) {
  const step = intervalMinutes * 60;
  const withValue = rows.filter((r) => r.values[key] !== undefined);
  if (withValue.length === 0) {
    return [[], []];
  }
  const byStart = new Map(withValue.map((r) => [r.start, r.values[key]]));
  const first = withValue[0].start;
  const last = withValue[withValue.length - 1].start;
  const xs = [];
  const ys = [];
  if ((last - first) / step > 20000) { // not a grid we want to draw: the points only
    return [withValue.map((r) => r.start), withValue.map((r) => r.values[key])];
  }
  for (let t = first; t <= last; t += step) {
    xs.push(t);
    ys.push(byStart.has(t) ? byStart.get(t) : null);
  }
  // results off the grid (a zone with an odd offset): kept, in order
  for (const [t, v] of byStart) {
    if ((t - first) % step !== 0) {
      const at = xs.findIndex((x) => x > t);
      xs.splice(at < 0 ? xs.length : at, 0, t);
      ys.splice(at < 0 ? ys.length : at, 0, v);
    }
  }
  return [xs, ys];
}

/** "2026-11-24T08:00+01:00" -> {time: "08:00", offset: "+01:00"}. */
export function splitLocal(local) {
  const match = /^\d{4}-\d{2}-\d{2}T(\d{2}:\d{2})(?::\d{2})?([+-]\d{2}:\d{2}|Z)?$/.exec(local || '');
  return match ? { time: match[1], offset: match[2] || '' } : { time: local || '', offset: '' };
}

/** The end of an interval starting at "HH:MM": "HH:MM" + minutes (24:00 after the last one). */
export function intervalEnd(time, minutes) {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match) {
    return '';
  }
  const total = Number(match[1]) * 60 + Number(match[2]) + minutes;
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/** The error of the day range, or null: {field, message}. */
function rangeProblem(t, from, to) {
  if (!from) {
    return { field: 'from', message: t('results.need_date') };
  }
  if (!to) {
    return { field: 'to', message: t('results.need_date') };
  }
  const days = daysInclusive(from, to);
  if (Number.isNaN(days)) {
    return { field: 'to', message: t('results.need_date') };
  }
  if (days < 1) {
    return { field: 'to', message: t('results.to_before_from') };
  }
  if (days > MAX_DAYS) {
    return { field: 'to', message: t('results.too_many_days', { max: MAX_DAYS, days }) };
  }
  return null;
}

/** The field a results error names ("parameter 'to' must be ...", "to: ..."), or ''. */
function paramField(error) {
  if (!error || typeof error.message !== 'string') {
    return '';
  }
  const match = /^parameters? '(queue|from|to)'/.exec(error.message) || /^(queue|from|to): /.exec(error.message);
  return match ? match[1] : '';
}

function ResultsChart({ rows, valueKey, type, queue }) {
  const { lang, t } = useI18n();
  const box = useRef(null);

  useEffect(() => {
    const el = box.current;
    if (!el) {
      return undefined;
    }
    const [xs, ys] = chartSeries(rows, valueKey, queue.interval_minutes);
    const zone = queue.time_zone;
    const step = queue.interval_minutes * 60;
    const timeFmt = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone });
    // days in the language's one date format (formatDate), of the queue's local day
    const isoDay = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: zone });
    const dayFmt = { format: (date) => formatDate(lang, isoDay.format(date)) };
    const fullFmt = { format: (date) => `${dayFmt.format(date)} ${timeFmt.format(date)}` };
    const suffix = type && UNIT_SUFFIX[type.unit] ? ` ${UNIT_SUFFIX[type.unit]}` : '';
    const opts = {
      width: Math.max(el.clientWidth, 200),
      height: CHART_HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), zone),
      scales: {
        x: { time: true, range: (u, min, max) => [min, (max ?? min) + step] },
        y: { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] },
      },
      series: [
        {
          label: t('results.interval'),
          value: (u, ts) => (ts === null || ts === undefined ? '–' : fullFmt.format(new Date(ts * 1000))),
        },
        {
          label: type ? valueTypeName(t, type) : valueKey,
          stroke: '#1f5fbf',
          fill: 'rgba(31, 95, 191, 0.35)',
          width: 1,
          paths: uPlot.paths.bars({ align: 1, size: [0.9, Infinity] }),
          points: { show: false },
          value: (u, v) => (v === null || v === undefined ? '–' : `${formatNumber(lang, v)}${suffix}`),
        },
      ],
      axes: [
        {
          stroke: '#5d6677',
          grid: { stroke: '#e6e9ee', width: 1 },
          ticks: { stroke: '#d5d9e0', width: 1 },
          values: (u, splits, axis, space, incr) => splits.map((ts, i) => {
            const date = new Date(ts * 1000);
            if (incr >= 86400) {
              return dayFmt.format(date);
            }
            const time = timeFmt.format(date);
            return i === 0 || time === '00:00' ? `${time}\n${dayFmt.format(date)}` : time;
          }),
        },
        {
          stroke: '#5d6677',
          grid: { stroke: '#e6e9ee', width: 1 },
          ticks: { stroke: '#d5d9e0', width: 1 },
          size: 60,
          values: (u, splits) => splits.map((v) => formatNumber(lang, v)),
        },
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { show: true, live: true },
    };
    const plot = new uPlot(opts, [xs, ys], el);
    let observer = null;
    if (typeof ResizeObserver === 'function') {
      observer = new ResizeObserver(() => {
        const width = Math.max(el.clientWidth, 200);
        if (width !== plot.width) {
          plot.setSize({ width, height: CHART_HEIGHT });
        }
      });
      observer.observe(el);
    }
    return () => {
      if (observer) {
        observer.disconnect();
      }
      plot.destroy();
    };
  }, [rows, valueKey, type, queue, lang]);

  return html`
    <div class="results-chart" id="results-chart" data-testid="results-chart"
         data-value-type=${valueKey} ref=${box} role="img"
         aria-label=${t('results.chart_label', { name: type ? valueTypeName(t, type) : valueKey, queue: queue.identifier })}></div>`;
}

function ResultsTable({ data, pivot, valueTypes }) {
  const { lang, t } = useI18n();
  const typeOf = (k) => valueTypes.find((v) => v.key === k);
  const weekday = new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' });
  const dayFmt = { format: (date) => `${weekday.format(date)}, ${formatDate(lang, date.toISOString().slice(0, 10))}` };
  const columns = pivot.keys.length + 1;
  const body = [];
  let day = '';
  for (const row of pivot.rows) {
    if (row.day !== day) {
      day = row.day;
      body.push(html`
        <tr class="day-row" data-testid="results-day" data-day=${day} key=${`day-${day}`}>
          <th colspan=${columns} scope="colgroup">${dayFmt.format(new Date(`${day}T12:00:00Z`))}</th>
        </tr>`);
    }
    const { time, offset } = splitLocal(row.local);
    body.push(html`
      <tr data-testid="results-row" data-local=${row.local} data-start=${row.start} key=${row.start}>
        <th scope="row" class="cell-interval" data-label=${t('results.interval')}>
          <span class="mono">${formatDate(lang, day)} ${time}–${intervalEnd(time, data.queue.interval_minutes)}</span>
          <span class="muted mono offset"> ${offset}</span></th>
        ${pivot.keys.map((k) => html`
          <td class="num" data-label=${typeOf(k) ? valueTypeName(t, typeOf(k)) : k} data-testid="results-value"
              data-value-type=${k} data-value=${row.values[k] === undefined ? '' : String(row.values[k])}>
            ${row.values[k] === undefined ? html`<span class="muted">–</span>` : formatNumber(lang, row.values[k])}</td>`)}
      </tr>`);
  }
  return html`
    <div class="table-wrap results-wrap">
      <table class="table table-stack results-table" id="results-table">
        <thead>
          <tr>
            <th scope="col">${t('results.interval_tz', { zone: data.queue.time_zone })}</th>
            ${pivot.keys.map((k) => {
              const type = typeOf(k);
              const unit = type && UNIT_SUFFIX[type.unit];
              return html`
                <th scope="col" class="num" data-value-type=${k}>
                  ${type ? valueTypeName(t, type) : k}${unit && html` <span class="unit">(${unit})</span>`}</th>`;
            })}
          </tr>
        </thead>
        <tbody>${body}</tbody>
      </table>
    </div>`;
}

/** Why a mapping's last computation failed, worded from its code when it has one. */
function pendingError(t, m, lang) {
  return messageText(t, { code: m.recompute_error_code, params: m.recompute_error_params, message: m.recompute_error }, lang);
}

export function ResultsPage() {
  const { t, lang } = useI18n();
  const [queueParam, setQueueParam] = useRouteParam('results');
  const [catalog, setCatalog] = useState(null); // {queues, valueTypes}
  const [catalogError, setCatalogError] = useState(null);
  const [from, setFrom] = useState(() => dayFromToday(-1));
  const [to, setTo] = useState(() => dayFromToday(0));
  const [data, setData] = useState(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState(null);
  const [chartKey, setChartKey] = useState('');
  const seq = useRef(0);

  const queues = catalog ? catalog.queues : [];
  const valueTypes = catalog ? catalog.valueTypes : [];
  const queue = queues.find((q) => String(q.id) === queueParam) || null;

  useEffect(() => {
    Promise.all([loadAll('/queues'), loadAll('/value-types')])
      .then(([q, v]) => setCatalog({ queues: q, valueTypes: v }))
      .catch(setCatalogError);
  }, []);

  useEffect(() => {
    if (catalog && !queue && queues.length > 0) {
      setQueueParam(queues[0].id, true);
    }
  }, [catalog, queueParam]);

  const problem = rangeProblem(t, from, to);

  const load = async () => {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const [answer, maps] = await Promise.all([
        api.get('/results', { queue: queue.id, from, to }),
        api.get('/mappings', { queue_id: queue.id, limit: 500 }),
      ]);
      if (mine === seq.current) {
        setData({ ...answer, pending: maps.items.filter((m) => m.pending_recompute) });
      }
    } catch (err) {
      if (mine === seq.current) {
        setError(err);
        setData(null);
      }
    } finally {
      if (mine === seq.current) {
        setLoading(false);
      }
    }
  };

  useEffect(() => {
    if (!queue || problem) {
      seq.current += 1; // drop what is under way: it answers a question no longer asked
      setLoading(false);
      setData(null);
      return undefined;
    }
    const timer = setTimeout(load, RELOAD_DELAY_MS);
    return () => clearTimeout(timer);
  }, [queue ? queue.id : 0, from, to, Boolean(problem)]);

  // one pivot per answer: the chart is redrawn only when its data or choice changes
  const pivot = useMemo(() => (data ? pivotResults(data.items, valueTypes.map((v) => v.key)) : null),
    [data, valueTypes]);
  useEffect(() => {
    if (pivot && pivot.keys.length > 0 && !pivot.keys.includes(chartKey)) {
      setChartKey(pivot.keys.includes('offered') ? 'offered' : pivot.keys[0]);
    }
  }, [data]);

  const apiField = paramField(error);
  const fieldError = (field) => {
    if (problem && problem.field === field) {
      return { code: 'invalid_parameter', message: problem.message, hint: '' };
    }
    return apiField === field ? error : null;
  };
  const typeOf = (k) => valueTypes.find((v) => v.key === k);
  const shownKey = pivot && pivot.keys.includes(chartKey) ? chartKey : '';

  return html`
    <section class="page" data-testid="results-page">
      <div class="page-head">
        <h1>${t('results.title')}</h1>
        ${queue && html`
          <a class="btn" id="results-mappings-link" href=${`#/mappings/${queue.id}`}>
            ${t('results.show_mappings')}</a>`}
      </div>
      <p class="muted">${t('results.intro', { max: MAX_DAYS })}</p>
      <${ErrorBox} error=${catalogError} id="results-catalog-error" />
      <form class="card filters results-filters" id="results-form" novalidate
            onSubmit=${(e) => { e.preventDefault(); if (queue && !problem) { load(); } }}>
        <div class="field">
          <label for="results-queue">${t('results.queue')}</label>
          <select id="results-queue" value=${queue ? String(queue.id) : ''} disabled=${queues.length === 0}
                  aria-invalid=${apiField === 'queue' ? 'true' : undefined}
                  onChange=${(e) => setQueueParam(e.currentTarget.value, true)}>
            ${queues.length === 0 && html`<option value="">${catalog ? t('results.no_queues') : t('common.loading')}</option>`}
            ${queues.map((q) => html`<option value=${String(q.id)}>${q.identifier} – ${q.name}</option>`)}
          </select>
          ${queue && html`<small class="help" data-testid="results-queue-facts">
            ${t('common.minutes', { n: queue.interval_minutes })} · ${queue.time_zone}</small>`}
          <${FieldError} error=${apiField === 'queue' ? error : null} id="results-queue-error" field="queue" />
        </div>
        <div class="field">
          <label for="results-from">${t('results.from')}</label>
          <${DateInput} id="results-from" value=${from}
                 aria-invalid=${fieldError('from') ? 'true' : undefined}
                 onInput=${(e) => setFrom(e.currentTarget.value)} />
          <${FieldError} error=${fieldError('from')} id="results-from-error" field="from" />
        </div>
        <div class="field">
          <label for="results-to">${t('results.to')}</label>
          <${DateInput} id="results-to" value=${to}
                 aria-invalid=${fieldError('to') ? 'true' : undefined}
                 onInput=${(e) => setTo(e.currentTarget.value)} />
          <small class="help">${t('results.days_help', { max: MAX_DAYS })}</small>
          <${FieldError} error=${fieldError('to')} id="results-to-error" field="to" />
        </div>
        <div class="field field-button">
          <button type="submit" class="btn" id="results-reload" disabled=${!queue || Boolean(problem) || loading}>
            ${loading ? t('common.loading') : t('results.reload')}</button>
          ${queue && !problem && html`
            <a class="btn" id="results-csv" download
               href=${`/api/v1/results/csv?queue=${encodeURIComponent(queue.id)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`}>
              ${t('results.csv')}</a>`}
        </div>
      </form>
      <${ErrorBox} error=${apiField ? null : error} id="results-error" />
      ${catalog && queues.length === 0 && html`
        <p class="muted">${t('results.no_queues_help')} <a href="#/queues">${t('nav.queues')}</a></p>`}
      ${data && data.pending.length > 0 && html`
        <p class="warning" data-testid="results-pending" role="status">
          ${t('results.pending', { types: data.pending.map((m) => m.value_type).join(', ') })}
          ${data.pending.some((m) => m.recompute_error) && html` ${t('results.pending_error', {
            error: pendingError(t, data.pending.find((m) => m.recompute_error), lang) })}`}</p>`}
      ${data && pivot && pivot.keys.length === 0 && html`
        <div class="card"><p class="empty" data-testid="results-empty">${t('results.empty')}
          <a href=${`#/mappings/${data.queue.id}`}>${t('nav.mappings')}</a></p></div>`}
      ${data && pivot && pivot.keys.length > 0 && html`
        <div class="card" data-testid="results-chart-card">
          <div class="card-head">
            <h2>${t('results.chart_title')}</h2>
            <label class="inline-label">
              <span>${t('results.chart_value_type')}</span>
              <select id="results-chart-type" class="select-small" value=${shownKey}
                      onChange=${(e) => setChartKey(e.currentTarget.value)}>
                ${pivot.keys.map((k) => html`<option value=${k}>${typeOf(k) ? valueTypeName(t, typeOf(k)) : k}</option>`)}
              </select>
            </label>
          </div>
          ${shownKey && html`
            <${ResultsChart} rows=${pivot.rows} valueKey=${shownKey} type=${typeOf(shownKey)}
                             queue=${data.queue} />`}
        </div>
        <div class="card" data-testid="results-table-card">
          <h2>${t('results.table_title', { queue: data.queue.identifier, n: pivot.rows.length })}</h2>
          <${ResultsTable} data=${data} pivot=${pivot} valueTypes=${valueTypes} />
        </div>`}
    </section>`;
}
