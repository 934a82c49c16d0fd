// Copying a WFM queue's mappings to other queues (POST /api/v1/queues/{id}/copy-mappings):
// pick the target queues, say for each which external queue replaces the ones the mappings
// read (proposed when a staged external queue carries the target's name), confirm; all copies
// are made in one transaction or none, and an error is shown at the target it names.
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, FieldError, errorField } from '../components.js';

/** The external queues the mappings read, in order of first use. */
export function readQueues(mappings) {
  const out = [];
  for (const m of mappings) {
    for (const i of m.inputs) {
      if (!out.includes(i.ext_queue)) {
        out.push(i.ext_queue);
      }
    }
  }
  return out;
}

export function MappingsCopy({ queue, mappings, queues, extQueues, onCancel, onDone }) {
  const { t } = useI18n();
  const read = readQueues(mappings);
  const targets = queues.filter((q) => q.id !== queue.id && q.interval_minutes === queue.interval_minutes);
  const [picked, setPicked] = useState([]); // queue ids in the order picked
  const [renames, setRenames] = useState({}); // queue id -> {old: new}
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  // a staged external queue named like the target queue replaces the single one read
  const proposal = (q) => {
    if (read.length !== 1) {
      return {};
    }
    const match = extQueues.find((e) => e.name && e.name.toLowerCase() === q.name.toLowerCase());
    return match && match.ext_queue !== read[0] ? { [read[0]]: match.ext_queue } : {};
  };
  const renameOf = (q) => ({ ...proposal(q), ...(renames[q.id] || {}) });
  const toggle = (q) => {
    setConfirming(false);
    setPicked((old) => (old.includes(q.id) ? old.filter((id) => id !== q.id) : [...old, q.id]));
  };
  const chosen = picked.map((id) => targets.find((q) => q.id === id)).filter(Boolean);

  const copy = async () => {
    setBusy(true);
    setError(null);
    try {
      const to = chosen.map((q) => {
        const ren = Object.fromEntries(Object.entries(renameOf(q)).filter(([from, v]) => v.trim() && v.trim() !== from)
          .map(([from, v]) => [from, v.trim()]));
        return Object.keys(ren).length ? { queue_id: q.id, ext_queues: ren } : { queue_id: q.id };
      });
      const made = await api.post(`/queues/${queue.id}/copy-mappings`, { to });
      onDone(made);
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  const field = errorField(error);
  const at = /^to\[(\d+)\]/.exec(field);
  const errTarget = at && chosen[Number(at[1])] ? chosen[Number(at[1])].id : 0;

  return html`
    <div class="card" data-testid="mappings-copy">
      <h2>${t('copy.title', { queue: queue.identifier })}</h2>
      <p class="muted">${t('copy.intro')}</p>
      ${targets.length === 0 && html`<p class="empty">${t('copy.no_targets')}</p>`}
      <div class="table-wrap">
        <table class="table">
          <thead><tr>
            <th scope="col">${t('copy.to')}</th>
            ${read.map((e) => html`<th scope="col">${t('copy.instead_of', { queue: e })}</th>`)}
          </tr></thead>
          <tbody>
            ${targets.map((q) => {
              const on = picked.includes(q.id);
              const ren = renameOf(q);
              return html`
                <tr data-testid="copy-target" data-identifier=${q.identifier} key=${q.id}>
                  <td><label class="check">
                    <input type="checkbox" id=${`copy-target-${q.id}`} checked=${on} onChange=${() => toggle(q)} />
                    <code>${q.identifier}</code> ${q.name}</label>
                    <${FieldError} error=${errTarget === q.id ? error : null} id=${`copy-error-${q.id}`} field=${field} /></td>
                  ${read.map((e) => html`
                    <td><input type="text" class="mono" data-testid="copy-rename" data-from=${e} maxlength="128"
                               disabled=${!on} value=${ren[e] || ''} placeholder=${e}
                               aria-label=${t('copy.rename_of', { queue: e, target: q.identifier })}
                               onInput=${(ev) => setRenames((old) => ({ ...old, [q.id]: { ...ren, [e]: ev.currentTarget.value } }))} /></td>`)}
                </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <${ErrorBox} error=${errTarget ? null : error} testid="copy-error" />
      <div class="actions">
        ${confirming
          ? html`
            <span class="confirm-text">${t('copy.confirm_text', { mappings: mappings.length * chosen.length, queues: chosen.length })}</span>
            <button type="button" class="btn btn-primary" id="copy-confirm" disabled=${busy} onClick=${copy}>
              ${t('copy.confirm')}</button>`
          : html`
            <button type="button" class="btn btn-primary" id="copy-submit" disabled=${chosen.length === 0}
                    onClick=${() => setConfirming(true)}>${t('copy.submit')}</button>`}
        <button type="button" class="btn" id="copy-cancel" disabled=${busy} onClick=${onCancel}>
          ${t('common.cancel')}</button>
      </div>
    </div>`;
}
