// Deliveries: the backlog (what waits and since when, per target) and the outbox's batches with
// their attempts and the WFM's answers; a failed batch can be sent again. Also the banner that
// every page shows while deliveries wait longer than the bootstrap setting backlog_warn_after
// (default 1 h).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { messageText, useI18n } from '../i18n/index.js';
import { ErrorBox, LoadMore, Notice, Time, canChange } from '../components.js';
import { ResendProgress } from './resend.js';

const STATES = ['pending', 'sending', 'acked', 'failed'];

/** "2 d 3 h", "5 h 10 min", "42 min", "12 s". */
export function formatAge(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s >= 86400) {
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }
  if (s >= 3600) {
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }
  return s >= 60 ? `${Math.floor(s / 60)} min` : `${s} s`;
}

/** The warning shown on every page while the backlog is older than backlog_warn_after. */
export function BacklogBanner({ route }) {
  const { t } = useI18n();
  const [b, setB] = useState(null);
  useEffect(() => {
    let live = true;
    api.get('/backlog', undefined, { skipAuthRedirect: true })
      .then((x) => { if (live) setB(x); })
      .catch(() => { if (live) setB(null); });
    return () => { live = false; };
  }, [route]);
  if (!b || !b.warning) {
    return null;
  }
  return html`
    <div class="error-box banner" role="alert" data-testid="backlog-warning">
      ${t('deliveries.banner', { age: formatAge(b.age_seconds), n: b.pending + b.failed })}
      <a href="#/deliveries">${t('deliveries.banner_link')}</a>
    </div>`;
}

function BacklogCard({ backlog }) {
  const { t } = useI18n();
  if (!backlog) {
    return null;
  }
  return html`
    <div class=${backlog.warning ? 'card card-warning' : 'card'} data-testid="backlog">
      <h2>${t('deliveries.backlog_title')}</h2>
      <p data-testid="backlog-summary">${backlog.pending + backlog.failed + backlog.queued === 0
        ? t('deliveries.backlog_empty')
        : t('deliveries.backlog_waiting', { n: backlog.pending + backlog.failed, age: formatAge(backlog.age_seconds) })}</p>
      <table class="table table-stack">
        <thead><tr>
          <th scope="col">${t('deliveries.target')}</th>
          <th scope="col">${t('deliveries.state.pending')}</th>
          <th scope="col">${t('deliveries.state.failed')}</th>
          <th scope="col">${t('deliveries.state.acked')}</th>
          <th scope="col">${t('deliveries.oldest')}</th>
          <th scope="col">${t('deliveries.last_acked')}</th>
        </tr></thead>
        <tbody>
          ${backlog.targets.map((x) => html`
            <tr data-testid="backlog-row" data-name=${x.name}>
              <td data-label=${t('deliveries.target')}>${x.name}</td>
              <td data-label=${t('deliveries.state.pending')} data-testid="backlog-pending">${x.pending + x.sending + x.queued}</td>
              <td data-label=${t('deliveries.state.failed')} data-testid="backlog-failed">${x.failed}</td>
              <td data-label=${t('deliveries.state.acked')} data-testid="backlog-acked">${x.acked}</td>
              <td data-label=${t('deliveries.oldest')}>${x.oldest_waiting_at ? formatAge(x.age_seconds) : '–'}</td>
              <td data-label=${t('deliveries.last_acked')}><${Time} value=${x.last_acked_at} /></td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

function Attempts({ id }) {
  const { t, lang } = useI18n();
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api.get(`/deliveries/${id}`).then(setDetail).catch(setError);
  }, [id]);
  if (error) {
    return html`<${ErrorBox} error=${error} />`;
  }
  if (!detail) {
    return html`<p class="loading">${t('common.loading')}</p>`;
  }
  return html`
    <ol class="attempts" data-testid="attempts">
      ${detail.attempt_log.map((a) => html`
        <li data-testid="attempt" data-outcome=${a.outcome}>
          <${Time} value=${a.started_at} /> · ${t(`deliveries.outcome.${a.outcome}`)}
          ${a.http_status ? ` · HTTP ${a.http_status}` : ''} · ${a.duration_ms} ms
          ${a.error && html`<div class="muted" data-testid="attempt-error">
            ${messageText(t, { message: a.error, code: a.error_code, params: a.error_params }, lang)}</div>`}
          ${a.answer && html`<pre class="answer">${a.answer}</pre>`}
        </li>`)}
    </ol>`;
}

function BatchRow({ batch, names, editable, onRetried }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const retry = async () => {
    setBusy(true);
    setError(null);
    try {
      onRetried(await api.post(`/deliveries/${batch.id}/retry`));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <tr data-testid="delivery-row" data-id=${batch.id} data-state=${batch.state}>
      <td data-label="#">${batch.id}</td>
      <td data-label=${t('deliveries.target')}>${names[batch.target_id] || batch.target_id}</td>
      <td data-label=${t('deliveries.state')}>
        <span class=${`badge badge-${batch.state}`} data-testid="delivery-state">${t(`deliveries.state.${batch.state}`)}</span></td>
      <td data-label=${t('deliveries.intervals')}>${batch.items} · <${Time} value=${batch.first_interval} /></td>
      <td data-label=${t('deliveries.attempts')}>${batch.attempts}</td>
      <td data-label=${t('deliveries.last_answer')} class="muted" data-testid="delivery-last-error">
        ${batch.last_status ? `HTTP ${batch.last_status} ` : ''}${batch.last_error
          ? messageText(t, { message: batch.last_error, code: batch.last_error_code, params: batch.last_error_params }, lang)
          : ''}</td>
      <td class="cell-actions"><div class="row-actions">
        <button type="button" class="btn btn-small" data-testid="delivery-details"
                onClick=${() => setOpen(!open)}>${open ? t('common.close') : t('deliveries.details')}</button>
        ${editable && batch.state === 'failed' && html`
          <button type="button" class="btn btn-small btn-primary" disabled=${busy}
                  data-testid="delivery-retry" onClick=${retry}>${t('deliveries.retry')}</button>`}
      </div></td>
    </tr>
    ${(open || error) && html`
      <tr class="row-message"><td colspan="7">
        <${ErrorBox} error=${error} />
        ${open && html`<div class="mono small">${t('deliveries.key')}: ${batch.batch_key}</div><${Attempts} id=${batch.id} />`}
      </td></tr>`}`;
}

export function DeliveriesPage({ session }) {
  const { t } = useI18n();
  const editable = canChange(session);
  const [state, setState] = useState('');
  const [items, setItems] = useState([]);
  const [cursor, setCursor] = useState(null);
  const [backlog, setBacklog] = useState(null);
  const [names, setNames] = useState({});
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState('');

  const load = async (fromCursor) => {
    setLoading(true);
    setError(null);
    try {
      const [page, b, targets] = await Promise.all([
        api.get('/deliveries', { limit: 50, state: state || undefined, cursor: fromCursor || undefined }),
        api.get('/backlog'),
        api.get('/targets', { limit: 500 }),
      ]);
      setItems((old) => (fromCursor ? old.concat(page.items) : page.items));
      setCursor(page.next_cursor || null);
      setBacklog(b);
      setNames(Object.fromEntries(targets.items.map((x) => [x.id, x.name])));
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load(null);
  }, [state]);

  return html`
    <section class="page" data-testid="deliveries-page">
      <h1>${t('deliveries.title')}</h1>
      <p class="muted">${t('deliveries.intro')}</p>
      <${BacklogCard} backlog=${backlog} />
      <${ResendProgress} names=${names} refresh=${backlog} />
      <${Notice} text=${notice} testid="deliveries-notice" />
      <div class="card">
        <h2>${t('deliveries.list_title')}</h2>
        <div class="toolbar">
          <label for="deliveries-state">${t('deliveries.state')}</label>
          <select id="deliveries-state" value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
            <option value="">${t('deliveries.state_all')}</option>
            ${STATES.map((s) => html`<option value=${s}>${t(`deliveries.state.${s}`)}</option>`)}
          </select>
          <button type="button" class="btn btn-small" id="deliveries-refresh"
                  onClick=${() => load(null)}>${t('deliveries.refresh')}</button>
        </div>
        <${ErrorBox} error=${error} id="deliveries-error" />
        <div class="table-wrap">
          <table class="table table-stack" id="deliveries-table">
            <thead><tr>
              <th scope="col">#</th>
              <th scope="col">${t('deliveries.target')}</th>
              <th scope="col">${t('deliveries.state')}</th>
              <th scope="col">${t('deliveries.intervals')}</th>
              <th scope="col">${t('deliveries.attempts')}</th>
              <th scope="col">${t('deliveries.last_answer')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr></thead>
            <tbody>
              ${items.map((b) => html`
                <${BatchRow} key=${b.id} batch=${b} names=${names} editable=${editable}
                             onRetried=${(n) => { setNotice(t('deliveries.retried_notice', { id: n.id })); load(null); }} />`)}
              ${!loading && !error && items.length === 0 && html`
                <tr><td colspan="7" class="empty">${t('deliveries.empty')}</td></tr>`}
            </tbody>
          </table>
        </div>
        <${LoadMore} id="deliveries-more" cursor=${cursor} loading=${loading} onClick=${() => load(cursor)} />
      </div>
    </section>`;
}
