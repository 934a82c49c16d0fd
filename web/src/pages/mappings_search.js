// Mappings page, across WFM queues: the search over every mapping (external queue, metric, WFM
// queue, value type) and the list of inputs naming an external queue or metric their source
// never delivered. Both read one list of all mappings, loaded once by the page.
//
// The search text lives in the address after the queue ("#/mappings/3?q=sales"), so a reload
// or a shared link keeps it. At most SHOW_MAX matches are drawn at once: typing stays quick
// with thousands of mappings, and the count says how many match.
import { html } from '../html.js';
import { useI18n, valueTypeName } from '../i18n/index.js';
import { SEARCH_SHOW_MAX as SHOW_MAX, Time } from '../components.js';

/** The search text of the address ("?q=..." after the page's hash), '' when none. */
export function readSearch() {
  const at = window.location.hash.indexOf('?');
  if (at < 0) {
    return '';
  }
  return new URLSearchParams(window.location.hash.slice(at + 1)).get('q') || '';
}

/** Puts the search text into the address without a new history entry. */
export function writeSearch(q) {
  const hash = window.location.hash;
  const at = hash.indexOf('?');
  const base = at < 0 ? hash : hash.slice(0, at);
  const next = q ? `${base}?q=${encodeURIComponent(q)}` : base;
  if (next !== hash) {
    window.history.replaceState(null, '', next || '#/mappings');
  }
}

/**
 * One lower-case text per mapping with what the search looks at: WFM queue identifier and
 * name, value type key and name (in the console's language), and each input's external queue,
 * metric and source.
 */
export function searchIndex(t, mappings, queues, valueTypes) {
  const queueById = new Map(queues.map((q) => [q.id, q]));
  const typeByKey = new Map(valueTypes.map((v) => [v.key, v]));
  return mappings.map((m) => {
    const q = queueById.get(m.queue.id);
    const vt = typeByKey.get(m.value_type);
    const parts = [m.queue.identifier, q ? q.name : '', m.value_type, vt ? valueTypeName(t, vt) : ''];
    for (const i of m.inputs) {
      parts.push(i.ext_queue, i.metric, i.source);
    }
    return { mapping: m, text: parts.join('\n').toLowerCase() };
  });
}

/** The mappings whose search text holds every word of query (any case). */
export function searchMappings(index, query) {
  const words = String(query || '').toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return index.map((e) => e.mapping);
  }
  const out = [];
  for (const e of index) {
    if (words.every((w) => e.text.includes(w))) {
      out.push(e.mapping);
    }
  }
  return out;
}

/** The matches of a search across queues: queue, value type, inputs; "Open" selects the queue. */
export function MappingMatches({ matches, valueTypes, onOpen }) {
  const { t } = useI18n();
  const shown = matches.slice(0, SHOW_MAX);
  return html`
    <div class="table-wrap">
      <table class="table table-stack" id="mappings-matches">
        <thead>
          <tr>
            <th scope="col">${t('mappings.queue')}</th>
            <th scope="col">${t('mappings.value_type')}</th>
            <th scope="col">${t('mappings.inputs')}</th>
            <th scope="col">${t('mappings.formula')}</th>
            <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${shown.map((m) => {
            const vt = valueTypes.find((v) => v.key === m.value_type);
            return html`
              <tr key=${m.id} data-testid="mapping-match" data-id=${m.id} data-queue=${m.queue.identifier}
                  data-value-type=${m.value_type}>
                <td data-label=${t('mappings.queue')}><code>${m.queue.identifier}</code></td>
                <td data-label=${t('mappings.value_type')}>${vt ? valueTypeName(t, vt) : m.value_type}
                  ${m.override && html` <span class="tag tag-pending" title=${t('mappings.override_help')}
                    data-testid="mapping-override">${t('mappings.override')}</span>`}</td>
                <td data-label=${t('mappings.inputs')}>
                  ${m.inputs.map((i) => html`
                    <span class="input-ref"><code class="input-name">${i.name}</code> <code>${i.ext_queue}</code>
                      <span class="sep" aria-hidden="true">·</span> <code>${i.metric}</code></span> `)}
                  ${(m.warnings || []).length > 0 && html`
                    <span class="tag tag-pending" data-testid="mapping-match-warning">
                      ${t('mappings.warnings_count', { n: m.warnings.length })}</span>`}</td>
                <td data-label=${t('mappings.formula')}>
                  ${m.formula ? html`<code class="formula">${m.formula}</code>` : html`<span class="muted">–</span>`}</td>
                <td class="cell-actions"><div class="row-actions">
                  <button type="button" class="btn btn-small" data-testid="mapping-match-open"
                          onClick=${() => onOpen(m)}>${t('mappings.open_queue')}</button></div></td>
              </tr>`;
          })}
        </tbody>
      </table>
    </div>
`;
}

/**
 * Every input of every mapping that names an external queue or metric its source never
 * delivered (the mappings' warnings), with the closest known name; "Open" selects its queue.
 */
export function UnknownInputsPanel({ mappings, valueTypes, warningText, onOpen }) {
  const { t } = useI18n();
  const rows = [];
  for (const m of mappings) {
    for (const w of m.warnings || []) {
      rows.push({ m, w });
    }
  }
  if (rows.length === 0) {
    return null;
  }
  return html`
    <div class="card" id="unknown-inputs-panel" data-testid="unknown-inputs-panel">
      <h2>${t('mappings.unknown_title', { n: rows.length })}</h2>
      <p class="muted">${t('mappings.unknown_intro')}</p>
      <div class="table-wrap">
        <table class="table table-stack" id="unknown-inputs-table">
          <thead>
            <tr>
              <th scope="col">${t('mappings.queue')}</th>
              <th scope="col">${t('mappings.value_type')}</th>
              <th scope="col">${t('mappings.unknown_what')}</th>
              <th scope="col">${t('mappings.updated')}</th>
              <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            ${rows.slice(0, SHOW_MAX).map(({ m, w }) => {
              const vt = valueTypes.find((v) => v.key === m.value_type);
              return html`
                <tr key=${`${m.id}/${w.field}/${w.code}`} data-testid="unknown-input" data-code=${w.code}
                    data-queue=${m.queue.identifier}>
                  <td data-label=${t('mappings.queue')}><code>${m.queue.identifier}</code></td>
                  <td data-label=${t('mappings.value_type')}>${vt ? valueTypeName(t, vt) : m.value_type}</td>
                  <td data-label=${t('mappings.unknown_what')} data-testid="unknown-input-text">${warningText(t, m, w)}</td>
                  <td data-label=${t('mappings.updated')}><${Time} value=${m.updated_at} /></td>
                  <td class="cell-actions"><div class="row-actions">
                    <button type="button" class="btn btn-small" data-testid="unknown-input-open"
                            onClick=${() => onOpen(m)}>${t('mappings.open_queue')}</button></div></td>
                </tr>`;
            })}
          </tbody>
        </table>
      </div>
      ${rows.length > SHOW_MAX && html`<p class="muted">${t('common.search_more', { shown: SHOW_MAX, n: rows.length })}</p>`}
    </div>`;
}
