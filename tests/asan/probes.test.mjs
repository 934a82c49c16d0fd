// Known-bad inputs for civetweb's request parsing and URI handling, sent to the daemon built
// with AddressSanitizer + UBSan (run with ACDLINK_BIN=build-asan/acdlink). Among them the
// many-slashes path of CVE-2025-55763 (heap overflow in the directory-redirect code of civetweb
// 1.14-1.16): acdlink never serves a document root, so that code must stay unreachable.
// After every probe the daemon must still answer, and at the end its stderr must hold no
// sanitizer report.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { client, rawRequest, startDaemon } from '../lib/daemon.mjs';

let d;
let http;

before(async () => {
  d = await startDaemon();
  http = client(d);
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

async function stillServing(what) {
  const res = await http.request('GET', '/api/v1/health');
  assert.equal(res.status, 200, `daemon stopped answering after ${what}:\n${d.stderr()}`);
}

const slashes = '/'.repeat(8000);
const probes = [
  ['8000 slashes', `GET ${slashes} HTTP/1.1\r\nHost: localhost\r\n\r\n`],
  ['8000 slashes after a folder', `GET /assets${slashes} HTTP/1.1\r\nHost: localhost\r\n\r\n`],
  ['8000 slashes in the API', `GET /api/v1${slashes}users HTTP/1.1\r\nHost: localhost\r\n\r\n`],
  ['folder without slash', 'GET /assets HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['dot segments', 'GET /assets/../../../../etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['encoded dots', 'GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['bad percent escapes', 'GET /%zz%0%00%ff HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['empty request line', '\r\n\r\n'],
  ['method only', 'GET\r\n\r\n'],
  ['unknown version', 'GET / HTTP/9.9\r\n\r\n'],
  ['binary garbage', '\x00\x01\x02\xff\xfe garbage \x7f\r\n\r\n'],
  ['overlong URI', `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`],
  ['header without colon', 'GET / HTTP/1.1\r\nHost localhost\r\nX\r\n\r\n'],
  ['many headers', `GET / HTTP/1.1\r\n${'X-A: b\r\n'.repeat(300)}\r\n`],
  ['negative length', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}'],
  ['huge length', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}'],
  // kept alive on purpose: civetweb's keep-alive bookkeeping after the answer overflowed here
  ['huge length, kept alive', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 9223372036854775807\r\n\r\n{}', { keepAlive: true }],
  ['bad chunk size', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
  ['huge chunk size', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n'],
  ['both length and chunked', 'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'],
  ['CRLF in path', 'GET /api/v1/health%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['absolute URI', 'GET http://evil.example/api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n'],
  ['bad cookie', `GET /api/v1/auth/session HTTP/1.1\r\nHost: localhost\r\nCookie: ${'__Host-acdlink_session='.repeat(200)}\r\n\r\n`],
  ['bad bearer', `GET /api/v1/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${'x'.repeat(9000)}\r\n\r\n`],
  ['deep JSON', `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n${'['.repeat(4000)}`],
];

// "Connection: close" (where a header block exists) lets each probe end as soon as the answer is in.
function closing(text) {
  const i = text.indexOf('\r\n');
  return i > 0 && /^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)
    ? `${text.slice(0, i + 2)}Connection: close\r\n${text.slice(i + 2)}`
    : text;
}

for (const [name, text, opts = {}] of probes) {
  test(`survives: ${name}`, async () => {
    const res = await (opts.keepAlive
      ? rawRequest(d, text, { timeoutMs: 1500 })
      : rawRequest(d, closing(text))).catch((err) => ({ status: null, error: err }));
    if (res.status !== null) {
      assert.ok(res.status >= 200 && res.status < 600, `odd status ${res.status}`);
      assert.ok(!/root:x:0:0/.test(res.text), 'served a file from outside the console');
      assert.ok(!/^Set-Cookie: x=1/m.test(res.head), 'header injection');
    }
    await stillServing(name);
  });
}

test('stops cleanly, with no sanitizer or leak report', async () => {
  const daemon = d;
  d = null;
  const code = await daemon.stop();
  const err = daemon.stderr();
  assert.doesNotMatch(err, /AddressSanitizer|LeakSanitizer|runtime error:/);
  assert.equal(code, 0, err);
});
