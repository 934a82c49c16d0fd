// The daemon's memory comes back to a plateau after a burst: an incremental agent-state source
// over the SQLite ODBC driver, polled every second, gets 60,000 state changes at once (3,000
// agents, 20 each, on a new day), which go out to an https-json receiver as change-feed
// batches of up to 3,000 agent days and 60,000 spans; then steady polls of a few rows. The
// same burst and the same steady polls follow again on the next day. What the allocator's
// arenas keep after the first burst must be reused by the second (the resident memory after
// the second no higher than after the first, within a small bound), and a burst must not
// leave the arenas holding tens of MiB: blocks made per span of a batch and freed together
// leave free holes between longer-lived blocks, which the arenas keep.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, odbcDriver } from '../lib/api.mjs';
import { followOf, residentKib, sqliteShell, startFollowDaemon, stopFollowDaemon } from '../lib/follow-daemon.mjs';
import { drained, waitFor } from '../lib/pipeline.mjs';

const AGENTS = 3000;
const PER_AGENT = 20; // states of each agent in a burst
const STEADY = 60; // rows the writer inserts after each steady poll
const STEADY_POLLS = 15;
const UNDER_ASAN = /build-asan/.test(process.env.ACDLINK_BIN || '');

let d;
let admin;
let wfm;
let dataDir;
let dir;
let db;
let sourceId;
let seq = 0;

function stamp(ms) {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A burst on day (0, 1, ...): every agent's PER_AGENT states, 10 minutes apart from 08:00. */
function burst(day) {
  const codes = ['READY', 'TALK', 'PAUSE'];
  const base = Date.UTC(2026, 10, 2 + day, 8, 0, 0);
  const rows = [];
  for (let j = 0; j < PER_AGENT; j++) {
    for (let a = 0; a < AGENTS; a++) {
      seq++;
      rows.push(`(${seq}, 'b${a}', '${codes[(a + j) % 3]}', '${stamp(base + j * 600000 + a * 10)}')`);
    }
  }
  for (let i = 0; i < rows.length; i += 5000) {
    sqliteShell(db, `BEGIN; INSERT INTO ev VALUES ${rows.slice(i, i + 5000).join(',')}; COMMIT;`);
  }
}

/** STEADY more changes of agents in turn on day, in the evening (after the burst's states). */
function steady(day, round) {
  const codes = ['READY', 'TALK', 'PAUSE'];
  const base = Date.UTC(2026, 10, 2 + day, 18, 0, 0) + round * STEADY * 1000;
  const rows = [];
  for (let i = 0; i < STEADY; i++) {
    seq++;
    rows.push(`(${seq}, 'b${(round * STEADY + i) % AGENTS}', '${codes[seq % 3]}', '${stamp(base + i * 1000)}')`);
  }
  sqliteShell(db, `INSERT INTO ev VALUES ${rows.join(',')};`);
}

/** A gauge of the metrics in KiB, or null when the daemon has none (a sanitizer build). */
async function gaugeKib(name) {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec((await admin.get('/api/v1/metrics')).text);
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

async function polls() {
  return (await followOf(admin, sourceId))?.polls ?? 0;
}

/** After everything written was delivered: STEADY_POLLS polls, each followed by a few rows. */
async function steadyPolls(day) {
  for (let round = 0; round < STEADY_POLLS; round++) {
    const seen = await polls();
    await waitFor(async () => (await polls()) > seen, `a poll after ${seen}`, 30000);
    steady(day, round);
  }
  await drained(admin, 240000);
}

/** A burst on day, its delivery and the steady polls after it; resolves the figures then. */
async function round(day) {
  burst(day);
  const date = new Date(Date.UTC(2026, 10, 2 + day)).toISOString().slice(0, 10);
  const full = () => [...wfm.agents.entries()].filter(([k, v]) => k.endsWith(`|${date}`) && v.filter((x) => !x.filled).length >= PER_AGENT).length;
  await waitFor(async () => full() === AGENTS, `every agent's ${PER_AGENT} states of ${date} at the receiver`, 240000);
  await drained(admin, 240000);
  const afterBurst = { rss: residentKib(d), arenas: await gaugeKib('acdlink_memory_heap_system_bytes') };
  await steadyPolls(day);
  return { ...afterBurst, settled: residentKib(d) };
}

before(async () => {
  const driver = odbcDriver('SQLite3', 'libsqliteodbc');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-memory-burst-'));
  db = path.join(dir, 'acd.sqlite');
  sqliteShell(db, 'PRAGMA journal_mode=WAL; CREATE TABLE ev (seq INTEGER PRIMARY KEY, agent TEXT, state TEXT, started TEXT);');
  ({ d, admin, wfm, dataDir } = await startFollowDaemon(['ready', 'talk', 'pause']));
  const r = await admin.post('/api/v1/sources', {
    name: 'burst', kind: 'odbc', product: 'agent_states', time_zone: 'UTC',
    settings: {
      odbc: { connection_string: `Driver=${driver};Database=${db}`, sql: 'SELECT agent, state, started, seq FROM ev WHERE seq >= :since AND seq < :until ORDER BY seq' },
      agent_states: { span: 'start_only' },
      incremental: { cursor_column: 'seq', cursor_type: 'id', poll_s: 1, overlap_s: 0, reconcile_minutes: 0 },
    },
  });
  assertStatus(r, 201);
  sourceId = r.body.id;
  const ids = Array.from({ length: AGENTS }, (_, i) => `b${i};b${i}@example.com`).join('\n');
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: sourceId, text: ids }), 200);
  for (const [code, act] of [['READY', 'ready'], ['TALK', 'talk'], ['PAUSE', 'pause']]) {
    assertStatus(await admin.post('/api/v1/activity-codes', { source_id: sourceId, code, activity: act }), 200);
  }
});

after(async () => {
  await stopFollowDaemon({ d, wfm, dataDir });
  if (dir) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second burst reuses what the first left, and a burst leaves the arenas small', { skip: UNDER_ASAN && 'the sanitizer keeps freed memory in quarantine' }, async (t) => {
  await steadyPolls(0); // warm-up: connections, statements, caches
  const warm = { rss: residentKib(d), arenas: await gaugeKib('acdlink_memory_heap_system_bytes') };
  const first = await round(1);
  const second = await round(2);
  t.diagnostic(`warm-up: RSS ${warm.rss} KiB, arenas ${warm.arenas} KiB; first burst: RSS ${first.rss} KiB, arenas ${first.arenas} KiB, after the steady polls ${first.settled} KiB; second: RSS ${second.rss} KiB, arenas ${second.arenas} KiB, after the steady polls ${second.settled} KiB`);
  // a plateau: the second burst finds room in what the first left
  assert.ok(second.settled - first.settled <= 6144, `RSS after the first burst and steady polls ${Math.round(first.settled / 1024)} MiB, after the second ${Math.round(second.settled / 1024)} MiB`);
  // the batches' blocks are not left in the arenas (SQLite's caches within its budget of
  // 32 MiB are part of this)
  if (warm.arenas !== null) {
    assert.ok(second.arenas - warm.arenas <= 24576, `the arenas took ${Math.round(warm.arenas / 1024)} MiB after the warm-up, ${Math.round(second.arenas / 1024)} MiB after two bursts`);
  }
});
