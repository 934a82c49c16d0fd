// Agent timeline: one WFM agent's spans of a local day as a bar over the 24 hours and as a
// table (wall times of the agent's first source; a span still going is marked open).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { DateInput, ErrorBox, dayFromToday, loadAll, useRouteParam } from '../components.js';
import { useI18n } from '../i18n/index.js';

/** Seconds after local midnight of `day` for a local time text ("YYYY-MM-DDTHH:MM:SS+hh:mm"). */
export function secondsInDay(local, day) {
  if (!local) {
    return 86400;
  }
  if (local.slice(0, 10) < day) {
    return 0;
  }
  if (local.slice(0, 10) > day) {
    return 86400;
  }
  const [h, m, s] = local.slice(11, 19).split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

/** A stable colour slot (0-7) per activity identifier; holes have their own look. */
export function colourOf(activity) {
  let h = 0;
  for (const ch of activity) {
    h = (h * 31 + ch.charCodeAt(0)) % 997;
  }
  return h % 8;
}

/** A block placed by percentages through the CSSOM (no style attributes: the CSP forbids them). */
function Placed({ cls, left, width, children, ...rest }) {
  const ref = useRef(null);
  useLayoutEffect(() => {
    if (ref.current) {
      ref.current.style.left = `${left.toFixed(3)}%`;
      if (width !== undefined) {
        ref.current.style.width = `${width.toFixed(3)}%`;
      }
    }
  }, [left, width]);
  return html`<div class=${cls} ref=${ref} ...${rest}>${children}</div>`;
}

function Bar({ spans, day }) {
  const { t } = useI18n();
  return html`
    <div class="timeline" data-testid="timeline-bar" role="img" aria-label=${t('timeline.bar_label')}>
      ${spans.map((s) => {
        const a = secondsInDay(s.local_start, day);
        const b = secondsInDay(s.local_end, day);
        const cls = s.activity === 'logged_out' ? 'tl-span tl-hole' : `tl-span tl-c${colourOf(s.activity)}`;
        return html`<${Placed} cls=${s.open ? `${cls} tl-open` : cls} left=${a / 864}
                               width=${Math.max(b - a, 0) / 864} data-testid="timeline-span"
                               data-activity=${s.activity}
                               title=${`${s.activity} ${s.local_start.slice(11, 16)}`} />`;
      })}
      ${[0, 6, 12, 18].map((h) => html`
        <${Placed} cls="tl-hour" left=${(h / 24) * 100}>${String(h).padStart(2, '0')}:00<//>`)}
    </div>`;
}

export function TimelinePage() {
  const { t } = useI18n();
  const [agent, setAgent] = useRouteParam('timeline');
  const [agents, setAgents] = useState([]);
  const [day, setDay] = useState(dayFromToday(0));
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    loadAll('/agents').then(setAgents).catch(setError);
  }, []);
  const load = async () => {
    if (!agent || !day) {
      setData(null);
      return;
    }
    setLoading(true);
    setError(null);
    try {
      setData(await api.get('/agent-states', { agent, from: day, to: day }));
    } catch (err) {
      setError(err);
      setData(null);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, [agent, day]);

  const spans = data ? (data.days.find((d) => d.day === day) || { spans: [] }).spans : [];
  return html`
    <section class="page" data-testid="timeline-page">
      <h1>${t('timeline.title')}</h1>
      <p class="muted">${t('timeline.intro')}</p>
      <div class="card form-grid">
        <div class="field">
          <label for="timeline-agent">${t('timeline.agent')}</label>
          <select id="timeline-agent" value=${agent} onChange=${(e) => setAgent(e.currentTarget.value, true)}>
            <option value="">${t('timeline.choose_agent')}</option>
            ${agents.map((a) => html`<option value=${a.identifier}>${a.identifier}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="timeline-day">${t('timeline.day')}</label>
          <${DateInput} id="timeline-day" value=${day} onInput=${(e) => setDay(e.currentTarget.value)} />
        </div>
        <div class="actions">
          <button type="button" class="btn" id="timeline-reload" disabled=${!agent || loading}
                  onClick=${load}>${t('timeline.reload')}</button>
        </div>
      </div>
      <${ErrorBox} error=${error} id="timeline-error" />
      ${data && html`
        <div class="card" data-testid="timeline-day" data-day=${day}>
          <h2>${t('timeline.day_title', { agent: data.agent.identifier, day })}</h2>
          <p class="muted">${t('timeline.zone', { zone: data.time_zone })}</p>
          ${spans.length === 0
            ? html`<p class="empty" data-testid="timeline-empty">${t('timeline.empty')}</p>`
            : html`
              <${Bar} spans=${spans} day=${day} />
              <div class="table-wrap">
                <table class="table table-stack" id="timeline-table">
                  <thead><tr>
                    <th scope="col">${t('timeline.start')}</th>
                    <th scope="col">${t('timeline.end')}</th>
                    <th scope="col">${t('timeline.activity')}</th>
                    <th scope="col">${t('timeline.code')}</th>
                  </tr></thead>
                  <tbody>
                    ${spans.map((s) => html`
                      <tr data-testid="timeline-row" data-activity=${s.activity}>
                        <td data-label=${t('timeline.start')} data-testid="timeline-start">${s.local_start.slice(11, 19)}</td>
                        <td data-label=${t('timeline.end')} data-testid="timeline-end">
                          ${s.local_end ? s.local_end.slice(11, 19) : t('timeline.open')}</td>
                        <td data-label=${t('timeline.activity')} data-testid="timeline-activity">${s.activity}</td>
                        <td data-label=${t('timeline.code')}>${s.code || (s.activity === 'logged_out' ? t('timeline.hole') : '')}</td>
                      </tr>`)}
                  </tbody>
                </table>
              </div>`}
        </div>`}
    </section>`;
}
