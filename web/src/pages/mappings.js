// Mappings: which external queues and metrics (p1 .. pn) make a WFM queue's value type, with an
// optional formula. Pick a queue, see its mappings, create, edit and delete them; the panel of
// unmapped external queues (what the sources delivered and no mapping uses) opens a prefilled
// mapping with "Map", or adds the queue to the mapping being edited.
//
// The chosen queue lives in the address ("#/mappings/3"). Errors that name an input
// ("inputs[1].ext_queue: ...") are shown at that input's field; "formula: ..." at the formula.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { messageText, useI18n, valueTypeName } from '../i18n/index.js';
import {
  ConfirmButton, ErrorBox, FieldError, ListSearch, LoadMore, Notice, ReadOnlyNote, Time, canChange,
  fieldErrors, loadAll, useRouteParam, useScrollToError,
} from '../components.js';
import { discoveredOf } from '../discovered.js';
import { MappingsCopy } from './mappings_copy.js';
import {
  MappingMatches, UnknownInputsPanel, readSearch, searchIndex, searchMappings, writeSearch,
} from './mappings_search.js';

export const MAX_INPUTS = 32;
const UNMAPPED_PAGE = 100;

let rowCounter = 0;
const rowId = () => {
  rowCounter += 1;
  return rowCounter;
};
let requestCounter = 0;

export function emptyInput(changes = {}) {
  return { id: rowId(), source_id: '', ext_queue: '', metric: '', ...changes };
}

/** Rows that say anything: a row without queue and metric is left out. */
export function filledInputs(rows) {
  return rows.filter((r) => r.ext_queue.trim() || r.metric.trim());
}

/** The inputs as the API wants them (schema MappingInput). */
export function inputsBody(rows) {
  return filledInputs(rows).map((r) => ({
    source_id: Number(r.source_id) || 0,
    ext_queue: r.ext_queue.trim(),
    metric: r.metric.trim(),
  }));
}

/**
 * Where an API error about `field` is shown: "value_type", "formula", "inputs" (the list), or
 * "input-<row id>" / "input-<row id>.<member>" for one input; '' for the form as a whole.
 */
export function resolveMappingField(field, rows) {
  if (field === 'value_type' || field === 'formula' || field === 'inputs') {
    return field;
  }
  const match = /^inputs\[(\d+)\](?:\.(source_id|ext_queue|metric))?$/.exec(field);
  if (match) {
    const row = filledInputs(rows)[Number(match[1])];
    if (!row) {
      return 'inputs';
    }
    return match[2] ? `input-${row.id}.${match[2]}` : `input-${row.id}`;
  }
  return '';
}

/** The metric a new input gets for a value type: the same name when the queue delivers it. */
export function guessMetric(metrics, valueTypeKey) {
  if (valueTypeKey && metrics.includes(valueTypeKey)) {
    return valueTypeKey;
  }
  return metrics.length === 1 ? metrics[0] : '';
}

/** What a mapping without formula computes: "default: sum" or "default: weighted by ...". */
export function defaultText(t, valueType, valueTypes) {
  if (!valueType || valueType.combine !== 'weighted') {
    return t('mappings.default_sum');
  }
  const weight = valueTypes.find((v) => v.key === valueType.weight_key);
  return t('mappings.default_weighted', { name: weight ? weight.name : valueType.weight_key });
}

/** The help under the value type: what the mapping computes when it has no formula. */
function defaultHelp(t, valueType, valueTypes) {
  if (!valueType) {
    return t('mappings.value_type_help');
  }
  if (valueType.combine !== 'weighted') {
    return t('mappings.help_sum');
  }
  const weight = valueTypes.find((v) => v.key === valueType.weight_key);
  return t('mappings.help_weighted', { name: weight ? weight.name : valueType.weight_key });
}

const sameInputs = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const uniqueSorted = (list) => [...new Set(list.filter(Boolean))].sort((a, b) => a.localeCompare(b));

/** A mapping warning in the console's language: which input names what its source never delivered. */
export function warningText(t, mapping, w) {
  const m = /^inputs\[(\d+)\]\./.exec(w.field);
  const input = m ? mapping.inputs[Number(m[1])] : null;
  const params = {
    input: input ? input.name : w.field,
    name: input ? (w.code === 'unknown_ext_queue' ? input.ext_queue : input.metric) : '',
    source: input ? input.source : '',
  };
  const text = t(w.code === 'unknown_ext_queue' ? 'mappings.unknown_ext_queue' : 'mappings.unknown_metric', params);
  return w.suggestion ? `${text} ${t('mappings.did_you_mean', { name: w.suggestion })}` : text;
}

/** Metric names a source defines in its settings (interval layout: metrics and derived fields). */
function sourceMetrics(source) {
  const s = (source && source.settings) || {};
  return [...Object.keys(s.metrics || {}), ...(s.derived || []).map((d) => d.name)];
}

function ValueTypeLabel({ type, vkey }) {
  const { t } = useI18n();
  if (!type) {
    return html`<code>${vkey}</code>`;
  }
  return html`<span class="cell-name">${valueTypeName(t, type)}</span> <code class="muted">${type.key}</code>`;
}

function MappingForm({
  mode, mapping, queue, valueTypes, sources, mappings, unmapped, mapRequest, onRows, onCancel, onSaved,
  extQueues = [],
}) {
  const { t } = useI18n();
  const editing = mode === 'edit';
  const [valueType, setValueType] = useState(() => {
    if (editing) {
      return mapping.value_type;
    }
    return (mapRequest && mapRequest.valueType) || '';
  });
  const [rows, setRows] = useState(() => {
    if (editing) {
      return mapping.inputs.map((i) => emptyInput({
        source_id: String(i.source_id), ext_queue: i.ext_queue, metric: i.metric,
      }));
    }
    return [emptyInput(mapRequest ? mapRequest.input : {})];
  });
  const [formula, setFormula] = useState(editing ? mapping.formula || '' : '');
  // "save anyway": offered when the API refuses a form that contradicts the value type
  const [override, setOverride] = useState(editing ? Boolean(mapping.override) : false);
  const [offerOverride, setOfferOverride] = useState(editing && Boolean(mapping.override));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ref = useRef(null);
  useScrollToError(ref, error);
  const seenRequest = useRef(mapRequest ? mapRequest.seq : 0);

  useEffect(() => {
    if (ref.current && typeof ref.current.scrollIntoView === 'function') {
      ref.current.scrollIntoView({ block: 'start' });
    }
  }, []);

  // "Map" on an unmapped queue while the form is open: one more input (an empty row is reused)
  useEffect(() => {
    if (!mapRequest || mapRequest.seq === seenRequest.current) {
      return;
    }
    seenRequest.current = mapRequest.seq;
    const input = { ...mapRequest.input };
    const known = unmapped.find((u) => String(u.source_id) === input.source_id
      && u.ext_queue === input.ext_queue);
    if (valueType && known) {
      input.metric = guessMetric(known.metrics, valueType);
    }
    setRows((old) => {
      if (old.some((r) => r.source_id === input.source_id && r.ext_queue.trim() === input.ext_queue)) {
        return old;
      }
      const blank = old.findIndex((r) => !r.ext_queue.trim() && !r.metric.trim());
      if (blank >= 0) {
        return old.map((r, i) => (i === blank ? { ...r, ...input } : r));
      }
      return old.length >= MAX_INPUTS ? old : [...old, emptyInput(input)];
    });
    if (!valueType && mapRequest.valueType) {
      setValueType(mapRequest.valueType);
    }
  }, [mapRequest]);

  // the page's Map buttons know which queues the form holds already
  useEffect(() => {
    onRows(rows);
  }, [rows]);

  const type = valueTypes.find((v) => v.key === valueType);
  const used = new Set(mappings.filter((m) => !editing || m.id !== mapping.id).map((m) => m.value_type));
  const fe = fieldErrors(error, (f) => resolveMappingField(f, rows), 'value_type');
  const invalid = (slot) => (fe.at(slot) ? 'true' : undefined);

  // suggestions: what the sources delivered (unmapped list) and what mappings use already
  const knownInputs = [
    ...mappings.flatMap((m) => m.inputs),
    ...(editing ? mapping.inputs : []),
  ];
  const queueOptions = (sourceId) => {
    const list = new Map();
    for (const u of unmapped) {
      if (String(u.source_id) === sourceId) {
        list.set(u.ext_queue, u.name || '');
      }
    }
    // every external queue staged or discovered, mapped or not
    for (const e of [...extQueues.filter((x) => String(x.source_id) === sourceId),
      ...(sourceId ? discoveredOf(sourceId).queues : [])]) {
      if (!list.get(e.ext_queue)) {
        list.set(e.ext_queue, e.name || '');
      }
    }
    for (const i of knownInputs) {
      if (String(i.source_id) === sourceId && !list.has(i.ext_queue)) {
        list.set(i.ext_queue, '');
      }
    }
    return [...list.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  };
  const metricOptions = (row) => {
    const sid = row.source_id;
    const exact = unmapped.filter((u) => String(u.source_id) === sid && u.ext_queue === row.ext_queue.trim());
    const fromUnmapped = (exact.length ? exact : unmapped.filter((u) => String(u.source_id) === sid))
      .flatMap((u) => u.metrics);
    const source = sources.find((s) => String(s.id) === sid);
    const fromInputs = knownInputs.filter((i) => String(i.source_id) === sid).map((i) => i.metric);
    return uniqueSorted([...fromUnmapped, ...sourceMetrics(source), ...fromInputs]);
  };

  const setRow = (id, changes) => setRows((old) => old.map((r) => (r.id === id ? { ...r, ...changes } : r)));
  const removeRow = (id) => setRows((old) => old.filter((r) => r.id !== id));
  const addRow = () => setRows((old) => [...old, emptyInput({
    source_id: old.length ? old[old.length - 1].source_id : (sources[0] ? String(sources[0].id) : ''),
  })]);

  const pickValueType = (key) => {
    // inputs whose metric followed the old type follow the new one
    setRows((old) => old.map((r) => {
      if (r.metric && r.metric !== valueType) {
        return r;
      }
      const known = unmapped.find((u) => String(u.source_id) === r.source_id && u.ext_queue === r.ext_queue.trim());
      return known ? { ...r, metric: guessMetric(known.metrics, key) } : r;
    }));
    setValueType(key);
  };

  const submit = async (event) => {
    event.preventDefault();
    const inputs = inputsBody(rows);
    const text = formula.trim() ? formula.trim() : null;
    let body;
    if (!editing) {
      body = { queue_id: queue.id, value_type: valueType, inputs, formula: text };
      if (override) {
        body.override = true;
      }
    } else {
      body = {};
      const before = mapping.inputs.map((i) => ({ source_id: i.source_id, ext_queue: i.ext_queue, metric: i.metric }));
      if (!sameInputs(inputs, before)) {
        body.inputs = inputs;
      }
      if (text !== (mapping.formula || null)) {
        body.formula = text;
      }
      if (override !== Boolean(mapping.override)) {
        body.override = override;
      }
      if (Object.keys(body).length === 0) {
        onSaved(mapping, 'unchanged');
        return;
      }
    }
    setBusy(true);
    setError(null);
    try {
      const saved = editing
        ? await api.patch(`/mappings/${mapping.id}`, body)
        : await api.post('/mappings', body);
      onSaved(saved, editing ? 'saved' : 'created');
    } catch (err) {
      setError(err);
      if (err.overridable) {
        setOfferOverride(true);
      }
    } finally {
      setBusy(false);
    }
  };

  const filled = filledInputs(rows);
  const names = filled.length > 1 ? `p1 … p${filled.length}` : 'p1';

  return html`
    <form class="card mapping-form" id="mapping-form" data-mode=${mode} ref=${ref}
          onSubmit=${submit} novalidate>
      <h2>${editing
        ? t('mappings.edit_title', { name: type ? valueTypeName(t, type) : valueType, queue: queue.identifier })
        : t('mappings.create_title', { queue: queue.identifier })}</h2>
      <fieldset class="plain-fieldset" disabled=${busy}>
        <div class="section-grid">
          <div class="field" data-slot="value_type">
            <label for="mapping-value-type">${t('mappings.value_type')}</label>
            ${editing
              ? html`<div class="static-value" id="mapping-value-type" data-value=${valueType}>
                  <${ValueTypeLabel} type=${type} vkey=${valueType} /></div>`
              : html`
                <select id="mapping-value-type" value=${valueType}
                        aria-invalid=${invalid('value_type')}
                        onChange=${(e) => pickValueType(e.currentTarget.value)}>
                  <option value="">${t('mappings.choose_value_type')}</option>
                  ${valueTypes.map((v) => html`
                    <option value=${v.key} disabled=${used.has(v.key)}>
                      ${used.has(v.key) ? t('mappings.value_type_used', { name: valueTypeName(t, v) }) : valueTypeName(t, v)}</option>`)}
                </select>`}
            <small class="help" data-testid="mapping-default">${defaultHelp(t, type, valueTypes)}</small>
            <${FieldError} error=${fe.at('value_type')} id="mapping-value-type-error" field="value_type" />
          </div>
        </div>

        <fieldset class="form-section" data-testid="mapping-inputs-section">
          <legend>${t('mappings.inputs')}</legend>
          <p class="help section-help">${t('mappings.inputs_help')}</p>
          <div class="list-editor list-inputs" id="mapping-inputs" data-slot="inputs">
            <div class="list-row list-head" aria-hidden="true">
              <span></span><span>${t('mappings.source')}</span>
              <span>${t('mappings.ext_queue')}</span><span>${t('mappings.metric')}</span><span></span>
            </div>
            ${rows.map((row, i) => {
              const slot = `input-${row.id}`;
              const k = filled.indexOf(row);
              const member = ['source_id', 'ext_queue', 'metric'].find((m) => fe.at(`${slot}.${m}`));
              const rowError = fe.at(slot) || (member ? fe.at(`${slot}.${member}`) : null);
              const errorField = member ? `inputs[${k}].${member}` : `inputs[${k}]`;
              const n = k >= 0 ? k + 1 : i + 1;
              return html`
                <div class="list-item" key=${row.id} data-testid="mapping-input">
                  <div class="list-row">
                    <code class="input-name" data-testid="mapping-input-name">p${n}</code>
                    <select id=${`mapping-input-source-${i}`} data-testid="mapping-input-source"
                            value=${row.source_id} aria-label=${t('mappings.source_n', { n })}
                            aria-invalid=${invalid(`${slot}.source_id`) || invalid(slot)}
                            onChange=${(e) => setRow(row.id, { source_id: e.currentTarget.value })}>
                      <option value="">${t('mappings.choose_source')}</option>
                      ${sources.map((s) => html`
                        <option value=${String(s.id)}>${s.interval_minutes === queue.interval_minutes
                          ? s.name : t('mappings.source_interval', { name: s.name, n: s.interval_minutes })}</option>`)}
                    </select>
                    <input type="text" id=${`mapping-input-queue-${i}`} data-testid="mapping-input-queue"
                           class="mono" autocomplete="off" spellcheck="false" maxlength="128"
                           list=${`mapping-input-queue-${i}-list`} value=${row.ext_queue}
                           aria-label=${t('mappings.ext_queue_n', { n })}
                           aria-invalid=${invalid(`${slot}.ext_queue`) || invalid(slot)}
                           onInput=${(e) => setRow(row.id, { ext_queue: e.currentTarget.value })} />
                    <datalist id=${`mapping-input-queue-${i}-list`}>
                      ${queueOptions(row.source_id).map(([q, name]) => html`
                        <option value=${q}>${name}</option>`)}
                    </datalist>
                    <input type="text" id=${`mapping-input-metric-${i}`} data-testid="mapping-input-metric"
                           class="mono" autocomplete="off" spellcheck="false" maxlength="64"
                           list=${`mapping-input-metric-${i}-list`} value=${row.metric}
                           aria-label=${t('mappings.metric_n', { n })}
                           aria-invalid=${invalid(`${slot}.metric`) || invalid(slot)}
                           onInput=${(e) => setRow(row.id, { metric: e.currentTarget.value })} />
                    <datalist id=${`mapping-input-metric-${i}-list`}>
                      ${metricOptions(row).map((m) => html`<option value=${m} />`)}
                    </datalist>
                    <button type="button" class="btn btn-small" data-testid="mapping-input-remove"
                            disabled=${rows.length <= 1}
                            aria-label=${t('mappings.remove_n', { n })}
                            onClick=${() => removeRow(row.id)}>${t('mappings.remove')}</button>
                  </div>
                  <${FieldError} error=${rowError} id=${`mapping-input-error-${i}`} field=${errorField} />
                </div>`;
            })}
            <${FieldError} error=${fe.at('inputs')} id="mapping-inputs-error" field="inputs" />
            <div class="actions">
              <button type="button" class="btn btn-small" id="mapping-input-add"
                      disabled=${rows.length >= MAX_INPUTS} onClick=${addRow}>
                ${t('mappings.add_input')}</button>
            </div>
          </div>
        </fieldset>

        <div class="field field-formula" data-slot="formula">
          <label for="mapping-formula">${t('mappings.formula')}</label>
          <input type="text" id="mapping-formula" class="mono" autocomplete="off" spellcheck="false"
                 maxlength="4095" value=${formula} placeholder=${defaultText(t, type, valueTypes)}
                 aria-invalid=${invalid('formula')} aria-describedby="mapping-formula-help"
                 onInput=${(e) => setFormula(e.currentTarget.value)} />
          <div class="help formula-help" id="mapping-formula-help" data-testid="formula-help">
            <p>${t('mappings.formula_help', { names })}</p>
            <p>${t('mappings.formula_help_functions')}${' '}<code>iif(p2 > 0, p1 / p2, 0)</code>,${' '}
              <code>round(100.0 * p2 / p1, 1)</code>,${' '}<code>min(p1, p2)</code>,${' '}
              <code>max(p1, p2)</code>.</p>
            <p>${t('mappings.formula_help_zero')}</p>
          </div>
          <${FieldError} error=${fe.at('formula')} id="mapping-formula-error" field="formula" />
        </div>
      </fieldset>
      <${ErrorBox} error=${fe.rest} id="mapping-form-error" />
      ${offerOverride && html`
        <div class="override-box" data-testid="mapping-override-box">
          <label class="check">
            <input type="checkbox" id="mapping-override" checked=${override}
                   onChange=${(e) => setOverride(e.currentTarget.checked)} />
            ${t('mappings.save_anyway')}</label>
          <small class="help">${t('mappings.save_anyway_help')}</small>
        </div>`}
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="mapping-submit"
                disabled=${busy || !valueType || filled.length === 0}>
          ${editing ? t('common.save') : t('mappings.create_submit')}</button>
        <button type="button" class="btn" id="mapping-cancel" onClick=${onCancel}>
          ${t('common.cancel')}</button>
      </div>
    </form>`;
}

/** Why a mapping's last computation failed, worded from its code when it has one. */
function recomputeError(t, mapping, lang) {
  return messageText(t, {
    code: mapping.recompute_error_code, params: mapping.recompute_error_params, message: mapping.recompute_error,
  }, lang);
}

function MappingRow({ mapping, valueTypes, editable, editingThis, onEdit, onDeleted }) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const type = valueTypes.find((v) => v.key === mapping.value_type);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.del(`/mappings/${mapping.id}`);
      onDeleted(mapping);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const columns = editable ? 5 : 4;
  return html`
    <tr data-testid="mapping-row" data-id=${mapping.id} data-value-type=${mapping.value_type}
        class=${editingThis ? 'row-selected' : ''}>
      <td data-label=${t('mappings.value_type')} data-testid="mapping-value-type">
        <${ValueTypeLabel} type=${type} vkey=${mapping.value_type} /></td>
      <td data-label=${t('mappings.inputs')}>
        <ol class="input-list" data-testid="mapping-inputs">
          ${mapping.inputs.map((i) => html`
            <li data-testid="mapping-input-item" data-name=${i.name}>
              <code class="input-name">${i.name}</code>
              <span class="input-source">${i.source}</span>
              <span class="sep" aria-hidden="true">·</span>
              <code data-testid="mapping-input-ext">${i.ext_queue}</code>
              <span class="sep" aria-hidden="true">·</span>
              <code data-testid="mapping-input-metric">${i.metric}</code>
            </li>`)}
        </ol>
        ${(mapping.warnings || []).length > 0 && html`
          <ul class="input-warnings" data-testid="mapping-warnings">
            ${mapping.warnings.map((w) => html`
              <li class="tag tag-pending" data-testid="mapping-warning" data-code=${w.code}>
                ${warningText(t, mapping, w)}</li>`)}
          </ul>`}
      </td>
      <td data-label=${t('mappings.formula')} data-testid="mapping-formula">
        ${mapping.formula
          ? html`<code class="formula">${mapping.formula}</code>`
          : html`<span class="muted">${defaultText(t, type, valueTypes)}</span>`}
        ${mapping.override && html`
          <span class="tag tag-pending" data-testid="mapping-override"
                title=${t('mappings.override_help')}>${t('mappings.override')}</span>`}</td>
      <td data-label=${t('mappings.updated')}><${Time} value=${mapping.updated_at} />
        ${mapping.pending_recompute && html`
          <span class="tag tag-pending" data-testid="mapping-pending"
                title=${mapping.recompute_error ? recomputeError(t, mapping, lang) : t('mappings.pending_help')}>
            ${mapping.recompute_error ? t('mappings.pending_failed') : t('mappings.pending')}</span>`}</td>
      ${editable && html`
        <td class="cell-actions"><div class="row-actions">
          <button type="button" class="btn btn-small" disabled=${busy} data-testid="mapping-edit"
                  onClick=${() => onEdit(mapping)}>${t('common.edit')}</button>
          <${ConfirmButton} label=${t('common.delete')} disabled=${busy}
                            question=${t('mappings.delete_question', { name: type ? valueTypeName(t, type) : mapping.value_type })}
                            testid="mapping-delete" onConfirm=${remove} />
        </div></td>`}
    </tr>
    ${error && html`
      <tr class="row-message"><td colspan=${columns}>
        <${ErrorBox} error=${error} testid="mapping-row-error" />
      </td></tr>`}`;
}

function UnmappedPanel({ items, cursor, loading, error, onMore, canMap, inForm, onMap, imported }) {
  const { t } = useI18n();
  const columns = canMap ? 6 : 5;
  return html`
    <div class="card" id="unmapped-panel" data-testid="unmapped-panel">
      <h2>${t('mappings.unmapped_title')}</h2>
      <p class="muted">${t('mappings.unmapped_intro')}${canMap && ` ${t('mappings.unmapped_map_help')}`}</p>
      <${ErrorBox} error=${error} id="unmapped-error" />
      <div class="table-wrap">
        <table class="table table-stack" id="unmapped-table">
          <thead>
            <tr>
              <th scope="col">${t('mappings.source')}</th>
              <th scope="col">${t('mappings.ext_queue')}</th>
              <th scope="col">${t('mappings.ext_name')}</th>
              <th scope="col">${t('mappings.metrics')}</th>
              <th scope="col">${t('mappings.last_seen')}</th>
              ${canMap && html`<th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
            </tr>
          </thead>
          <tbody>
            ${items.map((u) => {
              const added = inForm(u);
              return html`
                <tr data-testid="unmapped-row" data-ext-queue=${u.ext_queue} data-source-id=${u.source_id}
                    key=${`${u.source_id}/${u.ext_queue}`}>
                  <td data-label=${t('mappings.source')}>${u.source}</td>
                  <td data-label=${t('mappings.ext_queue')}><code class="cell-name">${u.ext_queue}</code></td>
                  <td data-label=${t('mappings.ext_name')}>${u.name || html`<span class="muted">–</span>`}</td>
                  <td data-label=${t('mappings.metrics')}>
                    <span class="tags">${u.metrics.map((m) => html`<span class="tag mono">${m}</span>`)}</span></td>
                  <td data-label=${t('mappings.last_seen')}><${Time} value=${u.last_seen} /></td>
                  ${canMap && html`
                    <td class="cell-actions"><div class="row-actions">
                      <button type="button" class="btn btn-small" data-testid="unmapped-map"
                              disabled=${added} onClick=${() => onMap(u)}>
                        ${added ? t('mappings.map_added') : t('mappings.map')}</button>
                    </div></td>`}
                </tr>`;
            })}
            ${!loading && !error && items.length === 0 && html`
              <tr><td colspan=${columns} class="empty" data-testid="unmapped-empty"
                      data-imported=${imported ? 'true' : 'false'}>
                ${imported ? t('mappings.unmapped_empty') : t('mappings.unmapped_nothing_imported')}</td></tr>`}
          </tbody>
        </table>
      </div>
      ${loading && items.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
      <${LoadMore} id="unmapped-more" cursor=${cursor} loading=${loading} onClick=${onMore} />
    </div>`;
}

export function MappingsPage({ session }) {
  const { t, lang } = useI18n();
  const editable = canChange(session);
  const [queueParam, setQueueParam] = useRouteParam('mappings');
  const [catalog, setCatalog] = useState(null); // {queues, valueTypes, sources}
  const [catalogError, setCatalogError] = useState(null);
  const [mappings, setMappings] = useState([]);
  const [mapLoading, setMapLoading] = useState(false);
  const [mapError, setMapError] = useState(null);
  const [unmapped, setUnmapped] = useState([]);
  const [unCursor, setUnCursor] = useState(null);
  const [unLoading, setUnLoading] = useState(true);
  const [unError, setUnError] = useState(null);
  const [imported, setImported] = useState(true);
  const [form, setForm] = useState(null); // {mode, mapping, key}
  const [mapRequest, setMapRequest] = useState(null); // {seq, input, valueType}
  const [formInputs, setFormInputs] = useState([]);
  const [notice, setNotice] = useState('');
  const [extQueues, setExtQueues] = useState([]); // staged external queues, for suggestions
  const [copying, setCopying] = useState(false);
  const [allMappings, setAllMappings] = useState([]); // every queue's, for the search and the unknown inputs
  const [query, setQuery] = useState(readSearch);
  const loadSeq = useRef(0);
  const allSeq = useRef(0);
  const pendingEdit = useRef(0); // a mapping to open once its queue's list is loaded

  const queues = catalog ? catalog.queues : [];
  const valueTypes = catalog ? catalog.valueTypes : [];
  const sources = catalog ? catalog.sources : [];
  const queue = queues.find((q) => String(q.id) === queueParam) || null;

  const loadUnmapped = async (fromCursor) => {
    setUnLoading(true);
    setUnError(null);
    try {
      const [data, done] = await Promise.all([
        api.get('/unmapped-queues', { limit: UNMAPPED_PAGE, cursor: fromCursor || undefined }),
        // "every external queue is mapped" is only news once a run has imported something
        fromCursor ? null : api.get('/runs', { state: 'done', limit: 1 }),
      ]);
      if (done) {
        setImported(done.items.length > 0);
      }
      setUnmapped((old) => (fromCursor ? old.concat(data.items) : data.items));
      setUnCursor(data.next_cursor || null);
    } catch (err) {
      setUnError(err);
    } finally {
      setUnLoading(false);
    }
  };

  const loadMappings = async (queueId) => {
    const seq = ++loadSeq.current;
    setMapLoading(true);
    setMapError(null);
    try {
      const items = await loadAll('/mappings', { queue_id: queueId });
      if (seq === loadSeq.current) {
        setMappings(items);
        const wanted = items.find((m) => m.id === pendingEdit.current);
        pendingEdit.current = 0;
        if (wanted && editable) {
          openForm('edit', wanted, null);
        }
      }
    } catch (err) {
      if (seq === loadSeq.current) {
        setMapError(err);
      }
    } finally {
      if (seq === loadSeq.current) {
        setMapLoading(false);
      }
    }
  };

  const loadAllMappings = async () => {
    const seq = ++allSeq.current;
    try {
      const items = await loadAll('/mappings');
      if (seq === allSeq.current) {
        setAllMappings(items);
      }
    } catch {
      // the page's own list shows the error
    }
  };

  useEffect(() => {
    loadAllMappings();
    Promise.all([loadAll('/queues'), loadAll('/value-types'), loadAll('/sources')])
      .then(([q, v, s]) => setCatalog({ queues: q, valueTypes: v, sources: s }))
      .catch(setCatalogError);
    loadUnmapped(null);
    loadAll('/ext-queues').then(setExtQueues).catch(() => setExtQueues([]));
  }, []);

  // the search text stays in the address, also when the queue changes
  useEffect(() => {
    writeSearch(query.trim() ? query : '');
  }, [query, queueParam]);

  const index = useMemo(() => searchIndex(t, allMappings, queues, valueTypes), [allMappings, queues, valueTypes, lang]);
  const searching = query.trim() !== '';
  const matches = useMemo(() => (searching ? searchMappings(index, query) : []), [index, query]);

  // "Open" on a match or an unknown input: its queue, with its mapping in the edit form
  const openMapping = (m) => {
    setQuery('');
    setNotice('');
    if (queue && queue.id === m.queue.id) {
      const mine = mappings.find((x) => x.id === m.id);
      if (mine && editable) {
        openForm('edit', mine, null);
      }
      return;
    }
    pendingEdit.current = m.id;
    setQueueParam(m.queue.id, false);
  };

  // no queue in the address (or an unknown one): the first queue
  useEffect(() => {
    if (catalog && !queue && queues.length > 0) {
      setQueueParam(queues[0].id, true);
    }
  }, [catalog, queueParam]);

  useEffect(() => {
    setForm(null);
    setCopying(false);
    setMappings([]);
    if (queue) {
      loadMappings(queue.id);
    }
  }, [queue ? queue.id : 0]);

  const openForm = (mode, mapping, request) => {
    setNotice('');
    setMapRequest(request || null);
    setForm({ mode, mapping, key: `${mode}-${mapping ? mapping.id : 'new'}-${Date.now()}` });
  };

  const unusedTypes = valueTypes.filter((v) => !mappings.some((m) => m.value_type === v.key));

  const onMap = (entry) => {
    const input = { source_id: String(entry.source_id), ext_queue: entry.ext_queue, metric: '' };
    const guess = unusedTypes.find((v) => entry.metrics.includes(v.key));
    requestCounter += 1;
    const request = { seq: requestCounter, input, valueType: guess ? guess.key : '' };
    if (guess) {
      input.metric = guess.key;
    } else {
      input.metric = guessMetric(entry.metrics, '');
    }
    if (form) {
      setMapRequest(request); // the open form adds it as one more input
    } else {
      openForm('create', null, request);
    }
  };

  const onSaved = (mapping, how) => {
    setForm(null);
    setFormInputs([]);
    const type = valueTypes.find((v) => v.key === mapping.value_type);
    const name = type ? valueTypeName(t, type) : mapping.value_type;
    if (how === 'unchanged') {
      setNotice(t('mappings.unchanged_notice', { name }));
      return;
    }
    setNotice(how === 'created' ? t('mappings.created_notice', { name, queue: mapping.queue.identifier })
      : t('mappings.saved_notice', { name, queue: mapping.queue.identifier }));
    loadMappings(mapping.queue.id);
    loadUnmapped(null);
    loadAllMappings();
  };

  const onCopied = (made) => {
    setCopying(false);
    loadAllMappings();
    setNotice(t('copy.done', { mappings: made.mappings.length, queues: made.queues.map((q) => q.identifier).join(', '),
      results: made.results }));
    loadUnmapped(null);
    loadAll('/ext-queues').then(setExtQueues).catch(() => {});
  };

  const onDeleted = (mapping) => {
    setMappings((old) => old.filter((m) => m.id !== mapping.id));
    if (form && form.mapping && form.mapping.id === mapping.id) {
      setForm(null);
    }
    const type = valueTypes.find((v) => v.key === mapping.value_type);
    setNotice(t('mappings.deleted_notice', { name: type ? valueTypeName(t, type) : mapping.value_type }));
    loadUnmapped(null);
    setAllMappings((old) => old.filter((m) => m.id !== mapping.id));
  };

  // the Map buttons know which unmapped queues the open form holds already
  const inForm = (entry) => Boolean(form) && formInputs.some((r) => r.source_id === String(entry.source_id)
    && r.ext_queue.trim() === entry.ext_queue);
  const columns = editable ? 5 : 4;

  return html`
    <section class="page" data-testid="mappings-page">
      <div class="page-head">
        <h1>${t('mappings.title')}</h1>
        ${queue && html`
          <a class="btn" id="mapping-results-link" href=${`#/results/${queue.id}`}>
            ${t('mappings.show_results')}</a>`}
      </div>
      <p class="muted">${t('mappings.intro')}</p>
      ${!editable && html`<${ReadOnlyNote} />`}
      <${ErrorBox} error=${catalogError} id="mappings-catalog-error" />
      <div class="card queue-picker">
        <div class="field">
          <label for="mapping-queue">${t('mappings.queue')}</label>
          <select id="mapping-queue" value=${queue ? String(queue.id) : ''}
                  disabled=${queues.length === 0}
                  onChange=${(e) => setQueueParam(e.currentTarget.value, true)}>
            ${queues.length === 0 && html`<option value="">${catalog ? t('mappings.no_queues') : t('common.loading')}</option>`}
            ${queues.map((q) => html`<option value=${String(q.id)}>${q.identifier} – ${q.name}</option>`)}
          </select>
        </div>
        ${queue && html`
          <p class="queue-facts muted" data-testid="mapping-queue-facts">
            ${[t(`queues.channel.${queue.channel}`), t('common.minutes', { n: queue.interval_minutes }),
              queue.time_zone].join(' · ')}</p>`}
        ${catalog && queues.length === 0 && html`
          <p class="muted">${t('mappings.no_queues_help')} <a href="#/queues">${t('nav.queues')}</a></p>`}
      </div>
      <${Notice} text=${notice} testid="mappings-notice" />
      ${form && queue && html`
        <${MappingForm} key=${form.key} mode=${form.mode} mapping=${form.mapping} queue=${queue}
                        valueTypes=${valueTypes} sources=${sources} mappings=${mappings}
                        unmapped=${unmapped} mapRequest=${mapRequest} onRows=${setFormInputs}
                        extQueues=${extQueues}
                        onCancel=${() => { setForm(null); setFormInputs([]); }} onSaved=${onSaved} />`}
      ${copying && queue && html`
        <${MappingsCopy} queue=${queue} mappings=${mappings} queues=${queues} extQueues=${extQueues}
                         onCancel=${() => setCopying(false)} onDone=${onCopied} />`}
      ${(queue || searching) && html`
        <div class="card" data-testid="mappings-list-card">
          ${(allMappings.length > 0 || searching) && html`
            <${ListSearch} id="mappings-search" value=${query} onInput=${setQuery} shown=${matches.length}
                           total=${allMappings.length} placeholder=${t('mappings.search_placeholder')}
                           idle=${t('mappings.search_total', { n: allMappings.length })} />`}
          ${searching && html`
            <h2>${t('mappings.search_title', { q: query.trim() })}</h2>
            <${MappingMatches} matches=${matches} valueTypes=${valueTypes} onOpen=${openMapping} />`}
          ${!searching && html`
          <div class="card-head">
            <h2>${t('mappings.list_title', { queue: queue.identifier })}</h2>
            ${editable && !form && html`<div class="row-actions">
              ${mappings.length > 0 && !copying && html`
                <button type="button" class="btn" id="mapping-copy"
                        onClick=${() => { setNotice(''); setCopying(true); }}>${t('copy.open')}</button>`}
              <button type="button" class="btn btn-primary" id="mapping-new"
                      onClick=${() => openForm('create', null, null)}>${t('mappings.new')}</button></div>`}
          </div>
          <${ErrorBox} error=${mapError} id="mappings-error" />
          <div class="table-wrap">
            <table class="table table-stack" id="mappings-table">
              <thead>
                <tr>
                  <th scope="col">${t('mappings.value_type')}</th>
                  <th scope="col">${t('mappings.inputs')}</th>
                  <th scope="col">${t('mappings.formula')}</th>
                  <th scope="col">${t('mappings.updated')}</th>
                  ${editable && html`
                    <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>`}
                </tr>
              </thead>
              <tbody>
                ${mappings.map((m) => html`
                  <${MappingRow} key=${m.id} mapping=${m} valueTypes=${valueTypes} editable=${editable}
                                 editingThis=${Boolean(form && form.mapping && form.mapping.id === m.id)}
                                 onEdit=${(mapping) => openForm('edit', mapping, null)}
                                 onDeleted=${onDeleted} />`)}
                ${!mapLoading && !mapError && mappings.length === 0 && html`
                  <tr><td colspan=${columns} class="empty">${t('mappings.empty')}</td></tr>`}
              </tbody>
            </table>
          </div>
          ${mapLoading && mappings.length === 0 && html`<p class="loading">${t('common.loading')}</p>`}
          `}
        </div>`}
      <${UnknownInputsPanel} mappings=${allMappings} valueTypes=${valueTypes} warningText=${warningText}
                             onOpen=${openMapping} />
      <${UnmappedPanel} items=${unmapped} cursor=${unCursor} loading=${unLoading} error=${unError}
                        onMore=${() => loadUnmapped(unCursor)} canMap=${editable && Boolean(queue)}
                        inForm=${inForm} onMap=${onMap} imported=${imported} />
    </section>`;
}
