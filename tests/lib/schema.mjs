// Checks answers of the daemon against docs/openapi.yaml, the contract.
//
// Every answer the shared client (tests/lib/daemon.mjs) receives for an /api/ path goes through
// specViolations(): the (method, path) must be an operation of the spec, the status must be one of
// its documented responses, the Content-Type one of that response's media types, and a JSON body
// must match the response schema (JSON Schema 2020-12, compiled by ajv with the spec's components
// as the $ref target). Paths outside /api/ (the console) are not part of the contract; OPTIONS
// answers are checked against the rule the spec states once for all paths (204, no body).
// A request to an unknown path or with a method the path does not have must be refused with a
// 4xx and the Error envelope.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

const SPEC_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs',
  'openapi.yaml');
const SPEC_ID = 'openapi.yaml';

let cached = null;

/** Headers of every API answer (docs/openapi.yaml, info.description), lower-cased. */
const EVERY_ANSWER = {
  'cache-control': /^no-store$/,
  'x-content-type-options': /^nosniff$/,
  'referrer-policy': /^no-referrer$/,
  'content-security-policy': /frame-ancestors 'none'/,
};

/** Escapes one JSON-pointer segment. */
function esc(s) {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The node at `pointer` ("#/a/b") in `root`, or undefined. */
function at(root, pointer) {
  let node = root;
  for (const part of pointer.replace(/^#\/?/, '').split('/').filter((p) => p !== '')) {
    if (node === null || typeof node !== 'object') {
      return undefined;
    }
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** A validator for `spec` (a parsed OpenAPI 3.1 document). */
export function makeChecker(spec) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false,
    validateFormats: true, verbose: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addKeyword({ keyword: 'example' });
  ajv.addKeyword({ keyword: 'discriminator' });
  ajv.addKeyword({ keyword: 'paths' });
  ajv.addKeyword({ keyword: 'components' });
  // The whole document is one schema resource, so '#/components/...' refs resolve inside it.
  ajv.addSchema({ $id: SPEC_ID, paths: spec.paths, components: spec.components }, undefined,
    undefined, false);
  const compiled = new Map();
  const pointers = new WeakMap();
  (function walk(node, pointer) {
    if (node && typeof node === 'object' && !pointers.has(node)) {
      pointers.set(node, pointer);
      for (const [k, v] of Object.entries(node)) {
        walk(v, `${pointer}/${esc(k)}`);
      }
    }
  })({ paths: spec.paths, components: spec.components }, '#');
  const templates = Object.keys(spec.paths || {}).map((p) => ({ path: p, segs: p.split('/') }));

  /** The validate function for the schema at `pointer` inside the spec. */
  function validatorAt(pointer) {
    let fn = compiled.get(pointer);
    if (!fn) {
      fn = ajv.compile({ $ref: `${SPEC_ID}${pointer}` });
      compiled.set(pointer, fn);
    }
    return fn;
  }

  /** The spec path template of a concrete path (literal segments beat parameters), or null. */
  function templateOf(urlPath) {
    const segs = urlPath.split('?')[0].split('/');
    let best = null;
    let bestLiterals = -1;
    for (const t of templates) {
      if (t.segs.length !== segs.length) {
        continue;
      }
      let literals = 0;
      const ok = t.segs.every((s, i) => {
        if (/^\{[^}]+\}$/.test(s)) {
          return segs[i] !== '';
        }
        literals++;
        return s === decodeURIComponentSafe(segs[i]);
      });
      if (ok && literals > bestLiterals) {
        best = t.path;
        bestLiterals = literals;
      }
    }
    return best;
  }

  /** Problems of `value` against the schema at `pointer`, as "where: what [schema ...]". */
  function schemaProblems(pointer, value) {
    const fn = validatorAt(pointer);
    if (fn(value)) {
      return [];
    }
    return fn.errors.map((e) => {
      const where = `body${e.instancePath.replace(/\//g, '.')}` || 'body';
      const params = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
      const owner = pointers.get(e.parentSchema);
      const loc = owner ? `${owner}/${e.keyword}` : e.schemaPath;
      return `${where} ${e.message}${params} (schema ${loc})`;
    });
  }

  /**
   * Problems with the headers: those every API answer carries (info.description), and the
   * documented headers of the response (`required: true` ones must be there; any that is there
   * must match its schema).
   */
  function headerProblems(res, resp, respPointer) {
    const out = [];
    const h = res.headers || {};
    for (const [name, decl] of Object.entries(resp.headers || {})) {
      let pointer = `${respPointer}/headers/${esc(name)}`;
      let header = decl;
      for (let i = 0; header && header.$ref && i < 10; i++) {
        pointer = header.$ref;
        header = at(spec, pointer);
      }
      const value = h[name.toLowerCase()];
      if (value === undefined) {
        if (header?.required) {
          out.push(`header ${name} missing (${pointer})`);
        }
        continue;
      }
      for (const one of header?.schema ? [].concat(value) : []) { // Set-Cookie may come repeatedly
        const type = header.schema.type;
        const v = (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(one)
          ? Number(one) : one;
        out.push(...schemaProblems(`${pointer}/schema`, v).map((p) => `header ${name}: ${p.replace(/^body /, '')}`));
      }
    }
    return out;
  }

  /** Problems with the headers every API answer carries (info.description). */
  function commonHeaderProblems(res) {
    const h = res.headers || {};
    return Object.entries(EVERY_ANSWER).filter(([name, want]) => !want.test(String(h[name] ?? '')))
      .map(([name, want]) => `header ${name}: '${h[name] ?? ''}' (every API answer: ${want})`);
  }

  /** Problems of a body that must be the Error envelope. */
  function errorEnvelopeProblems(res) {
    if (!isJson(res)) {
      return [`not the JSON Error envelope (Content-Type '${ctypeOf(res)}'): ${String(res.text).slice(0, 120)}`];
    }
    return schemaProblems('#/components/schemas/Error', res.body);
  }

  /**
   * Everything about `res` ({method, path, status, headers, body, text}) that the spec does not
   * allow, as readable lines naming method, path, status and the schema location ([] when fine).
   */
  function check(res) {
    const method = String(res.method || 'GET').toUpperCase();
    const urlPath = String(res.path || '');
    const pathOnly = urlPath.split('?')[0];
    if (!pathOnly.startsWith('/api/')) {
      return [];
    }
    const head = `${method} ${urlPath} -> ${res.status}`;
    const out = commonHeaderProblems(res);
    const template = templateOf(pathOnly);
    if (method === 'OPTIONS' && template) {
      if (res.status !== 204 || res.text.length > 0) {
        if (res.status < 400) {
          out.push('OPTIONS must answer 204 without a body (info.description)');
        } else {
          out.push(...errorEnvelopeProblems(res));
        }
      }
      return out.map((p) => `${head}: ${p}`);
    }
    const opMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
    const op = template ? spec.paths[template][opMethod] : undefined;
    if (!op) {
      // An unknown path or method: must be refused with the Error envelope.
      if (res.status < 400 || res.status >= 500) {
        out.push(`${template ? `method ${method} of ${template}` : 'path'} not in docs/openapi.yaml, ` +
          'yet not refused with a 4xx');
      } else if (method !== 'HEAD') {
        out.push(...errorEnvelopeProblems(res).map((p) => `${p} (unknown route)`));
      }
      return out.map((p) => `${head}: ${p}`);
    }
    const opPointer = `#/paths/${esc(template)}/${opMethod}`;
    const label = `${head} (spec ${opMethod.toUpperCase()} ${template})`;
    const code = String(res.status);
    let respPointer = null;
    if (op.responses?.[code]) {
      respPointer = `${opPointer}/responses/${code}`;
    } else if (op.responses?.[`${code[0]}XX`]) {
      respPointer = `${opPointer}/responses/${code[0]}XX`;
    } else if (op.responses?.default) {
      respPointer = `${opPointer}/responses/default`;
    }
    if (!respPointer) {
      return [`${label}: status ${code} not documented (documented: ${Object.keys(op.responses || {}).join(', ')})`];
    }
    let resp = at(spec, respPointer);
    for (let i = 0; resp && resp.$ref && i < 10; i++) {
      respPointer = resp.$ref;
      resp = at(spec, respPointer);
    }
    if (!resp) {
      return [`${label}: response ${respPointer} does not resolve`];
    }
    const content = resp.content || {};
    const ctype = ctypeOf(res);
    const bodyLess = method === 'HEAD' || res.raw?.length === 0 && res.text === '';
    if (Object.keys(content).length === 0) {
      out.push(...headerProblems(res, resp, respPointer));
      if (!bodyLess) {
        out.push(`a body (${ctype || 'no Content-Type'}) but the spec documents none (${respPointer})`);
      }
      return out.map((p) => `${label}: ${p}`);
    }
    out.push(...headerProblems(res, resp, respPointer));
    if (bodyLess && method === 'HEAD') {
      return out.map((p) => `${label}: ${p}`);
    }
    const mediaKey = Object.keys(content).find((k) => k.toLowerCase() === ctype);
    if (!mediaKey) {
      return [`${label}: Content-Type '${ctype}' not documented (${Object.keys(content).join(', ')} at ${respPointer})`];
    }
    if (mediaKey === 'application/json' || mediaKey.endsWith('+json')) {
      if (!isJson(res)) {
        return [`${label}: body is not JSON: ${String(res.text).slice(0, 120)}`];
      }
      if (content[mediaKey].schema) {
        const schemaPointer = `${respPointer}/content/${esc(mediaKey)}/schema`;
        out.push(...schemaProblems(schemaPointer, res.body));
      }
    }
    return out.map((p) => `${label}: ${p}`);
  }

  return { check, templateOf, schemaProblems, spec };
}

function decodeURIComponentSafe(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function ctypeOf(res) {
  return String(res.headers?.['content-type'] || '').split(';')[0].trim().toLowerCase();
}

function isJson(res) {
  return ctypeOf(res) === 'application/json' && res.body !== null && typeof res.body === 'object';
}

/** The parsed docs/openapi.yaml. */
export function loadSpecFile() {
  return YAML.parse(fs.readFileSync(SPEC_FILE, 'utf8'));
}

/** The checker for docs/openapi.yaml (built once per process). */
export function specChecker() {
  if (!cached) {
    cached = makeChecker(loadSpecFile());
  }
  return cached;
}

/**
 * The spec violations of one answer of the shared client ([] when it conforms), checked against
 * docs/openapi.yaml or, when `checker` is one made by makeChecker(), against that one.
 */
export function specViolations(res, checker = true) {
  return (checker === true ? specChecker() : checker).check(res);
}

const checkers = new WeakMap();

function checkerFor(spec) {
  if (!checkers.has(spec)) {
    checkers.set(spec, makeChecker(spec));
  }
  return checkers.get(spec);
}

/** Problems of `value` against `schema` ({$ref: '#/components/...'}) of `spec`. */
export function validate(spec, schema, value) {
  if (!schema || typeof schema.$ref !== 'string') {
    throw new Error('validate() takes {$ref: "#/..."} schemas of the spec');
  }
  return checkerFor(spec).schemaProblems(schema.$ref, value);
}

/** The spec violations of answer `res` to `method` on a path of `pattern` ([] when it conforms). */
export function checkAnswer(spec, method, pattern, res) {
  const problems = checkerFor(spec).check({ ...res, method });
  const template = checkerFor(spec).templateOf(String(res.path || '').split('?')[0]);
  if (res.path && template !== pattern) {
    problems.push(`${method} ${res.path}: matches ${template}, not ${pattern}`);
  }
  return problems;
}
