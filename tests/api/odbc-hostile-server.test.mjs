// A server named by an operator never gets the daemon's files through MariaDB's driver: the
// server here speaks the MySQL protocol and answers what the driver sends with a request for a
// local file (LOAD DATA LOCAL INFILE), naming the daemon's own secret key file; it records
// every byte the driver sends back. Through the real daemon and Debian's odbc-mariadb, a source
// an operator's token created fails with a coded error and not one byte of the file arrives:
// when the server asks while connecting, and when it asks only in answer to the source's query.
// Without Landlock (a test build can be told to act as if it were missing) such a source is
// refused before connecting: the server sees no connection at all.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, createToken, odbcDriver, startWithAdmin, waitRunEnd } from '../lib/api.mjs';
import { bearer } from '../lib/daemon.mjs';
import { startHostileMysql } from '../lib/hostile-mysql.mjs';

const DAY = '2026-11-24';
const SQL = 'SELECT agent, calls FROM stats WHERE t >= :period_start AND t < :period_end';
const driver = odbcDriver('MariaDB Unicode', 'odbc-mariadb');
const started = [];

after(async () => {
  for (const x of started.reverse()) {
    await x.stop();
  }
});

async function daemon(env = {}) {
  const { d, admin } = await startWithAdmin({ env });
  started.push(d);
  const op = bearer(d, (await createToken(admin, 'hostile-operator', 'operator')).token);
  return { d, admin, op };
}

async function hostile(file, opts) {
  const srv = await startHostileMysql(file, opts);
  started.push(srv);
  return srv;
}

// Creates the source through the operator's token and runs one day; returns the run and its log.
async function runAgainst(op, port, name) {
  const s = await op.post('/api/v1/sources', {
    name, kind: 'odbc', time_zone: 'UTC',
    settings: { odbc: { connection_string: `Driver={${driver}};Server=127.0.0.1;Port=${port};Database=acd;UID=any`, sql: SQL } },
  });
  assertStatus(s, 201);
  const c = await op.post('/api/v1/runs', { source_id: s.body.id, from: DAY, to: DAY });
  assertStatus(c, 202);
  const run = await waitRunEnd(op, c.body.id, 60000);
  const log = (await op.get(`/api/v1/runs/${c.body.id}/log?limit=100`)).body.items;
  return { run, log };
}

// Not one byte of key came back: every answer to a request is the empty packet of a refusal,
// and no 4-byte piece of the key is anywhere in what the client sent.
function assertNothingOf(key, srv) {
  assert.ok(srv.sessions.length > 0, 'the driver never connected');
  const asked = srv.sessions.reduce((n, s) => n + s.requests, 0);
  assert.ok(asked > 0, `the server never got to ask: ${JSON.stringify(srv.sessions.map((s) => s.commands))}`);
  for (const s of srv.sessions) {
    assert.deepEqual(s.afterRequest.map((b) => b.length), s.afterRequest.map(() => 0),
      `the client sent file data: ${s.afterRequest.map((b) => b.toString('hex')).join(' ')}`);
    for (let i = 0; i + 4 <= key.length; i++) {
      assert.equal(s.raw.indexOf(key.subarray(i, i + 4)), -1, `bytes ${i}..${i + 3} of the key file reached the server`);
    }
  }
}

let main;
before(async () => {
  main = await daemon();
});

test('a hostile server that asks for the key file while the driver connects gets nothing', async () => {
  const file = path.join(main.d.dataDir, 'secret.key');
  const key = fs.readFileSync(file);
  assert.ok(key.length >= 16, 'the key file is there');
  const srv = await hostile(file);
  const { run, log } = await runAgainst(main.op, srv.port, 'hostile at connect');
  assertNothingOf(key, srv);
  assert.equal(run.state, 'failed', JSON.stringify(run));
  const line = log.find((l) => l.code === 'run.connect_failed');
  assert.ok(line, JSON.stringify(log));
  assert.match(line.message, /local infile|LOCAL INFILE|local file/i, line.message);
  assert.match(main.d.stderr(), /ODBC drivers run on threads that cannot read/, 'the daemon runs drivers restricted');
});

test('a hostile server that asks only in answer to the source\'s query gets nothing', async () => {
  const file = path.join(main.d.dataDir, 'secret.key');
  const key = fs.readFileSync(file);
  const srv = await hostile(file, { onlyFor: /FROM stats/ });
  const { run, log } = await runAgainst(main.op, srv.port, 'hostile at query');
  assertNothingOf(key, srv);
  assert.equal(run.state, 'failed', JSON.stringify(run));
  const line = log.find((l) => l.code === 'run.query_failed');
  assert.ok(line, JSON.stringify(log));
  assert.match(line.message, /local infile|LOCAL INFILE|local file/i, line.message);
});

test('where threads cannot be restricted, a server named in a connection string is refused before connecting', async () => {
  const { d, op } = await daemon({ ACDL_TEST_NO_SANDBOX: '1' });
  const srv = await hostile(path.join(d.dataDir, 'secret.key'));
  const { run, log } = await runAgainst(op, srv.port, 'no landlock');
  assert.equal(run.state, 'failed', JSON.stringify(run));
  const line = log.find((l) => l.code === 'run.connect_failed');
  assert.ok(line, JSON.stringify(log));
  assert.match(line.message, /only connect to a DSN set up by the administrator/, line.message);
  assert.equal(srv.sessions.length, 0, 'the server saw a connection');
  assert.match(d.stderr(), /cannot keep ODBC drivers from the daemon's files/);
});
