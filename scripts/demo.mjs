#!/usr/bin/env node
// First-start demo: generates a folder of Avaya-CMS-like split exports (4 splits, 15-minute
// intervals, the last 7 days and today up to the last complete quarter-hour, Europe/Berlin),
// then creates through the REST API a CSV source "Demo ACD" reading it, two WFM queues
// (SALES = splits 101+102, SERVICE = 201+202) with mappings offered, handled, abandoned and
// aht, a csv-export target "Demo WFM" writing one file per delivered batch into EXPORT/demo-wfm
// (when the daemon has targets), a schedule importing the source every 15 minutes (when the
// daemon has schedules), an operator API token for scripts/demo-feed.mjs, and one run for
// those days, waiting until its results are delivered.
// IMPORT and EXPORT are the daemon's first allowed roots (GET /api/v1/roots; by default
// DATA/import and DATA/export).
//
//   node scripts/demo.mjs [--url https://localhost:8443] [--data-dir acdlink-data]
//                         [--folder IMPORT/demo-acd] [--user admin] [--password-file FILE|-]
//
// Idempotent: does nothing when a source named "Demo ACD" exists, or when DATA/demo-setup.json
// (written after a complete set-up) says it was done, so a demo deleted in the console does not
// come back at the next start. Logs in with DATA/initial-admin-password unless --password-file
// is given ("-" reads standard input); without either it says how and exits 0.
// Node 18+ only, no npm packages; talks HTTPS with DATA/tls/cert.pem as the only CA.
// Exit codes: 0 done (or nothing to do), 1 failure, 2 bad arguments.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_SOURCE = 'Demo ACD';
export const DEMO_TZ = 'Europe/Berlin';
export const FEED_TOKEN_NAME = 'demo-feed';
export const FEED_TOKEN_FILE = 'demo-feed-token';
export const DEMO_MARKER = 'demo-setup.json';
export const DEMO_TARGET = 'Demo WFM';
const INTERVAL_MS = 15 * 60 * 1000;
const PAST_DAYS = 7;
export const CSV_HEADER = ['Split', 'Date', 'Time', 'CallsOffered', 'ACDCalls', 'AbnCalls', 'AHT'];

/** The ACD's splits: expected calls per quarter-hour at the daily peak, AHT in seconds. */
export const SPLITS = [
  { split: '101', peak: 38, aht: 270 },
  { split: '102', peak: 16, aht: 300 },
  { split: '201', peak: 44, aht: 390 },
  { split: '202', peak: 12, aht: 460 },
];

/** The WFM queues and the splits they add up. */
export const QUEUES = [
  { identifier: 'SALES', name: 'Sales (demo: splits 101 + 102)', splits: ['101', '102'] },
  { identifier: 'SERVICE', name: 'Service (demo: splits 201 + 202)', splits: ['201', '202'] },
];

/** Value type <- ACD metric. handled comes before aht: aht is weighted by handled. */
export const MAPPED = [
  ['offered', 'offered'],
  ['handled', 'handled'],
  ['abandoned', 'abandoned'],
  ['aht', 'aht'],
];

// ---------------------------------------------------------------------------------------------
// Local time in the source's zone (DST included: every instant goes through Intl)

const formatters = new Map();

/** {date: 'YYYY-MM-DD', time: 'HH:MM'} of the UTC instant ms in the zone tz. */
export function localParts(ms, tz = DEMO_TZ) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  const p = {};
  for (const part of f.formatToParts(new Date(ms))) {
    p[part.type] = part.value;
  }
  const hour = p.hour === '24' ? '00' : p.hour;
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${hour}:${p.minute}` };
}

/** 'YYYY-MM-DD' plus n days. */
export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The quarter-hours of a local day, in order: [{start (UTC ms), time 'HH:MM', occ}]; occ
 *  counts a wall time that the autumn change repeats (0 first, 1 second). */
export function dayIntervals(date, tz = DEMO_TZ) {
  const [y, m, d] = date.split('-').map(Number);
  const first = Date.UTC(y, m - 1, d) - 15 * 3600 * 1000;
  const last = Date.UTC(y, m - 1, d + 1) + 15 * 3600 * 1000;
  const out = [];
  const seen = new Map();
  for (let t = first; t < last; t += INTERVAL_MS) {
    const lp = localParts(t, tz);
    if (lp.date === date) {
      const occ = seen.get(lp.time) || 0;
      seen.set(lp.time, occ + 1);
      out.push({ start: t, time: lp.time, occ });
    }
  }
  return out;
}

/** Today in the zone, and the UTC start of the last complete quarter-hour's end (exclusive). */
export function nowInZone(nowMs = Date.now(), tz = DEMO_TZ) {
  return { today: localParts(nowMs, tz).date, completeBefore: Math.floor(nowMs / INTERVAL_MS) * INTERVAL_MS };
}

// ---------------------------------------------------------------------------------------------
// Deterministic traffic: every number depends only on (split, day, time), so reruns and the
// feed's rewrites of today's file repeat the same values.

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function rng(seedText) {
  let a = fnv1a(seedText);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(lambda, rand) {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

function normal(rand) {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Share of the peak load at a local hour (fraction): quiet nights, peaks ~10:15 and ~14:30. */
function dailyCurve(hour) {
  const g = (mu, sigma) => Math.exp(-(((hour - mu) / sigma) ** 2));
  return Math.min(1, 0.015 + 0.95 * g(10.25, 1.7) + 0.78 * g(14.5, 2.0) + 0.22 * g(19, 1.6));
}

// Monday .. Sunday (getUTCDay order: Sunday first)
const WEEKDAY = [0.2, 1.15, 1.0, 0.97, 0.95, 0.9, 0.42];

/** One interval of one split: {offered, handled, abandoned, aht}. */
export function trafficFor(split, date, time, occ = 0) {
  const rand = rng(`acdlink-demo|${split.split}|${date}|${time}|${occ}`);
  const [y, m, d] = date.split('-').map(Number);
  const weekday = WEEKDAY[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  const hour = Number(time.slice(0, 2)) + Number(time.slice(3, 5)) / 60 + 7.5 / 60;
  const load = dailyCurve(hour);
  const offered = poisson(split.peak * load * weekday, rand);
  const abandonRate = 0.025 + 0.09 * load * load;
  let abandoned = 0;
  for (let i = 0; i < offered; i++) {
    if (rand() < abandonRate) {
      abandoned++;
    }
  }
  const handled = offered - abandoned;
  const aht = handled === 0 ? 0
    : Math.max(30, Math.round(split.aht * (1 + 0.06 * load) + normal(rand) * split.aht * 0.18 / Math.sqrt(handled)));
  return { offered, handled, abandoned, aht };
}

/** The CSV text of a local day (only intervals that ended before completeBefore), or null
 *  when no interval of the day is complete. ';' separated, dd.mm.yyyy, HH:MM, CRLF. */
export function dayFile(date, completeBefore = Infinity, tz = DEMO_TZ) {
  const [y, m, d] = date.split('-');
  const shown = `${d}.${m}.${y}`;
  const lines = [CSV_HEADER.join(';')];
  for (const iv of dayIntervals(date, tz)) {
    if (iv.start + INTERVAL_MS > completeBefore) {
      break;
    }
    for (const s of SPLITS) {
      const v = trafficFor(s, date, iv.time, iv.occ);
      lines.push([s.split, shown, iv.time, v.offered, v.handled, v.abandoned, v.aht].join(';'));
    }
  }
  return lines.length > 1 ? `${lines.join('\r\n')}\r\n` : null;
}

export function dayFileName(date) {
  return `cms_split_interval_${date.replaceAll('-', '')}.csv`;
}

/** Writes the files of `days` into folder, atomically and only when the content changes.
 *  Returns the days whose file was written. */
export function writeDayFiles(folder, days, completeBefore, tz = DEMO_TZ) {
  fs.mkdirSync(folder, { recursive: true });
  const changed = [];
  for (const date of days) {
    const text = dayFile(date, completeBefore, tz);
    if (text === null) {
      continue;
    }
    const file = path.join(folder, dayFileName(date));
    let old = null;
    try {
      old = fs.readFileSync(file, 'utf8');
    } catch {
      old = null;
    }
    if (old === text) {
      continue;
    }
    // the daemon must never see half a file: write beside it (not matching *.csv), rename
    const tmp = path.join(folder, `.${dayFileName(date)}.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    changed.push(date);
  }
  return changed;
}

/** The demo's days: the last PAST_DAYS days and today. */
export function demoDays(today) {
  const days = [];
  for (let i = PAST_DAYS; i >= 0; i--) {
    days.push(addDays(today, -i));
  }
  return days;
}

// ---------------------------------------------------------------------------------------------
// A small REST client (node:https only)

export class ApiError extends Error {
  constructor(res, what) {
    const e = res.body && res.body.error;
    super(`${what}: ${res.status} ${e ? `${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}` : res.text.slice(0, 300)}`);
    this.status = res.status;
    this.code = e ? e.code : null;
  }
}

/**
 * client({url, ca}): request(method, path, json) -> {status, body, text}; login/logout keep
 * the session cookie and CSRF token; `token` sends a bearer token instead.
 */
export function client({ url, ca, token = null, timeoutMs = 20000 }) {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const mod = secure ? https : http;
  const port = Number(u.port) || (secure ? 443 : 80);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // "localhost" may resolve to ::1 first while the daemon listens on 127.0.0.1 (or the reverse)
  let hosts = host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
  const servername = /^[\d.]+$|:/.test(host) || host === 'localhost' ? 'localhost' : host;
  let cookie = null;
  let csrf = null;

  function once(h, method, p, payload) {
    const headers = { Accept: 'application/json', Host: u.host };
    if (payload !== null) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (method !== 'GET') {
      headers['Content-Length'] = '0';
    }
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    } else if (cookie) {
      headers.Cookie = cookie;
      if (method !== 'GET' && csrf) {
        headers['X-CSRF-Token'] = csrf;
      }
    }
    const opts = { host: h, port, method, path: p, headers, agent: false, timeout: timeoutMs };
    if (secure) {
      Object.assign(opts, { ca, servername });
    }
    return new Promise((resolve, reject) => {
      const req = mod.request(opts, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            body = null;
          }
          for (const sc of [].concat(res.headers['set-cookie'] || [])) {
            const first = sc.split(';')[0];
            if (/acdlink_session=/.test(first)) {
              cookie = /=\s*$/.test(first) ? null : first.trim();
            }
          }
          resolve({ status: res.statusCode, headers: res.headers, body, text });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${p}`)));
      req.on('error', reject);
      if (payload !== null) {
        req.write(payload);
      }
      req.end();
    });
  }

  const c = {
    url: url.replace(/\/+$/, ''),
    async request(method, p, json) {
      const payload = json === undefined ? null : Buffer.from(JSON.stringify(json), 'utf8');
      let lastErr = null;
      for (const h of hosts) {
        try {
          const res = await once(h, method, p, payload);
          hosts = [h];
          return res;
        } catch (err) {
          lastErr = err;
          if (!['ECONNREFUSED', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'ENETUNREACH'].includes(err.code)) {
            throw err;
          }
        }
      }
      throw lastErr;
    },
    get(p) { return c.request('GET', p); },
    post(p, json) { return c.request('POST', p, json); },
    async must(method, p, json, status, what) {
      const r = await c.request(method, p, json);
      if (r.status !== status) {
        throw new ApiError(r, what);
      }
      return r.body;
    },
    async login(user, password) {
      const r = await c.request('POST', '/api/v1/auth/login', { username: user, password });
      if (r.status !== 200) {
        throw new ApiError(r, `login as ${user}`);
      }
      csrf = r.body.csrf_token;
      return r.body;
    },
    async logout() {
      if (cookie) {
        await c.request('POST', '/api/v1/auth/logout').catch(() => {});
        cookie = null;
      }
    },
    /** Every item of a paginated list. */
    async all(p) {
      const items = [];
      let cursor = null;
      do {
        const sep = p.includes('?') ? '&' : '?';
        const q = `${p}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = await c.must('GET', q, undefined, 200, `GET ${p}`);
        items.push(...body.items);
        cursor = body.next_cursor;
      } while (cursor);
      return items;
    },
    async health() {
      try {
        const r = await c.request('GET', '/api/v1/health');
        return r.status === 200;
      } catch {
        return false;
      }
    },
  };
  return c;
}

/** Polls a run until it ends; resolves the run. */
export async function waitRun(api, id, timeoutMs = 180000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const run = await api.must('GET', `/api/v1/runs/${id}`, undefined, 200, `GET run ${id}`);
    if (['done', 'failed', 'cancelled'].includes(run.state)) {
      return run;
    }
    if (Date.now() > end) {
      throw new Error(`run ${id} is still ${run.state} after ${timeoutMs / 1000} s; see the Runs page`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function describeCounts(k) {
  return `${k.files_read} files read, ${k.files_skipped} skipped, ${k.rows_read} rows read, ` +
    `${k.rows_staged} staged, ${k.rows_rejected} rejected`;
}

/** The CA for the daemon's URL (null for plain http). */
export function readCa(url, dataDir) {
  if (!url.startsWith('https:')) {
    return null;
  }
  const file = path.join(dataDir, 'tls', 'cert.pem');
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the daemon's certificate ${file} (${err.code}); is --data-dir right?`);
  }
}

export function nodeTooOld() {
  return Number(process.versions.node.split('.')[0]) < 18;
}

// ---------------------------------------------------------------------------------------------
// The demo

export function parseArgs(argv, spec) {
  const out = { ...spec.defaults };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '--help' || a === '-h') {
      out.help = true;
      continue;
    }
    const key = a.replace(/^--/, '').replace(/-([a-z])/g, (_, ch) => ch.toUpperCase());
    if (!a.startsWith('--') || !(key in spec.defaults)) {
      throw new Error(`unknown argument ${argv[i]}`);
    }
    if (spec.flags && spec.flags.includes(key)) {
      out[key] = true;
      continue;
    }
    if (v === null) {
      if (i + 1 >= argv.length) {
        throw new Error(`${a} needs a value`);
      }
      v = argv[++i];
    }
    out[key] = v;
  }
  return out;
}

const USAGE = `usage: node scripts/demo.mjs [--url https://localhost:8443] [--data-dir acdlink-data]
                            [--folder IMPORT/demo-acd] [--user admin] [--password-file FILE|-]`;

function readPassword(file) {
  const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  return text.replace(/\r?\n$/, '');
}

async function findByName(api, p, field, value) {
  return (await api.all(p)).find((x) => x[field] === value) || null;
}

async function ensureQueue(api, q, log) {
  const r = await api.post('/api/v1/queues', {
    identifier: q.identifier, name: q.name, time_zone: DEMO_TZ, interval_minutes: 15, channel: 'calls',
  });
  if (r.status === 201) {
    log(`  WFM queue ${q.identifier} (#${r.body.id}) = splits ${q.splits.join(' + ')}`);
    return { queue: r.body, created: true };
  }
  if (r.status === 409) {
    const existing = await findByName(api, '/api/v1/queues', 'identifier', q.identifier);
    if (existing) {
      log(`  WFM queue ${q.identifier} (#${existing.id}) existed already; used as it is`);
      return { queue: existing, created: false };
    }
  }
  throw new ApiError(r, `create queue ${q.identifier}`);
}

async function ensureMapping(api, queue, source, splits, valueType, metric, log) {
  const r = await api.post('/api/v1/mappings', {
    queue_id: queue.id,
    value_type: valueType,
    inputs: splits.map((s) => ({ source_id: source.id, ext_queue: s, metric })),
  });
  if (r.status === 201) {
    return true;
  }
  if (r.status === 409) {
    log(`  ${queue.identifier} already has a mapping for ${valueType}; left as it is`);
    return false;
  }
  throw new ApiError(r, `map ${valueType} of ${queue.identifier}`);
}

/** A schedule "every 15 minutes, 1 minute after the quarter-hour" for the source (it imports
 *  today, and yesterday just after midnight); null when the daemon has no schedules. */
async function trySchedule(api, source, log) {
  const routes = await api.get('/api/v1/endpoints');
  if (routes.status !== 200 ||
      !routes.body.items.some((e) => e.method === 'POST' && e.path === '/api/v1/schedules')) {
    return null;
  }
  const r = await api.post('/api/v1/schedules', {
    source_id: source.id, kind: 'every', every_minutes: 15, offset_minutes: 1,
  });
  if (r.status === 201) {
    log(`  schedule #${r.body.id}: imports today every 15 minutes, 1 minute after the quarter-hour`);
    return r.body;
  }
  log(`  (no schedule: ${new ApiError(r, 'POST /api/v1/schedules').message}; ` +
      'scripts/demo-feed.mjs starts the runs instead)');
  return null;
}

/** Creates an operator token for the feed and stores it (0600) in the data directory. */
async function feedToken(api, dataDir, log) {
  const file = path.join(dataDir, FEED_TOKEN_FILE);
  const names = [FEED_TOKEN_NAME, `${FEED_TOKEN_NAME}-${Date.now().toString(36)}`];
  for (const name of names) {
    const r = await api.post('/api/v1/tokens', { name, role: 'operator' });
    if (r.status === 201) {
      fs.writeFileSync(file, `${r.body.token}\n`, { mode: 0o600 });
      fs.chmodSync(file, 0o600);
      log(`  API token "${name}" (operator) for scripts/demo-feed.mjs, in ${file}`);
      return;
    }
    if (r.status !== 409) {
      log(`  (no API token for the feed: ${new ApiError(r, 'POST /api/v1/tokens').message})`);
      return;
    }
  }
}

export async function runDemo(opts, log = console.log) {
  const dataDir = opts.dataDir;
  const url = opts.url.replace(/\/+$/, '');
  let folder = opts.folder ? path.resolve(opts.folder) : null;
  const passwordFile = opts.passwordFile || path.join(dataDir, 'initial-admin-password');

  if (nodeTooOld()) {
    log(`demo: Node ${process.versions.node} is too old (18 or later is needed); no demo set up.`);
    return 0;
  }
  // set up once: a demo that was deleted in the console does not come back at the next start
  const marker = path.join(dataDir, DEMO_MARKER);
  if (fs.existsSync(marker)) {
    let when = '';
    try {
      when = ` on ${JSON.parse(fs.readFileSync(marker, 'utf8')).created_at}`;
    } catch {
      when = '';
    }
    log(`demo: set up already${when} (${marker}; delete it to set the demo up again); nothing to do.`);
    return 0;
  }
  let password;
  try {
    password = readPassword(passwordFile);
  } catch (err) {
    if (opts.passwordFile) {
      throw new Error(`cannot read --password-file ${passwordFile}: ${err.code || err.message}`);
    }
    log(`demo: ${passwordFile} is gone (the first admin's password was changed), so the demo`);
    log('      cannot log in by itself. To set it up, pass an admin\'s credentials:');
    log(`        node scripts/demo.mjs --url ${url} --data-dir ${dataDir} --user NAME --password-file -`);
    log('      (--password-file - reads the password from standard input). No demo set up.');
    log('      (scripts/start skips the demo with ACDLINK_DEMO=0.)');
    return 0;
  }

  const api = client({ url, ca: readCa(url, dataDir) });
  await api.login(opts.user, password);
  try {
    const existing = await findByName(api, '/api/v1/sources', 'name', DEMO_SOURCE);
    if (existing) {
      log(`demo: the source "${DEMO_SOURCE}" (#${existing.id}) exists: the demo is set up already; nothing to do.`);
      return 0;
    }
    const roots = await api.get('/api/v1/roots');
    const importRoot = roots.status === 200 && roots.body.import[0];
    const exportRoot = roots.status === 200 && roots.body.export[0];
    // the folders lie inside the allowed roots (DATA/import and DATA/export by default)
    folder = folder || path.join(importRoot || path.resolve(dataDir, 'import'), 'demo-acd');
    const out = path.join(exportRoot || path.resolve(dataDir, 'export'), 'demo-wfm');
    return await setUp(api, { url, dataDir, folder, out, marker }, log);
  } finally {
    await api.logout();
  }
}

/** A csv-export target into out (null when this daemon has no targets). */
async function tryTarget(api, out, log) {
  const routes = await api.get('/api/v1/endpoints');
  if (routes.status !== 200 ||
      !routes.body.items.some((e) => e.method === 'POST' && e.path === '/api/v1/targets')) {
    return null;
  }
  const r = await api.post('/api/v1/targets', {
    name: DEMO_TARGET, connector: 'csv-export', settings: { folder: out, create_folder: true },
  });
  if (r.status !== 201) {
    throw new Error(`create the target "${DEMO_TARGET}": ${r.status} ${JSON.stringify(r.body)}`);
  }
  log(`  target "${DEMO_TARGET}" (#${r.body.id}): csv-export into ${out} ` +
      '(Queue;Date;Time;IncomingCalls;AnsweredCalls;AHT, one file per batch)');
  return { ...r.body, folder: out };
}

/** Waits until nothing waits for delivery; resolves the backlog. */
async function waitDelivered(api, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await api.get('/api/v1/backlog');
    if (b.status === 200 && b.body.queued + b.body.pending + b.body.sending === 0) {
      return b.body;
    }
    if (Date.now() > deadline) {
      throw new Error(`the results were not delivered within ${timeoutMs / 1000} s: ${JSON.stringify(b.body)}`);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function setUp(api, { url, dataDir, folder, out, marker }, log) {
  let source = null;
  try {
    const { today, completeBefore } = nowInZone();
    const days = demoDays(today);
    writeDayFiles(folder, days, completeBefore);
    const files = fs.readdirSync(folder).filter((f) => f.endsWith('.csv')).length;
    const lastTime = (dayFile(today, completeBefore) || '').trim().split('\r\n').pop().split(';')[2];
    log(`demo: setting up a demo on ${url}/`);
    log(`  ACD export folder ${folder}: ${files} files (${days[0]} .. ${today}` +
        `${lastTime ? `, today up to the ${lastTime} interval` : ''}), ${SPLITS.length} splits, ` +
        `Avaya CMS layout ${CSV_HEADER.join(';')}`);

    source = await api.must('POST', '/api/v1/sources', {
      name: DEMO_SOURCE,
      kind: 'csv',
      time_zone: DEMO_TZ,
      interval_minutes: 15,
      settings: {
        csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
        columns: { queue: 'Split', date: 'Date', time: 'Time' },
        metrics: { offered: 'CallsOffered', handled: 'ACDCalls', abandoned: 'AbnCalls', aht: 'AHT' },
      },
    }, 201, `create the source "${DEMO_SOURCE}"`);
    log(`  source "${DEMO_SOURCE}" (#${source.id}): CSV, ${DEMO_TZ}, *.csv, dd.mm.yyyy`);

    const schedule = await trySchedule(api, source, log);
    await feedToken(api, dataDir, log);

    // mapped before the import: the run computes the results and queues them for the target
    for (const q of QUEUES) {
      const { queue } = await ensureQueue(api, q, log);
      const done = [];
      for (const [valueType, metric] of MAPPED) {
        if (await ensureMapping(api, queue, source, q.splits, valueType, metric, log)) {
          done.push(valueType);
        }
      }
      if (done.length) {
        log(`  mappings of ${q.identifier}: ${done.join(', ')} ` +
            '(sums; aht is the average weighted by handled)');
      }
    }
    const target = await tryTarget(api, out, log);

    const created = await api.must('POST', '/api/v1/runs', { source_id: source.id, from: days[0], to: today },
      202, 'start the run');
    log(`  run #${created.id}: ${days[0]} .. ${today} ...`);
    const run = await waitRun(api, created.id);
    log(`  run #${run.id} ${run.state}: ${describeCounts(run.counts)}${run.error ? ` - ${run.error}` : ''}`);
    if (run.state !== 'done') {
      throw new Error(`the demo run ended ${run.state}; its log is on the Runs page`);
    }

    if (target) {
      const b = await waitDelivered(api);
      const files = fs.readdirSync(target.folder).filter((f) => f.endsWith('.csv')).length;
      log(`  delivered: ${b.acked} batches acknowledged, ${files} files in ${target.folder}, ` +
          `backlog ${b.pending + b.failed}`);
    }

    const res = await api.get(`/api/v1/results?queue=SALES&from=${today}&to=${today}`);
    if (res.status === 200 && res.body.items.length) {
      const latest = res.body.items.reduce((a, b) => (a.interval_start > b.interval_start ? a : b));
      const at = res.body.items.filter((x) => x.interval_start === latest.interval_start);
      const v = Object.fromEntries(at.map((x) => [x.value_type, x.value]));
      log(`  SALES today ${latest.local.slice(11, 16)}: offered ${v.offered}, handled ${v.handled}, ` +
          `abandoned ${v.abandoned}, aht ${v.aht === undefined ? '-' : `${Math.round(v.aht)} s`}`);
    }
    log('');
    log('Where to look in the console:');
    log(`  ${url}/#/runs       the run and its log (files, rows, what was rejected and why)${schedule ? ', the schedule' : ''}`);
    log(`  ${url}/#/mappings   SALES and SERVICE: splits -> offered, handled, abandoned, aht`);
    log(`  ${url}/#/results    15-minute values per queue and day`);
    log(`  ${url}/#/sources    the "${DEMO_SOURCE}" CSV source; ${url}/#/queues the WFM queues`);
    if (target) {
      log(`  ${url}/#/deliveries the batches delivered to "${DEMO_TARGET}" and the backlog; ${url}/#/targets the target`);
    }
    log(schedule
      ? 'New intervals: scripts/demo-feed.mjs writes them, the schedule imports them (Runs page).'
      : 'New intervals: scripts/demo-feed.mjs writes them and starts a run every 15 minutes.');
    fs.writeFileSync(marker, `${JSON.stringify({
      created_at: new Date().toISOString(), url, folder, source_id: source.id, run_id: run.id,
      schedule_id: schedule ? schedule.id : null, target_id: target ? target.id : null,
    }, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (source) {
      err.message += `\n      (to try again: delete the source "${DEMO_SOURCE}" in the console, then run scripts/demo.mjs)`;
    }
    throw err;
  }
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2), {
      defaults: { url: 'https://localhost:8443', dataDir: 'acdlink-data', folder: null, user: 'admin', passwordFile: null },
    });
  } catch (err) {
    console.error(`demo: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    return await runDemo(opts);
  } catch (err) {
    console.error(`demo: ${err.message}`);
    return 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; });
}
