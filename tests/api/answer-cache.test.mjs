// The answer cache of the read routes (GET /api/v1/queues, GET /api/v1/queues/{id}, GET
// /api/v1/results one queue and paged): a write and then a read sees the write on every cached
// route, whether the write came through the API, an import run or another process writing the
// database file; credentials and roles are checked before any cached answer (no credentials, a
// revoked token, a logged-out session, a role taken away: refused, also with the cached answer's
// ETag in If-None-Match); If-None-Match with the current ETag gets 304 without a body, with a
// stale one the new answer; the ETag is a digest of the body; health stays a live answer.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, createToken, createUser, pw, show, startWithAdmin } from '../lib/api.mjs';
import { bearer, client, login } from '../lib/daemon.mjs';
import { contactPipeline, line, runDays, writeCsv } from '../lib/pipeline.mjs';

const DAY = '2026-11-23';
let d;
let admin;
let viewer; // a viewer's token
let folder;
let src;
let queues; // ext -> WFM queue

const hhmm = (i) => `${String(Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`;

function dayRows(bump) {
  const rows = [];
  ['201', '202'].forEach((q, k) => {
    for (let i = 0; i < 96; i++) {
      rows.push(line(q, DAY, hhmm(i), 10 + k + i + bump, 1 + ((i + k) % 9), 60 + i));
    }
  });
  return rows;
}

const etagOf = (r) => r.headers.etag;
const digest = (text) => `"${crypto.createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;

/** GETs url twice through c: the same 200 text and ETag both times (the second from the cache
 * when the first filled it), the ETag a digest of the body. Returns the answer. */
async function readTwice(c, url) {
  const a = await c.get(url);
  assertStatus(a, 200);
  const b = await c.get(url);
  assertStatus(b, 200);
  assert.equal(b.text, a.text, `${url}: the same answer twice`);
  assert.equal(etagOf(a), digest(a.text), `${url}: ETag is the body's digest: ${show(a)}`);
  assert.equal(etagOf(b), etagOf(a), `${url}: the same ETag`);
  return b;
}

/** A sqlite3 shell (another process) writes the daemon's database while it runs. */
function sqliteExec(sql) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(d.dataDir, 'acdlink.db'), sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `sqlite3: ${r.stderr}`);
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-answers-'));
  ({ source: src, queues } = await contactPipeline(admin, folder, ['201', '202']));
  writeCsv(folder, 'day.csv', dayRows(0));
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  viewer = bearer(d, (await createToken(admin, 'answers-viewer', 'viewer')).token, { keepAlive: true });
});

after(async () => {
  viewer?.close();
  admin?.close();
  await d?.stop();
  fs.rmSync(folder, { recursive: true, force: true });
});

test('queue list and one queue: an API write is seen by the next read', async () => {
  const list = '/api/v1/queues?limit=50';
  const one = `/api/v1/queues/${queues['201'].id}`;
  const l0 = await readTwice(viewer, list);
  const o0 = await readTwice(viewer, one);
  assert.equal(o0.body.name, 'WFM 201');

  const p = await admin.patch(one, { name: 'Renamed 201' });
  assertStatus(p, 200);
  const l1 = await readTwice(viewer, list);
  const o1 = await readTwice(viewer, one);
  assert.equal(o1.body.name, 'Renamed 201', show(o1));
  assert.equal(l1.body.items.find((q) => q.id === queues['201'].id).name, 'Renamed 201', show(l1));
  assert.notEqual(etagOf(l1), etagOf(l0));
  assert.notEqual(etagOf(o1), etagOf(o0));

  const c = await admin.post('/api/v1/queues', { identifier: 'QNEW', name: 'New queue', time_zone: 'UTC' });
  assertStatus(c, 201);
  const l2 = await readTwice(viewer, list);
  assert.ok(l2.body.items.some((q) => q.identifier === 'QNEW'), show(l2));
  const del = await admin.delete(`/api/v1/queues/${c.body.id}`);
  assert.ok([200, 204].includes(del.status), show(del));
  const l3 = await readTwice(viewer, list);
  assert.ok(!l3.body.items.some((q) => q.identifier === 'QNEW'), show(l3));
  const gone = await viewer.get(`/api/v1/queues/${c.body.id}`);
  assertError(gone, 404, 'not_found');
  assert.equal(l3.text, l1.text, 'back to the same list, the same text');
});

test('another process writing the database file is seen by the next read', async () => {
  const list = '/api/v1/queues?limit=50';
  const one = `/api/v1/queues/${queues['202'].id}`;
  await readTwice(viewer, list);
  await readTwice(viewer, one);
  sqliteExec(`UPDATE wfm_queues SET name = 'Outside 202' WHERE id = ${queues['202'].id}`);
  const o = await viewer.get(one);
  assertStatus(o, 200);
  assert.equal(o.body.name, 'Outside 202', show(o));
  const l = await viewer.get(list);
  assert.equal(l.body.items.find((q) => q.id === queues['202'].id).name, 'Outside 202', show(l));
});

test('results, one queue and paged: an import run and an outside write are seen by the next read', async () => {
  const q = queues['201'];
  const oneQ = `/api/v1/results?queue=${q.id}&from=${DAY}&to=${DAY}`;
  const paged = `/api/v1/results?from=${DAY}&to=${DAY}&limit=100`;
  const first = (r) => r.body.items.find((x) => x.value_type === 'offered').value;
  const r0 = await readTwice(viewer, oneQ);
  const p0 = await readTwice(viewer, paged);
  assert.equal(first(r0), 10, show(r0));

  writeCsv(folder, 'day.csv', dayRows(1000));
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  const r1 = await readTwice(viewer, oneQ);
  const p1 = await readTwice(viewer, paged);
  assert.equal(first(r1), 1010, show(r1));
  assert.notEqual(p1.text, p0.text, 'the page shows the new values');
  assert.equal(p1.body.items.find((x) => x.value_type === 'offered' && x.queue_id === q.id).value, 1010, show(p1));

  sqliteExec(`UPDATE wfm_queues SET identifier = 'Q201-outside' WHERE id = ${q.id}`);
  const r2 = await viewer.get(oneQ);
  assertStatus(r2, 200);
  assert.equal(r2.body.queue.identifier, 'Q201-outside', show(r2));
  const p2 = await viewer.get(paged);
  assert.ok(p2.body.items.some((x) => x.queue_identifier === 'Q201-outside'), show(p2));
  sqliteExec(`UPDATE wfm_queues SET identifier = 'Q201' WHERE id = ${q.id}`);
  const r3 = await viewer.get(oneQ);
  assert.equal(r3.body.queue.identifier, 'Q201', show(r3));
});

test('If-None-Match: 304 without a body for the current ETag, the new answer after a write', async () => {
  const url = `/api/v1/queues/${queues['202'].id}`;
  const a = await readTwice(viewer, url);
  const nm = await viewer.get(url, { headers: { 'If-None-Match': etagOf(a) } });
  assert.equal(nm.status, 304, show(nm));
  assert.equal(nm.text, '');
  assert.equal(etagOf(nm), etagOf(a));
  const other = await viewer.get(url, { headers: { 'If-None-Match': '"0123456789abcdef0123456789abcdef"' } });
  assertStatus(other, 200);
  assert.equal(other.text, a.text);

  assertStatus(await admin.patch(url, { name: 'Changed again' }), 200);
  const b = await viewer.get(url, { headers: { 'If-None-Match': etagOf(a) } });
  assertStatus(b, 200);
  assert.equal(b.body.name, 'Changed again');
  assert.notEqual(etagOf(b), etagOf(a));
});

test('credentials and roles are checked before any cached answer', async () => {
  const url = '/api/v1/queues?limit=50';
  const cached = await readTwice(viewer, url);
  const tag = etagOf(cached);

  // no credentials, a wrong token: refused, also when naming the cached ETag
  for (const c of [bearer(d, null), bearer(d, 'acdl_not_a_token_at_all_000000')]) {
    const r = await c.get(url, { headers: { 'If-None-Match': tag } });
    assertError(r, 401, 'unauthorized');
    c.close();
  }

  // a token revoked after its answer was cached
  const t = await createToken(admin, 'answers-revoked', 'viewer');
  const tc = bearer(d, t.token);
  assertStatus(await tc.get(url), 200);
  assert.equal((await tc.get(url)).text, cached.text);
  const rv = await admin.delete(`/api/v1/tokens/${t.id}`);
  assert.ok([200, 204].includes(rv.status), show(rv));
  assertError(await tc.get(url), 401, 'unauthorized');
  assertError(await tc.get(url, { headers: { 'If-None-Match': tag } }), 401, 'unauthorized');
  tc.close();

  // a session logged out after its answer was cached: its cookie is refused
  const u = await createUser(admin, 'answers-user', 'viewer');
  const s = await login(d, u.name, pw('answers-user'));
  assert.equal((await s.get(url)).text, cached.text);
  const replay = client(d);
  for (const [k, v] of s.jar) {
    replay.jar.set(k, v);
  }
  assertStatus(await s.post('/api/v1/auth/logout'), 204);
  assertError(await replay.get(url), 401, 'unauthorized');
  assertError(await replay.get(url, { headers: { 'If-None-Match': tag } }), 401, 'unauthorized');
  s.close();
  replay.close();

  // an admin-only route stays refused to a viewer whose answer would be cached otherwise
  const users = await admin.get('/api/v1/users');
  assertStatus(users, 200);
  assertError(await viewer.get('/api/v1/users'), 403, 'forbidden');

  // a user disabled after a cached answer: the session's reads are refused at once
  const owner = await createUser(admin, 'answers-owner', 'viewer');
  const os2 = await login(d, owner.name, pw('answers-owner'));
  assert.equal((await os2.get(url)).text, cached.text);
  assertStatus(await admin.patch(`/api/v1/users/${owner.id}`, { disabled: true }), 200);
  assertError(await os2.get(url, { headers: { 'If-None-Match': tag } }), 401, 'unauthorized');
  os2.close();
});

test('a token or session found again without a read: revocation, a disabled owner, expiry and an outside logout count at once', async () => {
  // a token's lookup is kept on the database connection until that connection sees a commit;
  // each change below is one, made by another process (a sqlite3 shell) and seen by the next
  // request on every connection of the pool (each is warmed first), and expiry is checked
  // against the clock on every request
  const url = '/api/v1/queues?limit=50';
  const owner = await createUser(admin, 'memo-owner', 'admin');
  const os3 = await login(d, owner.name, pw('memo-owner'));
  const warm = async (c) => {
    for (let i = 0; i < 16; i++) {
      assertStatus(await c.get(url), 200);
    }
  };

  const t1 = await createToken(os3, 'memo-revoked', 'viewer');
  const c1 = bearer(d, t1.token);
  await warm(c1);
  sqliteExec(`UPDATE api_tokens SET revoked_at = strftime('%s', 'now') WHERE id = ${t1.id}`);
  for (let i = 0; i < 3; i++) {
    assertError(await c1.get(url), 401, 'unauthorized');
  }
  c1.close();

  const t2 = await createToken(os3, 'memo-disabled', 'viewer');
  const c2 = bearer(d, t2.token);
  await warm(c2);
  sqliteExec(`UPDATE users SET disabled = 1 WHERE id = ${owner.id}`);
  for (let i = 0; i < 3; i++) {
    assertError(await c2.get(url), 401, 'unauthorized');
  }
  sqliteExec(`UPDATE users SET disabled = 0 WHERE id = ${owner.id}`);
  await warm(c2); // a refusal is not kept either
  c2.close();

  const t3 = await createToken(os3, 'memo-expiring', 'viewer');
  const c3 = bearer(d, t3.token);
  sqliteExec(`UPDATE api_tokens SET expires_at = strftime('%s', 'now') + 2 WHERE id = ${t3.id}`);
  await warm(c3); // found at the new version, with its expiry
  await new Promise((res) => setTimeout(res, 3100));
  for (let i = 0; i < 3; i++) {
    assertError(await c3.get(url), 401, 'unauthorized');
  }
  c3.close();

  // a session: its row deleted by another process is refused at once
  const c4 = await login(d, owner.name, pw('memo-owner'));
  await warm(c4);
  sqliteExec(`DELETE FROM sessions WHERE user_id = ${owner.id}`);
  for (let i = 0; i < 3; i++) {
    assertError(await c4.get(url), 401, 'unauthorized');
  }
  c4.close();
  os3.close();
});

test('a token first used on a cached route: its use is recorded after the answer', async () => {
  // the credentials and the answer are read in one read transaction; last_used_at is written
  // after it (the answer is sent first, so the write may land a moment later)
  for (const url of ['/api/v1/queues?limit=50', `/api/v1/queues/${queues['201'].id}`,
    `/api/v1/results?queue=${queues['201'].id}&from=${DAY}&to=${DAY}`]) {
    const t = await createToken(admin, `answers-first-${url.length}`, 'viewer');
    const tc = bearer(d, t.token);
    const r = await tc.get(url);
    assertStatus(r, 200);
    tc.close();
    let used = null;
    for (let i = 0; i < 50 && !used; i++) {
      const l = await admin.get('/api/v1/tokens?limit=500');
      used = l.body.items.find((x) => x.id === t.id)?.last_used_at ?? null;
      if (!used) {
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    assert.match(String(used), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, `${url}: last_used_at ${used}`);
  }
});

test('health is a live answer: no ETag, never a 304', async () => {
  const h = await viewer.get('/api/v1/health');
  assertStatus(h, 200);
  assert.equal(h.headers.etag, undefined, show(h));
  const h2 = await viewer.get('/api/v1/health', { headers: { 'If-None-Match': '*' } });
  assertStatus(h2, 200);
});

test('queue list and one queue: current across an import, a bulk mapping and outside writes', async () => {
  const list = '/api/v1/queues?limit=50';
  const one = `/api/v1/queues/${queues['201'].id}`;
  const l0 = await readTwice(viewer, list);
  const o0 = await readTwice(viewer, one);

  // an import commits results, runs and staged days, none of them a queue: the same answers
  writeCsv(folder, 'day.csv', dayRows(2000));
  const run = await runDays(admin, src.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  const l1 = await readTwice(viewer, list);
  const o1 = await readTwice(viewer, one);
  assert.equal(l1.text, l0.text);
  assert.equal(etagOf(l1), etagOf(l0));
  assert.equal(o1.text, o0.text);

  // a bulk mapping creates a queue in its transaction: the next read shows it
  const bulk = await admin.post('/api/v1/mappings/bulk', {
    source_id: src.id,
    queues: [{ identifier: 'BULK1', name: 'Bulk 1', time_zone: 'UTC', ext_queues: ['203'] }],
    mappings: [{ value_type: 'offered', metric: 'offered' }],
  });
  assertStatus(bulk, 201);
  const l2 = await viewer.get(list);
  assertStatus(l2, 200);
  const made = l2.body.items.find((q) => q.identifier === 'BULK1');
  assert.ok(made, show(l2));
  assert.equal((await viewer.get(`/api/v1/queues/${made.id}`)).body.name, 'Bulk 1');
  await readTwice(viewer, list);

  // another process adds a queue, renames it, deletes it: each seen by the next read
  sqliteExec(`INSERT INTO wfm_queues (identifier, name, channel, interval_minutes, time_zone, created_at, updated_at)
              VALUES ('OUT1', 'Outside 1', 'calls', 15, 'UTC', unixepoch(), unixepoch())`);
  const l3 = await viewer.get(list);
  const out = l3.body.items.find((q) => q.identifier === 'OUT1');
  assert.ok(out, show(l3));
  const o3 = await readTwice(viewer, `/api/v1/queues/${out.id}`);
  assert.equal(o3.body.name, 'Outside 1');
  sqliteExec(`UPDATE wfm_queues SET name = 'Outside one' WHERE id = ${out.id}`);
  assert.equal((await viewer.get(`/api/v1/queues/${out.id}`)).body.name, 'Outside one');
  assert.equal((await viewer.get(list)).body.items.find((q) => q.id === out.id).name, 'Outside one');
  sqliteExec(`DELETE FROM wfm_queues WHERE id = ${out.id}`);
  assertError(await viewer.get(`/api/v1/queues/${out.id}`), 404, 'not_found');
  assert.ok(!(await viewer.get(list)).body.items.some((q) => q.id === out.id));

  // without the count's triggers (a table rebuilt by hand) every commit retires the answers
  await readTwice(viewer, list);
  sqliteExec('DROP TRIGGER wfm_queues_counted_update');
  await readTwice(viewer, list);
  sqliteExec(`UPDATE wfm_queues SET name = 'Untracked' WHERE id = ${queues['201'].id}`);
  assert.equal((await viewer.get(one)).body.name, 'Untracked');
  assert.equal((await viewer.get(list)).body.items.find((q) => q.id === queues['201'].id).name, 'Untracked');
});
