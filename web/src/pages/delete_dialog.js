// Deleting a source or a WFM queue: the Delete button first asks the daemon what would go with
// it (DELETE ?dry_run=true), shows that in a dialog (counts, the mappings and schedules by
// name, what stays in the WFM) and deletes only when confirmed, with cascade when others
// depend on it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { messageText, useI18n } from '../i18n/index.js';
import { ErrorBox } from '../components.js';

// the counts shown, in this order (the ones the object has and that are not 0)
const COUNTS = ['mappings', 'results', 'schedules', 'staged_days', 'agent_states', 'runs',
  'outbox_cells', 'agents'];

function scheduleText(t, s) {
  return s.kind === 'every'
    ? t('delete.schedule_every', { n: s.every_minutes })
    : t('delete.schedule_daily', { at: s.daily_at });
}

function Consequences({ plan }) {
  const { t, lang } = useI18n();
  const c = plan.counts;
  const shown = COUNTS.filter((k) => c[k] > 0);
  const more = (listed, total) => (total > listed
    ? html`<li class="muted">${t('delete.and_more', { n: total - listed })}</li>` : null);
  return html`
    <p data-testid="delete-summary">${messageText(t, { code: plan.code, params: plan.params }, lang)}</p>
    ${shown.length === 0
      ? html`<p data-testid="delete-nothing-else">${t('delete.nothing_else')}</p>`
      : html`
        <ul class="delete-counts" data-testid="delete-counts">
          ${shown.map((k) => html`
            <li data-testid="delete-count" data-count=${k} data-value=${c[k]}>
              ${t(`delete.count.${k}`, { n: c[k] })}</li>`)}
        </ul>`}
    ${plan.mappings.length > 0 && html`
      <h3>${t('delete.mappings_title')}</h3>
      <ul class="delete-list" data-testid="delete-mappings">
        ${plan.mappings.map((m) => html`
          <li data-testid="delete-mapping" data-id=${m.id}>
            <span class="mono">${m.queue}</span> / ${m.value_type}</li>`)}
        ${more(plan.mappings.length, c.mappings)}
      </ul>`}
    ${plan.schedules && plan.schedules.length > 0 && html`
      <h3>${t('delete.schedules_title')}</h3>
      <ul class="delete-list" data-testid="delete-schedules">
        ${plan.schedules.map((s) => html`
          <li data-testid="delete-schedule" data-id=${s.id}>${scheduleText(t, s)}</li>`)}
        ${more(plan.schedules.length, c.schedules)}
      </ul>`}
    ${c.delivered > 0 && html`
      <p class="muted" data-testid="delete-delivered">${t('delete.delivered', { n: c.delivered })}</p>`}
    ${c.active_runs > 0 && html`
      <p class="error-message" data-testid="delete-running">${t('delete.running', { n: c.active_runs })}</p>`}`;
}

/**
 * The Delete button of a source (kind "sources") or a WFM queue (kind "queues"). onDeleted gets
 * the daemon's answer (the counts of a cascade) or null.
 */
export function DeleteWithConsequences({ kind, id, name, disabled, testid, onDeleted }) {
  const { t } = useI18n();
  const [plan, setPlan] = useState(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const cancelRef = useRef(null);

  const ask = async () => {
    setBusy(true);
    setError(null);
    setOpen(true);
    setPlan(null);
    try {
      setPlan(await api.del(`/${kind}/${id}`, { query: { dry_run: 'true' } }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setOpen(false);
    setPlan(null);
    setError(null);
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.del(`/${kind}/${id}`,
        { query: plan.cascade_needed ? { cascade: 'true' } : undefined });
      setOpen(false);
      onDeleted(answer);
    } catch (err) {
      setError(err);
      // what goes may have changed meanwhile: show it as it is now
      try {
        setPlan(await api.del(`/${kind}/${id}`, { query: { dry_run: 'true' } }));
      } catch {
        // the error above says enough
      }
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!open) {
      return undefined;
    }
    const onKey = (e) => {
      if (e.key === 'Escape') {
        close();
      }
    };
    document.addEventListener('keydown', onKey);
    if (cancelRef.current) {
      cancelRef.current.focus();
    }
    return () => document.removeEventListener('keydown', onKey);
  }, [open, plan]);

  const blocked = !plan || plan.counts.active_runs > 0;
  return html`
    <button type="button" class="btn btn-small btn-danger" disabled=${disabled || busy}
            data-testid=${testid} onClick=${ask}>${t('common.delete')}</button>
    ${open && html`
      <div class="dialog-backdrop" onClick=${(e) => { if (e.target === e.currentTarget) { close(); } }}>
        <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=${`${testid}-title-${id}`}
             data-testid="delete-dialog" data-cascade=${plan && plan.cascade_needed ? 'true' : 'false'}>
          <h2 id=${`${testid}-title-${id}`}>${t(`delete.title.${kind}`, { name })}</h2>
          ${!plan && !error && html`<p class="muted">${t('common.loading')}</p>`}
          ${plan && html`<${Consequences} plan=${plan} />`}
          <${ErrorBox} error=${error} testid="delete-error" />
          <div class="actions">
            <button type="button" class="btn btn-danger" data-testid="delete-confirm"
                    disabled=${busy || blocked} onClick=${confirm}>
              ${plan && plan.cascade_needed ? t('delete.confirm_all') : t('delete.confirm')}</button>
            <button type="button" class="btn" ref=${cancelRef} data-testid="delete-cancel"
                    onClick=${close}>${t('common.cancel')}</button>
          </div>
        </div>
      </div>`}`;
}
