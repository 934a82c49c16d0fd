// From a discovery to WFM queues and mappings in one step: pick external queues (all at once
// with one box), choose "one WFM queue per external queue" or "these external queues into one
// WFM queue", check the proposed identifiers and names and which value type each discovered
// metric becomes, confirm, and POST /api/v1/mappings/bulk makes everything in one transaction
// (nothing when anything is wrong; the error is shown at the row it names). The discovered day
// can be imported right after, so the new mappings have results at once.
import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { formatDate, useI18n, valueTypeName } from '../i18n/index.js';
import { ErrorBox, FieldError, errorField, loadAll } from '../components.js';

/** Metric names as ACDs and our layouts write them, for each built-in value type. */
const ALIASES = {
  offered: ['offered', 'calls_offered', 'callsoffered', 'contacts_offered', 'incoming', 'inbound'],
  handled: ['handled', 'answered', 'acdcalls', 'acd_calls', 'calls_handled', 'calls_answered'],
  abandoned: ['abandoned', 'abncalls', 'abn_calls', 'calls_abandoned', 'abandons'],
  aht: ['aht', 'avg_handle_time', 'average_handle_time'],
  handle_time: ['handle_time', 'handletime', 'total_handle_time'],
  asa: ['asa', 'avg_speed_of_answer', 'average_speed_of_answer'],
  service_level: ['service_level', 'servicelevel', 'sl'],
};

const norm = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');

/** The value type a metric is proposed for: same key, or a known name of it; '' for none. */
export function guessValueType(metric, valueTypes) {
  const n = norm(metric);
  const direct = valueTypes.find((v) => v.key === n);
  if (direct) {
    return direct.key;
  }
  for (const [key, names] of Object.entries(ALIASES)) {
    if (names.includes(n) && valueTypes.some((v) => v.key === key)) {
      return key;
    }
  }
  return '';
}

/** A WFM identifier from an external queue's name: "Sales DE" -> "SALES_DE". */
export function proposeIdentifier(extQueue, name) {
  const base = String(name || extQueue).normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 128);
  return base || String(extQueue).slice(0, 128);
}

/** Identifiers for the external queues qs, unique among themselves and the taken ones. */
export function proposeIdentifiers(qs, taken) {
  const used = new Set(taken);
  const out = {};
  for (const q of qs) {
    let id = proposeIdentifier(q.ext_queue, q.name);
    if (used.has(id)) {
      id = proposeIdentifier(q.ext_queue, `${id}_${q.ext_queue}`);
    }
    for (let k = 2; used.has(id); k++) {
      id = `${proposeIdentifier(q.ext_queue, q.name)}_${k}`;
    }
    used.add(id);
    out[q.ext_queue] = id;
  }
  return out;
}

/**
 * The rows of the metric table: each discovered metric, and where the source gives a total
 * handle time and handled contacts but no average, their ratio (proposed as AHT).
 */
export function metricRows(names, valueTypes) {
  const rows = names.map((m) => ({ key: m, metric: m, guess: guessValueType(m, valueTypes) }));
  const total = rows.find((r) => r.guess === 'handle_time');
  const handled = rows.find((r) => r.guess === 'handled');
  if (total && handled && !rows.some((r) => r.guess === 'aht') && valueTypes.some((v) => v.key === 'aht')) {
    rows.push({ key: `${total.metric}/${handled.metric}`, metric: total.metric, divide_by: handled.metric, guess: 'aht' });
  }
  return rows;
}

export function DiscoverySetup({ source, result, day }) {
  const { t, lang } = useI18n();
  const discovered = result.queues || [];
  const names = (result.metrics || []).map((m) => m.metric);
  const [catalog, setCatalog] = useState(null); // {queues, valueTypes}
  const [loadError, setLoadError] = useState(null);
  const [selected, setSelected] = useState(() => new Set());
  const [shape, setShape] = useState('each');
  const [edits, setEdits] = useState({}); // ext_queue -> {identifier?, name?}
  const [target, setTarget] = useState('new'); // one WFM queue: 'new' or an existing queue's id
  const [one, setOne] = useState({ identifier: '', name: '' });
  const [types, setTypes] = useState(null); // metric -> value type key ('' = not mapped)
  const [importDay, setImportDay] = useState(true);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [sent, setSent] = useState(null); // {queues: [ext_queue or '*'], mappings: [metric]}
  const [done, setDone] = useState(null); // {made, run}
  const [overrides, setOverrides] = useState(new Set()); // metrics saved although their form contradicts

  useEffect(() => {
    Promise.all([loadAll('/queues'), loadAll('/value-types'), loadAll('/ext-queues', { source_id: source.id })])
      .then(([queues, valueTypes, staged]) => {
        setCatalog({ queues, valueTypes, mapped: staged.filter((e) => e.mapped).map((e) => e.ext_queue) });
        setTypes(Object.fromEntries(metricRows(names, valueTypes).map((r) => [r.key, r.guess])));
      })
      .catch(setLoadError);
  }, []);

  if (discovered.length === 0) {
    return null;
  }
  const queues = catalog ? catalog.queues : [];
  const valueTypes = catalog ? catalog.valueTypes : [];
  const metrics = metricRows(names, valueTypes);
  const picked = discovered.filter((q) => selected.has(q.ext_queue));
  const proposals = proposeIdentifiers(discovered, queues.map((q) => q.identifier));
  const rowOf = (q) => ({
    identifier: proposals[q.ext_queue],
    name: (q.name || q.ext_queue).slice(0, 256),
    ...(edits[q.ext_queue] || {}),
  });
  const oneProposal = picked.length
    ? { identifier: proposeIdentifier(picked[0].ext_queue, picked[0].name), name: picked[0].name || picked[0].ext_queue }
    : { identifier: '', name: '' };
  const oneRow = { identifier: one.identifier || oneProposal.identifier, name: one.name || oneProposal.name };
  const chosen = metrics.filter((r) => types && types[r.key]);
  const sameInterval = queues.filter((q) => q.interval_minutes === source.interval_minutes);
  const nQueues = shape === 'each' ? picked.length : (target === 'new' ? 1 : 0);
  const nMappings = (shape === 'each' ? picked.length : 1) * chosen.length;

  const toggle = (ext) => {
    setConfirming(false);
    setSelected((old) => {
      const next = new Set(old);
      if (next.has(ext)) {
        next.delete(ext);
      } else {
        next.add(ext);
      }
      return next;
    });
  };
  // "all": every external queue that no mapping reads yet (or every one when all are mapped)
  const mapped = new Set(catalog ? catalog.mapped : []);
  const unmappedOnes = discovered.filter((q) => !mapped.has(q.ext_queue));
  const all = unmappedOnes.length ? unmappedOnes : discovered;
  const allPicked = picked.length > 0 && all.every((q) => selected.has(q.ext_queue));
  const toggleAll = () => {
    setConfirming(false);
    setSelected(allPicked ? new Set() : new Set(all.map((q) => q.ext_queue)));
  };
  const edit = (ext, changes) => setEdits((old) => ({ ...old, [ext]: { ...(old[ext] || {}), ...changes } }));

  const body = () => {
    const maps = chosen.map((r) => (r.divide_by
      ? { value_type: types[r.key], metric: r.metric, divide_by: r.divide_by }
      : { value_type: types[r.key], metric: r.metric, ...(overrides.has(r.key) ? { override: true } : {}) }));
    if (shape === 'each') {
      return {
        body: {
          source_id: source.id,
          queues: picked.map((q) => ({ ...rowOf(q), ext_queues: [q.ext_queue] })),
          mappings: maps,
        },
        rows: picked.map((q) => q.ext_queue),
      };
    }
    const ext = picked.map((q) => q.ext_queue);
    const item = target === 'new' ? { ...oneRow, ext_queues: ext } : { queue_id: Number(target), ext_queues: ext };
    return { body: { source_id: source.id, queues: [item], mappings: maps }, rows: ['*'] };
  };

  const create = async () => {
    const { body: req, rows } = body();
    setBusy(true);
    setError(null);
    setSent({ queues: rows, mappings: chosen.map((r) => r.key) });
    try {
      const made = await api.post('/mappings/bulk', req);
      let run = null;
      if (importDay) {
        run = await api.post('/runs', { source_id: source.id, from: day, to: day });
      }
      setDone({ made, run });
      setOverrides(new Set());
      setConfirming(false);
      setSelected(new Set());
      setEdits({});
      setOne({ identifier: '', name: '' });
      setCatalog((old) => ({
        ...old,
        queues: [...old.queues, ...made.queues.filter((q) => !old.queues.some((o) => o.id === q.id))],
        mapped: [...old.mapped, ...made.mappings.flatMap((m) => m.inputs.map((i) => i.ext_queue))],
      }));
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  // an error naming an item ("queues[1].identifier: ...", "mappings[0].value_type: ...") is
  // shown at its row
  const field = errorField(error);
  const at = /^(queues|mappings)\[(\d+)\]/.exec(field);
  const errRow = at && sent ? (at[1] === 'queues' ? `q:${sent.queues[Number(at[2])]}` : `m:${sent.mappings[Number(at[2])]}`) : '';
  const rowError = (key) => (errRow === key ? error : null);
  const setOverride = (m, on) => setOverrides((old) => {
    const next = new Set(old);
    if (on) {
      next.add(m);
    } else {
      next.delete(m);
    }
    return next;
  });
  const rest = errRow ? null : error;

  return html`
    <div class="card discovery-setup" data-testid="discovery-setup">
      <h3>${t('setup.title')}</h3>
      <p class="muted">${t('setup.intro')}</p>
      <${ErrorBox} error=${loadError} testid="setup-load-error" />
      <div class="radio-group" role="radiogroup" aria-label=${t('setup.shape')}>
        <label class="radio">
          <input type="radio" name="setup-shape" id="setup-shape-each" checked=${shape === 'each'}
                 onChange=${() => { setShape('each'); setConfirming(false); }} />
          ${t('setup.shape_each')}</label>
        <label class="radio">
          <input type="radio" name="setup-shape" id="setup-shape-one" checked=${shape === 'one'}
                 onChange=${() => { setShape('one'); setConfirming(false); }} />
          ${t('setup.shape_one')}</label>
      </div>
      <div class="table-wrap">
        <table class="table" data-testid="setup-queues">
          <thead><tr>
            <th scope="col"><label class="check">
              <input type="checkbox" id="setup-all" checked=${allPicked} onChange=${toggleAll}
                     aria-label=${t('setup.select_all')} /></label></th>
            <th scope="col">${t('preview.queue')}</th>
            <th scope="col">${t('discover.name')}</th>
            <th scope="col">${t('discover.rows')}</th>
            ${shape === 'each' && html`
              <th scope="col">${t('setup.identifier')}</th>
              <th scope="col">${t('setup.wfm_name')}</th>`}
          </tr></thead>
          <tbody>
            ${discovered.map((q, i) => {
              const on = selected.has(q.ext_queue);
              const row = rowOf(q);
              const err = rowError(`q:${q.ext_queue}`);
              return html`
                <tr data-testid="setup-queue" data-ext-queue=${q.ext_queue} key=${q.ext_queue}>
                  <td><input type="checkbox" id=${`setup-pick-${i}`} checked=${on}
                             aria-label=${t('setup.pick', { queue: q.ext_queue })}
                             onChange=${() => toggle(q.ext_queue)} /></td>
                  <td><code>${q.ext_queue}</code>${mapped.has(q.ext_queue) && html`
                    ${' '}<span class="tag" data-testid="setup-mapped" title=${t('setup.mapped_help')}>${t('setup.mapped')}</span>`}</td>
                  <td>${q.name || html`<span class="muted">–</span>`}</td>
                  <td>${q.rows}</td>
                  ${shape === 'each' && html`
                    <td><input type="text" class="mono" data-testid="setup-identifier" maxlength="128"
                               value=${row.identifier} disabled=${!on}
                               aria-label=${t('setup.identifier_of', { queue: q.ext_queue })}
                               aria-invalid=${err ? 'true' : undefined}
                               onInput=${(e) => edit(q.ext_queue, { identifier: e.currentTarget.value })} />
                      <${FieldError} error=${err} id=${`setup-queue-error-${i}`} field=${field} /></td>
                    <td><input type="text" data-testid="setup-name" maxlength="256" value=${row.name}
                               disabled=${!on} aria-label=${t('setup.name_of', { queue: q.ext_queue })}
                               onInput=${(e) => edit(q.ext_queue, { name: e.currentTarget.value })} /></td>`}
                </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${shape === 'one' && html`
        <div class="section-grid" data-testid="setup-one">
          <div class="field">
            <label for="setup-target">${t('setup.target')}</label>
            <select id="setup-target" value=${target} onChange=${(e) => setTarget(e.currentTarget.value)}>
              <option value="new">${t('setup.target_new')}</option>
              ${sameInterval.map((q) => html`<option value=${String(q.id)}>${q.identifier} – ${q.name}</option>`)}
            </select>
          </div>
          ${target === 'new' && html`
            <div class="field">
              <label for="setup-one-identifier">${t('setup.identifier')}</label>
              <input type="text" id="setup-one-identifier" class="mono" maxlength="128" value=${oneRow.identifier}
                     onInput=${(e) => setOne({ ...oneRow, identifier: e.currentTarget.value })} />
            </div>
            <div class="field">
              <label for="setup-one-name">${t('setup.wfm_name')}</label>
              <input type="text" id="setup-one-name" maxlength="256" value=${oneRow.name}
                     onInput=${(e) => setOne({ ...oneRow, name: e.currentTarget.value })} />
            </div>`}
          <${FieldError} error=${rowError('q:*')} id="setup-one-error" field=${field} />
        </div>`}
      <p class="help">${t('setup.from_source', { zone: source.time_zone, n: source.interval_minutes })}</p>
      <h4>${t('setup.metrics')}</h4>
      <div class="table-wrap">
        <table class="table" data-testid="setup-metrics">
          <thead><tr>
            <th scope="col">${t('discover.metric')}</th>
            <th scope="col">${t('setup.value_type')}</th>
          </tr></thead>
          <tbody>
            ${metrics.map((r, i) => {
              const m = r.key;
              const vt = valueTypes.find((v) => types && v.key === types[m]);
              const weight = vt && vt.combine === 'weighted'
                ? valueTypes.find((v) => v.key === vt.weight_key) : null;
              return html`
                <tr data-testid="setup-metric" data-metric=${m} key=${m}>
                  <td>${r.divide_by
                    ? html`<code>${r.metric}</code> ÷ <code>${r.divide_by}</code>`
                    : html`<code>${m}</code>`}</td>
                  <td>
                    <select id=${`setup-metric-${i}`} value=${(types && types[m]) || ''}
                            aria-label=${t('setup.value_type_of', { metric: m })}
                            onChange=${(e) => { setTypes({ ...types, [m]: e.currentTarget.value }); setOverride(m, false); setConfirming(false); }}>
                      <option value="">${t('setup.not_mapped')}</option>
                      ${valueTypes.map((v) => html`<option value=${v.key}>${valueTypeName(t, v)}</option>`)}
                    </select>
                    ${r.divide_by
                      ? html`<small class="help">${t('setup.ratio_help', { metric: r.metric, per: r.divide_by })}</small>`
                      : weight && html`<small class="help">${t('mappings.default_weighted', { name: valueTypeName(t, weight) })}</small>`}
                    <${FieldError} error=${rowError(`m:${m}`)} id=${`setup-metric-error-${i}`} field=${field} />
                    ${((rowError(`m:${m}`) && error.overridable) || overrides.has(m)) && html`
                      <label class="check override-check">
                        <input type="checkbox" data-testid="setup-override" id=${`setup-override-${i}`}
                               checked=${overrides.has(m)}
                               onChange=${(e) => { setOverride(m, e.currentTarget.checked); setConfirming(false); }} />
                        ${t('mappings.save_anyway')}</label>
                      <small class="help">${t('mappings.save_anyway_help')}</small>`}
                  </td>
                </tr>`;
            })}
          </tbody>
        </table>
      </div>
      <label class="check">
        <input type="checkbox" id="setup-import" checked=${importDay}
               onChange=${(e) => setImportDay(e.currentTarget.checked)} />
        ${t('setup.import_day', { day: formatDate(lang, day) })}</label>
      <${ErrorBox} error=${rest} testid="setup-error" />
      ${!confirming && html`
        <div class="actions">
          <button type="button" class="btn btn-primary" id="setup-create"
                  disabled=${busy || !catalog || picked.length === 0 || chosen.length === 0
                    || (shape === 'one' && target === 'new' && !oneRow.identifier.trim())}
                  onClick=${() => { setConfirming(true); setDone(null); }}>
            ${t('setup.create', { queues: nQueues, mappings: nMappings })}</button>
        </div>`}
      ${confirming && html`
        <div class="confirm-box" role="alertdialog" data-testid="setup-confirm">
          <p>${t('setup.confirm_text', { queues: nQueues, mappings: nMappings })}${importDay ? ` ${t('setup.confirm_import', { day: formatDate(lang, day) })}` : ''}</p>
          <ul class="muted" data-testid="setup-summary">
            ${(shape === 'each' ? picked.map((q) => [rowOf(q).identifier, [q.ext_queue]])
              : [[target === 'new' ? oneRow.identifier : (queues.find((q) => String(q.id) === target) || {}).identifier,
                picked.map((q) => q.ext_queue)]])
              .map(([id, ext]) => html`<li><code>${id}</code> ← ${ext.join(', ')}: ${chosen.map((r) => types[r.key]).join(', ')}</li>`)}
          </ul>
          <div class="actions">
            <button type="button" class="btn btn-primary" id="setup-confirm" disabled=${busy}
                    onClick=${create}>${busy ? t('setup.creating') : t('setup.confirm')}</button>
            <button type="button" class="btn" id="setup-cancel" disabled=${busy}
                    onClick=${() => setConfirming(false)}>${t('common.cancel')}</button>
          </div>
        </div>`}
      ${done && html`
        <div class="notice" role="status" data-testid="setup-done">
          ${t('setup.done', { queues: done.made.queues.length, mappings: done.made.mappings.length, results: done.made.results })}
          ${done.run && html` ${t('setup.done_run', { id: done.run.id })}`}
          ${done.made.mappings.some((m) => (m.warnings || []).length > 0) && html`
            <span data-testid="setup-warnings">${' '}${t('setup.warnings', {
              n: done.made.mappings.reduce((a, m) => a + (m.warnings || []).length, 0) })}</span>`}
          ${' '}<a href=${`#/mappings/${done.made.queues[0].id}`} id="setup-open-mappings">${t('setup.open_mappings')}</a>
          ${' · '}<a href=${`#/results/${done.made.queues[0].id}`} id="setup-open-results">${t('setup.open_results')}</a>
        </div>`}
    </div>`;
}
