// Home: is the data flowing? Open problems first (each with a link to where it is dealt with),
// then every source (last run, next scheduled run in its zone, health), every target (backlog,
// last success, last error) and today's offered and handled contacts per interval, drawn as
// plain SVG, for all WFM queues together or one of them. One request: GET /api/v1/overview.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatDate, formatLocal, messageText, useI18n } from '../i18n/index.js';
import { ErrorBox, Time, formatNumber } from '../components.js';
import { RunStateBadge } from './runs.js';
import { formatAge } from './deliveries.js';

const POLL_MS = 30000;

/** Where a reason is dealt with. */
export function reasonLink(kind, reason) {
  switch (reason.code) {
    case 'run_failed':
    case 'run_partial':
    case 'rows_rejected':
      return reason.run_id ? `#/runs/${reason.run_id}` : '#/runs';
    case 'recompute_pending':
      return '#/mappings';
    case 'no_data':
      return '#/sources';
    default:
      return kind === 'target' ? '#/deliveries' : '#/sources';
  }
}

/** A reason in words: its code's text with the detail filled in. */
export function reasonText(t, reason, lang = 'en') {
  const d = reason.detail;
  if (reason.code === 'backlog_old') {
    return t('home.reason.backlog_old', { age: formatAge(Number(d) || 0) });
  }
  if (d === null || d === undefined || d === '') {
    return t(`home.reason.${reason.code}`, { detail: '' }).replace(/[:\s]+$/, '');
  }
  const worded = reason.detail_code
    ? messageText(t, { message: d, code: reason.detail_code, params: reason.detail_params }, lang)
    : formatLocal(lang, d);
  return t(`home.reason.${reason.code}`, { detail: worded });
}

/** The open problems: every unhealthy source and target, then the appliance's own checks. */
export function openProblems(o) {
  const list = [];
  for (const s of o.sources) {
    for (const r of s.reasons) {
      list.push({ key: `s${s.id}-${r.code}`, kind: 'source', name: s.name, reason: r,
        severe: r.code === 'run_failed', href: reasonLink('source', r) });
    }
  }
  for (const x of o.targets) {
    for (const r of x.reasons) {
      list.push({ key: `t${x.id}-${r.code}`, kind: 'target', name: x.name, reason: r,
        severe: r.code === 'batches_failed', href: reasonLink('target', r) });
    }
  }
  for (const p of o.health.problems) {
    if (p.check === 'disk' || p.check === 'database') {
      list.push({ key: `h-${p.check}`, kind: 'health', name: '', check: p.check,
        message: p, severe: true, href: '' });
    } else if (p.check === 'alerts') {
      list.push({ key: 'h-alerts', kind: 'health', name: '', check: p.check,
        message: p, severe: false, href: '#/alerts' });
    }
  }
  return list.sort((a, b) => Number(b.severe) - Number(a.severe));
}

function HealthMark({ health, testid }) {
  const { t } = useI18n();
  return html`<span class=${`health-mark health-${health}`} data-testid=${testid}
                    data-health=${health}>${t(`home.health.${health}`)}</span>`;
}

function Problems({ overview }) {
  const { t, lang } = useI18n();
  const list = openProblems(overview);
  if (list.length === 0) {
    return html`
      <div class="card home-ok" data-testid="home-no-problems">
        <strong>${t('home.no_problems')}</strong>
      </div>`;
  }
  return html`
    <div class="card card-warning" data-testid="home-problems">
      <h2>${t('home.problems_title', { n: list.length })}</h2>
      <ul class="home-problems">
        ${list.map((p) => html`
          <li key=${p.key} data-testid="home-problem" data-kind=${p.kind}
              data-code=${p.reason ? p.reason.code : p.check}>
            ${p.kind === 'health'
              ? html`<strong>${t(`health.check.${p.check}`)}</strong>${lang === 'fr' ? '\u00A0:' : ':'} ${messageText(t, p.message, lang)}`
              : html`<strong>${p.name}</strong>${lang === 'fr' ? '\u00A0:' : ':'} ${reasonText(t, p.reason, lang)}`}
            ${p.href && html` <a href=${p.href} data-testid="home-problem-link">
              ${p.reason ? t(`home.fix.${p.reason.code}`) : t(`nav.${p.check}`)}</a>`}
          </li>`)}
      </ul>
    </div>`;
}

function SourcesCard({ sources }) {
  const { lang, t } = useI18n();
  return html`
    <div class="card" data-testid="home-sources">
      <h2>${t('home.sources_title')}</h2>
      <div class="table-wrap">
        <table class="table table-stack" id="home-sources-table">
          <thead><tr>
            <th scope="col">${t('home.source')}</th>
            <th scope="col">${t('home.health')}</th>
            <th scope="col">${t('home.last_run')}</th>
            <th scope="col">${t('home.rows')}</th>
            <th scope="col">${t('home.next_run')}</th>
            <th scope="col">${t('home.last_data')}</th>
          </tr></thead>
          <tbody>
            ${sources.map((s) => html`
              <tr key=${s.id} data-testid="home-source" data-name=${s.name}
                  class=${s.enabled ? '' : 'row-disabled'}>
                <td data-label=${t('home.source')}>
                  <a href="#/sources" class="cell-name">${s.name}</a>
                  <div class="muted small">${t(`home.product.${s.product}`)} · ${s.time_zone}</div>
                  <span class=${s.enabled ? 'status status-on' : 'status status-off'}
                        data-testid="home-source-enabled">
                    ${s.enabled ? t('home.enabled') : t('home.disabled')}</span>
                </td>
                <td data-label=${t('home.health')}>
                  <${HealthMark} health=${s.health} testid="home-source-health" />
                  ${s.reasons.length > 0 && html`
                    <ul class="home-reasons">
                      ${s.reasons.map((r) => html`
                        <li data-testid="home-source-reason" data-code=${r.code}>
                          <a href=${reasonLink('source', r)}>${reasonText(t, r, lang)}</a></li>`)}
                    </ul>`}
                </td>
                <td data-label=${t('home.last_run')}>
                  ${s.last_run
                    ? html`
                      <a href=${`#/runs/${s.last_run.id}`} data-testid="home-source-run">#${s.last_run.id}</a>
                      ${' '}<${RunStateBadge} state=${s.last_run.state} partial=${s.last_run.partial} />
                      <div class="muted small"><${Time} value=${s.last_run.finished_at || s.last_run.created_at} /></div>`
                    : html`<span class="muted">${t('home.no_run')}</span>`}
                </td>
                <td data-label=${t('home.rows')}>
                  ${s.last_run && html`
                    <ul class="counts">
                      ${['rows_read', 'rows_staged', 'rows_rejected'].map((k) => html`
                        <li class=${k === 'rows_rejected' && s.last_run[k] > 0 ? 'count count-bad' : 'count'}>
                          <span class="count-label">${t(`runs.count.${k}`)}</span>
                          <span class="count-value" data-testid="home-source-count" data-count=${k}
                                data-value=${s.last_run[k]}>${formatNumber(lang, s.last_run[k], 0)}</span>
                        </li>`)}
                    </ul>`}
                </td>
                <td data-label=${t('home.next_run')} data-testid="home-source-next">
                  ${s.next_run_local
                    ? html`<span title=${s.next_run_at}>${formatLocal(lang, s.next_run_local)}</span>
                           <div class="muted small">${s.time_zone}</div>`
                    : html`<span class="muted">${t('home.no_schedule')}</span>`}
                </td>
                <td data-label=${t('home.last_data')} data-testid="home-source-day">
                  ${formatLocal(lang, s.last_data_day) || html`<span class="muted">${t('common.never')}</span>`}
                </td>
              </tr>`)}
            ${sources.length === 0 && html`
              <tr><td colspan="6" class="empty">
                ${t('home.no_sources')} <a href="#/sources">${t('nav.sources')}</a></td></tr>`}
          </tbody>
        </table>
      </div>
    </div>`;
}

function TargetsCard({ targets, warnAfter }) {
  const { t, lang } = useI18n();
  return html`
    <div class="card" data-testid="home-targets">
      <h2>${t('home.targets_title')}</h2>
      <p class="muted small">${t('home.backlog_warn_after', { age: formatAge(warnAfter) })}</p>
      <div class="table-wrap">
        <table class="table table-stack" id="home-targets-table">
          <thead><tr>
            <th scope="col">${t('home.target')}</th>
            <th scope="col">${t('home.health')}</th>
            <th scope="col">${t('home.backlog')}</th>
            <th scope="col">${t('home.last_success')}</th>
            <th scope="col">${t('home.last_error')}</th>
          </tr></thead>
          <tbody>
            ${targets.map((x) => html`
              <tr key=${x.id} data-testid="home-target" data-name=${x.name}
                  class=${x.enabled ? '' : 'row-disabled'}>
                <td data-label=${t('home.target')}>
                  <a href="#/deliveries" class="cell-name">${x.name}</a>
                  <div class="muted small">${x.connector}</div>
                  <span class=${x.enabled ? 'status status-on' : 'status status-off'}>
                    ${x.enabled ? t('home.enabled') : t('home.disabled')}</span>
                </td>
                <td data-label=${t('home.health')}>
                  <${HealthMark} health=${x.health} testid="home-target-health" />
                  ${x.reasons.length > 0 && html`
                    <ul class="home-reasons">
                      ${x.reasons.map((r) => html`
                        <li data-testid="home-target-reason" data-code=${r.code}>
                          <a href=${reasonLink('target', r)}>${reasonText(t, r, lang)}</a></li>`)}
                    </ul>`}
                </td>
                <td data-label=${t('home.backlog')} data-testid="home-target-backlog"
                    data-waiting=${x.waiting + x.queued + x.failed}>
                  ${x.waiting + x.queued + x.failed === 0
                    ? html`<span class="muted">${t('home.backlog_empty')}</span>`
                    : html`
                      <span class=${x.warning ? 'count-bad' : ''}>
                        ${t('home.backlog_items', { n: x.waiting + x.queued + x.failed })}</span>
                      ${x.oldest_waiting_at && html`
                        <div class="muted small" data-testid="home-target-age">
                          ${t('home.backlog_age', { age: formatAge(x.age_seconds) })}</div>`}`}
                </td>
                <td data-label=${t('home.last_success')}><${Time} value=${x.last_success_at} /></td>
                <td data-label=${t('home.last_error')} data-testid="home-target-error">
                  ${x.last_error
                    ? html`<span class="home-error">${messageText(t, x.last_error, lang)}</span>
                           <div class="muted small"><${Time} value=${x.last_error.at} /></div>`
                    : html`<span class="muted">${t('home.no_error')}</span>`}
                </td>
              </tr>`)}
            ${targets.length === 0 && html`
              <tr><td colspan="5" class="empty">
                ${t('home.no_targets')} <a href="#/targets">${t('nav.targets')}</a></td></tr>`}
          </tbody>
        </table>
      </div>
    </div>`;
}

/** Offered (bars) and handled (narrower bars inside) per local time of day, 00:00 to 24:00. */
export function VolumeChart({ points, label }) {
  const { lang, t } = useI18n();
  const W = 720;
  const H = 220;
  const left = 44;
  const bottom = 24;
  const top = 10;
  const plotW = W - left - 24;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...points.map((p) => Math.max(p.offered || 0, p.handled || 0)));
  const step = points.length > 1
    ? Math.min(...points.slice(1).map((p, i) => p.minute - points[i].minute).filter((x) => x > 0), 60)
    : 15;
  const barW = Math.max(1, (plotW * step) / 1440 - 1);
  const x = (minute) => left + (plotW * minute) / 1440;
  const y = (v) => top + plotH - (plotH * v) / max;
  const ticks = [0, 3, 6, 9, 12, 15, 18, 21, 24];
  return html`
    <svg class="volume-chart" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label}
         data-testid="home-chart" data-points=${points.length}>
      <title>${label}</title>
      <line x1=${left} y1=${top + plotH} x2=${left + plotW} y2=${top + plotH} class="axis" />
      <line x1=${left} y1=${top} x2=${left} y2=${top + plotH} class="axis" />
      <text x=${left - 4} y=${top + 8} class="tick" text-anchor="end">${formatNumber(lang, max, 0)}</text>
      <text x=${left - 4} y=${top + plotH} class="tick" text-anchor="end">0</text>
      ${ticks.map((h) => html`
        <text x=${x(h * 60)} y=${H - 6} class="tick" text-anchor="middle">${String(h).padStart(2, '0')}:00</text>`)}
      ${points.map((p) => html`
        <g key=${p.minute} data-testid="home-chart-point" data-time=${p.time}
           data-offered=${p.offered ?? ''} data-handled=${p.handled ?? ''}>
          <title>${t('home.chart_point', { time: p.time, offered: formatNumber(lang, p.offered ?? 0, 1), handled: formatNumber(lang, p.handled ?? 0, 1) })}</title>
          ${p.offered !== null && html`
            <rect class="bar-offered" x=${x(p.minute)} width=${barW} y=${y(p.offered)}
                  height=${Math.max(0, top + plotH - y(p.offered))} />`}
          ${p.handled !== null && html`
            <rect class="bar-handled" x=${x(p.minute) + barW / 4} width=${Math.max(1, barW / 2)}
                  y=${y(p.handled)} height=${Math.max(0, top + plotH - y(p.handled))} />`}
        </g>`)}
    </svg>`;
}

function VolumesCard({ volumes, queueId, onQueue }) {
  const { lang, t } = useI18n();
  const queues = volumes.queues;
  const chosen = queueId && queues.find((q) => String(q.id) === String(queueId));
  const points = chosen && volumes.series ? volumes.series.points : volumes.total;
  const zones = [...new Set((chosen ? [chosen] : queues).map((q) => q.time_zone))];
  const days = [...new Set((chosen ? [chosen] : queues).map((q) => q.day).filter(Boolean))];
  const sum = (key) => (chosen ? chosen[key] : queues.reduce((a, q) => a + q[key], 0));
  const label = chosen
    ? t('home.chart_label_queue', { name: chosen.name })
    : t('home.chart_label_all');
  return html`
    <div class="card" data-testid="home-volumes">
      <h2>${t('home.volumes_title')}</h2>
      ${queues.length === 0
        ? html`<p class="muted">${t('home.no_queues')}</p>`
        : html`
          <div class="toolbar">
            <label for="home-queue">${t('home.queue')}</label>
            <select id="home-queue" value=${chosen ? String(chosen.id) : ''}
                    onChange=${(e) => onQueue(e.currentTarget.value)}>
              <option value="">${t('home.all_queues', { n: queues.length })}</option>
              ${queues.map((q) => html`<option value=${String(q.id)}>${q.identifier} – ${q.name}</option>`)}
            </select>
          </div>
          <p class="muted small" data-testid="home-volumes-zone">
            ${t('home.local_time', { zones: zones.join(', '), days: days.map((d) => formatDate(lang, d)).join(', ') })}</p>
          <p data-testid="home-volumes-sum">
            <span class="legend legend-offered"></span> ${t('common.label', { label: t('home.offered') })}${' '}<strong data-testid="home-sum-offered">${formatNumber(lang, sum('offered'), 1)}</strong>
            ${' '}<span class="legend legend-handled"></span> ${t('common.label', { label: t('home.handled') })}${' '}<strong data-testid="home-sum-handled">${formatNumber(lang, sum('handled'), 1)}</strong>
            ${chosen && html` · <a href=${`#/results/${chosen.id}`}>${t('home.open_results')}</a>`}
          </p>
          ${points.length === 0
            ? html`<p class="muted" data-testid="home-no-volumes">${t('home.no_volumes')}</p>`
            : html`<${VolumeChart} points=${points} label=${label} />`}`}
    </div>`;
}

export function HomePage() {
  const { t } = useI18n();
  const [overview, setOverview] = useState(null);
  const [error, setError] = useState(null);
  const [queueId, setQueueId] = useState('');
  const seq = useRef(0);

  const load = async (queue = queueId) => {
    const mine = ++seq.current;
    try {
      const o = await api.get('/overview', { queue: queue || undefined });
      if (mine === seq.current) {
        setOverview(o);
        setError(null);
      }
    } catch (err) {
      if (mine === seq.current) {
        setError(err);
      }
    }
  };

  useEffect(() => {
    load(queueId);
    const timer = setInterval(() => load(queueId), POLL_MS);
    return () => clearInterval(timer);
  }, [queueId]);

  return html`
    <section class="page" data-testid="home-page">
      <div class="page-head">
        <h1>${t('home.title')}</h1>
        <button type="button" class="btn btn-small" id="home-refresh"
                onClick=${() => load(queueId)}>${t('home.refresh')}</button>
      </div>
      <p class="muted">${t('home.intro')}
        ${overview && html` <span class="small">(${t('home.as_of')} <${Time} value=${overview.generated_at} />)</span>`}</p>
      <${ErrorBox} error=${error} id="home-error" />
      ${!overview && !error && html`<p class="loading">${t('common.loading')}</p>`}
      ${overview && html`
        <${Problems} overview=${overview} />
        <${SourcesCard} sources=${overview.sources} />
        <${TargetsCard} targets=${overview.targets} warnAfter=${overview.backlog_warn_after_seconds} />
        <${VolumesCard} volumes=${overview.volumes} queueId=${queueId} onQueue=${setQueueId} />`}
    </section>`;
}
