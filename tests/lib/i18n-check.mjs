// Checks that a console page in German or French shows no English: no text of the console's
// English dictionary (or of one of its templates) that the language words differently, no
// English sentence of the daemon, no English plural form, French typography, and dates only in
// the language's own format. Used by the browser tests that walk the console in de and fr.

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './daemon.mjs';

const i18nDir = path.join(REPO_ROOT, 'web', 'src', 'i18n');
export const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(i18nDir, `${lang}.js`)).href)).default;
}
export const { messageText, translator } = await import(pathToFileURL(path.join(i18nDir, 'index.js')).href);

export const forms = (v) => (typeof v === 'object' ? Object.values(v) : [v]);
export const norm = (s) => s.replace(/[\u00A0\u202F]/g, ' ').replace(/\s+/g, ' ').trim();
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const BLOCK = /\{(\w+), plural,((?: \w+ \{[^{}]*\})+)\}/g;
/** A template's pattern: placeholders and inline plural blocks match any text. */
const pattern = (s) => escape(s.replace(BLOCK, '{$1}')).replace(/\\\{\w+\\\}/g, '.+?');
const words = (s) => (s.replace(BLOCK, (m, n, body) => /other \{([^{}]*)\}/.exec(body)[1]).replace(/\{\w+\}/g, ' ').match(/[A-Za-zÀ-ÿ]{3,}/g) || []).length;

/** The English texts the language words differently: exact texts, and templates as patterns. */
export function englishOnly(lang) {
  const theirs = new Set(Object.values(dict[lang]).flatMap(forms).map(norm));
  const exact = new Set();
  const patterns = [];
  for (const [key, v] of Object.entries(dict.en)) {
    const mine = forms(dict[lang][key]).map(norm);
    for (const s of forms(v).map(norm)) {
      if (mine.includes(s) || theirs.has(s) || words(s) === 0) {
        continue;
      }
      if (/\{\w+\}/.test(s)) {
        if (words(s) >= 3) {
          patterns.push([key, new RegExp(`^${pattern(s)}$`)]);
        }
      } else if (s.length >= 4) {
        exact.add(s);
      }
    }
  }
  return { exact, patterns };
}

/**
 * Plural forms a language does not use for one: every plural entry's "other" form (English and
 * the language's own) with the count 1, as a pattern ("1 rows rejected", "1 Zeilen").
 */
function wrongPlurals(lang) {
  const out = [];
  for (const d of [dict.en, dict[lang]]) {
    for (const [key, v] of Object.entries(d)) {
      // an inline plural block's "other" form for one, the rest of the text as any text
      for (const m of typeof v === 'string' ? v.matchAll(BLOCK) : []) {
        const other = /other \{([^{}]*)\}/.exec(m[2])[1];
        const one = /one \{([^{}]*)\}/.exec(m[2]);
        if (!one || one[1] === other || !other.includes('#') || words(other) === 0) {
          continue;
        }
        out.push([key, new RegExp(`(^|[^\\d.,])${escape(norm(other)).replace('#', '1')}($|[^\\wÀ-ÿ])`)]);
      }
      if (typeof v !== 'object' || !v.one || !v.other || v.one === v.other) {
        continue;
      }
      const s = norm(v.other);
      if (!/\{(n|count)\}/.test(s) || words(s) === 0) {
        continue;
      }
      const re = escape(s).replace(/\\\{(n|count)\\\}/g, '1').replace(/\\\{\w+\\\}/g, '.+?');
      out.push([key, new RegExp(`(^|[^\\d.,])${re}`)]);
    }
  }
  return out;
}

// Words of English sentences that are no words of German or French: two of them in one text
// are an English sentence.
const ENGLISH_WORDS = new Set(['the', 'is', 'are', 'were', 'cannot', 'could', 'with', 'from', 'this',
  'that', 'has', 'have', 'been', 'should', 'which', 'would', 'for', 'and', 'of', 'rows', 'found', 'expected',
  'failed', 'when', 'there', 'its', 'not', 'no', 'be', 'or', 'to', 'in', 'at', 'by', 'a', 'it', 'does']);
// English names of months and days (April, August, September and November are German too)
const ENGLISH_MONTHS = /\b(January|February|March|June|July|October|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b\d{1,2}:\d\d ?(AM|PM)\b/;

function englishSentence(s, allowed) {
  let text = s;
  for (const a of allowed) {
    text = text.split(a).join(' ');
  }
  // a setting's name, a path or an address is no sentence
  text = text.replace(/[\w./\\:@-]*[_/\\@.][\w./\\:@-]*/g, ' ');
  const hits = new Set((text.toLowerCase().match(/[a-z]+/g) || []).filter((w) => ENGLISH_WORDS.has(w)));
  // French "a" and "est", German "in": count only words of neither language
  for (const w of ['a', 'in', 'no', 'its']) {
    hits.delete(w);
  }
  return hits.size >= 2;
}

/** Every text node, attribute text and input value of the page, and the page's whole text. */
export async function pageTexts(page) {
  await page.waitForLoadState('networkidle');
  return page.evaluate(() => {
    const nodes = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el && !el.closest('script, style, option:not(:checked), textarea') && n.textContent.trim()) {
        // code, SQL, file contents and setting names are no words of a language; dates still count
        nodes.push({ text: n.textContent, code: !!el.closest('code, pre, kbd, samp, .mono, .raw-field') });
      }
    }
    for (const el of document.body.querySelectorAll('[title], [placeholder], [aria-label]')) {
      for (const a of ['title', 'placeholder', 'aria-label']) {
        if (el.getAttribute(a)) {
          nodes.push({ text: el.getAttribute(a), code: false });
        }
      }
    }
    const dateInputs = [...document.body.querySelectorAll('input')]
      .filter((el) => el.type === 'date' || el.type === 'datetime-local'
        || /date|day|since|until|from|to$/i.test(el.id || ''))
      .map((el) => ({ id: el.id, type: el.type, value: el.value, placeholder: el.placeholder || '' }));
    return { nodes, dateInputs, whole: document.body.innerText };
  });
}

/**
 * Fails (assert) when the page shows English or is not typeset and dated the language's way.
 * allowed: texts of the test's own data (names, files) that are no words of any language;
 * daemonEnglish: English sentences the daemon sent beside their codes; collect: an array that
 * gathers what is wrong instead of failing at once.
 */
export async function checkLanguage(page, lang, what, { allowed = [], daemonEnglish = [], collect = null } = {}) {
  const { exact, patterns } = englishOnly(lang);
  const plurals = wrongPlurals(lang);
  const own = new Set(Object.values(dict[lang]).flatMap(forms).map(norm));
  const { nodes, dateInputs, whole } = await pageTexts(page);
  const leaks = [];
  for (const { text, code } of nodes) {
    const s = norm(text);
    if (own.has(s)) {
      continue; // the language's own text (its help may name other date forms)
    }
    const hit = !code && !allowed.includes(s) && patterns.find(([, re]) => re.test(s));
    if (!code && !allowed.includes(s) && exact.has(s)) {
      leaks.push(s);
    } else if (hit) {
      leaks.push(`${s} (${hit[0]})`);
    } else if (!code && englishSentence(s, allowed)) {
      leaks.push(`sentence: ${s}`);
    }
    const plural = plurals.find(([, re]) => re.test(s));
    if (plural) {
      leaks.push(`plural: ${s} (${plural[0]})`);
    }
    if (!code && ENGLISH_MONTHS.test(s)) {
      leaks.push(`English date word: ${s}`);
    }
    // dates: never ISO, never the other language's order
    const stripped = allowed.reduce((acc, a) => acc.split(a).join(' '), s);
    if (/(^|[^\w./-])\d{4}-\d\d-\d\d($|[^\w-])/.test(stripped)) {
      leaks.push(`ISO date: ${s}`);
    }
    if (lang === 'de' && /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/.test(stripped)) {
      leaks.push(`date not dd.mm.yyyy: ${s}`);
    }
    if (lang === 'fr' && /\b\d{1,2}\.\d{1,2}\.\d{4}\b/.test(stripped)) {
      leaks.push(`date not dd/mm/yyyy: ${s}`);
    }
  }
  const wholeNorm = norm(whole);
  for (const e of daemonEnglish) {
    if (e && wholeNorm.includes(norm(e))) {
      leaks.push(`daemon: ${e}`);
    }
  }
  const placeholder = dict[lang]['date.placeholder'];
  for (const input of dateInputs) {
    if (input.type === 'date' || input.type === 'datetime-local') {
      leaks.push(`browser date field #${input.id}`);
    } else if (input.placeholder === placeholder && input.value
      && !(lang === 'de' ? /^\d\d\.\d\d\.\d{4}$/ : /^\d\d\/\d\d\/\d{4}$/).test(input.value)) {
      leaks.push(`date field #${input.id} holds ${input.value}`);
    }
  }
  if (lang === 'fr') {
    for (const l of whole.split('\n')) {
      if (/ [;:!?](\s|$)|[^\s\u00A0\u202F][;!?](\s|$)|[^\s\u00A0]:(\s|$)/.test(l)) {
        leaks.push(`French typography: ${l}`);
      }
    }
  }
  if (collect && leaks.length) {
    collect.push(`${what} (${lang}):\n  ${[...new Set(leaks)].join('\n  ')}`);
  } else if (leaks.length) {
    assert.fail(`${what} in ${lang} shows English or foreign forms:\n${[...new Set(leaks)].join('\n')}`);
  }
  return wholeNorm;
}

/**
 * The agent states both language walks show on the live board and the timeline: a CSV source
 * in folder/agents (one agent talking for minutes, one unknown id logged out) and the agent
 * anna@example.com for its A1. Returns the source.
 */
export async function addAgentStateSource(api, folder) {
  const agentFolder = path.join(folder, 'agents');
  await fsp.mkdir(agentFolder);
  const stamp = (s) => new Date(Date.now() + s * 1000).toISOString().slice(0, 19).replace('T', ' ');
  await fsp.writeFile(path.join(agentFolder, 'states.csv'),
    `Agent;Time;State\nA1;${stamp(-900)};TALK\nA2;${stamp(-3600)};READY\nA2;${stamp(-600)};LOGOUT\n`);
  const as = await api.post('/api/v1/sources', {
    name: 'Agentenquelle', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder: agentFolder, separator: ';', date_order: 'ymd' },
      columns: { agent: 'Agent', start: 'Time', activity: 'State' },
      agent_states: { span: 'start_only', logout_activities: ['LOGOUT'] },
    },
  });
  assert.equal(as.status, 201, as.text);
  assert.equal((await api.post('/api/v1/agents', { identifier: 'anna@example.com', name: 'Anna',
    external_ids: [{ source_id: as.body.id, ext_agent: 'A1' }] })).status, 201);
  return as.body;
}
