// Deleting a source or a WFM queue says what goes with it: refused with 409 and the
// consequences while mappings, schedules or results depend on it; ?dry_run=true counts without
// deleting; ?cascade=true deletes everything counted in one transaction and answers what went;
// an object nothing depends on goes with 204. A source with a run queued or running is not
// deleted; a WFM queue deleted while a run feeds it leaves nothing behind. Ids are never used
// again, also after a restart.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, ROOT, SAMPLE_SOURCE, show, waitRunEnd } from '../lib/api.mjs';
import { login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { contactPipeline, line, runDays, waitFor, writeCsv } from '../lib/pipeline.mjs';

const DAY = '2026-11-24';
let d;
let admin;
let base;
let dataDir;

before(async () => {
  dataDir = await makeTempDir();
  d = await startDaemon({ users: [ROOT], dataDir });
  admin = await login(d, ROOT.name, ROOT.password);
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-deletes-'));
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(base, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A source with WFM queues Q<prefix>1/Q<prefix>2 (offered, handled, aht), one imported day. */
async function pipeline(prefix) {
  const folder = path.join(base, prefix);
  fs.mkdirSync(folder);
  const ext = [`${prefix}1`, `${prefix}2`];
  const rows = ext.flatMap((q) => ['08:00', '08:15'].map((t, i) => line(q, DAY, t, 10 + i, 8 + i, 100)));
  writeCsv(folder, 'day.csv', rows);
  const p = await contactPipeline(admin, folder, ext, { name: `ACD ${prefix}` });
  const run = await runDays(admin, p.source.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  return p;
}

async function resultCount(queueId) {
  const r = await admin.get(`/api/v1/results?queue=${queueId}&from=${DAY}&to=${DAY}`);
  assertStatus(r, 200);
  return r.body.items.length;
}

async function auditOf(action, target) {
  const r = await admin.get('/api/v1/audit?limit=500');
  assertStatus(r, 200);
  return r.body.items.filter((e) => e.action === action && e.target === target);
}

test('a source read by mappings and run by a schedule: 409 with the consequences, dry run, cascade', async () => {
  const { source, queues } = await pipeline('7');
  const sched = (await admin.post('/api/v1/schedules', { source_id: source.id, kind: 'daily', daily_at: '06:00' })).body;
  const mappings = (await admin.get('/api/v1/mappings?limit=500')).body.items
    .filter((m) => m.inputs.some((i) => i.source_id === source.id));
  assert.equal(mappings.length, 6);
  const results = (await resultCount(queues['71'].id)) + (await resultCount(queues['72'].id));
  assert.ok(results > 0);

  const refused = await admin.delete(`/api/v1/sources/${source.id}`);
  assertError(refused, 409, 'referenced');
  assert.equal(refused.body.error.message_code, 'delete.source_referenced');
  assert.equal(refused.body.error.params.name, source.name);
  assert.equal(refused.body.error.params.mappings, 6);
  assert.match(refused.body.error.message, /6 mapping/);
  const cq = refused.body.consequences;
  assert.equal(cq.deleted, false);
  assert.equal(cq.cascade_needed, true);
  assert.deepEqual(cq.source, { id: source.id, name: source.name });
  assert.equal(cq.counts.mappings, 6);
  assert.equal(cq.counts.schedules, 1);
  assert.equal(cq.counts.results, results);
  assert.equal(cq.counts.staged_days, 2);
  assert.equal(cq.counts.runs, 1);
  assert.deepEqual(cq.mappings.map((m) => m.id).sort((a, b) => a - b), mappings.map((m) => m.id).sort((a, b) => a - b));
  assert.ok(cq.mappings.every((m) => /^Q7[12]$/.test(m.queue) && ['offered', 'handled', 'aht'].includes(m.value_type)), show(refused));
  assert.deepEqual(cq.schedules, [{ id: sched.id, kind: 'daily', every_minutes: null, daily_at: '06:00' }]);
  assertStatus(await admin.get(`/api/v1/sources/${source.id}`), 200);
  assertStatus(await admin.get(`/api/v1/mappings/${mappings[0].id}`), 200);

  const dry = await admin.delete(`/api/v1/sources/${source.id}?dry_run=true`);
  assertStatus(dry, 200);
  assert.equal(dry.body.deleted, false);
  assert.equal(dry.body.code, 'delete.source_consequences');
  assert.deepEqual(dry.body.counts, cq.counts);
  assertStatus(await admin.get(`/api/v1/sources/${source.id}`), 200);
  assertError(await admin.delete(`/api/v1/sources/${source.id}?cascade=maybe`), 400, 'invalid_parameter');

  const gone = await admin.delete(`/api/v1/sources/${source.id}?cascade=true`);
  assertStatus(gone, 200);
  assert.equal(gone.body.deleted, true);
  assert.equal(gone.body.code, 'delete.source_deleted');
  assert.equal(gone.body.counts.mappings, 6);
  assert.equal(gone.body.counts.results, results);
  assert.equal(gone.body.counts.schedules, 1);
  // nothing half-deleted: the source, every mapping, the schedule, the results, the run
  assertError(await admin.get(`/api/v1/sources/${source.id}`), 404, 'not_found');
  for (const m of mappings) {
    assertError(await admin.get(`/api/v1/mappings/${m.id}`), 404, 'not_found');
  }
  assertError(await admin.get(`/api/v1/schedules/${sched.id}`), 404, 'not_found');
  assert.equal(await resultCount(queues['71'].id), 0);
  assert.equal(await resultCount(queues['72'].id), 0);
  const runs = (await admin.get('/api/v1/runs?limit=500')).body.items;
  assert.ok(!runs.some((r) => r.source_id === source.id), 'its runs went with it');
  // no recomputation is left for mappings that are gone
  await waitFor(async () => (await admin.get('/api/v1/recomputes')).body.items.length === 0, 'no pending recomputes');
  const audit = await auditOf('source.delete', source.name);
  assert.equal(audit.length, 1);
  assert.equal(audit[0].detail.mappings, 6);
  assert.equal(audit[0].detail.schedules, 1);
  assert.equal(audit[0].detail.cascade, true);

  // the WFM queues stay, now unreferenced: 204 as before
  assertStatus(await admin.delete(`/api/v1/queues/${queues['71'].id}`), 204);
  assertError(await admin.get(`/api/v1/queues/${queues['71'].id}`), 404, 'not_found');
});

test('a WFM queue with mappings and results: 409, dry run, cascade in one transaction', async () => {
  const { source, queues } = await pipeline('8');
  const q = queues['81'];
  const own = (await admin.get(`/api/v1/mappings?queue_id=${q.id}`)).body.items;
  assert.equal(own.length, 3);
  const results = await resultCount(q.id);
  assert.ok(results > 0);

  const refused = await admin.delete(`/api/v1/queues/${q.id}`);
  assertError(refused, 409, 'referenced');
  assert.equal(refused.body.error.message_code, 'delete.queue_referenced');
  assert.equal(refused.body.consequences.counts.mappings, 3);
  assert.equal(refused.body.consequences.counts.results, results);
  assert.deepEqual(refused.body.consequences.queue, { id: q.id, identifier: 'Q81' });
  assert.equal(refused.body.consequences.schedules, undefined);

  const dry = await admin.delete(`/api/v1/queues/${q.id}?dry_run=1`);
  assertStatus(dry, 200);
  assert.equal(dry.body.code, 'delete.queue_consequences');
  assert.deepEqual(dry.body.counts, refused.body.consequences.counts);
  assertStatus(await admin.get(`/api/v1/queues/${q.id}`), 200);

  const gone = await admin.delete(`/api/v1/queues/${q.id}?cascade=true`);
  assertStatus(gone, 200);
  assert.equal(gone.body.counts.mappings, 3);
  assert.equal(gone.body.counts.results, results);
  assertError(await admin.get(`/api/v1/queues/${q.id}`), 404, 'not_found');
  for (const m of own) {
    assertError(await admin.get(`/api/v1/mappings/${m.id}`), 404, 'not_found');
  }
  // the other queue of the source keeps its mappings and results
  assert.equal((await admin.get(`/api/v1/mappings?queue_id=${queues['82'].id}`)).body.items.length, 3);
  assert.ok((await resultCount(queues['82'].id)) > 0);
  // the source is still read by the other queue's mappings
  const s = await admin.delete(`/api/v1/sources/${source.id}?dry_run=true`);
  assert.equal(s.body.counts.mappings, 3);
  assert.equal((await auditOf('queue.delete', 'Q81'))[0].detail.mappings, 3);
});

test('deleting an agent-state source recomputes the WFM agents it gave states for', async () => {
  const folder = path.join(base, 'agents');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'a.csv'), ['Agent;Date;Start;End;State', `0042;${DAY};08:00:00;09:00:00;READY`, ''].join('\n'));
  const a = await admin.post('/api/v1/sources', {
    name: 'Agent ACD', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder, separator: ';', date_order: 'ymd' },
      columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
      agent_states: { span: 'start_end' },
    },
  });
  assertStatus(a, 201);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: a.body.id, text: '0042;alice@example.com\n' }), 200);
  assert.equal((await runDays(admin, a.body.id, DAY)).state, 'done');
  const states = async () => {
    const r = await admin.get(`/api/v1/agent-states?agent=alice@example.com&from=${DAY}&to=${DAY}`);
    assertStatus(r, 200);
    return r.body.days.flatMap((x) => x.spans);
  };
  await waitFor(async () => (await states()).length > 0, 'the agent\'s states');

  const dry = await admin.delete(`/api/v1/sources/${a.body.id}?dry_run=true`);
  assertStatus(dry, 200);
  assert.equal(dry.body.cascade_needed, false, 'no mapping or schedule uses it');
  assert.equal(dry.body.counts.agent_states, 1);
  assert.equal(dry.body.counts.agents, 1);
  assertStatus(await admin.delete(`/api/v1/sources/${a.body.id}`), 204);
  // the agent's day is computed again without the source's states, and nothing stays pending
  await waitFor(async () => (await states()).length === 0, 'the agent\'s day without the deleted source');
  await waitFor(async () => (await admin.get('/api/v1/recomputes')).body.items.length === 0, 'no pending recomputes');
});

test('an unreferenced source is deleted with 204; unknown ids are 404', async () => {
  const s = (await admin.post('/api/v1/sources', SAMPLE_SOURCE('Lonely'))).body;
  const dry = await admin.delete(`/api/v1/sources/${s.id}?dry_run=true`);
  assertStatus(dry, 200);
  assert.equal(dry.body.cascade_needed, false);
  assertStatus(await admin.delete(`/api/v1/sources/${s.id}`), 204);
  assertError(await admin.delete(`/api/v1/sources/${s.id}`), 404, 'not_found');
  assertError(await admin.delete('/api/v1/queues/999999?dry_run=true'), 404, 'not_found');
});

test('ids are never used again, also after a restart', async () => {
  const kinds = {
    sources: (tag) => SAMPLE_SOURCE(`Reuse ${tag}`),
    queues: (tag) => ({ identifier: `REUSE_${tag}`, name: 'Reuse', time_zone: 'UTC' }),
    'value-types': (tag) => ({ key: `reuse_${tag}`, name: 'Reuse', unit: 'count' }),
    users: (tag) => ({ name: `reuse-${tag}`, role: 'viewer', password: `reuse-password-${tag}-long` }),
  };
  const last = {};
  for (const [kind, body] of Object.entries(kinds)) {
    const a = await admin.post(`/api/v1/${kind}`, body('a'));
    assertStatus(a, 201);
    assertStatus(await admin.delete(`/api/v1/${kind}/${a.body.id}`), 204);
    const b = await admin.post(`/api/v1/${kind}`, body('b'));
    assertStatus(b, 201);
    assert.ok(b.body.id > a.body.id, `${kind}: ${b.body.id} after ${a.body.id}`);
    assertStatus(await admin.delete(`/api/v1/${kind}/${b.body.id}`), 204);
    last[kind] = b.body.id;
  }
  assert.equal(await d.stop(), 0);
  d = await startDaemon({ dataDir });
  admin = await login(d, ROOT.name, ROOT.password);
  for (const [kind, body] of Object.entries(kinds)) {
    const c = await admin.post(`/api/v1/${kind}`, body('c'));
    assertStatus(c, 201);
    assert.ok(c.body.id > last[kind], `${kind} after a restart: ${c.body.id} after ${last[kind]}`);
  }
});

/** Days of 96 intervals for ext queues ext from day0 on: enough rows that a run takes a while. */
function bigRows(ext, days) {
  const rows = [];
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10);
    for (let slot = 0; slot < 96; slot++) {
      const t = `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`;
      for (const q of ext) {
        rows.push(line(q, day, t, 10 + (slot % 7), 8 + (slot % 5), 100 + d));
      }
    }
  }
  return rows;
}

/** A run of the source over every day of bigRows(), once it is queued or running. */
async function runInProgress(sourceId, days) {
  const to = new Date(Date.UTC(2026, 0, days)).toISOString().slice(0, 10);
  const r = await admin.post('/api/v1/runs', { source_id: sourceId, from: '2026-01-01', to, reread: true });
  assertStatus(r, 202);
  return r.body;
}

test('while a run of a source is queued or running, its source is not deleted and a WFM queue it feeds goes whole', async () => {
  const ext = ['R1', 'R2', ...Array.from({ length: 58 }, (_, i) => `RX${i}`)];
  const folder = path.join(base, 'running');
  fs.mkdirSync(folder);
  const DAYS = 40; // 60 queues x 40 days x 96 intervals: 230,400 rows
  writeCsv(folder, 'big.csv', bigRows(ext, DAYS));

  // two runs of the source (the second waits while the first runs), then the source's delete
  // with ?cascade=true: refused with the active runs counted. Runs that both ended before the
  // delete let it go through: tried again with a new source, a few times.
  let refused = null;
  let p = null;
  for (let attempt = 0; attempt < 5 && !refused; attempt++) {
    p = await contactPipeline(admin, folder, ['R1', 'R2'], { name: `ACD running ${attempt}` });
    const runs = [await runInProgress(p.source.id, DAYS), await runInProgress(p.source.id, DAYS)];
    const r = await admin.delete(`/api/v1/sources/${p.source.id}?cascade=true`);
    for (const run of runs) {
      const ended = await waitRunEnd(admin, run.id, 120000);
      if (r.status === 409) {
        assert.equal(ended.state, 'done', JSON.stringify(ended));
      }
    }
    if (r.status === 409) {
      assertError(r, 409, 'conflict');
      assert.ok(r.body.consequences.counts.active_runs > 0, show(r));
      refused = r;
    } else {
      assertStatus(r, 200);
    }
  }
  assert.ok(refused, 'no delete fell inside a run in 5 tries');
  assertStatus(await admin.get(`/api/v1/sources/${p.source.id}`), 200);

  // a WFM queue fed by a run: deleted whole; the run leaves no result of it behind and the
  // other queue's results are complete
  const run = await runInProgress(p.source.id, DAYS);
  const gone = await admin.delete(`/api/v1/queues/${p.queues.R1.id}?cascade=true`);
  assertStatus(gone, 200);
  const ended = await waitRunEnd(admin, run.id, 120000);
  assert.equal(ended.state, 'done', JSON.stringify(ended));
  assertError(await admin.get(`/api/v1/queues/${p.queues.R1.id}`), 404, 'not_found');
  const rest = await admin.get(`/api/v1/results?queue=${p.queues.R2.id}&from=2026-01-01&to=2026-02-09`);
  assertStatus(rest, 200);
  assert.equal(rest.body.items.length, DAYS * 96 * 3);
  const stray = await admin.get(`/api/v1/results?queue=${p.queues.R1.id}&from=2026-01-01&to=2026-02-09`);
  assert.ok([404, 422].includes(stray.status), show(stray));
  for (const table of ['results', 'outbox_cells', 'target_cells']) {
    const n = spawnSync('sqlite3', [path.join(dataDir, 'acdlink.db'), `SELECT count(*) FROM ${table} WHERE queue_id = ${p.queues.R1.id};`], { encoding: 'utf8' });
    assert.equal(n.stdout.trim(), '0', `${table} of the deleted queue: ${n.stderr}`);
  }
});
