// A source's query never gets the daemon's files through MariaDB's driver: Connector/ODBC
// always lets the server ask for a local file (LOAD DATA LOCAL INFILE), so through that driver
// only one SELECT (or WITH) statement is sent, whatever the connection string says. The server
// here allows local files; the daemon's own secret key file is the file asked for, and nothing
// of it may reach the table.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertStatus, startWithAdmin, waitRunEnd } from '../lib/api.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

const DAY = '2026-11-24';
let db;
let d;
let admin;

before(async () => {
  db = await startMariadb();
  db.exec('CREATE TABLE leak (x TEXT); SET GLOBAL local_infile = 1;');
  ({ d, admin } = await startWithAdmin());
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
