// A WFM receiver for the delivery tests: a real HTTPS server (node:https) that accepts the
// batches of the injixo-api and https-json connectors, checks every documented field strictly,
// records batches by Idempotency-Key, applies each key once, and fails on command.
//
// Applying: a batch replaces, per queue and interval, what it carries (injixo-api: the contact
// events of an interval are counted back into offered, handled and total duration; https-json:
// the values). A key seen again is answered like the first time and not applied again.
//
// Failing on command (wfm.fail(mode, times) queues `times` requests that fail that way):
//   '503'      answer 503 with Retry-After (wfm.retryAfter seconds)
//   'reset'    destroy the connection while the request body arrives
//   'timeout'  never answer (the client's timeout must end it)
//   'drop'     apply the batch, start a 200 answer and cut it off (the client must retry)
//   'hold'     apply the batch and never answer (the client's timeout, or a kill, ends it)
//   '400'      answer 400 (a permanent failure)
// wfm.refuse() stops listening (connections are refused) and wfm.accept() listens again on the
// same port.
//
// Connections: wfm.stats() counts TCP connections, TLS handshakes (full, and resumed from an
// earlier session) and requests, and how many requests came on a connection that had carried
// one before. wfm.closeKept(rate, seed) closes kept connections at random, like a server whose
// idle timeout or restart comes at a bad moment: after a fraction `rate` of the answered
// batches (seeded, so a run repeats) the connection is either ended right after the answer
// ('idle' closes) or left open and destroyed when the next request arrives on it, before that
// request is read or applied ('unread' closes: the client sees a reset with no answer).
//
// Certificates: makePki() makes a CA and a server certificate for localhost / 127.0.0.1 with the
// openssl command (argv arrays, no shell).

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const CHANNELS = new Set(['calls', 'chats', 'emails', 'social_media', 'documents', 'cases']);

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  }
  return r.stdout;
}

/** A CA and a server certificate signed by it; resolves {dir, caFile, ca, key, cert, pinSha256}. */
export function makePki(name = 'wfm') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `acdlink-pki-${name}-`));
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=Test CA ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  fs.writeFileSync(path.join(dir, 'ext.cnf'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'ext.cnf'], dir);
  const der = openssl(['x509', '-in', 'server.pem', '-noout', '-fingerprint', '-sha256'], dir);
  const pinSha256 = der.split('=')[1].trim().replace(/:/g, '').toLowerCase();
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    ca: fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    key: fs.readFileSync(path.join(dir, 'server.key'), 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'server.pem'), 'utf8'),
    pinSha256,
  };
}

function exactKeys(obj, keys, where) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    return `${where}: must be an object`;
  }
  const have = Object.keys(obj).sort();
  const want = [...keys].sort();
  if (have.join(',') !== want.join(',')) {
    return `${where}: has keys [${have}] instead of [${want}]`;
  }
  return null;
}

function isoSeconds(s, where) {
  const m = typeof s === 'string' ? ISO.exec(s) : null;
  if (!m) {
    return [null, `${where}: '${s}' is not an ISO-8601 UTC timestamp like 2021-12-06T10:34:22Z`];
  }
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (new Date(t).toISOString().slice(0, 19) !== s.slice(0, 19)) {
    return [null, `${where}: '${s}' is not a real date and time`];
  }
  return [t / 1000, null];
}

/** Checks an injixo contact-events body; returns {error} or {events}. */
function checkInjixo(body, icid) {
  let e = exactKeys(body, ['data', 'meta'], 'body');
  if (e) return { error: e };
  e = exactKeys(body.meta, ['integrationConfigurationId'], 'meta');
  if (e) return { error: e };
  if (!Number.isInteger(body.meta.integrationConfigurationId) || body.meta.integrationConfigurationId !== icid) {
    return { error: `meta.integrationConfigurationId: must be the integer ${icid}` };
  }
  if (!Array.isArray(body.data)) return { error: 'data: must be an array' };
  const events = [];
  for (const [i, ev] of body.data.entries()) {
    const w = `data[${i}]`;
    e = exactKeys(ev, ['queueIdentifier', 'queueName', 'timestamp', 'channel', 'properties'], w);
    if (e) return { error: e };
    if (typeof ev.queueIdentifier !== 'string' || !ev.queueIdentifier) return { error: `${w}.queueIdentifier: must be a non-empty string` };
    if (typeof ev.queueName !== 'string' || !ev.queueName) return { error: `${w}.queueName: must be a non-empty string` };
    if (!CHANNELS.has(ev.channel)) return { error: `${w}.channel: '${ev.channel}' is not a channel` };
    const [t, te] = isoSeconds(ev.timestamp, `${w}.timestamp`);
    if (te) return { error: te };
    e = exactKeys(ev.properties, ['offered', 'handled', 'duration'], `${w}.properties`);
    if (e) return { error: e };
    const p = ev.properties;
    if (typeof p.offered !== 'boolean' || typeof p.handled !== 'boolean') return { error: `${w}.properties: offered and handled must be booleans` };
    if (typeof p.duration !== 'number' || !Number.isFinite(p.duration) || p.duration < 0) return { error: `${w}.properties.duration: must be a number of seconds >= 0` };
    events.push({ queue: ev.queueIdentifier, t, ...p });
  }
  return { events };
}

/** Checks an injixo agent-statuses body; returns {error} or {statuses}. */
function checkAgentStatuses(body, icid) {
  let e = exactKeys(body, ['data', 'meta'], 'body');
  if (e) return { error: e };
  e = exactKeys(body.meta, ['integrationConfigurationId', 'externalSystem'], 'meta');
  if (e) return { error: e };
  if (body.meta.integrationConfigurationId !== icid) return { error: `meta.integrationConfigurationId: must be the integer ${icid}` };
  if (typeof body.meta.externalSystem !== 'string' || !body.meta.externalSystem) return { error: 'meta.externalSystem: must be a non-empty string' };
  if (!Array.isArray(body.data) || body.data.length === 0) return { error: 'data: must be a non-empty array' };
  for (const [i, s] of body.data.entries()) {
    const w = `data[${i}]`;
    const keys = 'endTime' in s ? ['agentIdentifier', 'activityIdentifier', 'startTime', 'endTime'] : ['agentIdentifier', 'activityIdentifier', 'startTime'];
    e = exactKeys(s, keys, w);
    if (e) return { error: e };
    if (typeof s.agentIdentifier !== 'string' || !s.agentIdentifier) return { error: `${w}.agentIdentifier: must be a non-empty string` };
    if (typeof s.activityIdentifier !== 'string' || !s.activityIdentifier) return { error: `${w}.activityIdentifier: must be a non-empty string` };
    const [a, ae] = isoSeconds(s.startTime, `${w}.startTime`);
    if (ae) return { error: ae };
    if ('endTime' in s) {
      const [b, be] = isoSeconds(s.endTime, `${w}.endTime`);
      if (be) return { error: be };
      if (b <= a) return { error: `${w}.endTime: must be after startTime` };
    }
  }
  return { statuses: body.data };
}

/** Checks the days of an https-json agent_states batch (docs/https-json.md) of that version:
 * a day's spans in start order without overlap, only the last one open; version 2 may give a
 * day's `from` (a part day), an instant of that day at or before the start of each span given.
 * Returns an error text or null. */
function checkAgentDays(days, version) {
  if (!Array.isArray(days)) return 'days: must be an array';
  const seen = new Set();
  for (const [i, dd] of days.entries()) {
    const w = `days[${i}]`;
    const e = exactKeys(dd, version === 2 && dd && 'from' in dd ? ['agent', 'day', 'from', 'spans'] : ['agent', 'day', 'spans'], w);
    if (e) return e;
    if (typeof dd.agent !== 'string' || !dd.agent) return `${w}.agent: must be a non-empty string`;
    if (typeof dd.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(dd.day) || Number.isNaN(Date.parse(`${dd.day}T00:00:00Z`))) return `${w}.day: must be a date like 2026-11-24`;
    if (seen.has(`${dd.agent}|${dd.day}`)) return `${w}: the agent's day comes twice in the batch`;
    seen.add(`${dd.agent}|${dd.day}`);
    let from = null;
    if ('from' in dd) {
      const [f, fe] = isoSeconds(dd.from, `${w}.from`);
      if (fe) return fe;
      const midnight = Date.parse(`${dd.day}T00:00:00Z`) / 1000;
      // the local day in any zone (UTC-12 .. UTC+14) lies within these bounds
      if (f < midnight - 14 * 3600 || f >= midnight + 36 * 3600) return `${w}.from: '${dd.from}' is not on ${dd.day}`;
      from = f;
    }
    if (!Array.isArray(dd.spans)) return `${w}.spans: must be an array`;
    let prevEnd = null;
    for (const [k, sp] of dd.spans.entries()) {
      const ws = `${w}.spans[${k}]`;
      const se = exactKeys(sp, ['activity', 'start', 'end', 'filled'], ws);
      if (se) return se;
      if (typeof sp.activity !== 'string' || !sp.activity) return `${ws}.activity: must be a non-empty string`;
      const [a, ae] = isoSeconds(sp.start, `${ws}.start`);
      if (ae) return ae;
      if (typeof sp.filled !== 'boolean') return `${ws}.filled: must be true or false`;
      if (from !== null && a < from) return `${ws}.start: before the day's from ${dd.from}`;
      if (k > 0 && (prevEnd === null || a < prevEnd)) return `${ws}.start: overlaps the span before`;
      if (sp.end === null) {
        prevEnd = null;
      } else {
        const [b, be] = isoSeconds(sp.end, `${ws}.end`);
        if (be) return be;
        if (b <= a) return `${ws}.end: must be after start`;
        prevEnd = b;
      }
    }
  }
  return null;
}

/** Checks an https-json batch body; returns {error} or {intervals}. */
function checkJson(body, key) {
  let e = exactKeys(body, ['version', 'batchId', 'kind', body.kind === 'agent_states' ? 'days' : 'intervals'], 'body');
  if (e) return { error: e };
  if (body.kind === 'agent_states') {
    if (body.version !== 1 && body.version !== 2) return { error: 'version: must be 1 or 2' };
    if (body.batchId !== key) return { error: 'batchId: must equal the Idempotency-Key header' };
    e = checkAgentDays(body.days, body.version);
    if (e) return { error: e };
    return { days: body.days };
  }
  if (body.version !== 1) return { error: 'version: must be 1' };
  if (body.kind === 'connection-test') return { intervals: [], test: true };
  if (body.kind !== 'intervals') return { error: `kind: '${body.kind}' is not intervals` };
  if (body.batchId !== key) return { error: 'batchId: must equal the Idempotency-Key header' };
  if (!Array.isArray(body.intervals)) return { error: 'intervals: must be an array' };
  for (const [i, it] of body.intervals.entries()) {
    const w = `intervals[${i}]`;
    e = exactKeys(it, ['queue', 'queueName', 'channel', 'start', 'minutes', 'values'], w);
    if (e) return { error: e };
    const [, te] = isoSeconds(it.start, `${w}.start`);
    if (te) return { error: te };
    if (![15, 30, 60].includes(it.minutes)) return { error: `${w}.minutes: must be 15, 30 or 60` };
    for (const [k, v] of Object.entries(it.values)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) return { error: `${w}.values.${k}: must be a number` };
    }
  }
  return { intervals: body.intervals };
}

/**
 * Starts a receiver. Options: kind 'injixo' | 'https-json'; apiKey (Bearer); icid; pki (from
 * makePki()); intervalMinutes (to group contact events back into intervals); keepBody (what a
 * batch record keeps of its parsed body: all of it unless given).
 * Returns the receiver: {url, port, baseUrl, applied (Map 'QUEUE|ISO' -> values), rows (https-json:
 * Map 'QUEUE|ISO' -> {queueName, channel, minutes} of the last row), batches (Map key -> {count,
 * body (agent states: each day as held after the batch, part days applied), version, bytes,
 * days, parts (part days), spans (sent), raw (the body as sent, when keepRaw is set)}),
 * requests [] (bytes: the body's size; body: the parsed body, when keepRaw is set), errors [], fail(), refuse(), accept(), close()}.
 */
export async function startWfm({ kind = 'injixo', apiKey = 'wfm-key-1', icid = 4711, pki = makePki(), intervalMinutes = 15, keepBody = (b) => b } = {}) {
  const w = {
    kind,
    apiKey,
    icid,
    pki,
    applied: new Map(),
    rows: new Map(),
    agents: new Map(), // injixo: 'agent|start' -> status; https-json: 'agent|day' -> spans
    spansSent: 0, // https-json: spans of the days applied, and those of them held as they were before
    spansAgain: 0,
    batches: new Map(),
    requests: [],
    errors: [],
    script: [],
    retryAfter: 1,
    sockets: new Set(),
    conns: { tcp: 0, tlsFull: 0, tlsResumed: 0, requests: 0, onKept: 0, idleCloses: 0, unreadCloses: 0 },
    closing: null, // {rate, rng} while closeKept() is on
  };
  const path0 = kind === 'injixo' ? '/external-systems/contact-events' : '/wfm/batches';

  /** A part day that cannot apply to what is held: the day is not held, or a span kept (one
   * starting before from) is still open or reaches past from. An error text or null. */
  function partError(parsed) {
    for (const [i, dd] of (parsed.days || []).entries()) {
      if (!('from' in dd)) continue;
      const held = w.agents.get(`${dd.agent}|${dd.day}`);
      if (!held) return `days[${i}].from: no day of ${dd.agent} on ${dd.day} is held here; send the whole day`;
      const from = Date.parse(dd.from);
      const bad = held.find((sp) => Date.parse(sp.start) < from && (sp.end === null || Date.parse(sp.end) > from));
      if (bad) return `days[${i}].from: the span held from ${bad.start} reaches past ${dd.from}`;
    }
    return null;
  }

  /** A batch's body as the days it leaves held (a part day as its whole day after it). */
  function heldView(body) {
    if (!Array.isArray(body.days)) return body;
    return { ...body, days: body.days.map((dd) => ({ agent: dd.agent, day: dd.day, spans: w.agents.get(`${dd.agent}|${dd.day}`) })) };
  }

  function answer(res, status, obj, headers = {}) {
    const text = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function apply(key, parsed) {
    if (parsed.statuses) {
      for (const s of parsed.statuses) {
        w.agents.set(`${s.agentIdentifier}|${s.startTime}`, s);
      }
      return;
    }
    if (parsed.days) {
      for (const dd of parsed.days) {
        const id = `${dd.agent}|${dd.day}`;
        // spans sent that this receiver already held as they are (what a sender could have left out)
        const f = 'from' in dd ? Date.parse(dd.from) : -Infinity;
        const list = w.agents.get(id) || [];
        const held = new Map();
        for (let k = list.length - 1; k >= 0 && Date.parse(list[k].start) >= f; k--) { // held in start order
          held.set(list[k].start, list[k]);
        }
        w.spansAgain += dd.spans.filter((sp) => {
          const h = held.get(sp.start);
          return h && h.end === sp.end && h.activity === sp.activity && h.filled === sp.filled;
        }).length;
        w.spansSent += dd.spans.length;
        if ('from' in dd) { // a part day: the spans before from stay
          const from = Date.parse(dd.from);
          w.agents.set(id, w.agents.get(id).filter((sp) => Date.parse(sp.start) < from).concat(dd.spans));
        } else {
          w.agents.set(id, dd.spans);
        }
      }
      return;
    }
    if (kind === 'injixo') {
      const span = intervalMinutes * 60;
      const cells = new Map();
      for (const ev of parsed.events) {
        const start = Math.floor(ev.t / span) * span;
        const id = `${ev.queue}|${new Date(start * 1000).toISOString().replace('.000Z', 'Z')}`;
        const c = cells.get(id) || { offered: 0, handled: 0, duration_ms: 0 };
        c.offered += ev.offered ? 1 : 0;
        c.handled += ev.handled ? 1 : 0;
        c.duration_ms += Math.round(ev.duration * 1000);
        cells.set(id, c);
      }
      for (const [id, c] of cells) {
        w.applied.set(id, c);
      }
    } else {
      for (const it of parsed.intervals) {
        w.applied.set(`${it.queue}|${it.start}`, { ...it.values });
        w.rows.set(`${it.queue}|${it.start}`, { queueName: it.queueName, channel: it.channel, minutes: it.minutes });
      }
    }
  }

  /** After an answered batch: maybe close its connection on purpose (closeKept()). */
  function maybeClose(res) {
    if (!w.closing || w.closing.rng() >= w.closing.rate) return;
    const sock = res.socket;
    if (w.closing.rng() < 0.5) {
      w.conns.idleCloses++;
      res.once('finish', () => sock.end());
    } else {
      sock.closeOnNext = true;
    }
  }

  const server = https.createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const sock = req.socket;
    w.conns.requests++;
    if (sock.carried) w.conns.onKept++;
    sock.carried = (sock.carried || 0) + 1;
    if (sock.closeOnNext) {
      w.conns.unreadCloses++;
      w.requests.push({ method: req.method, url: req.url, headers: req.headers, mode: 'unread-close', at: Date.now() });
      sock.destroy();
      return;
    }
    const mode = w.script.length ? w.script.shift() : 'ok';
    const rec = { method: req.method, url: req.url, headers: req.headers, mode, at: Date.now() };
    w.requests.push(rec);
    if (mode === 'reset') {
      req.once('data', () => req.socket.destroy());
      req.on('end', () => req.socket.destroy());
      return;
    }
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      if (mode === 'timeout') {
        return; // never answer
      }
      if (mode === '503') {
        answer(res, 503, { error: 'maintenance' }, { 'Retry-After': String(w.retryAfter) });
        return;
      }
      const fail = (status, msg) => {
        w.errors.push(msg);
        rec.error = msg;
        answer(res, status, { error: msg });
      };
      if (req.method !== 'POST') return fail(405, 'only POST');
      const agentPath = kind === 'injixo' && req.url === '/external-systems/agent-statuses';
      if (req.url !== path0 && !agentPath) return fail(404, `not_found: ${req.url}`);
      if (req.headers.authorization !== `Bearer ${apiKey}`) return fail(401, 'bad or missing Authorization: Bearer key');
      if (req.headers['content-type'] !== 'application/json') return fail(415, `Content-Type must be application/json, not ${req.headers['content-type']}`);
      let body;
      const raw = Buffer.concat(chunks);
      rec.bytes = raw.length;
      rec.sha = crypto.createHash('sha256').update(raw).digest('hex');
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (err) {
        return fail(400, `body is not JSON: ${err.message}`);
      }
      if (w.keepRaw) rec.body = body; // refused ones too
      const key = req.headers['idempotency-key'];
      const parsed = agentPath ? checkAgentStatuses(body, icid)
        : kind === 'injixo' ? checkInjixo(body, icid) : checkJson(body, key);
      if (parsed.error) return fail(422, parsed.error);
      const isTest = parsed.test || (kind === 'injixo' && !agentPath && parsed.events.length === 0 && !key);
      if (isTest) {
        return answer(res, 200, { ok: true, stored: 0 });
      }
      if (!/^[0-9a-f]{64}$/.test(key || '')) return fail(400, 'Idempotency-Key: must be 64 hex digits');
      rec.key = key;
      if (mode === '400') {
        return answer(res, 400, { error: 'rejected on purpose' });
      }
      const seen = w.batches.get(key);
      if (seen) {
        seen.count++;
      } else {
        const pe = partError(parsed);
        if (pe) return fail(422, pe);
        apply(key, parsed);
        const parts = (parsed.days || []).filter((dd) => 'from' in dd);
        w.batches.set(key, {
          count: 1, body: keepBody(heldView(body)), order: w.batches.size, version: body.version, bytes: raw.length,
          days: (parsed.days || []).length, parts: parts.length, spans: (parsed.days || []).reduce((n, dd) => n + dd.spans.length, 0),
          raw: w.keepRaw ? body : undefined,
        });
      }
      if (mode === 'hold') {
        return;
      }
      if (mode === 'drop') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"ok":');
        setTimeout(() => res.socket && res.socket.destroy(), 20);
        return;
      }
      maybeClose(res);
      answer(res, 200, { ok: true, duplicate: Boolean(seen) });
    });
  });
  server.on('connection', (s) => {
    w.conns.tcp++;
    w.sockets.add(s);
    s.on('close', () => w.sockets.delete(s));
  });
  server.on('secureConnection', (s) => {
    if (s.isSessionReused()) w.conns.tlsResumed++;
    else w.conns.tlsFull++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  w.port = server.address().port;
  w.baseUrl = `https://localhost:${w.port}`;
  w.url = `${w.baseUrl}${path0}`;
  w.server = server;
  /** Connections, handshakes and requests so far (a copy). */
  w.stats = () => ({ ...w.conns, handshakes: w.conns.tlsFull + w.conns.tlsResumed });
  /** Closes kept connections at random after a fraction rate of the answered batches (0: never). */
  w.closeKept = (rate, seed = 1) => {
    let x = seed >>> 0 || 1;
    const rng = () => { // xorshift32: repeatable
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      return x / 4294967296;
    };
    w.closing = rate > 0 ? { rate, rng } : null;
  };
  w.fail = (mode, times = 1) => {
    for (let i = 0; i < times; i++) w.script.push(mode);
  };
  w.refuse = async () => {
    if (!server.listening) return;
    server.close();
    for (const s of w.sockets) s.destroy();
    await once(server, 'close');
  };
  w.accept = async () => {
    if (server.listening) return;
    server.listen(w.port, '127.0.0.1');
    await once(server, 'listening');
  };
  w.close = async () => {
    await w.refuse();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  };
  /** Applied keys received more than once (answers lost, retried). */
  w.duplicates = () => [...w.batches.values()].filter((b) => b.count > 1).length;
  /** https-json: every agent day sent extends what was sent of it before (never a state before
   * one it already had, never one taken back); the first that does not, as text, or null. */
  w.outOfOrder = () => {
    const seen = new Map();
    for (const b of [...w.batches.values()].sort((x, y) => x.order - y.order)) {
      for (const dd of b.body.days) {
        const starts = dd.spans.filter((s) => !s.filled).map((s) => `${s.start} ${s.activity}`);
        const before = seen.get(dd.agent) || [];
        if (JSON.stringify(starts.slice(0, before.length)) !== JSON.stringify(before)) {
          return `${dd.agent}: sent ${JSON.stringify(starts)} after ${JSON.stringify(before)}`;
        }
        seen.set(dd.agent, starts);
      }
    }
    return null;
  };
  return w;
}

/** A TCP port on loopback where nothing listens (connections are refused). */
export async function closedPort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * A minimal HTTP CONNECT proxy on loopback (for https_proxy); records the CONNECT targets.
 * Returns {url, port, tunnels [], close()}.
 */
export async function startProxy() {
  const tunnels = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    let head = '';
    const onData = (d) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.removeListener('data', onData);
      const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.1\r\n/.exec(head);
      if (!m) {
        client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      tunnels.push(`${m[1]}:${m[2]}`);
      const up = net.connect(Number(m[2]), m[1] === 'localhost' ? '127.0.0.1' : m[1], () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = head.slice(end + 4);
        if (rest) up.write(Buffer.from(rest, 'latin1'));
        client.pipe(up);
        up.pipe(client);
      });
      sockets.add(up);
      up.on('close', () => sockets.delete(up));
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
    };
    client.on('data', onData);
    client.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    tunnels,
    async close() {
      server.close();
      for (const s of sockets) s.destroy();
      await once(server, 'close');
    },
  };
}
