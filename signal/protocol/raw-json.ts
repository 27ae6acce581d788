/**
 * Finds a member of a JSON object in its text, so that the server can forward
 * what a sender wrote without parsing and re-encoding it a second time.
 *
 * Only for text that JSON.parse has already accepted: the scan relies on the
 * text being well-formed and checks nothing itself.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipWhitespace(text: string, at: number): number {
  while (isWhitespace(text.charCodeAt(at))) at++;
  return at;
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** Index just past the value that starts at `start`. */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return stringEnd(text, start) + 1;
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let at = start; ; at++) {
      const code = text.charCodeAt(at);
      if (code === QUOTE) at = stringEnd(text, at);
      else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
      else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) return at + 1;
    }
  }
  // A number, true, false or null: it runs to the next separator.
  let at = start;
  for (; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isWhitespace(code)) break;
  }
  return at;
}

/**
 * The text of the value of `key` in the JSON object `json` (the last one when
 * the key repeats, as JSON.parse reads it), or undefined when there is none.
 * `json` must be text that JSON.parse accepted and that holds an object.
 */
export function memberText(json: string, key: string): string | undefined {
  let found: string | undefined;
  let at = skipWhitespace(json, 0) + 1;
  for (;;) {
    at = skipWhitespace(json, at);
    if (json.charCodeAt(at) !== QUOTE) return found;
    const keyEnd = stringEnd(json, at);
    const rawKey = json.slice(at + 1, keyEnd);
    // A key written with escapes ("d\u0061ta") is the same key once decoded.
    const name = rawKey.includes('\\') ? (JSON.parse(json.slice(at, keyEnd + 1)) as string) : rawKey;
    at = skipWhitespace(json, keyEnd + 1) + 1; // past the colon
    const start = skipWhitespace(json, at);
    const end = valueEnd(json, start);
    if (name === key) found = json.slice(start, end);
    at = skipWhitespace(json, end);
    if (json.charCodeAt(at) !== COMMA) return found;
    at++;
  }
}
