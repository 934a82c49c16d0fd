// Small shared pieces: error display with Retry-After countdown, errors placed at their form
// field, two-step confirm, time cells, the time-zone input.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { formatDate, messageText, parseDate, useI18n } from './i18n/index.js';
import { api } from './api.js';

/**
 * Shows an ApiError (or any {code, message, hint}) next to the form it belongs to:
 * a translated title for known codes, then the server's message and hint, worded in the
 * reader's language when they come with a code (else as the server wrote them).
 */
export function ErrorBox({ error, id, testid, title: titleOverride, compact, field }) {
  const { t, lang } = useI18n();
  const [left, setLeft] = useState(error && error.retryAfter);

  useEffect(() => {
    setLeft(error && error.retryAfter);
    if (!error || !error.retryAfter) {
      return undefined;
    }
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = Math.max(0, error.retryAfter - Math.floor((Date.now() - started) / 1000));
      setLeft(remaining);
      if (remaining === 0) {
        clearInterval(timer);
      }
    }, 1000);
    return () => clearInterval(timer);
  }, [error]);

  if (!error) {
    return null;
  }
  const codeKey = error.code ? `error.${error.code}` : '';
  const known = codeKey && t(codeKey) !== codeKey;
  let title;
  if (titleOverride) {
    title = titleOverride;
  } else if (compact && error.message) {
    title = ''; // next to its field the server's message says it all
  } else if (known) {
    title = t(codeKey);
  } else if (error.status) {
    title = t('error.generic', { status: error.status });
  } else {
    title = '';
  }
  const worded = error.messageCode
    ? messageText(t, { code: error.messageCode, params: error.params, message: error.message }, lang)
    : error.message;
  const message = worded && worded !== title ? worded : '';
  const hint = error.hintCode
    ? messageText(t, { code: error.hintCode, params: error.hintParams, message: error.hint }, lang)
    : error.hint;

  return html`
    <div class=${compact ? 'error-box error-field' : 'error-box'} role="alert" id=${id}
         data-testid=${testid || 'error'} data-code=${error.code || ''} data-field=${field}>
      ${title && html`<strong class="error-title">${title}</strong>`}
      ${message && html`<span class="error-message">${message}</span>`}
      ${hint && html`<span class="error-hint">${t('error.hint')} ${hint}</span>`}
      ${error.retryAfter !== undefined && html`
        <span class="error-wait" data-testid="retry-after">
          ${left > 0 ? t('error.retry_in', { seconds: left }) : t('error.retry_now')}
        </span>`}
    </div>`;
}

/** A short success line, e.g. after creating a user. */
export function Notice({ text, testid }) {
  if (!text) {
    return null;
  }
  return html`<div class="notice" role="status" data-testid=${testid || 'notice'}>${text}</div>`;
}

/** A button that asks once more ("Really?") before it acts. */
export function ConfirmButton({ label, question, onConfirm, disabled, testid, danger = true }) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`
      <button type="button" class=${danger ? 'btn btn-small btn-danger' : 'btn btn-small'}
              disabled=${disabled} data-testid=${testid}
              onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`
    <span class="confirm" data-testid=${`${testid}-question`}>
      <span class="confirm-text">${question}</span>
      <button type="button" class="btn btn-small btn-danger" data-testid=${`${testid}-confirm`}
              onClick=${() => { setAsking(false); onConfirm(); }}>${t('common.yes')}</button>
      <button type="button" class="btn btn-small" data-testid=${`${testid}-cancel`}
              onClick=${() => setAsking(false)}>${t('common.no')}</button>
    </span>`;
}

const pad2 = (n) => String(n).padStart(2, '0');

/** A Date in the reader's time zone: the language's date format and a 24-hour time. */
export function localDateTime(lang, date) {
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  return `${formatDate(lang, day)} ${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

/** A timestamp in the reader's language and time zone; the exact UTC value is in the tooltip. */
export function Time({ value }) {
  const { lang, t } = useI18n();
  if (!value) {
    return html`<span class="muted">${t('common.never')}</span>`;
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return html`<span>${value}</span>`;
  }
  return html`<time datetime=${value} title=${value}>${localDateTime(lang, date)}</time>`;
}

/** Items whose named fields contain the search text (any case); all of them for ''. */
export function matchItems(items, query, fields) {
  const q = String(query || '').trim().toLowerCase();
  if (!q) {
    return items;
  }
  return items.filter((item) => fields.some((f) => String(item[f] || '').toLowerCase().includes(q)));
}

/** At most this many matches of a search are drawn (the count says how many match). */
export const SEARCH_SHOW_MAX = 200;

/**
 * The search field above a list that can grow; says how many of the loaded items match (idle:
 * what it says while the field is empty).
 */
export function ListSearch({ id, value, onInput, shown, total, placeholder, idle }) {
  const { t } = useI18n();
  return html`
    <div class="list-search" role="search">
      <label for=${id} class="visually-hidden">${t('common.search')}</label>
      <input type="search" id=${id} data-testid=${id} value=${value} autocomplete="off"
             placeholder=${placeholder || t('common.search_placeholder')}
             onInput=${(e) => onInput(e.currentTarget.value)} />
      ${!value.trim() && idle && html`<span class="muted small" data-testid=${`${id}-count`}>${idle}</span>`}
      ${value.trim() && html`
        <span class="muted small" data-testid=${`${id}-count`}>
          ${shown === 0 ? t('common.no_matches', { q: value.trim() }) : t('common.shown_of', { shown, total })}
          ${shown > SEARCH_SHOW_MAX && ` ${t('common.search_more', { shown: SEARCH_SHOW_MAX, n: shown })}`}</span>`}
    </div>`;
}

/** A local day ("YYYY-MM-DD") in the language's date format. */
export function DateText({ value }) {
  const { lang } = useI18n();
  return html`<span class="date">${formatDate(lang, value)}</span>`;
}

/**
 * A date field in the language's one date format (the browser's own date field would follow
 * the browser's locale instead). onInput gets {currentTarget: {value}} with "YYYY-MM-DD", or
 * '' while the text is no date.
 */
export function DateInput({ value, onInput, ...rest }) {
  const { lang, t } = useI18n();
  const [text, setText] = useState(formatDate(lang, value));
  const shownLang = useRef(lang);
  useEffect(() => {
    // another language shows the same day in its format; another value replaces the text
    if (shownLang.current !== lang || parseDate(lang, text) !== (value || '')) {
      shownLang.current = lang;
      setText(formatDate(lang, value));
    }
  }, [value, lang]);
  const bad = text.trim() !== '' && parseDate(lang, text) === '';
  return html`
    <input type="text" inputmode="numeric" autocomplete="off" size="10" ...${rest}
           class=${`date-input${rest.class ? ` ${rest.class}` : ''}`}
           placeholder=${t('date.placeholder')} title=${t('date.help')} value=${text}
           aria-invalid=${bad || rest['aria-invalid'] === 'true' ? 'true' : undefined}
           onInput=${(e) => {
             const typed = e.currentTarget.value;
             setText(typed);
             if (onInput) {
               onInput({ currentTarget: { value: parseDate(lang, typed) } });
             }
           }} />`;
}

export function RoleBadge({ role }) {
  const { t } = useI18n();
  return html`<span class=${`badge badge-${role}`} data-testid="role-badge">${t(`role.${role}`)}</span>`;
}

export const ROLES = ['admin', 'operator', 'viewer'];

export function RoleOptions() {
  const { t } = useI18n();
  return ROLES.map((role) => html`<option value=${role}>${t(`role.${role}`)}</option>`);
}

/** A "load more" button shown while the list has a next_cursor. */
export function LoadMore({ cursor, loading, onClick, id }) {
  const { t } = useI18n();
  if (!cursor) {
    return null;
  }
  return html`
    <div class="load-more">
      <button type="button" class="btn" id=${id} disabled=${loading} onClick=${onClick}>
        ${loading ? t('common.loading') : t('common.load_more')}
      </button>
    </div>`;
}

/**
 * The field an API error names: its message starts with "field: ..." (e.g. "csv.separator: must
 * be one character", "settings.metrics.Calls: needs a column", "settings.derived[0]: ...").
 * The "settings." prefix is dropped, so forms use the short names. '' when no field is named.
 */
export function errorField(error) {
  if (!error || typeof error.message !== 'string') {
    return '';
  }
  const at = error.message.indexOf(': ');
  if (at <= 0) {
    return '';
  }
  const name = error.message.slice(0, at);
  if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\]|\.[^\s:][^:]*)*$/.test(name)) {
    return '';
  }
  return name.replace(/^settings\./, '');
}

/**
 * Splits one API error between a form's fields: resolve(field) returns the key of the place
 * that shows it (a field the form is showing right now) or '' for "the form as a whole";
 * a 409 conflict (a name taken) goes to conflictSlot when given.
 * at(key) is the error for that place (or null); rest is what the form-level box shows.
 */
export function fieldErrors(error, resolve, conflictSlot = '') {
  const field = errorField(error);
  let slot = field ? resolve(field) || '' : '';
  if (!field && conflictSlot && error && error.code === 'conflict') {
    slot = conflictSlot; // "... exists already": the unique field (name, key, identifier)
  }
  return {
    slot,
    at: (key) => (slot && slot === key ? error : null),
    rest: slot ? null : error,
  };
}

/** An API error shown right under the field it names: message and hint, no generic title. */
export function FieldError({ error, id, field }) {
  if (!error) {
    return null;
  }
  return html`<${ErrorBox} error=${error} id=${id} testid="field-error" field=${field} compact />`;
}

/** Scrolls the first field error of a form into view after a failed save. */
export function useScrollToError(ref, error) {
  useEffect(() => {
    if (!error || !ref.current) {
      return;
    }
    const box = ref.current.querySelector('[data-testid="field-error"], .error-box');
    if (box && typeof box.scrollIntoView === 'function') {
      box.scrollIntoView({ block: 'center' });
    }
  }, [error]);
}

/** Common IANA zones for the time-zone datalist; the browser's own zone is added in front. */
export const COMMON_TIME_ZONES = [
  'UTC', 'Europe/London', 'Europe/Dublin', 'Europe/Lisbon', 'Europe/Berlin', 'Europe/Vienna',
  'Europe/Zurich', 'Europe/Paris', 'Europe/Brussels', 'Europe/Amsterdam', 'Europe/Luxembourg',
  'Europe/Madrid', 'Europe/Rome', 'Europe/Stockholm', 'Europe/Oslo', 'Europe/Copenhagen',
  'Europe/Helsinki', 'Europe/Warsaw', 'Europe/Prague', 'Europe/Budapest', 'Europe/Athens',
  'Europe/Bucharest', 'Europe/Istanbul', 'Europe/Kyiv', 'Europe/Moscow', 'Africa/Casablanca',
  'Africa/Lagos', 'Africa/Cairo', 'Africa/Johannesburg', 'Africa/Nairobi', 'Asia/Dubai',
  'Asia/Karachi', 'Asia/Kolkata', 'Asia/Dhaka', 'Asia/Bangkok', 'Asia/Jakarta', 'Asia/Manila',
  'Asia/Singapore', 'Asia/Kuala_Lumpur', 'Asia/Hong_Kong', 'Asia/Shanghai', 'Asia/Taipei',
  'Asia/Seoul', 'Asia/Tokyo', 'Australia/Perth', 'Australia/Adelaide', 'Australia/Brisbane',
  'Australia/Sydney', 'Australia/Melbourne', 'Pacific/Auckland', 'America/St_Johns',
  'America/Halifax', 'America/New_York', 'America/Toronto', 'America/Chicago',
  'America/Mexico_City', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles',
  'America/Vancouver', 'America/Anchorage', 'Pacific/Honolulu', 'America/Bogota',
  'America/Lima', 'America/Santiago', 'America/Sao_Paulo', 'America/Argentina/Buenos_Aires',
];

/** The browser's IANA time zone, or UTC when it cannot tell. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** A text input for an IANA zone name with a datalist of common zones (free text allowed). */
export function TimeZoneInput({ id, value, onInput, disabled, invalid, testid, small, label }) {
  const own = browserTimeZone();
  const zones = COMMON_TIME_ZONES.includes(own) ? COMMON_TIME_ZONES : [own, ...COMMON_TIME_ZONES];
  const listId = `${id}-zones`;
  return html`
    <input id=${id} type="text" list=${listId} autocomplete="off" autocapitalize="none"
           class=${small ? 'input-small' : undefined} aria-label=${label}
           spellcheck="false" maxlength="64" value=${value} disabled=${disabled}
           data-testid=${testid} aria-invalid=${invalid ? 'true' : undefined}
           onInput=${(e) => onInput(e.currentTarget.value)} />
    <datalist id=${listId}>
      ${zones.map((zone) => html`<option value=${zone} />`)}
    </datalist>`;
}

/** The signed-in role may change catalog and source settings (operators and admins). */
export function canChange(session) {
  const role = session && session.user && session.user.role;
  return role === 'admin' || role === 'operator';
}

export function isAdmin(session) {
  return Boolean(session && session.user && session.user.role === 'admin');
}

/** Reads every page of a paginated list (for short catalogs such as value types). */
export async function loadAll(path, query = {}) {
  let cursor;
  let items = [];
  for (let i = 0; i < 100; i++) {
    const data = await api.get(path, { ...query, limit: 500, cursor });
    items = items.concat(data.items);
    if (!data.next_cursor) {
      break;
    }
    cursor = data.next_cursor;
  }
  return items;
}

/** A note for viewers: the page is read-only for their role. */
export function ReadOnlyNote() {
  const { t } = useI18n();
  return html`<p class="read-only-note" data-testid="read-only-note">${t('common.read_only')}</p>`;
}

/** A calendar day as YYYY-MM-DD in the browser's zone. */
export function isoDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Today plus `days` (negative: earlier) as YYYY-MM-DD in the browser's zone. */
export function dayFromToday(days = 0) {
  const date = new Date();
  date.setHours(12, 0, 0, 0); // noon: a DST change never moves the day
  date.setDate(date.getDate() + days);
  return isoDay(date);
}

/** Days from `from` to `to` counting both (YYYY-MM-DD each); NaN when one is no date. */
export function daysInclusive(from, to) {
  const re = /^\d{4}-\d{2}-\d{2}$/;
  if (!re.test(from || '') || !re.test(to || '')) {
    return Number.NaN;
  }
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(a) || Number.isNaN(b)) {
    return Number.NaN;
  }
  return Math.round((b - a) / 86400000) + 1;
}

/** A number in the reader's language, at most `digits` decimals ('' for null). */
export function formatNumber(lang, value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '';
  }
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
}

/**
 * The part of the hash after "#/<route>/" (e.g. the run id in "#/runs/12"), kept in sync with
 * the address bar: set(value) pushes a history entry, set(value, true) replaces the current one.
 */
export function useRouteParam(route) {
  const read = () => {
    const prefix = `#/${route}/`;
    const hash = window.location.hash;
    if (!hash.startsWith(prefix)) {
      return '';
    }
    try {
      return decodeURIComponent(hash.slice(prefix.length).split(/[/?]/)[0]);
    } catch {
      return '';
    }
  };
  const [value, setValue] = useState(read);
  useEffect(() => {
    const onHash = () => setValue(read());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const set = (next, replace = false) => {
    const text = next === null || next === undefined ? '' : String(next);
    const hash = text ? `#/${route}/${encodeURIComponent(text)}` : `#/${route}`;
    if (window.location.hash === hash) {
      setValue(text);
      return;
    }
    if (replace) {
      window.history.replaceState(null, '', hash);
      setValue(text);
    } else {
      window.location.hash = hash; // hashchange updates the value
    }
  };
  return [value, set];
}
