// The daemon's JSON text, written independently: what jansson's
// json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) makes of a value, given which numbers are reals
// (jansson writes a real as "%.17g", with ".0" added to whole numbers, and an integer as its
// digits). Tests compare the daemon's answers with this byte for byte. Also C's "%.10g" for the
// CSV download.

/** A string as jansson escapes it: \uXXXX (upper case) for control and non-ASCII characters. */
export function jString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"' || ch === '\\') {
      out += `\\${ch}`;
    } else if (c === 8) {
      out += '\\b';
    } else if (c === 12) {
      out += '\\f';
    } else if (c === 10) {
      out += '\\n';
    } else if (c === 13) {
      out += '\\r';
    } else if (c === 9) {
      out += '\\t';
    } else if (c < 0x20 || c >= 0x80) { // UTF-16 units: astral characters become their pairs
      out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

/** C's "%.<p>g" of a finite number, without locale. */
export function cG(v, p) {
  if (v === 0) {
    return Object.is(v, -0) ? '-0' : '0';
  }
  const [mant, exp] = v.toExponential(p - 1).split('e');
  const x = Number(exp);
  const strip = (t) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (x < -4 || x >= p) {
    const e = String(Math.abs(x)).padStart(2, '0');
    return `${strip(mant)}e${x < 0 ? '-' : '+'}${e}`;
  }
  return strip(v.toFixed(p - 1 - x));
}

/** A real as jansson writes it: "%.17g", ".0" for a whole number, a bare exponent. */
export function jReal(v) {
  let t = cG(v, 17);
  if (!t.includes('.') && !t.includes('e')) {
    t += '.0';
  }
  return t.replace(/e\+?(-?)0*(\d)/, 'e$1$2');
}

/**
 * The compact text of value. `reals` names the object members whose numbers are reals (every
 * other number is an integer); objects keep their members' order.
 */
export function jDump(value, reals = new Set()) {
  const dump = (v, key) => {
    if (v === null) {
      return 'null';
    }
    if (typeof v === 'string') {
      return jString(v);
    }
    if (typeof v === 'boolean') {
      return v ? 'true' : 'false';
    }
    if (typeof v === 'number') {
      return reals.has(key) ? jReal(v) : String(v);
    }
    if (Array.isArray(v)) {
      return `[${v.map((x) => dump(x, key)).join(',')}]`;
    }
    return `{${Object.entries(v).map(([k, x]) => `${jString(k)}:${dump(x, k)}`).join(',')}}`;
  };
  return dump(value, null);
}
