// The daemon makes its data folder private itself, whatever umask it is started with: the
// folder 0700, the database with its -wal and -shm files, the secrets key and the TLS files 0600.
// (Windows has no umask: there the folder's ACL does it; see daemon/platform/win32.c.)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus } from '../lib/api.mjs';

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) {
      walk(p, out);
    }
  }
  return out;
}

test('started with umask 022, the daemon creates its data folder 0700 and every file in it 0600', { skip: process.platform === 'win32' }, async () => {
  const old = process.umask(0o022);
  const tmp = await makeTempDir();
  const dataDir = path.join(tmp, 'fresh', 'data');
  let d;
  try {
    d = await startDaemon({ dataDir, users: [ROOT] });
    // a write, so the database has its -wal and -shm files
    const admin = await login(d, ROOT.name, ROOT.password);
    assertStatus(await admin.post('/api/v1/queues', { identifier: 'Q1', name: 'q', time_zone: 'UTC' }), 201);
    const names = fs.readdirSync(dataDir);
    for (const f of ['acdlink.db', 'acdlink.db-wal', 'acdlink.db-shm', 'secret.key', 'tls']) {
      assert.ok(names.includes(f), `${f} missing in ${names.join(', ')}`);
    }
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700, 'data folder mode');
    for (const p of walk(dataDir)) {
      const st = fs.statSync(p);
      const want = st.isDirectory() ? 0o700 : 0o600;
      assert.equal(st.mode & 0o777, want, `${path.relative(dataDir, p)}: mode ${(st.mode & 0o777).toString(8)}`);
    }
    assert.doesNotMatch(d.stderr(), /can be entered by other users/);
  } finally {
    process.umask(old);
    if (d) {
      await d.stop();
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('an existing data folder that others can enter is named in a warning at start', { skip: process.platform === 'win32' }, async () => {
  const tmp = await makeTempDir();
  fs.chmodSync(tmp, 0o755);
  let d;
  try {
    d = await startDaemon({ dataDir: tmp });
    assert.match(d.stderr(), /data folder .* can be entered by other users \(mode 0755\).*chmod 700/);
  } finally {
    if (d) {
      await d.stop();
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
