// The notes of an Xlink conversion report line in the reader's language: the daemon sends each
// note's message code and parameters beside the English text ("detail_codes", in the order the
// notes were joined); a line with a note the dictionaries do not know keeps its English text.
import { hasText } from './i18n/index.js';

/** One note worded by t; a "why" parameter with why_code beside it is itself a note. */
function noteOf(t, { code, params }) {
  const p = { ...(params || {}) };
  if (typeof p.why_code === 'string' && hasText(p.why_code)) {
    p.why = t(p.why_code, p.why_params || {});
  }
  return t(code, p);
}

/** The detail of report line item, worded by t from its codes (else its English detail). */
export function xlinkNoteText(t, item) {
  const codes = item && item.detail_codes;
  if (!Array.isArray(codes) || codes.length === 0
      || !codes.every((c) => c && typeof c.code === 'string' && hasText(c.code))) {
    return item ? item.detail : '';
  }
  return codes.reduce((first, c, n) => {
    const next = noteOf(t, c);
    if (n === 0) {
      return next;
    }
    return t(c.note ? 'xlink.note.noted' : 'xlink.note.joined', { first, next });
  }, '');
}
