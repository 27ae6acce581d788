/**
 * The fast path for the message sent most: a `signal` frame, read from its
 * bytes in one pass. The pass checks that the whole frame is JSON that
 * JSON.parse accepts, finds the envelope's `type`, `to` and `data`, and leaves
 * `data` as bytes, so that the server can forward it without decoding it to a
 * string, parsing it, or encoding it again.
 *
 * It only ever says yes to a frame that `decodeClientMessage` accepts as the
 * same signal (property-tested in signal-frame.test.ts, which also fails if
 * the signal's schema changes in a way this pass does not follow). Anything unusual (a
 * key written with escapes, a repeated envelope key, a malformed frame) gets
 * null, and the caller takes the general path, which accepts or refuses it
 * with the usual reason. Text frames reach the server as valid UTF-8 (the
 * WebSocket layer closes a connection that sends anything else).
 */
import * as v from 'valibot';
import { PeerIdSchema, type PeerId } from './messages.js';

export interface SignalFrame {
  to: PeerId;
  /** The bytes of the `data` object, as the sender wrote them (a view into the frame). */
  data: Uint8Array;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipWhitespace(bytes: Uint8Array, at: number): number {
  while (isWhitespace(bytes[at])) at++;
  return at;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= ZERO && byte <= NINE;
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= ZERO && byte <= NINE) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66));
}

/** Set by scanString: whether the last string scanned had an escape in it. */
let escaped = false;

/** 1 for the bytes that stand for themselves inside a JSON string: not a control character, quote or backslash. */
const PLAIN = new Uint8Array(256).map((_, byte) => (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH ? 1 : 0));

/** Index just past the string that opens at `at`, or -1 when it is not a JSON string. */
function scanString(bytes: Uint8Array, at: number): number {
  escaped = false;
  at++;
  const end = bytes.length;
  for (;;) {
    while (at < end && PLAIN[bytes[at]!] === 1) at++;
    const byte = bytes[at];
    if (byte === QUOTE) return at + 1;
    if (byte !== BACKSLASH) return -1; // the end of the frame, or a control character
    escaped = true;
    const next = bytes[at + 1];
    if (next === 0x75 /* u */) {
      if (!isHex(bytes[at + 2]) || !isHex(bytes[at + 3]) || !isHex(bytes[at + 4]) || !isHex(bytes[at + 5])) return -1;
      at += 6;
    } else if (next === QUOTE || next === BACKSLASH || next === 0x2f || next === 0x62 || next === 0x66 || next === 0x6e || next === 0x72 || next === 0x74) {
      at += 2; // \" \\ \/ \b \f \n \r \t
    } else {
      return -1;
    }
  }
}

/** Index just past the number that starts at `at` (JSON's grammar, which JSON.parse follows), or -1. */
function scanNumber(bytes: Uint8Array, at: number): number {
  if (bytes[at] === MINUS) at++;
  if (bytes[at] === ZERO) at++;
  else if (isDigit(bytes[at])) while (isDigit(bytes[at])) at++;
  else return -1;
  if (bytes[at] === DOT) {
    at++;
    if (!isDigit(bytes[at])) return -1;
    while (isDigit(bytes[at])) at++;
  }
  if ((bytes[at]! | 0x20) === 0x65 /* e or E */) {
    at++;
    if (bytes[at] === PLUS || bytes[at] === MINUS) at++;
    if (!isDigit(bytes[at])) return -1;
    while (isDigit(bytes[at])) at++;
  }
  return at;
}

function scanWord(bytes: Uint8Array, at: number, word: string): number {
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word.charCodeAt(i)) return -1;
  return at + word.length;
}

/** Index of the value after an object key (`"key" :`) at `at`, or -1. */
function scanKey(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== QUOTE) return -1;
  at = scanString(bytes, at);
  if (at < 0) return -1;
  at = skipWhitespace(bytes, at);
  return bytes[at] === COLON ? skipWhitespace(bytes, at + 1) : -1;
}

/** Index just past the JSON value that starts at `at` (objects and arrays to any depth), or -1. */
function scanValue(bytes: Uint8Array, at: number): number {
  // The closing bytes of the containers the scan is inside.
  const open: number[] = [];
  for (;;) {
    const byte = bytes[at];
    if (byte === QUOTE) at = scanString(bytes, at);
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      const close = byte === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      at = skipWhitespace(bytes, at + 1);
      if (bytes[at] === close) at++;
      else {
        open.push(close);
        if (close === CLOSE_BRACE) at = scanKey(bytes, at);
        if (at < 0) return -1;
        continue;
      }
    } else if (byte === MINUS || isDigit(byte)) at = scanNumber(bytes, at);
    else if (byte === 0x74) at = scanWord(bytes, at, 'true');
    else if (byte === 0x66) at = scanWord(bytes, at, 'false');
    else if (byte === 0x6e) at = scanWord(bytes, at, 'null');
    else return -1;
    if (at < 0) return -1;
    // After a value: close what ends here, then expect the next value (or key) of the enclosing container.
    for (;;) {
      if (open.length === 0) return at;
      at = skipWhitespace(bytes, at);
      const close = open[open.length - 1];
      if (bytes[at] === close) {
        open.pop();
        at++;
        continue;
      }
      if (bytes[at] !== COMMA) return -1;
      at = skipWhitespace(bytes, at + 1);
      if (close === CLOSE_BRACE) at = scanKey(bytes, at);
      if (at < 0) return -1;
      break;
    }
  }
}

function isKey(bytes: Uint8Array, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** The signal in `frame`, or null when the general decoder must look at the frame. */
export function readSignalFrame(frame: Uint8Array): SignalFrame | null {
  let at = skipWhitespace(frame, 0);
  if (frame[at] !== OPEN_BRACE) return null;
  at = skipWhitespace(frame, at + 1);
  let type = -1;
  let to = -1;
  let toEnd = -1;
  let data = -1;
  let dataEnd = -1;
  for (;;) {
    if (frame[at] !== QUOTE) return null;
    const keyStart = at + 1;
    at = scanString(frame, at);
    if (at < 0 || escaped) return null;
    const keyEnd = at - 1;
    at = skipWhitespace(frame, at);
    if (frame[at] !== COLON) return null;
    const valueStart = skipWhitespace(frame, at + 1);
    at = scanValue(frame, valueStart);
    if (at < 0) return null;
    if (isKey(frame, keyStart, keyEnd, 'type')) {
      if (type >= 0) return null;
      type = valueStart;
      if (!isKey(frame, valueStart, at, '"signal"')) return null;
    } else if (isKey(frame, keyStart, keyEnd, 'to')) {
      if (to >= 0 || frame[valueStart] !== QUOTE || escaped) return null;
      to = valueStart + 1;
      toEnd = at - 1;
    } else if (isKey(frame, keyStart, keyEnd, 'data')) {
      if (data >= 0 || frame[valueStart] !== OPEN_BRACE) return null;
      data = valueStart;
      dataEnd = at;
    }
    at = skipWhitespace(frame, at);
    if (frame[at] === COMMA) {
      at = skipWhitespace(frame, at + 1);
      continue;
    }
    if (frame[at] !== CLOSE_BRACE) return null;
    break;
  }
  if (skipWhitespace(frame, at + 1) !== frame.length || type < 0 || to < 0 || data < 0) return null;
  const target = Buffer.from(frame.buffer, frame.byteOffset + to, toEnd - to).toString('latin1');
  if (!v.is(PeerIdSchema, target)) return null;
  return { to: target, data: frame.subarray(data, dataEnd) };
}
