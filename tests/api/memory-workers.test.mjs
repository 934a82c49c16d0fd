// The daemon's memory does not grow with the number of HTTP workers that ever served: one
// client sending requests one after the other, each on a new TLS connection, is served by the
// same few workers, so hundreds of such requests leave the resident memory where a few dozen
// left it. (Were every worker woken in turn, each of the 256 would keep the stack pages, the
// answer buffer and the allocator's per-thread cache that serving left it: megabytes that grow
// for as long as there are workers that have not served yet.) The metrics show what the
// memory is made of.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { createToken, show, startWithAdmin } from '../lib/api.mjs';
import { bearer } from '../lib/daemon.mjs';

const UNDER_ASAN = /build-asan/.test(process.env.ACDLINK_BIN || '');
const WARM = 40;
const MORE = 600; // more than twice the default http_threads (256)

let d;
let viewer;

before(async () => {
  let admin;
  ({ d, admin } = await startWithAdmin());
  viewer = bearer(d, (await createToken(admin, 'scraper', 'viewer')).token);
});

after(async () => {
  await d?.stop();
});

/** The daemon's anonymous resident memory in KiB (heap and thread stacks). */
function rssAnonKib() {
  return Number(/RssAnon:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))[1]);
}

/** n requests one after the other, each on a connection of its own (no keep-alive). */
async function requests(n) {
  const paths = ['/api/v1/metrics', '/api/v1/sources', '/api/v1/health'];
  for (let i = 0; i < n; i++) {
    const r = await viewer.get(paths[i % paths.length]);
    assert.equal(r.status, 200, show(r));
  }
}

test('the metrics carry the memory figures', async () => {
  const m = (await viewer.get('/api/v1/metrics')).text;
  const fig = (name) => {
    const x = new RegExp(`^${name} (\\d+)$`, 'm').exec(m);
    assert.ok(x, `${name} in the metrics:\n${m}`);
    return Number(x[1]);
  };
  const rss = fig('acdlink_memory_resident_bytes');
  assert.ok(Math.abs(rss / 1024 - Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))[1])) < 16384, `resident ${rss}`);
  if (UNDER_ASAN) {
    // the sanitizer's allocator stands in front of glibc's: no arena figures then
    assert.doesNotMatch(m, /^acdlink_memory_heap_in_use_bytes /m);
  } else {
    assert.ok(fig('acdlink_memory_heap_in_use_bytes') > 0);
    assert.ok(fig('acdlink_memory_heap_system_bytes') >= fig('acdlink_memory_heap_in_use_bytes'));
  }
  assert.ok(fig('acdlink_memory_sqlite_bytes') > 0 && fig('acdlink_memory_sqlite_peak_bytes') >= fig('acdlink_memory_sqlite_bytes'));
  assert.ok(fig('acdlink_store_connections') >= 1 && fig('acdlink_store_connections_idle') <= fig('acdlink_store_connections'));
  assert.ok(fig('acdlink_threads') > 256, 'the HTTP workers are counted');
});

test('hundreds of requests one after the other leave the memory where a few dozen left it', { skip: UNDER_ASAN && 'the sanitizer keeps freed memory in quarantine' }, async (t) => {
  await requests(WARM);
  const warm = rssAnonKib();
  await requests(MORE);
  const end = rssAnonKib();
  t.diagnostic(`anonymous RSS ${warm} KiB after ${WARM} requests, ${end} KiB after ${WARM + MORE}`);
  // with a worker woken in turn for every connection the growth is 10 MiB and more
  assert.ok(end - warm <= 3072, `anonymous RSS grew by ${end - warm} KiB over ${MORE} requests`);
});
