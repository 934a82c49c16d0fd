// Login throttling per account and per client, growing lockouts, kept-alive connections.
//
// The daemon runs with --login-max-failures 3 --login-lockout-base 3, so a lock lasts 3 s, then
// 6 s, 12 s ... Different clients are simulated by connecting from different loopback source
// addresses (127.0.0.x); each test uses its own addresses and accounts so they do not interact.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, startDaemon } from '../lib/daemon.mjs';
import { ROOT, assertError, assertStatus, pw, show, sleep } from '../lib/api.mjs';

const MAX = 3;
// Long enough that a lock is still on when the next request arrives on a loaded machine
// (each failed login costs a scrypt verification first), short enough to wait out.
const BASE = 3;
const accounts = ['acct-a', 'acct-b', 'grow', 'keep', 'client-target', 'other', 'race'].map((name) => ({
  name, role: 'viewer', password: pw(name),
}));
const PW = Object.fromEntries(accounts.map((a) => [a.name, a.password]));

let d;

before(async () => {
  d = await startDaemon({
    args: ['--login-lockout-base', String(BASE), '--login-max-failures', String(MAX)],
    users: [ROOT, ...accounts],
    // cheap password hashes (test builds): a loaded machine's scrypt work must not outlast a lock
    env: { ACDL_TEST_SCRYPT_LN: '10' },
  });
});

after(async () => {
  if (d) {
    await d.stop();
  }
});

function from(addr, opts = {}) {
  return client(d, { localAddress: addr, ...opts });
}

function retryAfter(res) {
  const v = res.headers['retry-after'];
  assert.ok(v !== undefined, `429 without Retry-After: ${show(res)}`);
  assert.match(String(v), /^\d+$/, `Retry-After is not delta-seconds: '${v}'`);
  const n = Number(v);
  assert.ok(n >= 1, `Retry-After < 1: ${show(res)}`);
  return n;
}

function assertThrottled(res) {
  assertError(res, 429, 'too_many_requests');
  return retryAfter(res);
}

/**
 * Logs in as name with password from client c until the answer is not 429, i.e. until the
 * lock has ended (an attempt refused during a lock is not counted as a failure), and returns
 * that answer. The condition is the daemon's answer; ra (the Retry-After seen) bounds it.
 */
async function afterLock(c, name, password, ra) {
  for (const deadline = Date.now() + ra * 1000 + 30000; ;) {
    const r = await c.login(name, password);
    if (r.status !== 429) {
      return r;
    }
    assert.ok(Date.now() < deadline, `still locked ${ra} s + 30 s after Retry-After ${ra}: ${show(r)}`);
    await sleep(100); // the pace of the polling, not a wait for the lock
  }
}

test('per account: after max failures the right password is refused with 429 from any client', async () => {
  const attacker = from('127.0.0.11');
  for (let i = 0; i < MAX; i++) {
    assertError(await attacker.login('acct-a', 'wrong-password-xx'), 401, 'invalid_credentials');
  }
  const locked = await attacker.login('acct-a', PW['acct-a']);
  assertThrottled(locked);
  assert.ok(!locked.setCookies.some((s) => /acdlink_session=[^;]/.test(s)), `cookie set while locked: ${show(locked)}`);
  // A different client, right password, same account: still locked (the lock is on the account).
  const elsewhere = await from('127.0.0.12').login('acct-a', PW['acct-a']);
  assertThrottled(elsewhere);
  // A different account from that other client is fine.
  assertStatus(await from('127.0.0.12').login('acct-b', PW['acct-b']), 200);
  // After the lock the right password works again.
  assertStatus(await afterLock(from('127.0.0.12'), 'acct-a', PW['acct-a'], retryAfter(elsewhere)), 200);
});

test('per client: failures spread over many accounts lock the client, not those accounts', async () => {
  const spray = from('127.0.0.21');
  for (let i = 0; i < MAX; i++) {
    // Unknown names: each account sees one failure at most, only the client adds up.
    assertError(await spray.login(`nobody-${i}`, 'wrong-password-xx'), 401, 'invalid_credentials');
  }
  const locked = await spray.login('client-target', PW['client-target']);
  assertThrottled(locked);
  // The same account from another client logs in.
  assertStatus(await from('127.0.0.22').login('client-target', PW['client-target']), 200);
  // The locked client stays locked for a different, untouched account too.
  assertThrottled(await spray.login('other', PW.other));
});

test('lockouts grow: base, 2*base, 4*base (Retry-After grows)', async () => {
  const seen = [];
  let addr = 30;
  let waiting = 0; // the Retry-After of the lock the round waits out first
  for (let round = 0; round < 3; round++) {
    // A fresh client address each round, so only the account's history matters.
    const c = from(`127.0.0.${addr++}`);
    // While the last lock holds, a wrong password gets 429 and is not counted; the first 401
    // after it is this round's first failure.
    let r = waiting ? await afterLock(c, 'grow', 'wrong-password-xx', waiting)
      : await c.login('grow', 'wrong-password-xx');
    for (let i = 0; r.status !== 429 && i <= MAX + 1; i++) {
      assertError(r, 401, 'invalid_credentials');
      r = await c.login('grow', 'wrong-password-xx');
    }
    const ra = assertThrottled(r);
    seen.push(ra);
    // Right password during the lock: refused.
    assertThrottled(await from(`127.0.0.${addr++}`).login('grow', PW.grow));
    waiting = ra;
  }
  assert.ok(seen[1] > seen[0] && seen[2] > seen[1], `Retry-After did not grow: ${seen.join(', ')}`);
  assert.ok(seen[0] <= BASE, `first lock should be about login_lockout_base=${BASE} s, Retry-After ${seen[0]}`);
  // After the last lock ended, the right password works.
  assertStatus(await afterLock(from(`127.0.0.${addr++}`), 'grow', PW.grow, waiting), 200);
});

test('throttling also applies on ONE kept-alive connection', async () => {
  const c = from('127.0.0.41', { keepAlive: true });
  const answers = [];
  for (let i = 0; i < MAX; i++) {
    const r = await c.login('keep', 'wrong-password-xx');
    assertError(r, 401, 'invalid_credentials');
    answers.push(r);
  }
  const locked = await c.login('keep', PW.keep);
  answers.push(locked);
  const ra = assertThrottled(locked);
  const again = await c.login('keep', PW.keep);
  answers.push(again);
  assertThrottled(again);
  // Every request went over the same socket.
  const ports = new Set(answers.map((a) => a.localPort));
  assert.equal(ports.size, 1, `requests used ${ports.size} connections (local ports ${[...ports].join(', ')})`);
  for (const a of answers.slice(1)) {
    assert.equal(a.reusedSocket, true, `request was not sent on the kept-alive socket: ${show(a)}`);
  }
  assert.ok(!/close/i.test(String(answers[answers.length - 1].headers.connection || '')),
    'the daemon closed the kept-alive connection');
  c.close();
  // the lock ends (the next tests start without it)
  assertStatus(await afterLock(from('127.0.0.42'), 'keep', PW.keep, ra), 200);
});

test('a successful login does not reset the client counter for other accounts it failed on (no bypass by interleaving)', async () => {
  // Interleaving a good login between failures must not let an attacker guess forever.
  let throttled = false;
  for (let i = 0; i < MAX * 4 && !throttled; i++) {
    const bad = await from('127.0.0.51').login('acct-b', `wrong-password-${i}`);
    if (bad.status === 429) {
      throttled = true;
      break;
    }
    assertError(bad, 401, 'invalid_credentials');
    await from('127.0.0.51').login(ROOT.name, ROOT.password);
  }
  assert.ok(throttled, `acct-b was never locked although ${MAX * 4} wrong passwords were tried between good logins`);
});

test('parallel wrong passwords for one account from 16 addresses: at most max failures get through, the rest 429', async () => {
  const tries = Array.from({ length: 16 }, (_, i) => from(`127.0.0.${61 + i}`).login('race', `wrong-password-${i}`));
  const answers = await Promise.all(tries);
  const counts = {};
  for (const a of answers) {
    counts[a.status] = (counts[a.status] || 0) + 1;
    if (a.status === 429) {
      assertThrottled(a);
    } else {
      assertError(a, 401, 'invalid_credentials');
    }
  }
  assert.ok((counts[401] || 0) <= MAX, `${counts[401]} wrong passwords were checked although the limit is ${MAX}: ${JSON.stringify(counts)}`);
  assert.equal((counts[401] || 0) + (counts[429] || 0), 16, JSON.stringify(counts));
  // The account is locked now: the right password is refused too.
  assertThrottled(await from('127.0.0.80').login('race', PW.race));
});
