// Every error answer the daemon words in English can be worded in the reader's language: each
// literal hint of reply_error()/reply_error_overridable() (and of the hint tables and hint
// variables that feed them) has a code in core/hint_texts.c, each literal message of a 4xx
// answer matches a text of core/why_texts.c (whole, or the WHY of "FIELD: WHY"), and every code
// of both tables has a text in English, German and French. A new hint or 422 text without a
// code fails here, naming its file and line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import en from '../src/i18n/en.js';
import de from '../src/i18n/de.js';
import fr from '../src/i18n/fr.js';
import { messageText, translator } from '../src/i18n/index.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function cFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      return cFiles(p);
    }
    return p.endsWith('.c') ? [p] : [];
  });
}

/** src with comments blanked (kept the same length, so offsets still give line numbers). */
function stripComments(src) {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === '\'') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        j += src[j] === '\\' ? 2 : 1;
      }
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (src.startsWith('/*', i)) {
      const j = src.indexOf('*/', i + 2);
      const end = j < 0 ? src.length : j + 2;
      out += src.slice(i, end).replace(/[^\n]/g, ' ');
      i = end;
    } else if (src.startsWith('//', i)) {
      const j = src.indexOf('\n', i);
      const end = j < 0 ? src.length : j;
      out += ' '.repeat(end - i);
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The arguments of the call whose '(' is at open: [{text, at}] split at top-level commas. */
function callArgs(src, open) {
  const args = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === '\'') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) {
        j += src[j] === '\\' ? 2 : 1;
      }
      i = j;
    } else if (c === '(' || c === '{' || c === '[') {
      depth++;
    } else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        args.push({ text: src.slice(start, i).trim(), at: start });
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push({ text: src.slice(start, i).trim(), at: start });
      start = i + 1;
    }
  }
  return args;
}

function unescapeC(s) {
  return s.replace(/\\(["'\\nt])/g, (_, c) => ({ n: '\n', t: '\t' }[c] || c));
}

/** Files whose reasons go to the daemon's log at start-up only (a damaged time zone file). */
const LOG_ONLY = [path.join('core', 'tzif.c')];

/** Where a reason written into a why buffer reaches the console (the daemon's start-up
 * checks and the Xlink migration tool speak to an administrator's terminal). */
const WHY_WRITERS = ['daemon/pipeline/', 'daemon/http/', 'daemon/upload/', 'daemon/alerts/', 'adapters/']
  .map((d) => d.split('/').join(path.sep));

/** Reasons whose code another function of their file gives (checked to have a text). */
const CODED_ELSEWHERE = {
  "holds acdlink's own files (key, certificate, log or config), which is never allowed": 'roots.own_files',
};

const LITERALS = /^(?:"(?:[^"\\]|\\.)*"\s*)+$/s;

/** The text of an argument made only of adjacent string literals, else null. */
function literal(arg) {
  if (!LITERALS.test(arg)) {
    return null;
  }
  return [...arg.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => unescapeC(m[1])).join('');
}

/** The literals an argument can be: one literal, or each branch of a ?: of literals. */
function literalChoices(arg) {
  const one = literal(arg);
  if (one !== null) {
    return [one];
  }
  const m = arg.match(/^[^?"]+\?\s*((?:"(?:[^"\\]|\\.)*"\s*)+):\s*((?:"(?:[^"\\]|\\.)*"\s*)+)$/s);
  return m ? [literal(m[1].trim()), literal(m[2].trim())] : [];
}

/** The table of a C file: [{text|tmpl, code}] from lines {"text", "code"}. */
function table(file, first) {
  const src = stripComments(fs.readFileSync(path.join(ROOT, file), 'utf8'));
  const out = [];
  const body = src.slice(src.indexOf(first));
  for (const m of body.matchAll(/\{\s*((?:"(?:[^"\\]|\\.)*"\s*)+),\s*"([a-z0-9_.]+)"\s*\}/gs)) {
    out.push({ text: literal(m[1].trim()), code: m[2] });
  }
  return out;
}

const HINTS = table('daemon/core/hint_texts.c', 'hints[] =');
const WHYS = table('daemon/core/why_texts.c', 'texts[] =');

/** As match_one() in core/why_texts.c: "{name}" in tmpl stands for a non-empty part of text. */
function matchOne(tmpl, text) {
  const parts = tmpl.split(/\{[a-z_][a-z0-9_]*\}/);
  let s = 0;
  if (!text.startsWith(parts[0])) {
    return false;
  }
  s = parts[0].length;
  for (let k = 1; k < parts.length; k++) {
    const lit = parts[k];
    const end = lit === '' ? text.length : text.indexOf(lit, s);
    if (end <= s) {
      return false;
    }
    s = end + lit.length;
  }
  return s === text.length;
}

function whyKnown(text) {
  if (WHYS.some((w) => matchOne(w.text, text))) {
    return true;
  }
  const sep = text.indexOf(': ');
  if (sep <= 0 || sep > 120) {
    return false;
  }
  const why = text.slice(sep + 2);
  return WHYS.some((w) => matchOne(w.text, why));
}

const SPEC = /%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|z|j|t|L)?([diouxXeEfgGcsp%])|%"\s*PRI[a-z0-9]+\s*"/g;

/** A printf format instantiated with sample values, or null when its words are all
 * placeholders (a text made elsewhere, checked where it is made). */
function instantiate(fmt) {
  fmt = fmt.replace(/%"\s*PRI[a-z0-9]+\s*"/g, '%d');
  const words = fmt.replace(SPEC, ' ').replace(/[^A-Za-z]+/g, ' ').trim();
  const firstSep = fmt.indexOf(': ');
  const why = firstSep >= 0 ? fmt.slice(firstSep + 2) : fmt;
  if (words === '' || why.replace(SPEC, '').replace(/[^A-Za-z]+/g, '') === '') {
    return null;
  }
  return fmt.replace(SPEC, (all, w, p, len, conv) => {
    if (conv === '%') {
      return '%';
    }
    return conv === 's' ? 'sample' : conv === 'c' ? 'x' : 'sample7';
  });
}

/** The text of the C function around offset at: from the line opening it ("{" in column 0)
 * to the line closing it ("}" in column 0). */
function functionAround(src, at) {
  const open = src.lastIndexOf('\n{', at);
  const close = src.indexOf('\n}', at);
  return src.slice(open < 0 ? 0 : open, close < 0 ? src.length : close);
}

function lineOf(src, at) {
  return src.slice(0, at).split('\n').length;
}

/** Every coded text the error answers use, with where they are. */
function scan() {
  const hints = [];
  const messages = [];
  for (const file of [...cFiles(path.join(ROOT, 'daemon')), ...cFiles(path.join(ROOT, 'adapters'))]) {
    const src = stripComments(fs.readFileSync(file, 'utf8'));
    const rel = path.relative(ROOT, file);
    if (rel.endsWith(path.join('core', 'hint_texts.c')) || rel.endsWith(path.join('core', 'why_texts.c'))) {
      continue;
    }
    for (const m of src.matchAll(/\b(reply_error|reply_error_overridable)\s*\(/g)) {
      const args = callArgs(src, m.index + m[0].length - 1);
      const over = m[1] === 'reply_error_overridable';
      if (!over && args[0].text === 'struct req *r') {
        continue; /* the definition */
      }
      if (over && args[0].text === 'struct req *r') {
        continue;
      }
      const hintArg = over ? args[1] : args[3];
      const fmtArg = over ? args[2] : args[4];
      const status = over ? 422 : Number(args[1].text);
      const where = `${rel}:${lineOf(src, m.index)}`;
      for (const h of literalChoices(hintArg.text)) {
        hints.push({ text: h, where });
      }
      for (const fmt of literalChoices(fmtArg.text)) {
        if (Number.isNaN(status) || (status >= 400 && status < 500)) {
          const text = instantiate(fmt);
          if (text !== null) {
            messages.push({ text, fmt, where });
          }
        }
      }
    }
    // reasons given as a literal (why = "...", *why = "..."): a text of core/why_texts.c (or
    // the end of one, "request refused: WHY"), or one whose code the same function notes
    // (why_note) or assigns beside it (c = "delivery.auth")
    for (const m of src.matchAll(/(?:^|[\s;{(])\*?why\s*=\s*((?:"(?:[^"\\]|\\.)*"\s*)+);/gs)) {
      const text = literal(m[1].trim());
      const fn = functionAround(src, m.index);
      const noted = /\bwhy_note\s*\(|\bwhy_code\b|=\s*"[a-z]+\.[a-z0-9_]+"\s*;/.test(fn);
      const known = whyKnown(text) || WHYS.some((w) => w.text.endsWith(`: ${text}`)) || noted
        || Boolean(CODED_ELSEWHERE[text]) || LOG_ONLY.some((f) => rel.endsWith(f));
      messages.push({ text, fmt: text, where: `${rel}:${lineOf(src, m.index)}`, reason: true, known });
    }
    // reasons written into a why buffer by the parts a console user meets (settings, imports,
    // uploads, alerts): a text of core/why_texts.c, or noted with its code in the function
    if (WHY_WRITERS.some((d) => rel.startsWith(d))) {
      for (const m of src.matchAll(/\bsnprintf\s*\(\s*why\s*,\s*(?:sizeof\s*\(\s*why\s*\)|whysz)\s*,/g)) {
        const args = callArgs(src, m.index + m[0].indexOf('('));
        const fn = functionAround(src, m.index);
        const noted = /\bwhy_note\s*\(|\bwhy_code\b|\bperr\s*\(|\berror_code\s*\(/.test(fn);
        for (const fmt of literalChoices(args[2].text)) {
          const text = instantiate(fmt);
          if (text !== null) {
            messages.push({ text, fmt, where: `${rel}:${lineOf(src, m.index)}`, reason: true, known: noted || whyKnown(text) });
          }
        }
      }
    }
    // the settings validators' refusals: fail(err, errsz, FIELD, "why") words "FIELD: why"
    for (const m of src.matchAll(/\bfail\s*\(\s*err\s*,\s*errsz\s*,/g)) {
      const args = callArgs(src, m.index + m[0].indexOf('('));
      for (const why of args.length === 4 ? literalChoices(args[3].text) : []) {
        const text = instantiate(why);
        if (text !== null) {
          messages.push({ text, fmt: why, where: `${rel}:${lineOf(src, m.index)}`, reason: true, known: whyKnown(text) });
        }
      }
    }
    if (!rel.startsWith(`daemon${path.sep}http${path.sep}`)) {
      continue; /* elsewhere "hint" names other things (a date format's hint) */
    }
    // hints kept in variables and tables on their way to reply_error: hint = "...",
    // .hint = "...", and the hint member of {status, "code", "hint", ...} failure tables
    for (const m of src.matchAll(/\b(?:\.|->)?hint\s*=\s*((?:"(?:[^"\\]|\\.)*"\s*)+|[^;"]*\?\s*(?:"(?:[^"\\]|\\.)*"\s*)+:\s*(?:"(?:[^"\\]|\\.)*"\s*)+);/gs)) {
      for (const h of literalChoices(m[1].trim())) {
        hints.push({ text: h, where: `${rel}:${lineOf(src, m.index)}` });
      }
    }
  }
  return { hints, messages };
}

test('the scan finds the error answers (it would notice new ones)', () => {
  const { hints, messages } = scan();
  assert.ok(messages.some((m) => m.fmt === 'a preset\'s query reads whole days; give your own odbc.sql with :since'),
    'the settings validators\' refusals are read too');
  assert.ok(HINTS.length >= 100, `hint codes: ${HINTS.length}`);
  assert.ok(WHYS.length >= 100, `validation codes: ${WHYS.length}`);
  assert.ok(hints.length >= 150, `hints found: ${hints.length}`);
  assert.ok(messages.length >= 80, `4xx messages found: ${messages.length}`);
  assert.ok(hints.some((h) => h.text === 'check the id; list the collection to find it'));
  assert.ok(messages.some((m) => m.fmt === '%s not found'));
});

test('the sample texts of the scan meet the matcher as the daemon does', () => {
  assert.ok(matchOne('{what} not found', 'source not found'));
  assert.ok(!matchOne('{what} not found', ' not found'), 'a part is never empty');
  assert.ok(!matchOne('must be {min} to {max}', 'must be 1 to'));
  assert.ok(whyKnown('settings.columns.duration: must not be empty'));
  assert.ok(!whyKnown('settings.columns.duration: a sentence nobody coded'));
  assert.equal(instantiate('%s: %s'), null, 'a text made elsewhere');
  assert.equal(instantiate('%s not found'), 'sample not found');
});

test('every literal hint of an error answer has a code (core/hint_texts.c)', () => {
  const known = new Set(HINTS.map((h) => h.text));
  const missing = scan().hints.filter((h) => h.text !== '' && !known.has(h.text));
  assert.deepEqual(missing.map((h) => `${h.where}: "${h.text}"`), [],
    'add each hint with a code to daemon/core/hint_texts.c and its text to web/src/i18n/{en,de,fr}.js');
});

test('every literal message of a 4xx answer has a code (core/why_texts.c)', () => {
  const missing = scan().messages.filter((m) => (m.reason ? !m.known : !whyKnown(m.text)));
  assert.deepEqual(missing.map((m) => `${m.where}: "${m.fmt}"`), [],
    'add each text (or its WHY after "FIELD: ") with a code to daemon/core/why_texts.c and its text to web/src/i18n/{en,de,fr}.js');
});

test('the texts of any resource ("{what} not found") come last, after the texts they would hide', () => {
  const generic = WHYS.map((w, i) => [w.text, i]).filter(([t]) => /^\{(what|method)\} /.test(t));
  assert.ok(generic.length >= 4, JSON.stringify(generic));
  for (const [t, i] of generic) {
    assert.ok(i >= WHYS.length - generic.length, `"${t}" is number ${i} of ${WHYS.length}`);
  }
});

test('the resource named by reply_rc() ("{what} not found") is a word of every language', () => {
  const nouns = new Set();
  for (const file of cFiles(path.join(ROOT, 'daemon'))) {
    const src = stripComments(fs.readFileSync(file, 'utf8'));
    for (const m of src.matchAll(/\b(reply_rc|set_fail_rc)\s*\(/g)) {
      const args = callArgs(src, m.index + m[0].length - 1);
      const last = args[args.length - 1].text;
      for (const c of last.matchAll(/"([a-zA-Z ]+)"/g)) {
        nouns.add(c[1]);
      }
    }
  }
  assert.ok(nouns.has('source') && nouns.has('value type') && nouns.size >= 40, [...nouns].join('|'));
  for (const [lang, dict] of Object.entries({ en, de, fr })) {
    assert.deepEqual([...nouns].filter((n) => !(`msg.what.${n.replace(/ /g, '_')}` in dict)), [], `${lang}: resources without a word`);
  }
  const de2 = translator('de');
  assert.equal(messageText(de2, { code: 'val.not_found', params: { what: 'value type' }, message: 'value type not found' }, 'de'),
    'Werttyp: nicht gefunden');
  assert.equal(messageText(translator('en'), { code: 'val.not_found', params: { what: 'value type' }, message: 'value type not found' }, 'en'),
    'value type not found');
});

test('every code of the hint and validation tables has a text in every language', () => {
  for (const [lang, dict] of Object.entries({ en, de, fr })) {
    const codes = [...HINTS, ...WHYS].map((e) => e.code).concat(Object.values(CODED_ELSEWHERE));
    assert.deepEqual(codes.filter((c) => !(`msg.${c}` in dict)), [], `${lang}: codes without a text`);
  }
  const dup = (list) => list.filter((e, i) => list.findIndex((o) => o.text === e.text) !== i);
  assert.deepEqual(dup(HINTS).map((h) => h.text), [], 'a hint is in the table once');
});
