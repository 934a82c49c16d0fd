// docs/openapi.yaml: well-formed, complete for the contract, and equal to the daemon's route table.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { login, startDaemon } from '../lib/daemon.mjs';
import { CONTRACT_ROUTES, ROLE_RANK, ROOT, loadSpec, routeTable, specOperations } from '../lib/api.mjs';

const ERROR_CODES = ['bad_request', 'invalid_parameter', 'unauthorized', 'invalid_credentials', 'forbidden',
  'csrf_failed', 'not_found', 'method_not_allowed', 'conflict', 'last_admin', 'payload_too_large',
  'unsupported_media_type', 'invalid_field', 'too_many_requests', 'internal'];

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
      if (/^[45]\d\d$/.test(code)) {
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
