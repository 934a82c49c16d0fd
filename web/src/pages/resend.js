// Sending a target the results of a period again ("send history"): the form on a target's row
// and after a target is created ("send the last N days"), and the progress of resends shown on
// Deliveries (queued, sent, failed, remaining).
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatDate, useI18n } from '../i18n/index.js';
import { ErrorBox, Time, dayFromToday } from '../components.js';

const PRODUCTS = ['contacts', 'agent_states'];

/** From, to and products for a target; posts the resend and reports it with onQueued. */
export function ResendForm({ target, days = 7, onQueued, onCancel }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(dayFromToday(1 - days));
  const [to, setTo] = useState(dayFromToday(0));
  const [products, setProducts] = useState({ contacts: true, agent_states: true });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const id = `resend-${target.id}`;

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = { from, to, products: PRODUCTS.filter((p) => products[p]) };
      onQueued(await api.post(`/targets/${target.id}/resend`, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="inline-form" data-testid="resend-form" onSubmit=${submit}>
      <span>${t('resend.title', { name: target.name })}</span>
      <label for=${`${id}-from`}>${t('resend.from')}</label>
      <input id=${`${id}-from`} type="date" class="input-small" value=${from} required
             data-testid="resend-from" onInput=${(e) => setFrom(e.currentTarget.value)} />
      <label for=${`${id}-to`}>${t('resend.to')}</label>
      <input id=${`${id}-to`} type="date" class="input-small" value=${to} required
             data-testid="resend-to" onInput=${(e) => setTo(e.currentTarget.value)} />
      ${PRODUCTS.map((p) => html`
        <label class="check">
          <input type="checkbox" checked=${products[p]} data-testid=${`resend-${p}`}
                 onChange=${(e) => setProducts({ ...products, [p]: e.currentTarget.checked })} />
          <span>${t(`resend.product.${p}`)}</span>
        </label>`)}
      <button type="submit" class="btn btn-small btn-primary" data-testid="resend-submit"
              disabled=${busy || !PRODUCTS.some((p) => products[p])}>${t('resend.submit')}</button>
      ${onCancel && html`
        <button type="button" class="btn btn-small" data-testid="resend-cancel"
                onClick=${onCancel}>${t('common.cancel')}</button>`}
      <${ErrorBox} error=${error} testid="resend-error" compact />
    </form>`;
}

/** The text that confirms a queued resend. */
export function resendNotice(t, r, lang = 'en') {
  return t('resend.queued', { intervals: r.intervals, days: r.agent_days, from: formatDate(lang, r.from), to: formatDate(lang, r.to) });
}

/** Offered right after a target is created: its history of the last N days. */
export function ResendOffer({ target, onQueued, onDismiss }) {
  const { t } = useI18n();
  const [days, setDays] = useState(7);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const n = Math.max(1, Math.min(400, Math.floor(Number(days)) || 1));
      onQueued(await api.post(`/targets/${target.id}/resend`, { from: dayFromToday(1 - n), to: dayFromToday(0) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <div class="card" data-testid="resend-offer">
      <p>${t('resend.offer', { name: target.name })}</p>
      <div class="inline-form">
        <label for="resend-offer-days">${t('resend.offer_days')}</label>
        <input id="resend-offer-days" type="number" min="1" max="400" class="input-small"
               value=${days} data-testid="resend-offer-days"
               onInput=${(e) => setDays(e.currentTarget.value)} />
        <button type="button" class="btn btn-small btn-primary" disabled=${busy}
                data-testid="resend-offer-send" onClick=${send}>
          ${t('resend.offer_send', { n: days })}</button>
        <button type="button" class="btn btn-small" data-testid="resend-offer-dismiss"
                onClick=${onDismiss}>${t('resend.offer_no')}</button>
      </div>
      <${ErrorBox} error=${error} testid="resend-offer-error" compact />
    </div>`;
}

/** The resends with their progress (Deliveries); reloads while one is under way. */
export function ResendProgress({ names, refresh }) {
  const { t } = useI18n();
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    let timer = null;
    const load = async () => {
      try {
        const r = await api.get('/resends', { limit: 20 });
        if (!live) return;
        setItems(r.items);
        setError(null);
        if (r.items.some((x) => !x.done)) {
          timer = setTimeout(load, 2000);
        }
      } catch (err) {
        if (live) setError(err);
      }
    };
    load();
    return () => { live = false; clearTimeout(timer); };
  }, [refresh]);
  if (!error && items.length === 0) {
    return null;
  }
  const name = (id) => names[id] || `#${id}`;
  return html`
    <div class="card" data-testid="resends">
      <h2>${t('resend.list_title')}</h2>
      <${ErrorBox} error=${error} testid="resends-error" />
      <div class="table-wrap">
        <table class="table table-stack">
          <thead><tr>
            <th scope="col">${t('deliveries.target')}</th>
            <th scope="col">${t('resend.period')}</th>
            <th scope="col">${t('resend.queued_count')}</th>
            <th scope="col">${t('resend.sent')}</th>
            <th scope="col">${t('resend.failed')}</th>
            <th scope="col">${t('resend.remaining')}</th>
            <th scope="col">${t('resend.requested')}</th>
          </tr></thead>
          <tbody>
            ${items.map((x) => html`
              <tr data-testid="resend-row" data-id=${x.id} data-done=${String(x.done)}>
                <td data-label=${t('deliveries.target')}>${name(x.target_id)}</td>
                <td data-label=${t('resend.period')}>${x.from} – ${x.to}</td>
                <td data-label=${t('resend.queued_count')} data-testid="resend-queued">${x.intervals + x.agent_days}</td>
                <td data-label=${t('resend.sent')} data-testid="resend-sent">${x.sent}</td>
                <td data-label=${t('resend.failed')}>${x.failed}</td>
                <td data-label=${t('resend.remaining')} data-testid="resend-remaining">${x.remaining}</td>
                <td data-label=${t('resend.requested')}><${Time} value=${x.created_at} /> ${x.requested_by}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
    </div>`;
}
