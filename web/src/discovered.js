// What discoveries found, per source, for the suggestions of the mapping forms: the external
// queues (with their names) and metrics of the last discovery of each source in this tab.
const STORAGE_KEY = 'acdlink.discovered';

function readAll() {
  try {
    return JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || '{}') || {};
  } catch {
    return {};
  }
}

/** Keeps the queues and metrics of a discovery's result for source id. */
export function rememberDiscovery(sourceId, result) {
  const all = readAll();
  all[String(sourceId)] = {
    queues: (result.queues || []).map((q) => ({ ext_queue: q.ext_queue, name: q.name || '' })),
    metrics: (result.metrics || []).map((m) => m.metric),
  };
  try {
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(all));
  } catch {
    // not fatal: the suggestions just lack what this discovery found
  }
}

/** {queues: [{ext_queue, name}], metrics: [name]} that discoveries of source id found. */
export function discoveredOf(sourceId) {
  const entry = readAll()[String(sourceId)];
  return entry || { queues: [], metrics: [] };
}
