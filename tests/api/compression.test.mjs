// The console's files go out gzip-compressed (precompressed at build time) to clients that
// accept gzip, with Vary: Accept-Encoding and an ETag of their own; other clients get the
// plain bytes. The console has a favicon.

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { client, startDaemon } from '../lib/daemon.mjs';
import { assertStatus, show } from '../lib/api.mjs';

let d;
let anon;

before(async () => {
  d = await startDaemon();
  anon = client(d);
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

async function assets() {
  const index = await anon.get('/');
  assertStatus(index, 200);
  const refs = [...index.text.matchAll(/(?:src|href)="(\/assets\/[^"?#]+\.(?:js|css))"/g)].map((m) => m[1]);
  assert.ok(refs.some((r) => r.endsWith('.js')) && refs.some((r) => r.endsWith('.css')),
    `the index names its script and style sheet: ${index.text}`);
  return ['/', ...refs];
}

test('gzip for clients that accept it: smaller, same bytes once decoded, Vary and ETag', async () => {
  let plainTotal = 0;
  let gzTotal = 0;
  for (const ref of await assets()) {
    const plain = await anon.request('GET', ref, { headers: { 'Accept-Encoding': 'identity' } });
    assertStatus(plain, 200);
    assert.equal(plain.headers['content-encoding'], undefined, `${ref}: ${show(plain)}`);
    assert.equal(plain.headers.vary, 'Accept-Encoding', `${ref} varies by Accept-Encoding`);

    const gz = await anon.request('GET', ref, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    assertStatus(gz, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip', `${ref}: ${JSON.stringify(gz.headers)}`);
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.equal(Number(gz.headers['content-length']), gz.raw.length);
    assert.ok(gz.raw.length < plain.raw.length, `${ref}: ${gz.raw.length} >= ${plain.raw.length}`);
    assert.ok(zlib.gunzipSync(gz.raw).equals(plain.raw), `${ref}: gunzip gives the plain file`);
    assert.equal(gz.headers['content-type'], plain.headers['content-type']);
    assert.ok(gz.headers.etag && plain.headers.etag && gz.headers.etag !== plain.headers.etag,
      `${ref}: each representation has its own ETag (${gz.headers.etag}, ${plain.headers.etag})`);

    // revalidation per representation
    const again = await anon.request('GET', ref, {
      headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.etag } });
    assert.equal(again.status, 304, show(again));
    assert.equal(again.raw.length, 0);
    const mixed = await anon.request('GET', ref, {
      headers: { 'Accept-Encoding': 'identity', 'If-None-Match': gz.headers.etag } });
    assert.equal(mixed.status, 200, 'the gzip ETag does not validate the plain file');
    assert.equal(mixed.headers['content-encoding'], undefined);

    const refused = await anon.request('GET', ref, { headers: { 'Accept-Encoding': 'gzip;q=0, br' } });
    assert.equal(refused.headers['content-encoding'], undefined, 'q=0 refuses gzip');
    plainTotal += plain.raw.length;
    gzTotal += gz.raw.length;
  }
  assert.ok(gzTotal * 3 < plainTotal, `compressed ${gzTotal} bytes of ${plainTotal}: less than a third`);
});

test('the console has a favicon, linked from the index', async () => {
  const index = await anon.get('/');
  assert.match(index.text, /<link rel="icon" type="image\/svg\+xml" href="\/favicon\.svg">/);
  const icon = await anon.request('GET', '/favicon.svg', { headers: { Accept: 'image/*' } });
  assertStatus(icon, 200);
  assert.equal(icon.headers['content-type'], 'image/svg+xml');
  assert.match(icon.text, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
});
