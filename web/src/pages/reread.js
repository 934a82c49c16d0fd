// After a source's settings changed how its files are read: the offer to re-read the days
// already imported (a run with reread), so that the staged data follows the fix.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, dayFromToday } from '../components.js';

export function RereadOffer({ source, onQueued, onDismiss }) {
  const { t } = useI18n();
  const [from, setFrom] = useState(dayFromToday(-6));
  const [to, setTo] = useState(dayFromToday(0));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const send = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onQueued(await api.post('/runs', { source_id: source.id, from, to, reread: true }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card" data-testid="reread-offer" onSubmit=${send}>
      <p>${t('reread.offer', { name: source.name })}</p>
      <div class="inline-form">
        <label for="reread-from">${t('resend.from')}</label>
        <input id="reread-from" type="date" class="input-small" value=${from} required
               onInput=${(e) => setFrom(e.currentTarget.value)} />
        <label for="reread-to">${t('resend.to')}</label>
        <input id="reread-to" type="date" class="input-small" value=${to} required
               onInput=${(e) => setTo(e.currentTarget.value)} />
        <button type="submit" class="btn btn-small btn-primary" disabled=${busy}
                data-testid="reread-offer-run">${t('reread.run')}</button>
        <button type="button" class="btn btn-small" data-testid="reread-offer-dismiss"
                onClick=${onDismiss}>${t('resend.offer_no')}</button>
      </div>
      <${ErrorBox} error=${error} testid="reread-offer-error" compact />
    </form>`;
}
