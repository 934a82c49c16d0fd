// The notes of an Xlink conversion report line in the reader's language: the daemon sends each
// note's message code and parameters beside the English text ("detail_codes", in the order the
// notes were joined); a line with a note the dictionaries do not know keeps its English text.
// The to-do lists ("todo_codes" of a block, "action_codes" of the report) are worded the same way.
import { hasText, messageText } from './i18n/index.js';

/** 1 when every code of a list of notes has a text. */
function allKnown(codes) {
  return Array.isArray(codes) && codes.length > 0
    && codes.every((c) => c && typeof c.code === 'string' && hasText(c.code));
}

/** Notes joined as the daemon joined them ("; ", or in parentheses), else the English text. */
function joined(t, text, codes) {
  if (!allKnown(codes)) {
    return text;
  }
  return codes.reduce((first, c, n) => {
    const next = noteOf(t, c);
    if (n === 0) {
      return next;
    }
    return t(c.note ? 'xlink.note.noted' : 'xlink.note.joined', { first, next });
  }, '');
}

/**
 * One note worded by t. A "why" parameter with why_code beside it is itself a note (of the
 * report, or a message of the daemon's own such as a refused folder); with why_codes it is
 * several notes of a report line.
 */
function noteOf(t, { code, params }) {
  const p = { ...(params || {}) };
  const why = p.why_code;
  if (typeof why === 'string' && why.startsWith('xlink.') && hasText(why)) {
    p.why = noteOf(t, { code: why, params: p.why_params });
  } else if (typeof why === 'string') {
    p.why = messageText(t, { code: why, params: p.why_params || {}, message: p.why });
  } else if (Array.isArray(p.why_codes)) {
    p.why = joined(t, p.why, p.why_codes);
  }
  // a part with NAME_code beside it (a DSN the section does not name) has words of its own
  for (const name of Object.keys(p)) {
    const c = p[`${name}_code`];
    if (name !== 'why' && typeof c === 'string' && hasText(c)) {
      p[name] = t(c, {});
    }
  }
  for (const name of ['line', 'column']) {
    if (typeof p[name] === 'number') {
      p[name] = String(p[name]);
    }
  }
  return t(code, p);
}

/** The detail of report line item, worded by t from its codes (else its English detail). */
export function xlinkNoteText(t, item) {
  return item ? joined(t, item.detail, item.detail_codes) : '';
}

/** A to-do of the report (text) worded by t from its code (else its English text). */
export function xlinkTodoText(t, text, code) {
  return code && typeof code.code === 'string' && hasText(code.code) ? noteOf(t, code) : text;
}
