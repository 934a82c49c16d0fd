// Shared assertions and fixtures for the black-box API tests (tests/api/*.test.mjs).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT, TEST_ROOT, describe as describeRes, login, parseSetCookie, startDaemon } from './daemon.mjs';

export const ROLE_RANK = { public: 0, viewer: 1, operator: 2, admin: 3 };
export const USER_ROLES = ['viewer', 'operator', 'admin'];
export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Routes the contract defines (method, path, role); the daemon may list more. */
export const CONTRACT_ROUTES = [
  ['GET', '/api/v1/health', 'public'],
  ['GET', '/api/v1/endpoints', 'viewer'],
  ['POST', '/api/v1/auth/login', 'public'],
  ['POST', '/api/v1/auth/logout', 'viewer'],
  ['GET', '/api/v1/auth/session', 'viewer'],
  ['POST', '/api/v1/auth/password', 'viewer'],
  ['GET', '/api/v1/users', 'admin'],
  ['POST', '/api/v1/users', 'admin'],
  ['GET', '/api/v1/users/{id}', 'admin'],
  ['PATCH', '/api/v1/users/{id}', 'admin'],
  ['DELETE', '/api/v1/users/{id}', 'admin'],
  ['GET', '/api/v1/tokens', 'admin'],
  ['POST', '/api/v1/tokens', 'admin'],
  ['DELETE', '/api/v1/tokens/{id}', 'admin'],
  ['GET', '/api/v1/audit', 'admin'],
].map(([method, p, role]) => ({ method, path: p, role }));

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The admin every test daemon starts with (added with `acdlink user add` before the start). */
export const ROOT = { name: 'root', role: 'admin', password: 'root-Passw0rd-long-enough' };

/** A password of at least 12 characters, distinct per tag. */
export function pw(tag) {
  return `Pw-${tag}-0123456789`;
}

/** Text for assertion messages: the request and the answer. */
export function show(res) {
  return describeRes(res);
}

/** Asserts a non-2xx answer with the error envelope and the given status and code. */
export function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}: ${show(res)}`);
  assert.equal(typeof res.body, 'object', `error body is not JSON: ${show(res)}`);
  assert.ok(res.body && res.body.error && typeof res.body.error === 'object',
    `no error envelope: ${show(res)}`);
  assert.equal(res.body.error.code, code, `wrong error code: ${show(res)}`);
  assert.equal(typeof res.body.error.message, 'string', `error.message missing: ${show(res)}`);
  if ('hint' in res.body.error) {
    assert.equal(typeof res.body.error.hint, 'string', `error.hint not a string: ${show(res)}`);
  }
}

/** Asserts 422 invalid_field whose message (or hint/field) names `field`. */
export function assertInvalidField(res, field) {
  assertError(res, 422, 'invalid_field');
  const e = res.body.error;
  const text = `${e.message} ${e.hint || ''} ${e.field || ''}`;
  assert.ok(text.includes(field), `422 does not name the field '${field}': ${show(res)}`);
}

/** Asserts a 2xx status. */
export function assertStatus(res, status) {
  assert.equal(res.status, status, `expected ${status}: ${show(res)}`);
}

/** Replaces `{param}` segments of a route pattern with values from `ids` (default 1). */
export function fillPath(pattern, ids = {}) {
  return pattern.replace(/\{([^}]+)\}/g, (_, name) => {
    const forPath = Object.entries(ids).find(([prefix]) => pattern.startsWith(prefix));
    if (forPath) {
      return String(forPath[1]);
    }
    return '1';
  });
}

/** A valid CSV source named `name`. */
export function SAMPLE_SOURCE(name) {
  return {
    name,
    kind: 'csv',
    time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder: path.join(TEST_ROOT, 'acdlink-acd', 'export'), separator: ';' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled' },
    },
  };
}

/** A plausible valid JSON body for a state-changing route (so a missing check would succeed). */
export function sampleBody(method, pattern, tag = 'x') {
  if (!STATE_CHANGING.has(method) || method === 'DELETE') {
    return undefined;
  }
  switch (`${method} ${pattern}`) {
    case 'POST /api/v1/auth/login':
      return { username: ROOT.name, password: ROOT.password };
    case 'POST /api/v1/auth/password':
      return { current_password: ROOT.password, new_password: pw(`changed-${tag}`) };
    case 'POST /api/v1/users':
      return { name: `probe-${tag}`, role: 'admin', password: pw(tag) };
    case 'PATCH /api/v1/users/{id}':
      return { role: 'viewer' };
    case 'POST /api/v1/tokens':
      return { name: `probe-${tag}`, role: 'admin' };
    case 'POST /api/v1/queues':
      return { identifier: `probe-${tag}`, name: 'Probe', time_zone: 'Europe/Berlin' };
    case 'PATCH /api/v1/queues/{id}':
      return { name: `Probe ${tag}` };
    case 'POST /api/v1/value-types':
      return { key: `probe_${tag}`.replace(/[^a-z0-9_]/g, '_').slice(0, 64), name: 'Probe' };
    case 'PATCH /api/v1/value-types/{id}':
      return { name: `Probe ${tag}` };
    case 'POST /api/v1/sources':
      return SAMPLE_SOURCE(`probe-${tag}`);
    case 'PATCH /api/v1/sources/{id}':
      return { enabled: false };
    case 'POST /api/v1/runs':
      return { source_id: 1, from: '2026-11-24', to: '2026-11-24' };
    case 'POST /api/v1/mappings':
      return { queue_id: 1, value_type: 'abandoned', inputs: [{ source_id: 1, ext_queue: `probe-${tag}`, metric: 'x' }] };
    case 'PATCH /api/v1/mappings/{id}':
      return { formula: 'p1 + 0' };
    case 'POST /api/v1/sources/{id}/preview':
      return { day: '2026-11-24' };
    case 'POST /api/v1/schedules':
      return { source_id: 1, kind: 'daily', daily_at: '06:00' };
    case 'PATCH /api/v1/schedules/{id}':
      return { enabled: false };
    case 'POST /api/v1/targets':
      return { name: `probe-${tag}`, connector: 'csv-export', settings: { folder: '/tmp/acdlink-probe' } };
    case 'POST /api/v1/alerts/channels':
      return { name: `probe-${tag}`, kind: 'webhook', settings: { url: 'https://127.0.0.1:9/hook' } };
    case 'PATCH /api/v1/alerts/channels/{id}':
      return { enabled: false };
    case 'POST /api/v1/alerts/rules':
      return { event: 'run_failed', channel_id: 1 };
    case 'PATCH /api/v1/alerts/rules/{id}':
      return { enabled: false };
    case 'PATCH /api/v1/targets/{id}':
      return { enabled: false };
    default:
      return {};
  }
}

/** Starts a daemon with ROOT (and `users`) and logs ROOT in; returns {d, admin}. */
export async function startWithAdmin({ args = [], users = [], env = {}, plainHttp = false } = {}) {
  const d = await startDaemon({ args, env, plainHttp, users: [ROOT, ...users] });
  const admin = await login(d, ROOT.name, ROOT.password);
  return { d, admin };
}

/** Creates an API token with `role` through `session`; returns the 201 body (with .token). */
export async function createToken(session, name, role) {
  const r = await session.post('/api/v1/tokens', { name, role });
  assert.equal(r.status, 201, `create token ${name}: ${show(r)}`);
  assert.match(r.body.token, /^acdl_/, `token secret format: ${show(r)}`);
  return r.body;
}

/** Creates a user through `session`; returns the 201 body. */
export async function createUser(session, name, role, password = pw(name), extra = {}) {
  const r = await session.post('/api/v1/users', { name, role, password, ...extra });
  assert.equal(r.status, 201, `create user ${name}: ${show(r)}`);
  return r.body;
}

/** Follows next_cursor from `basePath` (which may carry a query) and returns all pages. */
export async function walkPages(session, basePath, limit) {
  const pages = [];
  const sep = basePath.includes('?') ? '&' : '?';
  let url = `${basePath}${sep}limit=${limit}`;
  for (let i = 0; i < 1000; i++) {
    const r = await session.get(url);
    assert.equal(r.status, 200, `page ${i} of ${basePath}: ${show(r)}`);
    assert.ok(Array.isArray(r.body.items), `items is not an array: ${show(r)}`);
    assert.ok('next_cursor' in r.body, `next_cursor missing: ${show(r)}`);
    assert.ok(r.body.items.length <= limit, `more than limit=${limit} items: ${show(r)}`);
    pages.push(r.body);
    if (r.body.next_cursor === null) {
      return pages;
    }
    assert.equal(typeof r.body.next_cursor, 'string', `next_cursor type: ${show(r)}`);
    url = `${basePath}${sep}limit=${limit}&cursor=${encodeURIComponent(r.body.next_cursor)}`;
  }
  throw new Error(`pagination of ${basePath} does not end`);
}

/** Every key (at any depth) of a parsed JSON value. */
export function allKeys(value, out = []) {
  if (Array.isArray(value)) {
    for (const v of value) {
      allKeys(v, out);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allKeys(v, out);
    }
  }
  return out;
}

/**
 * Paths of secret-looking keys (password, hash, secret ...) whose value could be a secret: a
 * string other than a fixed marker such as "changed", or an object/array. Booleans, null and
 * markers are fine (an audit detail may say {"password":"changed"}).
 */
export function secretKeyViolations(value, where = '$', out = []) {
  const MARKERS = new Set(['changed', 'set', 'unchanged', 'redacted', '***', '[redacted]', 'reset']);
  if (Array.isArray(value)) {
    value.forEach((v, i) => secretKeyViolations(v, `${where}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = `${where}.${k}`;
      if (SECRET_KEY.test(k)) {
        const harmless = v === null || typeof v === 'boolean' || (typeof v === 'string' && MARKERS.has(v));
        if (!harmless) {
          out.push(`${p}=${JSON.stringify(v).slice(0, 40)}`);
        }
      }
      secretKeyViolations(v, p, out);
    }
  }
  return out;
}

/** Substrings that betray a stored password hash. */
export const HASH_MARKERS = ['$argon2', '$2a$', '$2b$', '$2y$', '$scrypt', '$pbkdf2', 'pbkdf2_sha', '$5$', '$6$'];

/** Keys that must never appear in an answer. */
export const SECRET_KEY = /(^|_)(password|passwd|hash|salt|secret|pwd)($|_)|password_hash|token_hash/i;

/** The parsed docs/openapi.yaml. */
export function loadSpec() {
  const file = path.join(REPO_ROOT, 'docs', 'openapi.yaml');
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

/** The (METHOD, path) operations of a parsed spec with their x-acdlink-role. */
export function specOperations(spec) {
  const ops = [];
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  for (const [p, item] of Object.entries(spec.paths || {})) {
    for (const m of methods) {
      if (item[m]) {
        ops.push({ method: m.toUpperCase(), path: p, role: item[m]['x-acdlink-role'], op: item[m] });
      }
    }
  }
  return ops;
}

/** GET /api/v1/endpoints items through `session`. */
export async function routeTable(session) {
  const r = await session.get('/api/v1/endpoints');
  assert.equal(r.status, 200, `GET /api/v1/endpoints: ${show(r)}`);
  assert.ok(Array.isArray(r.body.items), `endpoints items: ${show(r)}`);
  return r.body.items;
}

/** The cookie names in a list of Set-Cookie headers. */
export function parseCookieNames(setCookies) {
  return new Set(setCookies.map((s) => parseSetCookie(s).name));
}

// Waits until run ID of SESSION has ended (done, failed or cancelled) and gives its body.
export async function waitRunEnd(session, id, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await session.get(`/api/v1/runs/${id}`);
    assertStatus(r, 200);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    assert.ok(Date.now() < end, `run ${id} did not finish: ${show(r)}`);
    await sleep(100);
  }
}

/**
 * Writes connection_string into source's stored settings straight in the daemon's database
 * (unchecked, as an older version could have stored it), then runs day through session;
 * returns {run, log} (the run as it ended, its log as JSON text).
 */
export async function runWithStoredConnstr(session, daemon, source, connectionString, day, timeoutMs = 60000) {
  const settings = JSON.stringify({ ...source.settings, odbc: { ...source.settings.odbc, connection_string: connectionString } });
  const upd = spawnSync('sqlite3', ['-cmd', '.timeout 10000', path.join(daemon.dataDir, 'acdlink.db'),
    `UPDATE sources SET settings = '${settings.replaceAll("'", "''")}' WHERE id = ${source.id};`], { encoding: 'utf8' });
  assert.equal(upd.status, 0, upd.stderr);
  const c = await session.post('/api/v1/runs', { source_id: source.id, from: day, to: day });
  assertStatus(c, 202);
  const run = await waitRunEnd(session, c.body.id, timeoutMs);
  const log = JSON.stringify((await session.get(`/api/v1/runs/${c.body.id}/log`)).body);
  return { run, log };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The name of an ODBC driver registered with the driver manager (odbcinst -q -d), for
 * connection strings (Driver=NAME): the daemon refuses library paths. Throws naming the
 * Debian package when it is not registered.
 */
export function odbcDriver(name, pkg) {
  const r = spawnSync('odbcinst', ['-q', '-d'], { encoding: 'utf8' });
  const names = (r.stdout || '').split('\n').map((l) => l.trim().replace(/^\[|\]$/g, '')).filter(Boolean);
  assert.ok(names.includes(name), `the ODBC driver '${name}' is not registered (Debian package ${pkg}); registered: ${names.join(', ')}`);
  return name;
}
