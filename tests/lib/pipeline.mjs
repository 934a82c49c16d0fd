// Helpers for delivery tests: a CSV source with one WFM queue per external queue, mapped for
// offered, handled and AHT, runs, waiting for deliveries, and the expected WFM view of a CSV.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { show, sleep } from './api.mjs';

export const HEADER = 'Split,Name,Date,Time,Offered,Handled,AHT';

/** One CSV line of the interval layout. */
export function line(q, day, hhmm, offered, handled, aht) {
  return `${q},Queue ${q},${day},${hhmm},${offered},${handled},${aht}`;
}

/** Writes rows (from line()) as file name in folder. */
export function writeCsv(folder, name, rows) {
  fs.writeFileSync(path.join(folder, name), [HEADER, ...rows, ''].join('\n'));
}

/**
 * For each external queue of sourceId, a WFM queue "<prefix>-<ext>" ("<prefix> <ext>", zone)
 * with a mapping of each value type from the metric of the same name.
 */
export async function mapEachQueue(admin, sourceId, extQueues, prefix, zone, valueTypes = ['offered', 'handled']) {
  for (const q of extQueues) {
    const wq = await admin.post('/api/v1/queues', { identifier: `${prefix}-${q}`, name: `${prefix} ${q}`, time_zone: zone });
    assert.equal(wq.status, 201, show(wq));
    for (const vt of valueTypes) {
      const m = await admin.post('/api/v1/mappings', {
        queue_id: wq.body.id, value_type: vt, inputs: [{ source_id: sourceId, ext_queue: q, metric: vt }],
      });
      assert.equal(m.status, 201, show(m));
    }
  }
}

/**
 * A CSV source reading folder (time zone UTC, so local = UTC) and, for each external queue,
 * a WFM queue "Q<ext>" with offered, handled and aht mappings. Resolves {source, queues}.
 */
export async function contactPipeline(admin, folder, extQueues, { name = 'ACD', zone = 'UTC' } = {}) {
  const source = await admin.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: zone,
    settings: {
      csv: { folder, date_order: 'ymd' },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  assert.equal(source.status, 201, show(source));
  const queues = {};
  for (const q of extQueues) {
    const wq = await admin.post('/api/v1/queues', { identifier: `Q${q}`, name: `WFM ${q}`, time_zone: zone });
    assert.equal(wq.status, 201, show(wq));
    queues[q] = wq.body;
    for (const vt of ['offered', 'handled', 'aht']) {
      const m = await admin.post('/api/v1/mappings', {
        queue_id: wq.body.id, value_type: vt,
        inputs: [{ source_id: source.body.id, ext_queue: q, metric: vt }],
      });
      assert.equal(m.status, 201, show(m));
    }
  }
  return { source: source.body, queues };
}

/** Starts a run and waits for its end; resolves the run. */
export async function runDays(admin, sourceId, from, to = from, timeoutMs = 30000) {
  const r = await admin.post('/api/v1/runs', { source_id: sourceId, from, to });
  assert.equal(r.status, 202, show(r));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const g = await admin.get(`/api/v1/runs/${r.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(g.body.state)) {
      return g.body;
    }
    await sleep(50);
  }
  throw new Error(`run ${r.body.id} did not finish`);
}

/** Waits until cond() is truthy (polling); throws with what() after timeoutMs. */
export async function waitFor(cond, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'function' ? await what() : what}`);
    }
    await sleep(100);
  }
}

/** The backlog answer. */
export async function backlog(admin) {
  const r = await admin.get('/api/v1/backlog');
  assert.equal(r.status, 200, show(r));
  return r.body;
}

/** Waits until nothing is pending or sending. */
export async function drained(admin, timeoutMs = 30000) {
  return waitFor(async () => {
    const b = await backlog(admin);
    return b.queued === 0 && b.pending === 0 && b.sending === 0 ? b : null;
  }, async () => `an empty backlog: ${JSON.stringify(await backlog(admin))}`, timeoutMs);
}

/**
 * What an injixo receiver should hold for CSV rows (later rows of the same queue and interval
 * replace earlier ones): Map 'Q<ext>|ISO' -> {offered, handled, duration_ms}.
 */
export function expectedInjixo(rows) {
  const out = new Map();
  for (const r of rows) {
    const [q, , day, hhmm, offered, handled, aht] = r.split(',');
    const id = `Q${q}|${day}T${hhmm}:00Z`;
    out.set(id, { offered: Number(offered), handled: Number(handled), duration_ms: Math.round(Number(aht) * Number(handled) * 1000) });
  }
  return out;
}

/** Compares a receiver's applied map with the expected one; returns a list of differences. */
export function diffApplied(applied, expected) {
  const diffs = [];
  for (const [k, v] of expected) {
    const got = applied.get(k);
    if (!got || JSON.stringify(got) !== JSON.stringify(v)) {
      diffs.push(`${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
    }
  }
  for (const k of applied.keys()) {
    if (!expected.has(k)) {
      diffs.push(`${k}: not expected, got ${JSON.stringify(applied.get(k))}`);
    }
  }
  return diffs;
}

const slotTime = (slot) => `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`;

/**
 * What a mapping's formula gives for one input value: no formula passes it on; formulas of p1
 * only, of the forms 'p1 * k', 'p1 + c', 'p1 - c', 'p1 * k + c' (what the tests write).
 */
export function computeFormula(f, p1) {
  if (f === null || f === undefined) {
    return p1;
  }
  const m = /^p1(?: \* (\d+))?(?: ([+-]) (\d+))?$/.exec(f);
  assert.ok(m, `formula ${f}`);
  let v = p1 * (m[1] ? Number(m[1]) : 1);
  if (m[2]) {
    v += (m[2] === '+' ? 1 : -1) * Number(m[3]);
  }
  return v;
}

/**
 * Recomputes every result of the WFM queues of contactPipeline() (queues: ext -> WFM queue,
 * time zone UTC, 15-minute intervals) for days from the exported rows (Map 'ext|day|hh:mm' ->
 * {offered, handled, aht}) with the mappings the daemon holds now (one input each, the metric
 * of the value type), and compares it with the daemon's results and, when wfm is given, with
 * what the https-json receiver holds. Every mapping must be computed (none pending). Returns
 * the list of differences.
 */
export async function diffResults(c, { queues, days, rows, wfm = null }) {
  const diffs = [];
  const expectedWfm = new Map();
  for (const [q, wq] of Object.entries(queues)) {
    const maps = (await c.get(`/api/v1/mappings?queue_id=${wq.id}&limit=500`)).body.items;
    for (const m of maps) {
      if (m.pending_recompute) {
        diffs.push(`${wq.identifier} ${m.value_type}: still pending recomputation`);
      }
    }
    const f = Object.fromEntries(maps.map((m) => [m.value_type, m.formula]));
    const r = await c.get(`/api/v1/results?queue=${wq.id}&from=${days[0]}&to=${days.at(-1)}`);
    assert.equal(r.status, 200, show(r));
    const got = new Map(r.body.items.map((it) => [`${it.interval_start}|${it.value_type}`, it.value]));
    for (const day of days) {
      for (let slot = 0; slot < 96; slot++) {
        const row = rows.get(`${q}|${day}|${slotTime(slot)}`);
        const iso = `${day}T${slotTime(slot)}:00Z`;
        const values = {};
        for (const vt of Object.keys(f)) {
          if (!row) {
            continue;
          }
          const want = computeFormula(f[vt], row[vt]);
          values[vt] = want;
          const have = got.get(`${iso}|${vt}`);
          if (have !== want) {
            diffs.push(`${wq.identifier} ${iso} ${vt} (${f[vt]}): expected ${want}, got ${have}`);
          }
          got.delete(`${iso}|${vt}`);
        }
        if (Object.keys(values).length > 0) {
          expectedWfm.set(`${wq.identifier}|${iso}`, values);
        }
      }
    }
    for (const [k, v] of got) {
      diffs.push(`${wq.identifier} ${k}: not expected, got ${v}`);
    }
  }
  if (wfm) {
    const sorted = (o) => (o ? JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]])) : String(o));
    for (const [k, v] of expectedWfm) {
      const have = wfm.applied.get(k);
      if (sorted(have) !== sorted(v)) {
        diffs.push(`WFM ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(have)}`);
      }
    }
  }
  return diffs;
}

/** An injixo receiver's statuses of an agent as [start, end or null, activity], in start order. */
export function injixoSpans(wfm, agent) {
  return [...wfm.agents.values()].filter((s) => s.agentIdentifier === agent)
    .map((s) => [s.startTime, s.endTime ?? null, s.activityIdentifier]).sort((p, q) => p[0].localeCompare(q[0]));
}

/** The daemon's spans of an agent's day as [start, end or null, activity] (filled holes left out). */
export async function daemonSpans(c, agent, day) {
  const r = await c.get(`/api/v1/agent-states?agent=${encodeURIComponent(agent)}&from=${day}&to=${day}`);
  assert.equal(r.status, 200, show(r));
  const dd = r.body.days.find((x) => x.day === day);
  return (dd ? dd.spans : []).filter((s) => !s.filled && s.activity !== 'logged_out').map((s) => [s.start, s.end ?? null, s.activity]);
}

/**
 * Every agent's days from the API (days: the first and last day asked for) against what the WFM
 * receiver holds ('agent|day' -> spans): a line per difference, empty when they agree. With
 * noSpansWithoutIds an agent without external ids must have no spans either.
 */
export async function diffAgentDays(c, wfm, days, { noSpansWithoutIds = false } = {}) {
  const diffs = [];
  const seen = new Set();
  const agents = (await c.get('/api/v1/agents?limit=500')).body.items;
  for (const a of agents) {
    const r = await c.get(`/api/v1/agent-states?agent=${a.id}&from=${days[0]}&to=${days.at(-1)}`);
    assert.equal(r.status, 200, show(r));
    if (noSpansWithoutIds && a.external_ids.length === 0 && r.body.days.some((d) => d.spans.length > 0)) {
      diffs.push(`${a.identifier} has no external id but spans`);
    }
    for (const day of r.body.days) {
      const key = `${a.identifier}|${day.day}`;
      seen.add(key);
      const want = day.spans.map((s) => [s.activity, s.start, s.end]);
      const have = (wfm.agents.get(key) || []).map((s) => [s.activity, s.start, s.end]);
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        diffs.push(`WFM ${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(have)}`);
      }
    }
  }
  for (const [key, spans] of wfm.agents) {
    if (!seen.has(key) && spans.length > 0) {
      diffs.push(`WFM ${key}: holds ${spans.length} spans the daemon has not`);
    }
  }
  return diffs;
}
