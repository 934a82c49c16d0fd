// A small JSON Schema (2020-12 subset) validator for checking answers against docs/openapi.yaml.
//
// Supports what the spec uses: $ref (local), type (incl. arrays of types and 'null'), enum,
// const, required, properties, additionalProperties, unevaluatedProperties:false (over allOf
// branches and own properties), allOf, oneOf, anyOf, items, minLength, maxLength, pattern,
// minimum, maximum, minProperties, format date-time. Unknown keywords are ignored.

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(v) {
  if (v === null) {
    return 'null';
  }
  if (Array.isArray(v)) {
    return 'array';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? 'integer' : 'number';
  }
  return typeof v;
}

function typeMatches(want, v) {
  const t = typeOf(v);
  return want === t || (want === 'number' && t === 'integer');
}

/**
 * Validates `value` against `schema` (inside `root`, for $ref). Returns a list of problems, each
 * "path: what", empty when valid. `evaluated` (internal) collects property names seen by
 * properties/allOf for unevaluatedProperties.
 */
export function validate(root, schema, value, where = '$', evaluated = null) {
  const errs = [];
  if (schema === true || schema === undefined) {
    return errs;
  }
  if (schema === false) {
    return [`${where}: not allowed`];
  }
  if (schema.$ref) {
    const target = resolve(root, schema.$ref);
    errs.push(...validate(root, target, value, where, evaluated));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, value))) {
      errs.push(`${where}: type ${typeOf(value)}, want ${types.join('|')}`);
      return errs;
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    errs.push(`${where}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  }
  if ('const' in schema && schema.const !== value) {
    errs.push(`${where}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) {
      errs.push(`${where}: shorter than ${schema.minLength}`);
    }
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
      errs.push(`${where}: longer than ${schema.maxLength}`);
    }
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
      errs.push(`${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
    if (schema.format === 'date-time' && !DATE_TIME.test(value)) {
      errs.push(`${where}: ${JSON.stringify(value)} is not a date-time`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errs.push(`${where}: ${value} < ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errs.push(`${where}: ${value} > ${schema.maximum}`);
    }
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((v, i) => errs.push(...validate(root, schema.items, v, `${where}[${i}]`)));
  }
  const isObject = typeOf(value) === 'object';
  const seen = evaluated || new Set();
  if (schema.allOf) {
    for (const s of schema.allOf) {
      errs.push(...validate(root, s, value, where, seen));
    }
  }
  if (schema.anyOf) {
    const results = schema.anyOf.map((s) => validate(root, s, value, where));
    if (!results.some((r) => r.length === 0)) {
      errs.push(`${where}: matches none of anyOf (${results.map((r) => r.join('; ')).join(' | ')})`);
    }
  }
  if (schema.oneOf) {
    const results = schema.oneOf.map((s) => validate(root, s, value, where));
    const n = results.filter((r) => r.length === 0).length;
    if (n !== 1) {
      errs.push(`${where}: matches ${n} of oneOf (${results.map((r) => r.join('; ')).join(' | ')})`);
    }
  }
  if (isObject) {
    const props = schema.properties || {};
    for (const r of schema.required || []) {
      if (!(r in value)) {
        errs.push(`${where}: required property '${r}' missing`);
      }
    }
    if (schema.minProperties !== undefined && Object.keys(value).length < schema.minProperties) {
      errs.push(`${where}: fewer than ${schema.minProperties} properties`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        seen.add(k);
        errs.push(...validate(root, props[k], v, `${where}.${k}`));
      } else if (schema.additionalProperties === false) {
        errs.push(`${where}: property '${k}' not in the schema`);
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        seen.add(k);
        errs.push(...validate(root, schema.additionalProperties, v, `${where}.${k}`));
      } else if (schema.additionalProperties === true) {
        seen.add(k);
      }
    }
    if (schema.unevaluatedProperties === false) {
      for (const k of Object.keys(value)) {
        if (!seen.has(k)) {
          errs.push(`${where}: property '${k}' not in the schema`);
        }
      }
    }
  }
  return errs;
}

export function resolve(root, ref) {
  if (!ref.startsWith('#/')) {
    throw new Error(`external $ref ${ref}`);
  }
  let node = root;
  for (const part of ref.slice(2).split('/')) {
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) {
      throw new Error(`unresolvable $ref ${ref}`);
    }
  }
  return node;
}

/**
 * Checks an answer against the spec: the operation (method, pattern) must document the status,
 * and a JSON body must match that response's schema. Returns a list of problems.
 */
export function checkAnswer(spec, method, pattern, res) {
  const item = spec.paths?.[pattern];
  const op = item?.[method.toLowerCase()];
  if (!op) {
    return [`${method} ${pattern}: not in the spec`];
  }
  let resp = op.responses?.[String(res.status)] ?? op.responses?.default;
  if (!resp) {
    return [`${method} ${pattern}: status ${res.status} not documented`];
  }
  while (resp.$ref) {
    resp = resolve(spec, resp.$ref);
  }
  const media = resp.content?.['application/json'];
  const ctype = String(res.headers?.['content-type'] || '').split(';')[0].trim();
  if (!media && ctype && ctype !== 'application/json' && resp.content?.[ctype]) {
    return []; /* a documented non-JSON answer (e.g. the backup archive) */
  }
  if (!media) {
    if (res.text.length > 0) {
      return [`${method} ${pattern} ${res.status}: body sent but none documented`];
    }
    return [];
  }
  if (typeof res.body !== 'object') {
    return [`${method} ${pattern} ${res.status}: body is not JSON: ${res.text.slice(0, 100)}`];
  }
  return validate(spec, media.schema, res.body).map((e) => `${method} ${pattern} ${res.status}: ${e}`);
}
