// docs/openapi.yaml: well-formed, complete for the contract, and equal to the daemon's route table.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';
import {
  CONTRACT_ROUTES, ROLE_RANK, ROOT, SAMPLE_SOURCE, assertError, assertInvalidField, loadSpec, routeTable,
  show, specOperations,
} from '../lib/api.mjs';
import { makeChecker } from '../lib/schema.mjs';

const ERROR_CODES = ['bad_request', 'invalid_parameter', 'unauthorized', 'invalid_credentials', 'forbidden',
  'csrf_failed', 'not_found', 'method_not_allowed', 'conflict', 'referenced', 'last_admin', 'payload_too_large',
  'unsupported_media_type', 'invalid_field', 'too_many_requests', 'internal', 'unavailable',
  // answers of the HTTP parser, before any route
  'length_required', 'uri_too_long', 'headers_too_large', 'http_version_not_supported'];

const spec = loadSpec();
const ops = specOperations(spec);

function resolveRef(ref) {
  assert.ok(ref.startsWith('#/'), `external $ref not allowed: ${ref}`);
  let node = spec;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    assert.ok(node && typeof node === 'object' && key in node, `unresolvable $ref ${ref}`);
    node = node[key];
  }
  return node;
}

function deref(node) {
  let n = node;
  for (let i = 0; n && n.$ref && i < 10; i++) {
    n = resolveRef(n.$ref);
  }
  return n;
}

function walkRefs(node, out = []) {
  if (Array.isArray(node)) {
    node.forEach((n) => walkRefs(n, out));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        out.push(v);
      } else {
        walkRefs(v, out);
      }
    }
  }
  return out;
}

test('openapi.yaml is OpenAPI 3.1 with info, paths and components', () => {
  assert.match(String(spec.openapi), /^3\.1\.\d+$/);
  assert.ok(spec.info && spec.info.title && spec.info.version);
  assert.ok(ops.length > 0);
  assert.ok(spec.components?.schemas?.Error);
});

test('every $ref resolves', () => {
  for (const ref of walkRefs(spec)) {
    resolveRef(ref);
  }
});

test('every operation: unique operationId, x-acdlink-role, security matching the role, documented errors', () => {
  const ids = new Set();
  const schemes = spec.components.securitySchemes || {};
  assert.ok(schemes.sessionCookie && schemes.sessionCookie.in === 'cookie' &&
    schemes.sessionCookie.name === '__Host-acdlink_session', 'sessionCookie scheme');
  assert.ok(schemes.csrfHeader && schemes.csrfHeader.in === 'header' &&
    schemes.csrfHeader.name === 'X-CSRF-Token', 'csrfHeader scheme');
  assert.ok(schemes.bearerToken && schemes.bearerToken.type === 'http' &&
    schemes.bearerToken.scheme === 'bearer', 'bearerToken scheme');
  for (const { method, path, role, op } of ops) {
    const where = `${method} ${path}`;
    assert.ok(path.startsWith('/api/v1/'), `${where}: not under /api/v1`);
    assert.ok(op.operationId && !ids.has(op.operationId), `${where}: operationId missing or duplicate`);
    ids.add(op.operationId);
    assert.ok(role in ROLE_RANK, `${where}: x-acdlink-role '${role}' is not public|viewer|operator|admin`);
    const security = op.security ?? spec.security;
    const codes = Object.keys(op.responses || {});
    assert.ok(codes.some((c) => /^2\d\d$/.test(c)), `${where}: no 2xx response`);
    if (role === 'public') {
      assert.deepEqual(op.security, [], `${where}: public operation must say security: []`);
    } else {
      assert.ok(Array.isArray(security) && security.length > 0, `${where}: no security requirement`);
      for (const req of security) {
        for (const name of Object.keys(req)) {
          assert.ok(name in schemes, `${where}: unknown security scheme ${name}`);
        }
      }
      if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
        const cookieReqs = security.filter((r) => 'sessionCookie' in r);
        assert.ok(cookieReqs.length > 0 && cookieReqs.every((r) => 'csrfHeader' in r),
          `${where}: cookie auth on a state-changing operation must also require csrfHeader`);
      }
      assert.ok(codes.includes('401'), `${where}: 401 not documented`);
      if (ROLE_RANK[role] > ROLE_RANK.viewer) {
        assert.ok(codes.includes('403'), `${where}: 403 not documented`);
      }
    }
    for (const [code, resp] of Object.entries(op.responses)) {
      const r = deref(resp);
      assert.ok(r.description, `${where} ${code}: response without description`);
      // (a monitor reads the same Health document from GET /api/v1/health whether 200 or 503)
      if (/^[45]\d\d$/.test(code) && !(path === '/api/v1/health' && code === '503')) {
        const schema = r.content?.['application/json']?.schema;
        assert.ok(schema && schema.$ref === '#/components/schemas/Error', `${where} ${code}: not the Error envelope`);
      }
      if (code === '429') {
        assert.ok(r.headers && r.headers['Retry-After'], `${where} 429: Retry-After header not documented`);
      }
    }
    // Path parameters are declared.
    const params = [...(spec.paths[path].parameters || []), ...(op.parameters || [])].map(deref);
    for (const m of path.matchAll(/\{([^}]+)\}/g)) {
      assert.ok(params.some((p) => p.in === 'path' && p.name === m[1] && p.required === true),
        `${where}: path parameter ${m[1]} not declared`);
    }
  }
});

test('request bodies: JSON object schemas with required fields and additionalProperties false', () => {
  for (const { method, path, op } of ops) {
    if (!op.requestBody) {
      continue;
    }
    const where = `${method} ${path}`;
    const rb = deref(op.requestBody);
    const keys = Object.keys(rb.content || {});
    assert.deepEqual(keys, ['application/json'], `${where}: request body must be application/json only`);
    const schema = deref(rb.content['application/json'].schema);
    assert.equal(schema.type, 'object', `${where}: body schema is not an object`);
    assert.equal(schema.additionalProperties, false, `${where}: body schema allows additional properties`);
    assert.ok(Array.isArray(schema.required) || schema.minProperties >= 1,
      `${where}: body schema has no required fields`);
    for (const r of schema.required || []) {
      assert.ok(r in (schema.properties || {}), `${where}: required field ${r} not in properties`);
    }
  }
});

test('every operation without a request body documents 413 (the daemon refuses any body there)', () => {
  const missing = ops.filter(({ op }) => !op.requestBody && !op.responses['413'])
    .map(({ method, path: p }) => `${method} ${p}`);
  assert.deepEqual(missing, []);
});

test('every operation with a request body documents 400, 413, 415 and 422', () => {
  const missing = [];
  for (const { method, path: p, op } of ops) {
    for (const code of op.requestBody ? ['400', '413', '415', '422'] : []) {
      if (!op.responses[code]) {
        missing.push(`${method} ${p}: ${code}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

/** Every schema object of the spec with its JSON pointer (walks everything, schemas or not). */
function walkNodes(node, pointer = '#', out = []) {
  if (Array.isArray(node)) {
    node.forEach((n, i) => walkNodes(n, `${pointer}/${i}`, out));
  } else if (node && typeof node === 'object') {
    out.push({ node, pointer });
    for (const [k, v] of Object.entries(node)) {
      walkNodes(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  }
  return out;
}

/** The property names a schema defines itself or through allOf/anyOf/oneOf branches. */
function definedProperties(schema, seen = new Set()) {
  const s = deref(schema);
  const names = new Set(Object.keys(s?.properties || {}));
  if (!s || seen.has(s)) {
    return names;
  }
  seen.add(s);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    for (const branch of s[key] || []) {
      for (const n of definedProperties(branch, seen)) {
        names.add(n);
      }
    }
  }
  return names;
}

test('every required property of a schema is defined in its properties', () => {
  const problems = [];
  for (const { node, pointer } of walkNodes(spec)) {
    if (!Array.isArray(node.required)) {
      continue; // parameters and request bodies have a boolean 'required'
    }
    const defined = definedProperties(node);
    for (const name of node.required) {
      if (!defined.has(name)) {
        problems.push(`${pointer}: required '${name}' is not defined`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every schema compiles in strict JSON Schema 2020-12 (no unknown keyword, e.g. a split flow mapping)', () => {
  const checker = makeChecker(spec);
  const problems = [];
  const pointers = Object.keys(spec.components.schemas).map((n) => `#/components/schemas/${n}`);
  for (const { node, pointer } of walkNodes(spec.paths, '#/paths')) {
    if (node.schema && typeof node.schema === 'object') {
      pointers.push(`${pointer}/schema`);
    }
  }
  for (const p of pointers) {
    try {
      checker.schemaProblems(p, null);
    } catch (err) {
      problems.push(`${p}: ${err.message}`);
    }
  }
  assert.ok(pointers.length > 100, `only ${pointers.length} schemas found`);
  assert.deepEqual(problems, []);
});

test('every component is used', () => {
  const refs = new Set(walkRefs(spec));
  const unused = [];
  for (const [kind, entries] of Object.entries(spec.components)) {
    if (kind === 'securitySchemes') {
      continue; // used by name in security requirements, not by $ref
    }
    for (const name of Object.keys(entries)) {
      if (!refs.has(`#/components/${kind}/${name}`)) {
        unused.push(`#/components/${kind}/${name}`);
      }
    }
  }
  assert.deepEqual(unused, []);
});

/** Every .c file under dir (recursively). */
function cFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? cFiles(p) : (e.name.endsWith('.c') ? [p] : []);
  });
}

/** Audit actions the daemon's C code writes: literals in audit calls and audit INSERTs. */
export function auditActionsInCode(text) {
  const found = new Set();
  const call = /(http_audit|store_audit_add|save_and_answer)\s*\(|INSERT INTO audit/g;
  for (let m = call.exec(text); m; m = call.exec(text)) {
    const end = text.indexOf(';', m.index);
    const args = text.slice(m.index, end < 0 ? undefined : end);
    for (const lit of args.matchAll(/["']([a-z_]+\.[a-z_]+)["']/g)) {
      found.add(lit[1]);
    }
  }
  return found;
}

test('AuditAction lists every audit action the daemon writes', () => {
  const enumed = new Set(spec.components.schemas.AuditAction.enum);
  const problems = [];
  let total = 0;
  for (const file of cFiles(path.join(REPO_ROOT, 'daemon'))) {
    for (const action of auditActionsInCode(fs.readFileSync(file, 'utf8'))) {
      total++;
      if (!enumed.has(action)) {
        problems.push(`${path.relative(REPO_ROOT, file)} writes '${action}', not in AuditAction`);
      }
    }
  }
  assert.ok(total >= 40, `only ${total} audit actions found in daemon/: the scan is broken`);
  assert.deepEqual(problems, []);
  assert.deepEqual([...auditActionsInCode('http_audit(r, "x.made",\n "t", "ok", NULL);')], ['x.made']);
});

/** Error codes the daemon's C code answers with: reply_error() calls and the parser's table. */
export function errorCodesInCode(text) {
  const found = new Set();
  for (const m of text.matchAll(/reply_error\(\s*[\w>-]+,\s*[^,]+,\s*"([a-z_]+)"/g)) {
    found.add(m[1]);
  }
  for (const m of text.matchAll(/\{\s*[45]\d\d,\s*"([a-z_]+)"/g)) {
    found.add(m[1]);
  }
  return found;
}

test('the Error schema lists every error code the daemon answers with', () => {
  const enumed = new Set(spec.components.schemas.Error.properties.error.properties.code.enum);
  const problems = [];
  const all = new Set();
  for (const file of cFiles(path.join(REPO_ROOT, 'daemon'))) {
    for (const code of errorCodesInCode(fs.readFileSync(file, 'utf8'))) {
      all.add(code);
      if (!enumed.has(code)) {
        problems.push(`${path.relative(REPO_ROOT, file)} answers '${code}', not in Error.code`);
      }
    }
  }
  assert.ok(all.size >= 15, `only ${[...all].join(', ')} found in daemon/: the scan is broken`);
  assert.deepEqual(problems, []);
});

test('the Error schema lists every contract error code', () => {
  const e = spec.components.schemas.Error;
  assert.deepEqual(e.required, ['error']);
  const inner = e.properties.error;
  assert.ok(inner.required.includes('code') && inner.required.includes('message'));
  assert.ok(inner.properties.hint, 'hint not described');
  assert.deepEqual([...inner.properties.code.enum].sort(), [...ERROR_CODES].sort());
});

test('the spec has every contract route with the contract role', () => {
  const bySpec = new Map(ops.map((o) => [`${o.method} ${o.path}`, o.role]));
  const problems = [];
  for (const r of CONTRACT_ROUTES) {
    const key = `${r.method} ${r.path}`;
    if (!bySpec.has(key)) {
      problems.push(`${key}: missing from docs/openapi.yaml`);
    } else if (bySpec.get(key) !== r.role) {
      problems.push(`${key}: x-acdlink-role ${bySpec.get(key)}, contract says ${r.role}`);
    }
  }
  assert.deepEqual(problems, []);
});

// ------------------------------------------------------------------------------------------
// Against the running daemon.

/** Differences between the route table and the spec, as readable lines ([] when equal). */
export function compareRoutes(table, specOps) {
  const problems = [];
  const fromDaemon = new Map();
  for (const e of table) {
    const key = `${e.method} ${e.path}`;
    if (fromDaemon.has(key)) {
      problems.push(`${key}: listed twice by GET /api/v1/endpoints`);
    }
    fromDaemon.set(key, e.role);
  }
  const fromSpec = new Map(specOps.map((o) => [`${o.method} ${o.path}`, o.role]));
  for (const [key, role] of fromDaemon) {
    if (!fromSpec.has(key)) {
      problems.push(`${key} (role ${role}): served by the daemon but not in docs/openapi.yaml`);
    } else if (fromSpec.get(key) !== role) {
      problems.push(`${key}: daemon role ${role}, docs/openapi.yaml x-acdlink-role ${fromSpec.get(key)}`);
    }
  }
  for (const [key, role] of fromSpec) {
    if (!fromDaemon.has(key)) {
      problems.push(`${key} (role ${role}): in docs/openapi.yaml but not served by the daemon`);
    }
  }
  return problems;
}

test('comparison logic reports every kind of disagreement', () => {
  const specOps = [{ method: 'GET', path: '/a', role: 'viewer' }, { method: 'POST', path: '/b', role: 'admin' }];
  assert.deepEqual(compareRoutes([{ method: 'GET', path: '/a', role: 'viewer' },
    { method: 'POST', path: '/b', role: 'admin' }], specOps), []);
  assert.equal(compareRoutes([{ method: 'GET', path: '/a', role: 'admin' },
    { method: 'POST', path: '/b', role: 'admin' }], specOps).length, 1);
  assert.equal(compareRoutes([{ method: 'GET', path: '/a', role: 'viewer' }], specOps).length, 1);
  assert.equal(compareRoutes([...specOps, { method: 'GET', path: '/c', role: 'public' }], specOps).length, 1);
});

describe('against the running daemon', () => {
  let d;
  let admin;

  before(async () => {
    d = await startDaemon({ users: [ROOT] });
    admin = await login(d, ROOT.name, ROOT.password);
  });

  after(async () => {
    if (d) {
      await d.stop();
    }
  });

  test('GET /api/v1/endpoints and docs/openapi.yaml list the same (method, path, role)', async () => {
    const table = await routeTable(admin);
    const problems = compareRoutes(table, ops);
    assert.deepEqual(problems, [], `route table and docs/openapi.yaml disagree:\n  ${problems.join('\n  ')}`);
  });

  test('every PATCH refuses {} with 422 naming the body (minProperties 1)', async () => {
    const patches = ops.filter((o) => o.method === 'PATCH');
    assert.ok(patches.length >= 9, `only ${patches.length} PATCH operations`);
    for (const { path: p, op } of patches) {
      const schema = deref(deref(op.requestBody).content['application/json'].schema);
      assert.equal(schema.minProperties, 1, `PATCH ${p}: body schema without minProperties 1`);
      // the body is checked before the object is looked up: id 1 need not exist
      const r = await admin.patch(p.replace(/\{[^}]+\}/g, '1'), {});
      assertInvalidField(r, 'request body');
    }
  });

  test('every POST without path parameters refuses {} with 422 naming a required field', async () => {
    for (const { method, path: p, op } of ops) {
      if (method !== 'POST' || !op.requestBody || p.includes('{')) {
        continue;
      }
      const schema = deref(deref(op.requestBody).content['application/json'].schema);
      const r = await admin.post(p, {});
      assertError(r, 422, 'invalid_field');
      assert.ok(schema.required.some((f) => r.body.error.message.includes(f)),
        `POST ${p}: names none of ${schema.required.join(', ')}: ${show(r)}`);
    }
  });

  test('interval_minutes -1 is refused, not taken as absent', async () => {
    const q = await admin.post('/api/v1/queues', { identifier: 'spec-q', name: 'Spec', time_zone: 'UTC' });
    assert.equal(q.status, 201, show(q));
    assertInvalidField(await admin.patch(`/api/v1/queues/${q.body.id}`, { interval_minutes: -1 }),
      'interval_minutes');
    assertInvalidField(await admin.post('/api/v1/queues',
      { identifier: 'spec-q2', name: 'Spec', time_zone: 'UTC', interval_minutes: -1 }), 'interval_minutes');
    const src = await admin.post('/api/v1/sources', SAMPLE_SOURCE('spec-src'));
    assert.equal(src.status, 201, show(src));
    assertInvalidField(await admin.patch(`/api/v1/sources/${src.body.id}`, { interval_minutes: -1 }),
      'interval_minutes');
    assertInvalidField(await admin.post('/api/v1/sources', { ...SAMPLE_SOURCE('spec-src2'), interval_minutes: -1 }),
      'interval_minutes');
    assert.equal((await admin.get(`/api/v1/queues/${q.body.id}`)).body.interval_minutes, 15);
    assert.equal((await admin.get(`/api/v1/sources/${src.body.id}`)).body.interval_minutes, 15);
  });

  test('schedules refuse the fields of the other kind and -1 values', async () => {
    const src = await admin.post('/api/v1/sources', SAMPLE_SOURCE('spec-sched-src'));
    const base = { source_id: src.body.id };
    assertInvalidField(await admin.post('/api/v1/schedules', { ...base, kind: 'every', every_minutes: 15, days_back: 3 }),
      'days_back');
    assertInvalidField(await admin.post('/api/v1/schedules', { ...base, kind: 'every', every_minutes: 15, daily_at: '06:00' }),
      'daily_at');
    assertInvalidField(await admin.post('/api/v1/schedules', { ...base, kind: 'daily', daily_at: '06:00', every_minutes: 15 }),
      'every_minutes');
    assertInvalidField(await admin.post('/api/v1/schedules', { ...base, kind: 'daily', daily_at: '06:00', days_back: -1 }),
      'days_back');
    const every = await admin.post('/api/v1/schedules', { ...base, kind: 'every', every_minutes: 15 });
    assert.equal(every.status, 201, show(every));
    assertInvalidField(await admin.patch(`/api/v1/schedules/${every.body.id}`, { days_back: 2 }), 'days_back');
    assertInvalidField(await admin.patch(`/api/v1/schedules/${every.body.id}`, { offset_minutes: -1 }), 'offset_minutes');
    assertInvalidField(await admin.patch(`/api/v1/schedules/${every.body.id}`, { every_minutes: -1 }), 'every_minutes');
    const daily = await admin.patch(`/api/v1/schedules/${every.body.id}`, { kind: 'daily', daily_at: '05:00', days_back: 2 });
    assert.equal(daily.status, 200, show(daily));
    assert.equal(daily.body.days_back, 2);
    assert.ok(!('every_minutes' in daily.body), show(daily));
    assertInvalidField(await admin.patch(`/api/v1/schedules/${every.body.id}`, { offset_minutes: 5 }), 'offset_minutes');
  });

  test('a body on an operation that takes none: 413 as documented (logout, health, a GET)', async () => {
    const s = await login(d, ROOT.name, ROOT.password);
    assertError(await s.post('/api/v1/auth/logout', {}), 413, 'payload_too_large');
    assert.equal((await s.get('/api/v1/auth/session')).status, 200, 'the session survives the refused logout');
    assertError(await s.request('GET', '/api/v1/health', { json: {} }), 413, 'payload_too_large');
    assertError(await s.request('GET', '/api/v1/users', { json: {} }), 413, 'payload_too_large');
    assert.equal((await s.post('/api/v1/auth/logout')).status, 204);
  });

  test('route table body limits: 0 for body-less methods, positive for routes with a request body', async () => {
    const table = await routeTable(admin);
    const specByKey = new Map(ops.map((o) => [`${o.method} ${o.path}`, o.op]));
    for (const e of table) {
      const op = specByKey.get(`${e.method} ${e.path}`);
      if (op && op.requestBody) {
        assert.ok(e.body_limit > 0, `${e.method} ${e.path}: takes a body but body_limit ${e.body_limit}`);
      }
      if (e.method === 'GET') {
        assert.equal(e.body_limit, 0, `${e.method} ${e.path}: body_limit ${e.body_limit}`);
      }
    }
  });
});
