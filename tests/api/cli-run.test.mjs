// `acdlink run`: an import from the command line, beside a running daemon, with the same
// results and run records as one started through the API.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../lib/daemon.mjs';
import { assertStatus, show, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let folder;

before(async () => {
  ({ d, admin } = await startWithAdmin());
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-cli-'));
  fs.writeFileSync(path.join(folder, 'x.csv'), 'Q,Start,Calls\nA,2026-03-29T01:45:00,2\nA,2026-03-29T03:00:00,4\nA,2026-03-29T02:30:00,9\n');
  assertStatus(await admin.post('/api/v1/sources', {
    name: 'Cli CSV', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: { csv: { folder }, columns: { queue: 'Q', timestamp: 'Start' }, metrics: { calls: 'Calls' } },
  }), 201);
});

after(async () => {
  if (d) {
    await d.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

test('acdlink run imports beside the daemon and reports the spring-forward gap', async () => {
  const r = await runCli(['run', '--source', 'Cli CSV', '--from', '2026-03-29', '--to', '2026-03-29', '--data-dir', d.dataDir]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /run \d+ done: 3 rows read, 2 staged, 1 rejected/);
  // 02:30 does not exist in Berlin on 2026-03-29
  assert.match(r.stderr, /x\.csv:4: 2026-03-29 02:30 does not exist in Europe\/Berlin/);
  const runs = await admin.get('/api/v1/runs');
  assert.equal(runs.body.items[0].trigger, 'cli', show(runs));
  assert.equal(runs.body.items[0].state, 'done');
});

test('acdlink run refuses unknown sources and bad dates', async () => {
  const unknown = await runCli(['run', '--source', 'Nope', '--from', '2026-03-29', '--to', '2026-03-29', '--data-dir', d.dataDir]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no source named 'Nope'/);
  const bad = await runCli(['run', '--source', 'Cli CSV', '--from', '2026-03-30', '--to', '2026-03-29', '--data-dir', d.dataDir]);
  assert.equal(bad.code, 2);
  const usage = await runCli(['run', '--from', '2026-03-29']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /usage: acdlink run/);
});
