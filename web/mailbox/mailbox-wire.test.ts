/** The `mailbox` frame: what a contact's device takes, and every field it refuses. */
import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mailboxFrame, parseMailboxFrame, type MailboxTarget } from './mailbox-wire.js';

function target(): MailboxTarget {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    mailbox: randomBytes(16).toString('base64url'),
    key: ecdh.getPublicKey().toString('base64url'),
    auth: randomBytes(16).toString('base64url'),
    expires: 1_767_830_400_000,
    capability: randomBytes(32).toString('base64url'),
    macKey: randomBytes(32).toString('base64url'),
  };
}

const text = (fields: Record<string, unknown>) => JSON.stringify({ t: 'mailbox', v: 1, ...target(), ...fields });

/** `text` with its last character changed so that the encoding's unused low bits are not zero: the same bytes, spelled otherwise. */
const uncanonical = (value: string) => value.slice(0, -1) + String.fromCharCode(value.charCodeAt(value.length - 1) + 1);

describe('the mailbox frame', () => {
  it('round-trips what a device hands a contact, and its withdrawal', async () => {
    const handed = target();
    const frame = mailboxFrame(handed);
    expect(await parseMailboxFrame(JSON.stringify(frame))).toEqual({ t: 'mailbox', v: 1, ...handed });
    expect(await parseMailboxFrame(JSON.stringify(mailboxFrame(null)))).toEqual({ t: 'mailbox', v: 1, mailbox: null });
    // Fields it does not know are dropped, as in every frame.
    expect(await parseMailboxFrame(text({ extra: 1 }))).not.toHaveProperty('extra');
  });

  it('refuses a field of the wrong length, alphabet or spelling, and a key that is no P-256 point', async () => {
    const good = target();
    const notOnCurve = Buffer.from(good.key, 'base64url');
    notOnCurve[64]! ^= 1;
    const bad: Record<string, unknown>[] = [
      { mailbox: randomBytes(15).toString('base64url') },
      { mailbox: randomBytes(17).toString('base64url') },
      { mailbox: `${good.mailbox.slice(0, -1)}=` },
      { mailbox: `${good.mailbox.slice(0, -1)}+` },
      { mailbox: 'AAAAAAAAAAAAAAAAAAAAAB' }, // 16 bytes, but the last character carries bits past them
      { mailbox: 42 },
      { key: Buffer.concat([Buffer.from([5]), notOnCurve.subarray(1)]).toString('base64url') }, // 65 bytes not starting 0x04
      { key: Buffer.concat([Buffer.from([4]), randomBytes(32)]).toString('base64url') }, // 33 bytes
      { key: Buffer.concat([Buffer.from([2]), notOnCurve.subarray(1)]).toString('base64url') },
      { key: notOnCurve.toString('base64url') },
      { auth: randomBytes(32).toString('base64url') },
      { capability: randomBytes(31).toString('base64url') },
      { capability: 'A'.repeat(43).slice(0, 42) + 'B' },
      { macKey: randomBytes(33).toString('base64url') },
      { macKey: null },
      { expires: -1 },
      { expires: 1.5 },
      { expires: '1767830400000' },
      { expires: 2 ** 53 },
      { v: 2 },
      { t: 'push-sub' },
    ];
    for (const fields of bad) expect(await parseMailboxFrame(text(fields)), JSON.stringify(fields)).toBe(null);
    for (const missing of Object.keys(good)) {
      const frame = JSON.parse(text({})) as Record<string, unknown>;
      delete frame[missing];
      expect(await parseMailboxFrame(JSON.stringify(frame)), missing).toBe(null);
    }
    expect(await parseMailboxFrame(text({ capability: uncanonical(good.capability) }))).toBe(null);
    expect(await parseMailboxFrame('{"t":"mailbox"')).toBe(null);
    expect(await parseMailboxFrame('{"t":"msg","id":"x"}')).toBe(null);
  });
});
