/**
 * The body of `GET /mailbox/:id/entries` (MailboxEntries, signal/protocol/mailbox.ts) as the bytes sent.
 * Written by hand, not by JSON.stringify: for 20 entries of 16 KiB (437 KB of base64) JSON.stringify takes
 * about 1.4 ms, scanning every character for one to escape, and uWS then turns the string into UTF-8, against
 * 0.1 ms for the base64 itself (docs/benchmarks.md, the mailbox server). Base64url needs no escaping, so it is
 * copied in as it is, and the answer is bytes already; every other value still goes through JSON.stringify,
 * so the bytes are the ones `JSON.stringify({ entries })` gives (entries-body.test.ts).
 */
import type { StoredEntry } from './mailbox-store.js';

const OPEN = Buffer.from('{"entries":[');
const END_OF_ENTRY = Buffer.from('"}');
const CLOSE = Buffer.from(']}');

export function entriesBody(entries: readonly StoredEntry[]): Buffer {
  const parts: Buffer[] = [OPEN];
  entries.forEach(({ entry, at, expires, data }, i) => {
    const head = `${i === 0 ? '' : ','}{"entry":${JSON.stringify(entry)},"at":${JSON.stringify(at)},"expires":${JSON.stringify(expires)},"data":"`;
    const base64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64url');
    parts.push(Buffer.from(head), Buffer.from(base64, 'latin1'), END_OF_ENTRY);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
