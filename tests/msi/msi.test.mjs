// The Windows build under wine64: acdlink.exe in a console answering HTTPS and importing
// through ODBC, then the MSI: install (service registered, started, answering), stop and
// start through the service manager, upgrade with data in place, uninstall keeping the data,
// and `acdlink service install|remove`.
//
// Started by tests/msi/run.sh, which builds the MSI, makes a fresh wine prefix and passes:
//   MSI_TEST_EXE      the cross-built acdlink.exe
//   MSI_TEST_PACKAGE  the MSI of the project's version
//   MSI_TEST_UPGRADE  the same program packed with a higher version (the upgrade)
//   WINEPREFIX, WINEDLLPATH, WINEDEBUG, WINEDLLOVERRIDES  for every wine process
// Wine processes get no ACDLINK_* variable (wineEnv): the daemon refuses unknown ones, the
// service inherits the environment of the first wine process, and the Linux test roots that
// childEnv names are no Windows paths (the Windows daemon keeps its default roots).
// Wine's service manager (services.exe) lives only while an ordinary wine process does, so
// run.sh keeps a waiting `cmd` running for the whole file.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { childEnv, client, freePort } from '../lib/daemon.mjs';

/** The environment of a wine process: childEnv's without any ACDLINK_* variable. */
function wineEnv() {
  return Object.fromEntries(Object.entries(childEnv()).filter(([k]) => !k.startsWith('ACDLINK_')));
}

const EXE = process.env.MSI_TEST_EXE;
const MSI = process.env.MSI_TEST_PACKAGE;
const MSI_UPGRADE = process.env.MSI_TEST_UPGRADE;
const PREFIX = process.env.WINEPREFIX;
const DRIVE_C = PREFIX && path.join(PREFIX, 'drive_c');
const DATA = DRIVE_C && path.join(DRIVE_C, 'ProgramData', 'acdlink');
const INSTALLED_EXE = DRIVE_C && path.join(DRIVE_C, 'Program Files', 'acdlink', 'acdlink.exe');

let work;
let servicePort;
const admin = { name: 'admin', password: null };

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Z:\... for a Unix path (wine maps Z: to /). */
function winPath(p) {
  return `Z:${p.replace(/\//g, '\\')}`;
}

/**
 * Runs `wine ARGS`; resolves {code, out}; never rejects. The output goes through a file, not
 * a pipe: wine processes started on the way (wineserver, services.exe, explorer.exe) inherit
 * the descriptors and outlive the command, so a pipe would never close.
 */
function wine(args, timeoutMs = 120000) {
  const file = path.join(work, `wine-${process.hrtime.bigint()}.out`);
  const fd = fs.openSync(file, 'w');
  return new Promise((resolve) => {
    const child = spawn('wine', args, { stdio: ['ignore', fd, fd], env: wineEnv() });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = (code) => {
      clearTimeout(timer);
      fs.closeSync(fd);
      const out = fs.readFileSync(file, 'utf8');
      fs.rmSync(file, { force: true });
      resolve({ code, out });
    };
    child.on('error', () => done(-1));
    child.on('exit', (code) => done(code ?? -1));
  });
}

/** The service's state as `sc query` prints it (RUNNING, STOPPED, ...), or null when none. */
async function serviceState(name = 'acdlink') {
  const r = await wine(['sc', 'query', name]);
  const m = /STATE\s*:\s*\d+\s+(\w+)/.exec(r.out);
  return m ? m[1] : null;
}

async function waitFor(what, fn, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) {
      return last;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** GET /api/v1/health over HTTPS trusting only ca; resolves the parsed body or null. */
function health(port, ca) {
  return new Promise((resolve) => {
    const req = https.request({
      host: '127.0.0.1', port, path: '/api/v1/health', ca, servername: 'localhost',
      agent: false, timeout: 3000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve(res.statusCode === 200 ? { ...JSON.parse(text), tls: res.socket.getProtocol?.() } : null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Waits until the daemon whose data folder is dataDir answers HTTPS on port. */
async function waitHttps(port, dataDir, timeoutMs = 60000) {
  const cert = path.join(dataDir, 'tls', 'cert.pem');
  return waitFor(`HTTPS on port ${port}`, async () => {
    if (!fs.existsSync(cert)) {
      return null;
    }
    const ca = fs.readFileSync(cert);
    const h = await health(port, ca);
    return h ? { ...h, ca } : null;
  }, timeoutMs);
}

async function loginAdmin(port, ca) {
  const s = client({ port, ca, plainHttp: false });
  const r = await s.login(admin.name, admin.password);
  assert.equal(r.status, 200, `login: ${r.status} ${r.text}`);
  return s;
}

async function runDay(s, sourceId, day) {
  const c = await s.post('/api/v1/runs', { source_id: sourceId, from: day, to: day });
  assert.equal(c.status, 202, c.text);
  return waitFor(`run ${c.body.id}`, async () => {
    const r = await s.get(`/api/v1/runs/${c.body.id}`);
    return ['done', 'failed', 'cancelled'].includes(r.body.state) ? r.body : null;
  });
}

before(async () => {
  for (const [name, v] of Object.entries({ EXE, PACKAGE: MSI, UPGRADE: MSI_UPGRADE, PREFIX })) {
    assert.ok(v, `MSI_TEST_${name} is not set: run tests/msi/run.sh`);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-msi-'));
  await waitFor('wine services', async () => (await wine(['sc', 'query', 'eventlog'])).code === 0);
});

after(async () => {
  if (work) {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test('acdlink.exe needs only DLLs that come with Windows', () => {
  const dump = execFileSync('x86_64-w64-mingw32-objdump', ['-p', EXE],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  const dlls = [...dump.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1].toLowerCase()).sort();
  const windows = ['advapi32.dll', 'bcrypt.dll', 'crypt32.dll', 'icu.dll', 'kernel32.dll',
    'msvcrt.dll', 'odbc32.dll', 'user32.dll', 'ws2_32.dll'];
  assert.deepEqual(dlls.filter((d) => !windows.includes(d)), [], `imports: ${dlls.join(' ')}`);
  assert.ok(dlls.includes('icu.dll') && dlls.includes('odbc32.dll'), dlls.join(' '));
});

test('serve --console answers HTTPS and imports through ODBC with ICU time zones', async () => {
  const dataDir = path.join(work, 'console-data');
  const port = await freePort();
  const proc = spawn('wine', [EXE, 'serve', '--console', '--data-dir', winPath(dataDir),
    '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'], env: wineEnv() });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  try {
    const h = await waitHttps(port, dataDir);
    assert.equal(h.status, 'ok');
    assert.match(h.tls, /^TLSv1\.[23]$/);
    // Windows converts times with ICU's data (Windows keeps its icu.dll's tz data current)
    assert.equal(h.tzdata_source, 'icu');
    assert.match(h.tzdata, /^\d{4}[a-z]$/);
    admin.password = fs.readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
    const s = await loginAdmin(port, h.ca);

    // an ACD database in SQLite, read through wine's odbc32 -> the host's unixODBC driver
    const db = path.join(work, 'acd.sqlite');
    execFileSync('sqlite3', [db], {
      input: `CREATE TABLE split_interval (split TEXT, name TEXT, starts TEXT, offered INTEGER);
        INSERT INTO split_interval VALUES ('7', 'Billing', '2026-11-24 00:00:00', 4),
          ('7', 'Billing', '2026-11-24 00:15:00', 6), ('7', 'Billing', '2026-07-01 00:00:00', 9);`,
    });
    const src = await s.post('/api/v1/sources', {
      name: 'SQLite ACD', kind: 'odbc', time_zone: 'Europe/Berlin',
      settings: {
        odbc: {
          connection_string: `Driver=SQLite3;Database=${db}`,
          sql: 'SELECT split, name, starts, offered FROM split_interval '
            + 'WHERE starts >= :period_start AND starts < :period_end',
        },
      },
    });
    assert.equal(src.status, 201, src.text);
    for (const day of ['2026-11-24', '2026-07-01']) {
      const run = await runDay(s, src.body.id, day);
      assert.equal(run.state, 'done', JSON.stringify(run));
    }
    const q = await s.post('/api/v1/queues', { identifier: 'BILL', name: 'Billing', time_zone: 'Europe/Berlin' });
    assert.equal(q.status, 201, q.text);
    const m = await s.post('/api/v1/mappings', {
      queue_id: q.body.id, value_type: 'offered',
      inputs: [{ source_id: src.body.id, ext_queue: '7', metric: 'offered' }],
    });
    assert.equal(m.status, 201, m.text);
    const items = [];
    for (const day of ['2026-07-01', '2026-11-24']) {
      const res = await s.get(`/api/v1/results?queue=BILL&from=${day}&to=${day}`);
      assert.equal(res.status, 200, res.text);
      items.push(...res.body.items.map((x) => `${x.interval_start} ${x.local} ${x.value}`));
    }
    // local midnight in Berlin is 22:00 UTC in summer and 23:00 UTC in winter (ICU's tz data)
    assert.deepEqual(items, [
      '2026-06-30T22:00:00Z 2026-07-01T00:00+02:00 9',
      '2026-11-23T23:00:00Z 2026-11-24T00:00+01:00 4',
      '2026-11-23T23:15:00Z 2026-11-24T00:15+01:00 6',
    ]);
    s.close();
  } finally {
    proc.kill();
  }
  // every line but the names of applied migrations (0024_run_error_code.sql) is free of errors
  const said = log
    .split('\n')
    .filter((l) => !/applied schema migration \d{4}_\w+\.sql\r?$/.test(l))
    .join('\n');
  assert.doesNotMatch(said, /error/i, log);
});

test('the MSI installs the program and starts the service, which answers HTTPS', async () => {
  servicePort = await freePort();
  // the service reads %ProgramData%\acdlink\acdlink.conf when it is there
  fs.mkdirSync(DATA, { recursive: true });
  fs.writeFileSync(path.join(DATA, 'acdlink.conf'), `listen = 127.0.0.1:${servicePort}\n`);
  const r = await wine(['msiexec', '/i', winPath(MSI), '/qn']);
  assert.equal(r.code, 0, r.out);
  assert.ok(fs.existsSync(INSTALLED_EXE), 'acdlink.exe is not under Program Files');
  assert.equal(await waitFor('RUNNING', async () => ((await serviceState()) === 'RUNNING' ? 'RUNNING' : null)), 'RUNNING');
  const h = await waitHttps(servicePort, DATA);
  assert.equal(h.status, 'ok');
  // the registration as the service manager keeps it (wine's sc has no qc)
  const reg = await wine(['reg', 'query', 'HKLM\\System\\CurrentControlSet\\Services\\acdlink']);
  assert.match(reg.out, /Start\s+REG_DWORD\s+0x2\b/, reg.out); // SERVICE_AUTO_START
  assert.match(reg.out, /ImagePath\s+REG_\w+\s+.*acdlink\.exe"? serve --service/, reg.out);
  assert.match(reg.out, /ObjectName\s+REG_SZ\s+NT AUTHORITY\\LocalService/, reg.out);
  admin.password = fs.readFileSync(path.join(DATA, 'initial-admin-password'), 'utf8').trim();
  const s = await loginAdmin(servicePort, h.ca);
  const u = await s.post('/api/v1/users', { name: 'keeper', role: 'viewer', password: 'Keeper-Passw0rd-long' });
  assert.equal(u.status, 201, u.text);
  s.close();
});

test('sc stop shuts the service down in order; sc start brings it back', async () => {
  const logFile = path.join(DATA, 'acdlink.log');
  const r = await wine(['sc', 'stop', 'acdlink']);
  assert.equal(r.code, 0, r.out);
  await waitFor('STOPPED', async () => ((await serviceState()) === 'STOPPED' ? 'STOPPED' : null), 30000);
  const log = fs.readFileSync(logFile, 'utf8');
  assert.match(log, /stopping[\s\S]*stopped/, log.slice(-2000));
  assert.equal(await health(servicePort, fs.readFileSync(path.join(DATA, 'tls', 'cert.pem'))), null);
  const s = await wine(['sc', 'start', 'acdlink']);
  assert.equal(s.code, 0, s.out);
  const h = await waitHttps(servicePort, DATA);
  assert.equal(h.status, 'ok');
});

test('an upgrade replaces the program and keeps the data', async () => {
  const cert = fs.readFileSync(path.join(DATA, 'tls', 'cert.pem'), 'utf8');
  // Wine's msiexec does not wait for the old service to stop before starting the new one
  // (Windows Installer does), so under wine the upgrade starts from a stopped service.
  assert.equal((await wine(['sc', 'stop', 'acdlink'])).code, 0);
  await waitFor('STOPPED', async () => ((await serviceState()) === 'STOPPED' ? 'STOPPED' : null), 30000);
  const r = await wine(['msiexec', '/i', winPath(MSI_UPGRADE), '/qn']);
  assert.equal(r.code, 0, r.out);
  await waitFor('RUNNING', async () => ((await serviceState()) === 'RUNNING' ? 'RUNNING' : null));
  const h = await waitHttps(servicePort, DATA);
  assert.equal(fs.readFileSync(path.join(DATA, 'tls', 'cert.pem'), 'utf8'), cert, 'a new certificate');
  const s = await loginAdmin(servicePort, h.ca);
  const users = await s.get('/api/v1/users');
  assert.ok(users.body.items.some((x) => x.name === 'keeper'), users.text);
  s.close();
});

test('uninstalling removes the service and keeps the data folder', async () => {
  const r = await wine(['msiexec', '/x', winPath(MSI_UPGRADE), '/qn']);
  assert.equal(r.code, 0, r.out);
  await waitFor('no service', async () => ((await serviceState()) === null ? 'gone' : null), 30000);
  assert.ok(fs.existsSync(path.join(DATA, 'acdlink.db')), 'the database went with the program');
  assert.ok(fs.existsSync(path.join(DATA, 'secret.key')), 'the key file went with the program');
});

test('acdlink service install registers and starts the service; service remove takes it away', async () => {
  const port = await freePort();
  const exe = path.join(work, 'acdlink.exe');
  fs.copyFileSync(EXE, exe);
  const r = await wine([exe, 'service', 'install', '--listen', `127.0.0.1:${port}`]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /installed and started the service acdlink/);
  await waitFor('RUNNING', async () => ((await serviceState()) === 'RUNNING' ? 'RUNNING' : null));
  const h = await waitHttps(port, DATA);
  assert.equal(h.status, 'ok');
  const again = await wine([exe, 'service', 'install']);
  assert.notEqual(again.code, 0);
  assert.match(again.out, /registering the service/);
  const rm = await wine([exe, 'service', 'remove']);
  assert.equal(rm.code, 0, rm.out);
  assert.equal(await serviceState(), null);
  assert.equal(await health(port, h.ca), null);
  const none = await wine([exe, 'service', 'remove']);
  assert.notEqual(none.code, 0);
});
