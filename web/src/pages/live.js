// Live board: every agent's current state (GET /agents/live), with the number of agents per
// activity (a click filters by it), a search over agent ids and names, and how long each agent
// has been in its state, counting on the daemon's clock.
//
// Design: the board is polled every few seconds with its ETag (a 304 costs nothing to draw),
// and not at all while the tab is hidden. Only the rows in view are in the DOM (a window over
// the filtered list, rows of fixed height), so 10,000 agents cost as much to draw as 20; the
// filtered and sorted list is recomputed only when the data, the filter, the search or the
// order change, never on the one-second tick that moves the durations.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { getTagged } from '../api.js';
import { ErrorBox, loadAll, localDateTime } from '../components.js';
import { activityName, useI18n } from '../i18n/index.js';

const POLL_MS = 3000;
const ROW_H = 44; // px: .live-row's height in style.css
const OVERSCAN = 6;
const pad2 = (n) => String(n).padStart(2, '0');

/** How long, in the language's words: "42 s", "5 min 07 s", "2 h 05 min", "3 d 04 h". */
export function durationText(t, seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) {
    return t('live.dur_s', { s: String(s) });
  }
  if (s < 3600) {
    return t('live.dur_ms', { m: String(Math.floor(s / 60)), s: pad2(s % 60) });
  }
  if (s < 86400) {
    return t('live.dur_hm', { h: String(Math.floor(s / 3600)), m: pad2(Math.floor(s / 60) % 60) });
  }
  return t('live.dur_dh', { d: String(Math.floor(s / 86400)), h: pad2(Math.floor(s / 3600) % 24) });
}

/** A time of today as HH:MM:SS, of another day with the language's date in front. */
function sinceText(lang, ms, now) {
  const d = new Date(ms);
  const n = new Date(now);
  if (d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate()) {
    return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }
  return localDateTime(lang, d).slice(0, -3);
}

/** The board's rows with what drawing, searching and sorting need. */
function prepare(data, sourceNames) {
  const acts = new Map(data.activities.map((a) => [a.id, a]));
  const rows = data.agents.map((a) => {
    const mapped = a.agent_id !== null;
    const source = a.source_id !== null ? (sourceNames.get(a.source_id) || `#${a.source_id}`) : '';
    return {
      key: mapped ? `a${a.agent_id}` : `x${a.source_id}/${a.ext_agent}`,
      mapped,
      label: mapped ? a.agent : a.ext_agent,
      name: mapped ? (a.name || '') : '',
      source,
      ext: a.ext_agent,
      status: a.status,
      code: a.code,
      activity: a.activity_id !== null ? acts.get(a.activity_id) : null,
      since: a.since ? Date.parse(a.since) : null,
      hay: [a.agent, a.name, a.ext_agent, source].filter(Boolean).join('\n').toLowerCase(),
    };
  });
  return { rows, activities: data.activities, statuses: data.statuses, total: data.total };
}

/** A colour swatch; the colour is set through the CSSOM (the CSP allows no style attributes). */
function Swatch({ colour }) {
  const ref = useRef(null);
  useLayoutEffect(() => {
    if (ref.current) {
      ref.current.style.background = colour || '';
    }
  }, [colour]);
  return html`<span class=${colour ? 'live-swatch' : 'live-swatch live-swatch-none'} ref=${ref} aria-hidden="true"></span>`;
}

function Row({ row, index, now }) {
  const { t, lang } = useI18n();
  const ref = useRef(null);
  useLayoutEffect(() => {
    if (ref.current) {
      ref.current.style.transform = `translateY(${index * ROW_H}px)`;
    }
  }, [index]);
  const act = row.activity;
  let detail = row.code || '';
  if (row.status === 'ended') {
    detail = t('live.ended', { code: row.code });
  }
  return html`
    <div class=${`live-row live-${row.status}`} role="row" ref=${ref} aria-rowindex=${index + 2}
         data-testid="live-row" data-key=${row.key} data-agent=${row.label}
         data-activity=${act ? act.identifier : ''} data-status=${row.status}>
      <div class="live-cell live-agent" role="cell">
        <${Swatch} colour=${act ? act.colour : ''} />
        <span class="live-agent-text">
          ${row.mapped
            ? html`<a class="live-label" data-testid="live-agent" href=${`#/timeline/${encodeURIComponent(row.label)}`}>${row.label}</a>`
            : html`<span class="live-label" data-testid="live-agent">${row.label}</span>`}
          <span class="muted small live-sub">${row.mapped ? row.name : t('live.unmapped_in', { source: row.source })}</span>
        </span>
      </div>
      <div class="live-cell" role="cell">
        <span class="live-label" data-testid="live-state">${act ? activityName(t, act) : t('live.no_state')}</span>
        <span class="muted small live-sub" data-testid="live-code">${detail}</span>
      </div>
      <div class="live-cell" role="cell" data-testid="live-since">${row.since !== null ? sinceText(lang, row.since, now) : ''}</div>
      <div class="live-cell live-duration" role="cell" data-testid="live-duration">
        ${row.since !== null ? durationText(t, (now - row.since) / 1000) : ''}</div>
    </div>`;
}

/** The filtered list as a window of rows over a scrolled box of the whole list's height. */
function Rows({ rows, now, resetKey }) {
  const { t } = useI18n();
  const box = useRef(null);
  const space = useRef(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    if (space.current) {
      space.current.style.height = `${rows.length * ROW_H}px`;
    }
  }, [rows.length]);
  useEffect(() => {
    if (box.current) {
      box.current.scrollTop = 0; // a new filter or search starts at its top
      setTop(0);
    }
  }, [resetKey]);
  useEffect(() => {
    const el = box.current;
    if (!el) {
      return undefined;
    }
    setHeight(el.clientHeight || 600);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 600));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const frame = useRef(0);
  const onScroll = () => {
    if (!frame.current) {
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        if (box.current) {
          setTop(box.current.scrollTop);
        }
      });
    }
  };
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
  const shown = rows.slice(first, last);
  return html`
    <div class="live-table" role="table" aria-label=${t('live.table_label')} aria-rowcount=${rows.length + 1}>
      <div class="live-row live-head" role="row" aria-rowindex="1">
        <div class="live-cell" role="columnheader">${t('live.col_agent')}</div>
        <div class="live-cell" role="columnheader">${t('live.col_state')}</div>
        <div class="live-cell" role="columnheader">${t('live.col_since')}</div>
        <div class="live-cell" role="columnheader">${t('live.col_duration')}</div>
      </div>
      <div class="live-viewport" ref=${box} onScroll=${onScroll} data-testid="live-list" tabindex="0"
           role="rowgroup">
        <div class="live-space" ref=${space}>
          ${shown.map((r, i) => html`<${Row} key=${r.key} row=${r} index=${first + i} now=${now} />`)}
        </div>
      </div>
    </div>`;
}

function Chip({ label, count, colour, pressed, onClick, testValue }) {
  const { lang } = useI18n();
  return html`
    <button type="button" class=${pressed ? 'live-chip live-chip-on' : 'live-chip'} aria-pressed=${pressed ? 'true' : 'false'}
            data-testid="live-count" data-activity=${testValue} onClick=${onClick}>
      ${colour !== undefined && html`<${Swatch} colour=${colour} />`}
      <span>${label}</span> <strong data-testid="live-count-n">${new Intl.NumberFormat(lang).format(count)}</strong>
    </button>`;
}

export function LivePage() {
  const { t, lang } = useI18n();
  const [board, setBoard] = useState(null);
  const [error, setError] = useState(null);
  const [updated, setUpdated] = useState(null);
  const [hidden, setHidden] = useState(document.hidden);
  const [clock, setClock] = useState(Date.now());
  const [filter, setFilter] = useState(null); // an activity id, 'none' (no state) or null
  const [query, setQuery] = useState('');
  const [order, setOrder] = useState('agent');
  const skew = useRef(0); // the daemon's clock minus ours, when it is off by 2 s or more
  const sources = useRef(new Map());

  // polls with the ETag; nothing while the tab is hidden, at once when it shows again
  useEffect(() => {
    let stopped = false;
    let timer = null;
    let busy = false;
    let again = false; // asked for while a poll was under way: one more as soon as it ends
    let etag = null;
    const poll = async () => {
      timer = null;
      if (busy) {
        again = true;
        return;
      }
      if (stopped || document.hidden) {
        return;
      }
      busy = true;
      try {
        const r = await getTagged('/agents/live', etag);
        if (!Number.isNaN(r.serverTime)) {
          const off = r.serverTime - Date.now();
          skew.current = Math.abs(off) >= 2000 ? off : 0;
        }
        if (r.changed && !stopped) {
          if (r.data.agents.some((a) => a.source_id !== null && !sources.current.has(a.source_id))) {
            const list = await loadAll('/sources').catch(() => []);
            sources.current = new Map(list.map((s) => [s.id, s.name]));
          }
          etag = r.etag;
          setBoard(prepare(r.data, sources.current));
        }
        if (!stopped) {
          setUpdated(Date.now());
          setError(null);
        }
      } catch (err) {
        if (!stopped) {
          setError(err);
        }
      }
      busy = false;
      if (!stopped && !document.hidden) {
        timer = setTimeout(poll, again ? 0 : POLL_MS);
      }
      again = false;
    };
    const onVisibility = () => {
      setHidden(document.hidden);
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
      } else if (!timer) {
        setClock(Date.now());
        poll();
      }
    };
    document.addEventListener('visibilitychange', onVisibility);
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, []);

  // the durations count every second (not while hidden)
  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) {
        setClock(Date.now());
      }
    }, 1000);
    return () => clearInterval(id);
  }, []);

  const list = useMemo(() => {
    if (!board) {
      return [];
    }
    const q = query.trim().toLowerCase();
    let rows = board.rows;
    if (filter === 'none') {
      rows = rows.filter((r) => r.status === 'no_state');
    } else if (filter !== null) {
      rows = rows.filter((r) => r.activity && r.activity.id === filter);
    }
    if (q) {
      rows = rows.filter((r) => r.hay.includes(q));
    }
    if (order === 'since') {
      rows = [...rows].sort((a, b) => (a.since === null) - (b.since === null) || a.since - b.since);
    }
    return rows;
  }, [board, filter, query, order]);

  const now = clock + skew.current;
  const chips = board ? board.activities.filter((a) => a.agents > 0 || a.id === filter) : [];
  return html`
    <section class="page live-page" data-testid="live-page">
      <h1>${t('live.title')}</h1>
      <p class="muted">${t('live.intro')}</p>
      <${ErrorBox} error=${error} compact testid="live-error" />
      ${!board && !error && html`<p class="loading">${t('common.loading')}</p>`}
      ${board && html`
        <div class="card live-card">
          <div class="live-chips" role="group" aria-label=${t('live.filter_label')}>
            <${Chip} label=${t('live.all')} count=${board.total} pressed=${filter === null} testValue=""
                     onClick=${() => setFilter(null)} />
            ${chips.map((a) => html`
              <${Chip} key=${a.id} label=${activityName(t, a)} count=${a.agents} colour=${a.colour}
                       pressed=${filter === a.id} testValue=${a.identifier}
                       onClick=${() => setFilter(filter === a.id ? null : a.id)} />`)}
            ${(board.statuses.no_state > 0 || filter === 'none') && html`
              <${Chip} label=${t('live.no_state')} count=${board.statuses.no_state} colour="" testValue="no_state"
                       pressed=${filter === 'none'} onClick=${() => setFilter(filter === 'none' ? null : 'none')} />`}
          </div>
          <div class="live-tools">
            <div class="list-search" role="search">
              <label for="live-search" class="visually-hidden">${t('live.search_label')}</label>
              <input type="search" id="live-search" data-testid="live-search" value=${query} autocomplete="off"
                     placeholder=${t('live.search_placeholder')} onInput=${(e) => setQuery(e.currentTarget.value)} />
            </div>
            <label class="live-order">
              <span>${t('live.order_label')}</span>
              <select id="live-order" data-testid="live-order" value=${order} onChange=${(e) => setOrder(e.currentTarget.value)}>
                <option value="agent">${t('live.order_agent')}</option>
                <option value="since">${t('live.order_since')}</option>
              </select>
            </label>
            <span class="muted small" data-testid="live-shown">${t('live.shown', { shown: list.length, n: board.total })}</span>
            <span class="muted small live-updated" data-testid="live-updated" aria-live="polite">
              ${hidden ? t('live.paused') : updated && t('live.updated', { time: sinceText(lang, updated, updated) })}</span>
          </div>
          ${board.total === 0 && html`<p class="empty" data-testid="live-empty">${t('live.no_agents')}</p>`}
          ${board.total > 0 && list.length === 0 && html`<p class="empty" data-testid="live-no-match">${t('live.no_matches')}</p>`}
          ${list.length > 0 && html`<${Rows} rows=${list} now=${now} resetKey=${`${filter}|${query}|${order}`} />`}
        </div>`}
    </section>`;
}
