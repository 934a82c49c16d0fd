// A source's query never gets the daemon's files through MariaDB's driver: Connector/ODBC
// always lets the server ask for a local file (LOAD DATA LOCAL INFILE), so through that driver
// only one SELECT (or WITH) statement is sent, whatever the connection string says. The server
// here allows local files; the daemon's own secret key file is the file asked for, and nothing
// of it may reach the table.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bearer } from '../lib/daemon.mjs';
import {
  assertInvalidField, assertStatus, createToken, runWithStoredConnstr, show, startWithAdmin, waitRunEnd,
} from '../lib/api.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

const DAY = '2026-11-24';
let db;
let d;
let admin;
let operator;
// in the daemon's environment (/proc/self/environ), which the driver's thread may read
const CANARY = 'acdl-environ-canary-7f3e';

before(async () => {
  db = await startMariadb();
  db.exec("CREATE TABLE leak (x TEXT); SET GLOBAL local_infile = 1; CREATE USER 'nopw'@'%'; GRANT ALL ON *.* TO 'nopw'@'%';");
  ({ d, admin } = await startWithAdmin({ env: { ACDL_TEST_CANARY: CANARY } }));
  operator = bearer(d, (await createToken(admin, 'local-files-operator', 'operator')).token);
});

after(async () => {
  if (d) {
    await d.stop();
  }
  if (db) {
    await db.stop();
  }
});

test('LOAD DATA LOCAL INFILE through a source\'s query reads no file of the daemon', async () => {
  const file = path.join(d.dataDir, 'secret.key');
  const s = await admin.post('/api/v1/sources', {
    name: 'local files', kind: 'odbc', time_zone: 'UTC', password: db.password,
    settings: { odbc: { connection_string: db.connectionString, user: db.user, sql: `LOAD DATA LOCAL INFILE '${file}' INTO TABLE leak` } },
  });
  assertStatus(s, 201);
  const c = await admin.post('/api/v1/runs', { source_id: s.body.id, from: DAY, to: DAY });
  assertStatus(c, 202);
  const r = await waitRunEnd(admin, c.body.id, 60000);
  assert.equal(r.state, 'failed', JSON.stringify(r));
  const log = (await admin.get(`/api/v1/runs/${c.body.id}/log`)).body;
  assert.match(JSON.stringify(log), /must be one SELECT \(or WITH\) statement/, JSON.stringify(log));
  assert.equal(db.query('SELECT count(*) FROM leak'), '0');
  // a connection string asking for the option files (which could turn local files on) gets
  // none read, and the statement is refused all the same
  const s2 = await admin.post('/api/v1/sources', {
    name: 'local files 2', kind: 'odbc', time_zone: 'UTC', password: db.password,
    settings: { odbc: { connection_string: `${db.connectionString};USE_MYCNF=1;OPTION=65536`, user: db.user, sql: `LOAD DATA LOCAL INFILE '${file}' INTO TABLE leak` } },
  });
  assertStatus(s2, 201);
  const c2 = await admin.post('/api/v1/runs', { source_id: s2.body.id, from: DAY, to: DAY });
  const r2 = await waitRunEnd(admin, c2.body.id, 60000);
  assert.equal(r2.state, 'failed', JSON.stringify(r2));
  assert.equal(db.query('SELECT count(*) FROM leak'), '0');
  // a second statement, an executable comment: refused the same way
  for (const sql of [`SELECT 1; LOAD DATA LOCAL INFILE '${file}' INTO TABLE leak`, `/*! LOAD DATA LOCAL INFILE '${file}' INTO TABLE leak */`]) {
    const s3 = await admin.post('/api/v1/sources', {
      name: `local files ${sql.length}`, kind: 'odbc', time_zone: 'UTC', password: db.password,
      settings: { odbc: { connection_string: db.connectionString, user: db.user, sql } },
    });
    assertStatus(s3, 201);
    const c3 = await admin.post('/api/v1/runs', { source_id: s3.body.id, from: DAY, to: DAY });
    const r3 = await waitRunEnd(admin, c3.body.id, 60000);
    assert.equal(r3.state, 'failed', JSON.stringify(r3));
    const log3 = (await admin.get(`/api/v1/runs/${c3.body.id}/log`)).body;
    assert.match(JSON.stringify(log3), /must be one SELECT \(or WITH\) statement/, sql);
  }
  assert.equal(db.query('SELECT count(*) FROM leak'), '0');
});

// MariaDB's driver runs INITSTMT= itself right after connecting, before (and apart from) the
// source's one SELECT: a LOAD DATA LOCAL INFILE there has the client send a file of its
// choice. An operator's source pointing at a server of theirs (a user without a password)
// would get what the connecting thread can read, such as the daemon's environment.
test('INITSTMT= in a connection string is refused, when saved and when a run connects', async () => {
  const cs = (file) => `${db.connectionString};InitStmt={LOAD DATA LOCAL INFILE '${file}' INTO TABLE leak}`;
  for (const who of [operator, admin]) {
    for (const file of ['/proc/self/environ', path.join(d.dataDir, 'secret.key')]) {
      const s = await who.post('/api/v1/sources', {
        name: `init statement ${file.length} ${who === admin}`, kind: 'odbc', time_zone: 'UTC',
        settings: { odbc: { connection_string: cs(file), user: 'nopw', sql: 'SELECT 1' } },
      });
      assertInvalidField(s, 'odbc.connection_string');
      assert.match(s.body.error.message, /INITSTMT= sends a statement of its own when connecting/i, show(s));
      assert.equal(s.body.error.message_code, 'val.odbc_connect_statement', show(s));
      if (s.status === 201) {
        const c = await who.post('/api/v1/runs', { source_id: s.body.id, from: DAY, to: DAY });
        await waitRunEnd(who, c.body.id, 60000);
      }
    }
  }
  // one saved before this rule (written into the database) fails when its run connects
  const ok = await operator.post('/api/v1/sources', {
    name: 'init statement later', kind: 'odbc', time_zone: 'UTC',
    settings: { odbc: { connection_string: db.connectionString, user: 'nopw', sql: 'SELECT 1' } },
  });
  assertStatus(ok, 201);
  const { run: r, log } = await runWithStoredConnstr(operator, d, ok.body, cs('/proc/self/environ'), DAY);
  assert.equal(r.state, 'failed', JSON.stringify(r));
  assert.match(log, /INITSTMT= sends a statement of its own when connecting/i, log);
  assert.equal(db.query('SELECT count(*) FROM leak'), '0');
  assert.ok(!db.query('SELECT coalesce(group_concat(x), \'\') FROM leak').includes(CANARY));
});
