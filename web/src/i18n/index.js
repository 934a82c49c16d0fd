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

/** Returns t(key, params): "{name}" placeholders are replaced from params. */
export function translator(code) {
  const dict = dictionaries[code] || en;
  return (key, params) => {
    let text = dict[key];
    if (text === undefined) {
      text = en[key];
    }
    if (text === undefined) {
      return key;
    }
    if (params) {
      text = text.replace(/\{(\w+)\}/g, (match, name) =>
        params[name] !== undefined ? String(params[name]) : match);
    }
    return text;
  };
}

export const I18n = createContext({ lang: 'en', t: translator('en'), setLang: () => {} });

export function useI18n() {
  return useContext(I18n);
}
