// Console asset handler: index, assets, and path traversal probes (sent byte-exact).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, client, rawRequest, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertStatus, show } from '../lib/api.mjs';

let d;
let anon;

before(async () => {
  d = await startDaemon({ users: [ROOT] });
  anon = client(d);
  // A file in the data dir that must never be served.
  fs.writeFileSync(path.join(d.dataDir, 'canary.txt'), 'CANARY-7f3a9c-DO-NOT-SERVE\n');
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

// Markers of files a traversal could reach: system files, the TLS key, the database, the repo.
const MARKERS = ['root:x:0:0', 'root:*:0:0', 'PRIVATE KEY', 'SQLite format 3', 'CANARY-7f3a9c',
  'cmake_minimum_required', '[boot loader]', '[fonts]', '127.0.0.1\tlocalhost', '127.0.0.1 localhost'];

function targetsFor(dataDir) {
  const rel = path.relative('/', dataDir);
  return ['etc/passwd', 'etc/hosts', `${rel}/tls/key.pem`, `${rel}/canary.txt`, 'CMakeLists.txt',
    'windows/win.ini'];
}

function probes() {
  const out = [];
  const ups = (sep, n = 12) => Array(n).fill('..').join(sep);
  for (const t of targetsFor(d.dataDir)) {
    const tEnc = t.split('/').join('%2f');
    const tBack = t.split('/').join('\\');
    out.push(
      `/assets/${ups('/')}/${t}`,
      `/${ups('/')}/${t}`,
      `/assets/../../../../../../../../../../${t}`,
      `/assets/${ups('/', 12).replace(/\.\./g, '%2e%2e')}/${t}`,
      `/assets/${ups('/', 12).replace(/\.\./g, '%2E%2E')}/${t}`,
      `/assets/${ups('%2f')}%2f${tEnc}`,
      `/assets/${ups('%2F')}%2F${tEnc}`,
      `/assets/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f${tEnc}`,
      `/assets/${ups('\\')}\\${tBack}`,
      `/assets/..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5c${t.split('/').join('%5c')}`,
      `/assets/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/${t}`,
      `/assets/..%252f..%252f..%252f..%252f..%252f..%252f..%252f..%252f..%252f..%252f${t.split('/').join('%252f')}`,
      `/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/${t}`,
      `/assets/....//....//....//....//....//....//....//....//....//${t}`,
      `/assets/./../assets/../../../../../../../../../../${t}`,
      `/assets//${'../'.repeat(12)}${t}`,
      `/assets/${encodeURIComponent('/' + t)}`,
      `//${t}`,
      `/assets/%00/../../../../../../../../../../${t}`,
      `/${t}`,
      `/assets/${t}`,
      `/assets/${t}%00.js`,
    );
  }
  // Data dir relative to the daemon's working directory and absolute.
  out.push(`/${d.dataDir.slice(1)}/tls/key.pem`, `/assets/${d.dataDir}/tls/key.pem`,
    `/assets/file:///etc/passwd`, '/assets/', '/assets', '/.git/config',
    '/index.html/../../../../etc/passwd');
  return out;
}

test('GET / serves the console index (HTML)', async () => {
  const r = await anon.request('GET', '/', { headers: { Accept: 'text/html' } });
  assertStatus(r, 200);
  assert.match(String(r.headers['content-type']), /^text\/html/, show(r));
  assert.match(r.text, /<html|<!doctype html/i, show(r));
});

test('assets referenced by the index are served with a fitting content type', async () => {
  const index = await anon.get('/');
  assertStatus(index, 200);
  const refs = [...index.text.matchAll(/(?:src|href)="(\/assets\/[^"?#]+)"/g)].map((m) => m[1]);
  if (refs.length === 0) {
    return; // an index without assets (no Vite build embedded yet) is allowed
  }
  for (const ref of refs) {
    const r = await anon.get(ref);
    assert.equal(r.status, 200, show(r));
    if (ref.endsWith('.js')) {
      assert.match(String(r.headers['content-type']), /javascript/, show(r));
    } else if (ref.endsWith('.css')) {
      assert.match(String(r.headers['content-type']), /text\/css/, show(r));
    }
    assert.equal(r.headers['x-content-type-options'], 'nosniff', show(r));
  }
});

test('anything else outside /api/v1 -> 404', async () => {
  for (const p of ['/nope', '/index.htm', '/assets/nope.js', '/api', '/apiv1/health', '/favicon.ico.bak']) {
    const r = await anon.get(p);
    assert.equal(r.status, 404, show(r));
  }
});

test('path traversal probes on the console asset handler -> 400/404, never file contents', async () => {
  const failures = [];
  const list = probes();
  for (const p of list) {
    const raw = `GET ${p} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
    let r;
    try {
      r = await rawRequest(d, raw);
    } catch (err) {
      failures.push(`${p}: connection error ${err.message}`);
      continue;
    }
    const leaked = MARKERS.filter((m) => r.body.includes(m));
    if (r.status !== 404 && r.status !== 400) {
      failures.push(`${p} -> ${r.status} ${r.body.slice(0, 120)}`);
    } else if (leaked.length) {
      failures.push(`${p} -> ${r.status} body contains ${leaked.join(', ')}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${list.length} probes misbehaved`);
  // Still alive.
  assertStatus(await anon.get('/api/v1/health'), 200);
});

test('dot segments that stay inside the root: 400/404 or exactly the index, nothing else', async () => {
  const index = await rawRequest(d, 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  assert.equal(index.status, 200);
  const failures = [];
  for (const p of ['/assets/.', '/assets/..', '/assets/./', '/assets/../', '/./', '/assets/%2e%2e', '/assets/%2e']) {
    const r = await rawRequest(d, `GET ${p} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const ok = r.status === 400 || r.status === 404 || (r.status === 200 && r.body === index.body);
    if (!ok) {
      failures.push(`${p} -> ${r.status} ${r.body.slice(0, 120)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('traversal through the API prefix does not reach the console or files', async () => {
  const failures = [];
  for (const p of ['/api/v1/../../etc/passwd', '/api/v1/%2e%2e/%2e%2e/etc/passwd', '/api/v1/..%2f..%2fetc%2fpasswd',
    '/api/v1/health/../../../etc/passwd', '/api/v1/..\\..\\etc\\passwd']) {
    const r = await rawRequest(d, `GET ${p} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const leaked = MARKERS.filter((m) => r.body.includes(m));
    if (![400, 401, 404].includes(r.status) || leaked.length) {
      failures.push(`${p} -> ${r.status} ${r.body.slice(0, 120)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('the repo and data files used as probe targets exist (the probes are meaningful)', () => {
  assert.ok(fs.existsSync(path.join(d.dataDir, 'tls', 'key.pem')), 'DIR/tls/key.pem missing');
  assert.ok(fs.existsSync('/etc/passwd') || process.platform === 'win32');
  assert.ok(fs.existsSync(path.join(REPO_ROOT, 'CMakeLists.txt')));
});
