// Allowed roots (import_roots / export_roots): an operator cannot make acdlink read, move,
// delete or write outside them or in its data folder, neither when saving settings nor by
// changing the file system afterwards (links, swapped folders, FIFOs); the csv-export
// connection test reports the folder as it is and creates nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertInvalidField, assertStatus, createUser, pw, sleep, startWithAdmin } from '../lib/api.mjs';
import { TEST_ROOT, login, makeTempDir, runCli } from '../lib/daemon.mjs';
import { contactPipeline, line, writeCsv } from '../lib/pipeline.mjs';

let d;
let admin;
let operator;
let base;
let dataDir;
let key;

const HEADER = 'Split;Date;Time;Calls';
const DAY = '2026-11-24';

before(async () => {
  ({ d, admin } = await startWithAdmin());
  await createUser(admin, 'op', 'operator');
  operator = await login(d, 'op', pw('op'));
  base = fs.realpathSync(await makeTempDir('acdlink-roots-'));
  dataDir = fs.realpathSync(d.dataDir);
  key = fs.readFileSync(path.join(dataDir, 'secret.key'));
});

after(async () => {
  if (d) {
    // a clean exit: under the sanitizer build a memory error or leak would make it fail
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  if (base) {
    for (const m of mounts) {
      spawnSync('umount', [m]);
    }
    fs.rmSync(base, { recursive: true, force: true });
  }
});

const mounts = [];

function csvSource(name, csv) {
  return {
    name,
    kind: 'csv',
    time_zone: 'Europe/Berlin',
    settings: {
      csv: { separator: ';', encoding: 'iso-8859-1', ...csv },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Calls' },
    },
  };
}

function folderWith(name, files = { 'a.csv': `${HEADER}\n7;24.11.2026;08:00;5\n` }) {
  const dir = path.join(base, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

async function preview(session, id) {
  const c = await session.post(`/api/v1/sources/${id}/preview`, { day: DAY, rows: 50 });
  assertStatus(c, 202);
  for (let i = 0; i < 200; i++) {
    const job = (await session.get(c.headers.location)).body;
    if (job.state !== 'running') {
      return job;
    }
    await sleep(50);
  }
  throw new Error('the preview did not finish');
}

async function run(session, id) {
  const c = await session.post('/api/v1/runs', { source_id: id, from: DAY, to: DAY });
  assertStatus(c, 202);
  for (let i = 0; i < 300; i++) {
    const r = await session.get(`/api/v1/runs/${c.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      const log = await session.get(`/api/v1/runs/${c.body.id}/log?limit=500`);
      return { ...r.body, log: log.body.items.map((x) => x.message).join('\n') };
    }
    await sleep(100);
  }
  throw new Error('the run did not finish');
}

/** True when no answer or file content holds the bytes of the key file. */
function keyNotIn(text) {
  return !text.includes(key.toString('latin1')) && !text.includes(key.toString('hex'));
}

test('the roots are listed for every role; the defaults come from the bootstrap settings', async () => {
  await createUser(admin, 'v', 'viewer');
  const viewer = await login(d, 'v', pw('v'));
  const r = await viewer.get('/api/v1/roots');
  assertStatus(r, 200);
  assert.deepEqual(r.body, { import: [TEST_ROOT], export: [TEST_ROOT] });
  // a root holding the daemon's own files, or relative, stops the start with a clear message
  const tls = await runCli(['serve', '--data-dir', dataDir, '--import-roots', path.join(dataDir, 'tls')]);
  assert.notEqual(tls.code, 0);
  assert.match(tls.stderr, /import_roots: .*holds acdlink's own files/);
  const rel = await runCli(['serve', '--data-dir', dataDir, '--export-roots', 'relative/out']);
  assert.notEqual(rel.code, 0);
  assert.match(rel.stderr, /export_roots: 'relative\/out' must be an absolute path/);
});

test('an operator cannot point a source at the data folder or outside the roots', async () => {
  const cases = [
    [{ folder: dataDir, pattern: 'secret.key' }, 'csv.folder', /data folder/],
    [{ folder: path.join(dataDir, 'tls'), pattern: 'key.pem' }, 'csv.folder', /data folder/],
    [{ folder: '/etc', pattern: 'passwd' }, 'csv.folder', /outside the allowed folders/],
    [{ folder: `${base}/../../etc` }, 'csv.folder', /\.\./],
    [{ folder: base, pattern: '../secret.key' }, 'csv.pattern', /without folders/],
    [{ folder: base, pattern: `${dataDir}/secret.key` }, 'csv.pattern', /without folders/],
    [{ folder: base, pattern: '..' }, 'csv.pattern', /without folders/],
    [{ folder: base, pattern: 'a.csv:stream' }, 'csv.pattern', /without folders/],
    [{ folder: base, after_import: 'move', archive_folder: dataDir }, 'csv.archive_folder', /data folder/],
    [{ folder: base, after_import: 'move', archive_folder: '/var/tmp' }, 'csv.archive_folder', /outside/],
  ];
  for (const [csv, field, why] of cases) {
    const r = await operator.post('/api/v1/sources', csvSource('escape', csv));
    assertInvalidField(r, field);
    assert.match(r.body.error.message, why, JSON.stringify(csv));
  }
  // the answer says where folders may be
  const r = await operator.post('/api/v1/sources', csvSource('escape', { folder: dataDir, pattern: 'secret.key' }));
  assert.match(r.body.error.message, new RegExp(`inside ${TEST_ROOT.replace(/[/\\.]/g, '\\$&')} \\(import_roots\\)`));
  // a legitimate source cannot be changed to read the data folder either
  const ok = await operator.post('/api/v1/sources', csvSource('legit', { folder: folderWith('legit') }));
  assertStatus(ok, 201);
  assertInvalidField(await operator.patch(`/api/v1/sources/${ok.body.id}`, {
    settings: { ...ok.body.settings, csv: { ...ok.body.settings.csv, folder: dataDir, pattern: 'secret.key' } },
  }), 'csv.folder');
  assert.equal((await admin.get('/api/v1/sources')).body.items.filter((s) => s.name === 'escape').length, 0);
});

test('links and swapped folders are refused when the files are opened: preview and run', async () => {
  const dir = folderWith('swap');
  const src = (await operator.post('/api/v1/sources', csvSource('swap', { folder: dir, pattern: '*' }))).body;
  // a link inside the root to the key file is skipped, with a line saying why
  fs.symlinkSync(path.join(dataDir, 'secret.key'), path.join(dir, 'key.csv'));
  // a link that stays inside the root is read like the file it names
  fs.writeFileSync(path.join(base, 'elsewhere.csv'), `${HEADER}\n8;24.11.2026;08:15;3\n`);
  fs.symlinkSync(path.join(base, 'elsewhere.csv'), path.join(dir, 'inside.csv'));
  let job = await preview(operator, src.id);
  assert.equal(job.state, 'done', JSON.stringify(job));
  let text = JSON.stringify(job);
  assert.ok(keyNotIn(text), 'the preview shows the key');
  assert.match(text, /key\.csv: skipped: it is a link that leads outside the allowed import folders/);
  assert.deepEqual(job.result.rows.map((r) => r.ext_queue).sort(), ['7', '8']);
  const r1 = await run(operator, src.id);
  assert.match(r1.log, /key\.csv: skipped: it is a link that leads outside/);
  assert.ok(keyNotIn(r1.log));

  // the folder itself swapped for a link to the data folder after it was saved
  fs.rmSync(dir, { recursive: true });
  fs.symlinkSync(dataDir, dir);
  job = await preview(operator, src.id);
  text = JSON.stringify(job);
  assert.ok(keyNotIn(text), 'the preview shows the key');
  assert.match(text, /data folder/);
  assert.equal(job.result?.rows?.length ?? 0, 0);
  const r2 = await run(operator, src.id);
  assert.equal(r2.state, 'failed');
  assert.match(r2.log, /csv\.folder: .*data folder/);
  assert.equal(r2.counts.files_read, 0);
  fs.unlinkSync(dir);
});

test('FIFOs are skipped with a run-log line, never opened', async (t) => {
  const dir = folderWith('fifo');
  const fifo = path.join(dir, 'pipe.csv');
  if (spawnSync('mkfifo', [fifo]).status !== 0) {
    t.skip('mkfifo is not available');
    return;
  }
  fs.symlinkSync(fifo, path.join(dir, 'to-pipe.csv'));
  const src = (await operator.post('/api/v1/sources', csvSource('fifo', { folder: dir }))).body;
  const r = await run(operator, src.id);
  assert.equal(r.state, 'done', r.log);
  assert.match(r.log, /pipe\.csv: skipped: it is a named pipe \(FIFO\), not a regular file/);
  assert.match(r.log, /to-pipe\.csv: skipped: it is or leads to a named pipe \(FIFO\)/);
  assert.equal(r.counts.files_read, 1);
});

test('after_import delete and move act only inside the roots', async () => {
  // delete: the imported file goes, a link to a file in the data folder is neither read nor
  // followed when deleting
  const canary = path.join(dataDir, 'canary.txt');
  fs.writeFileSync(canary, `${HEADER}\n9;24.11.2026;08:00;1\n`);
  const del = folderWith('del');
  fs.symlinkSync(canary, path.join(del, 'canary.csv'));
  const s1 = (await operator.post('/api/v1/sources', csvSource('del', { folder: del, after_import: 'delete' }))).body;
  const r1 = await run(operator, s1.id);
  assert.equal(r1.state, 'done', r1.log);
  assert.deepEqual(fs.readdirSync(del).sort(), ['canary.csv']);
  assert.ok(fs.existsSync(canary), 'a file in the data folder was deleted');

  // move: the archive folder swapped for a link to the data folder after it was saved
  const mv = folderWith('mv');
  const archive = path.join(base, 'archive');
  const s2 = (await operator.post('/api/v1/sources', csvSource('mv', { folder: mv, after_import: 'move', archive_folder: archive }))).body;
  fs.symlinkSync(dataDir, archive);
  const r2 = await run(operator, s2.id);
  assert.match(r2.log, /csv\.archive_folder: .*data folder/);
  assert.match(r2.log, /imported files stay where they are/);
  assert.deepEqual(fs.readdirSync(mv), ['a.csv']);
  assert.ok(!fs.existsSync(path.join(dataDir, 'a.csv')), 'a file was moved into the data folder');
  // an archive folder inside the roots is made and used
  fs.unlinkSync(archive);
  fs.writeFileSync(path.join(mv, 'b.csv'), `${HEADER}\n7;24.11.2026;09:00;2\n`);
  const r3 = await run(operator, s2.id);
  assert.equal(r3.state, 'done', r3.log);
  assert.deepEqual(fs.readdirSync(archive).sort(), ['b.csv']);
});

async function testTarget(session, id) {
  const c = await session.post(`/api/v1/targets/${id}/test`);
  assertStatus(c, 202);
  for (let i = 0; i < 200; i++) {
    const job = (await session.get(c.headers.location)).body;
    if (job.state !== 'running') {
      assert.equal(job.state, 'done', JSON.stringify(job));
      return job.result;
    }
    await sleep(50);
  }
  throw new Error('the connection test did not finish');
}

/** A small tmpfs at dir (root only); options e.g. 'size=64k' or 'ro'. False when not possible. */
function mountTmpfs(dir, options) {
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) {
    return false;
  }
  mounts.push(dir);
  return true;
}

test('csv-export: folders inside the export roots only; the connection test tells the truth and creates nothing', async (t) => {
  assertInvalidField(await operator.post('/api/v1/targets', { name: 'x', connector: 'csv-export', settings: { folder: dataDir } }), 'folder');
  assertInvalidField(await operator.post('/api/v1/targets', { name: 'x', connector: 'csv-export', settings: { folder: '/etc/cron.d' } }), 'folder');
  const make = async (name, settings) => {
    const r = await operator.post('/api/v1/targets', { name, connector: 'csv-export', settings });
    assertStatus(r, 201);
    return r.body;
  };
  // missing: reported, not created (also with create_folder, which only deliveries use)
  const missing = path.join(base, 'out-missing');
  let res = await testTarget(operator, (await make('missing', { folder: missing })).id);
  assert.equal(res.ok, false);
  assert.equal(res.failure, 'file');
  assert.equal(res.status, null);
  assert.match(res.message, /^Folder: the folder .*out-missing is missing/);
  assert.doesNotMatch(res.message, /server|answered|HTTP/);
  assert.ok(!fs.existsSync(missing), 'the connection test created the folder');
  const created = path.join(base, 'out-created');
  res = await testTarget(operator, (await make('missing-create', { folder: created, create_folder: true })).id);
  assert.equal(res.ok, true);
  assert.match(res.message, /out-created is missing; it is created with the first delivery/);
  assert.ok(!fs.existsSync(created), 'the connection test created the folder');
  // exists and writable
  const out = path.join(base, 'out');
  fs.mkdirSync(out);
  res = await testTarget(operator, (await make('ok', { folder: out })).id);
  assert.deepEqual(res, {
    ok: true, failure: null, status: null, message: `Folder: ${out} exists and is writable.`,
    code: 'conn.folder_ok', params: { folder: out },
  });
  assert.deepEqual(fs.readdirSync(out), []);
  // not writable (a read-only file system) and disk full (a full one): root can mount them
  const ro = path.join(base, 'out-ro');
  const full = path.join(base, 'out-full');
  if (!mountTmpfs(ro, 'ro,size=64k') || !mountTmpfs(full, 'size=16k')) {
    t.diagnostic('not writable / disk full not tested: mounting a tmpfs needs root');
    return;
  }
  res = await testTarget(operator, (await make('ro', { folder: ro })).id);
  assert.equal(res.ok, false);
  assert.match(res.message, /out-ro is not writable for the daemon's user/);
  spawnSync('dd', ['if=/dev/zero', `of=${path.join(full, 'fill')}`, 'bs=4k', 'count=64'], { stdio: 'ignore' });
  const fullTarget = await make('full', { folder: full });
  res = await testTarget(operator, fullTarget.id);
  assert.equal(res.ok, false);
  assert.match(res.message, /out-full is on a full disk \(disk full\)/);

  // deliveries say the same, naming the folder; create_folder makes the missing folder
  const acd = folderWith('deliver', {});
  const { source } = await contactPipeline(admin, acd, ['701']);
  writeCsv(acd, 'a.csv', [line('701', '2026-11-24', '08:00', 5, 4, 100)]);
  assert.equal((await run(admin, source.id)).state, 'done');
  const targets = Object.fromEntries((await admin.get('/api/v1/targets')).body.items.map((x) => [x.name, x.id]));
  const want = { missing: /out-missing is missing/, ro: /out-ro is not writable/, full: /out-full is on a full disk \(disk full\)/ };
  let seen = {};
  for (let i = 0; i < 300 && (Object.keys(seen).length < 3 || !fs.existsSync(created)); i++) {
    const items = (await admin.get('/api/v1/deliveries?limit=500')).body.items;
    seen = {};
    for (const [name, re] of Object.entries(want)) {
      const b = items.find((x) => x.target_id === targets[name] && x.last_error);
      if (b) {
        assert.match(b.last_error, re);
        seen[name] = true;
      }
    }
    await sleep(100);
  }
  assert.deepEqual(Object.keys(seen).sort(), ['full', 'missing', 'ro']);
  assert.ok(fs.existsSync(created), 'create_folder: the first delivery makes the folder');
  assert.ok(!fs.existsSync(missing), 'a delivery made a folder without create_folder');
});
