// Slow and idle clients against a running daemon, while a logged-in user keeps working.
//
// Design note: `idle` plain TCP sockets connect and send nothing (not even a TLS hello), and
// `slow` clients finish the TLS handshake and then send a request line and one header line per
// second, never the blank line that ends the headers. Whenever the daemon closes one of them,
// it connects again at once, so the pressure stays constant for the whole run. Meanwhile a
// logged-in user sends GET /api/v1/auth/session with its session cookie, each on a fresh
// connection (the worst case: no kept-alive socket of its own), one after the other with a short
// pause, each with a 5 s limit. The daemon's resident memory is sampled from /proc.
// Used by tests/api/slow-clients.test.mjs (short) and bench/slow-clients.mjs (60 s).

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// One timed request; resolves {ms, status} (status null on error or timeout).
function timedGet(d, cookie, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const done = (status) => resolve({ status, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    const opts = {
      host: '127.0.0.1', port: d.port, path: '/api/v1/auth/session', method: 'GET', agent: false,
      headers: { Cookie: cookie, Connection: 'close' },
    };
    if (!d.plainHttp) {
      opts.ca = d.ca;
      opts.servername = 'localhost';
    }
    const req = (d.plainHttp ? http : https).request(opts, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode));
      res.on('error', () => done(null));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => done(null));
    req.end();
  });
}

/**
 * Runs the attack for `seconds` against daemon `d` (from startDaemon) with `session` (a logged-in
 * client from login()). Resolves the figures:
 * {seconds, idle, slow, requests, answered, within1s, ratio, p50, p95, maxMs, reconnects,
 *  rssStartKiB, rssMaxKiB}.
 */
export async function slowClientAttack(d, session, { seconds = 20, idle = 200, slow = 20, pauseMs = 200 } = {}) {
  let running = true;
  const sockets = new Set();
  let reconnects = 0;
  let connected = 0; // connections that got through (TCP, or the TLS handshake of slow ones)

  function keep(open) {
    const s = open();
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      sockets.delete(s);
      if (running) {
        reconnects++;
        setTimeout(() => keep(open), 10);
      }
    });
  }

  const openIdle = () => net.connect({ host: '127.0.0.1', port: d.port }, () => { connected++; });
  const openSlow = () => {
    const onReady = () => {
      connected++;
      s.write('GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n');
      let n = 0;
      const timer = setInterval(() => {
        if (!running || s.destroyed) {
          clearInterval(timer);
          return;
        }
        s.write(`X-Slow-${n++}: a\r\n`);
      }, 1000);
      s.on('close', () => clearInterval(timer));
    };
    const s = d.plainHttp
      ? net.connect({ host: '127.0.0.1', port: d.port }, onReady)
      : tls.connect({ host: '127.0.0.1', port: d.port, ca: d.ca, servername: 'localhost' }, onReady);
    return s;
  };

  const cookie = session.cookieHeader();
  const rssStart = rssKiB(d.proc.pid);
  let rssMax = rssStart || 0;
  for (let i = 0; i < idle; i++) {
    keep(openIdle);
  }
  for (let i = 0; i < slow; i++) {
    keep(openSlow);
  }
  // every client has connected before the measuring starts
  for (const deadline = Date.now() + 60000; connected < idle + slow;) {
    if (Date.now() > deadline) {
      throw new Error(`only ${connected} of ${idle + slow} clients connected within 60 s`);
    }
    await sleep(20); // the pace of the check
  }

  const samples = [];
  const end = Date.now() + seconds * 1000;
  const rssTimer = setInterval(() => {
    const r = rssKiB(d.proc.pid);
    if (r && r > rssMax) {
      rssMax = r;
    }
  }, 500);
  while (Date.now() < end) {
    samples.push(await timedGet(d, cookie, 5000));
    await sleep(pauseMs);
  }
  clearInterval(rssTimer);
  running = false;
  for (const s of sockets) {
    s.destroy();
  }

  const answered = samples.filter((s) => s.status === 200);
  const within = answered.filter((s) => s.ms <= 1000).length;
  const ms = answered.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p) => (ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]) : null);
  return {
    seconds,
    idle,
    slow,
    requests: samples.length,
    answered: answered.length,
    within1s: within,
    ratio: samples.length ? within / samples.length : 0,
    p50: pct(0.5),
    p95: pct(0.95),
    maxMs: ms.length ? Math.round(ms[ms.length - 1]) : null,
    reconnects,
    rssStartKiB: rssStart,
    rssMaxKiB: rssMax,
  };
}
