// Language choice and string lookup. One dictionary per language; English is the fallback.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import en from './en.js';
import de from './de.js';
import fr from './fr.js';

export const dictionaries = { en, de, fr };
export const languages = [
  { code: 'en', label: 'English' },
  { code: 'de', label: 'Deutsch' },
  { code: 'fr', label: 'Français' },
];

const STORAGE_KEY = 'acdlink.lang';

function supported(code) {
  return Object.prototype.hasOwnProperty.call(dictionaries, code);
}

/** Stored choice first, then the browser's languages, then English. */
export function initialLanguage() {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (stored && supported(stored)) {
      return stored;
    }
  } catch {
    // storage may be disabled; fall through
  }
  const wanted = navigator.languages && navigator.languages.length
    ? navigator.languages
    : [navigator.language || 'en'];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (supported(base)) {
      return base;
    }
  }
  return 'en';
}

export function storeLanguage(code) {
  try {
    window.localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // not fatal: the choice just is not remembered
  }
  document.documentElement.lang = code;
}

/**
 * French typography: a narrow no-break space before ; ! ? and a no-break space before : (in
 * the dictionary's own words, never inside values). A space already there becomes the
 * no-break one; "12:30", "https://" and "a:b" (no space after) stay as they are.
 */
export function frenchTypography(text) {
  return text
    .replace(/(\S)[ \u00A0\u202F]?([;!?])(?=\s|$|[»)])/g, '$1\u202F$2')
    .replace(/(\S)[ \u00A0\u202F]?:(?=\s|$)/g, '$1\u00A0:')
    .replace(/« ?/g, '«\u00A0').replace(/ ?»/g, '\u00A0»');
}

const pluralRules = {};

/** The plural category of n in a language ("one", "other", ...), by Intl.PluralRules. */
export function pluralCategory(code, n) {
  if (!pluralRules[code]) {
    pluralRules[code] = new Intl.PluralRules(code);
  }
  return pluralRules[code].select(Number(n));
}

const PLURAL_BLOCK = /\{(\w+), plural,((?: \w+ \{[^{}]*\})+)\}/g;

/**
 * Inline plural forms of a text with several counts: "{rows, plural, one {# row} other {# rows}}"
 * becomes the form of params.rows's plural category (other when the language has no form of
 * its own for it), # standing for the number.
 */
export function pluralBlocks(code, text, params) {
  return text.replace(PLURAL_BLOCK, (match, name, body) => {
    const forms = {};
    body.replace(/(\w+) \{([^{}]*)\}/g, (m, category, form) => {
      forms[category] = form;
    });
    const n = params && params[name] !== undefined && params[name] !== null ? params[name] : 0;
    const form = forms[pluralCategory(code, n)] ?? forms.other ?? '';
    return form.replace(/#/g, `{${name}}`);
  });
}

/**
 * Returns t(key, params): "{name}" placeholders are replaced from params (numbers formatted
 * for the language). An entry may be an object of plural forms ({one, other, ...}): the form
 * is chosen by params.n (or params.count) with the language's plural rules; a text with several
 * counts holds inline plural blocks instead (pluralBlocks).
 */
export function translator(code) {
  const dict = dictionaries[code] || en;
  const numbers = new Intl.NumberFormat(code);
  return (key, params) => {
    let text = Object.prototype.hasOwnProperty.call(dict, key) ? dict[key] : undefined;
    if (text === undefined) {
      text = en[key];
    }
    if (text === undefined) {
      return key;
    }
    if (typeof text === 'object') {
      const n = params && (params.n !== undefined ? params.n : params.count);
      text = text[pluralCategory(code, n === undefined ? 0 : n)] || text.other;
    }
    if (code === 'fr') {
      text = frenchTypography(text);
    }
    text = pluralBlocks(code, text, params);
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (match, name) => {
        const v = params[name];
        if (v === undefined || v === null) {
          return match;
        }
        return typeof v === 'number' ? numbers.format(v) : String(v);
      });
    }
    return text;
  };
}

/** 1 when the language has a text for key (plural entries count). */
export function hasText(key) {
  return Object.prototype.hasOwnProperty.call(en, key);
}

/** Values of message parameters that are themselves words: run states, file kinds, the parts
 * of a date or time, "end" (of a value). */
const PARAM_WORDS = {
  state: (t, v) => t(`runs.state.${v}`),
  kind: (t, v) => t(`msg.kind.${String(v).replace(/ /g, '_')}`),
  part: (t, v) => t(`msg.part.${String(v).replace(/[^a-z]/gi, '_').toLowerCase()}`),
  found: (t, v) => (v === 'end' ? t('msg.part.end') : (/^byte /.test(v) ? t('msg.part.byte', { byte: v.slice(5) }) : `msg.${v}`)),
  want: (t, v) => (v === 'a blank' ? t('msg.part.blank') : `msg.${v}`),
  event: (t, v) => t(`alerts.event.${v}`),
  check: (t, v) => t(`health.check.${v}`),
  batch_state: (t, v) => t(`deliveries.state.${v}`),
  need_role: (t, v) => t(`role.${v}`),
  what: (t, v) => t(`msg.what.${String(v).replace(/ /g, '_')}`),
  your_role: (t, v) => t(`role.${v}`),
  // JSON value kinds in jansson's words: "string", "true or false", ...
  expected: (t, v) => t(`msg.json_kind.${String(v).replace(/ /g, '_')}`),
  got: (t, v) => t(`msg.json_kind.${String(v).replace(/ /g, '_')}`),
};

/**
 * The text of something the daemon said: {code, params} words it from the dictionaries in the
 * reader's language; without a code (or one the console does not know yet) the daemon's
 * English text (message or text) is shown as it came.
 */
export function messageText(t, item, lang = 'en') {
  if (!item) {
    return '';
  }
  const fallback = item.message !== undefined ? item.message : (item.text || '');
  if (!item.code || !hasText(`msg.${item.code}`)) {
    return fallback;
  }
  const params = { ...(item.params || {}) };
  // a parameter with NAME_code (and NAME_params) beside it is itself a message: a rejected
  // row's reason, a parser's why, an error's detail; its English text is the fallback
  for (const name of Object.keys(params)) {
    const code = params[`${name}_code`];
    if (typeof code === 'string' && code) {
      params[name] = messageText(t, { code, params: params[`${name}_params`] || {}, message: params[name] }, lang);
    }
  }
  // numbers that are names, not amounts, keep their digits as they are: "2026", "file.csv:1200"
  for (const name of ['year', 'line', 'column', 'status', 'port', 'record']) {
    if (typeof params[name] === 'number') {
      params[name] = String(params[name]);
    }
  }
  if (typeof params.month === 'number' && params.month >= 1 && params.month <= 12) {
    params.month_name = new Intl.DateTimeFormat(lang, { month: 'long', timeZone: 'UTC' })
      .format(new Date(Date.UTC(2000, params.month - 1, 1)));
  }
  for (const [name, v] of Object.entries(params)) {
    if (typeof v === 'string') {
      params[name] = formatLocal(lang, v);
    }
  }
  for (const [name, word] of Object.entries(PARAM_WORDS)) {
    if (typeof params[name] === 'string') {
      const text = word(t, params[name]);
      if (!/^(runs|msg|alerts|health|deliveries|role)\./.test(text)) {
        params[name] = text;
      }
    }
  }
  return t(`msg.${item.code}`, params);
}

/** The English names of the built-in value types, as the database has them until renamed. */
const BUILTIN_NAMES = {
  offered: 'Offered contacts',
  handled: 'Handled contacts',
  abandoned: 'Abandoned contacts',
  aht: 'Average handle time',
  handle_time: 'Total handle time',
  asa: 'Average speed of answer',
  service_level: 'Service level',
};

/** A value type's name: a built-in type keeps its translated name until someone renames it. */
export function valueTypeName(t, type) {
  if (!type) {
    return '';
  }
  if (type.builtin && BUILTIN_NAMES[type.key] === type.name) {
    return t(`value_types.builtin.${type.key}`);
  }
  return type.name;
}

/** An activity's name: the built-in ones keep their translated name until renamed. */
export function activityName(t, a) {
  if (!a) {
    return '';
  }
  const english = { present: 'Present', logged_out: 'Logged out' };
  return a.builtin && english[a.builtin] === a.name ? t(`live.builtin.${a.builtin}`) : a.name;
}

/** The one date format of each language, for display and for date fields. */
export const DATE_FORMATS = {
  en: { order: ['y', 'm', 'd'], sep: '-' },
  de: { order: ['d', 'm', 'y'], sep: '.' },
  fr: { order: ['d', 'm', 'y'], sep: '/' },
};

/** "2026-12-06" in the language's format ("06.12.2026"); anything else is returned as it is. */
export function formatDate(code, iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  if (!m) {
    return iso || '';
  }
  const f = DATE_FORMATS[code] || DATE_FORMATS.en;
  const parts = { y: m[1], m: m[2], d: m[3] };
  return f.order.map((k) => parts[k]).join(f.sep);
}

/**
 * A day or a local time as the daemon gives it ("2026-12-06", "2026-12-06 06:00",
 * "2026-12-06T06:00:00") with the day in the language's format; anything else as it is.
 */
export function formatLocal(code, text) {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(text)) {
    return text;
  }
  return `${formatDate(code, text.slice(0, 10))}${text.slice(10).replace('T', ' ')}`;
}

/** A date typed in the language's format (or as YYYY-MM-DD) as "YYYY-MM-DD"; '' when it is none. */
export function parseDate(code, text) {
  const value = String(text || '').trim();
  let y;
  let mo;
  let d;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  if (iso) {
    [, y, mo, d] = iso;
  } else {
    const f = DATE_FORMATS[code] || DATE_FORMATS.en;
    const parts = value.split(/[./-]/);
    if (parts.length !== 3) {
      return '';
    }
    const got = {};
    f.order.forEach((k, i) => { got[k] = parts[i]; });
    ({ y, m: mo, d } = got);
    if (!/^\d{4}$/.test(y) || !/^\d{1,2}$/.test(mo) || !/^\d{1,2}$/.test(d)) {
      return '';
    }
  }
  const out = `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const check = new Date(`${out}T00:00:00Z`);
  return !Number.isNaN(check.getTime()) && check.toISOString().startsWith(out) ? out : '';
}

export const I18n = createContext({ lang: 'en', t: translator('en'), setLang: () => {} });

export function useI18n() {
  return useContext(I18n);
}
