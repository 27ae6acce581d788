import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSafetyCode, safetyCode, safetyNumber, safetyNumberGroups } from './safety-number.js';

const ALICE = 'A1'.repeat(32);
const BOB = '5C:3F:'.repeat(16).slice(0, -1);
const CAROL = '00'.repeat(31) + '01';

/** The derivation of docs/protocol.md, written again with Node's own SHA-512. */
function reference(a: string, b: string): string {
  const digits = (key: string) => {
    const bytes = Buffer.from(key.replace(/:/g, ''), 'hex');
    let hash = createHash('sha512').update(Buffer.from([0, 0])).update(bytes).digest();
    for (let i = 1; i < 5200; i++) hash = createHash('sha512').update(hash).update(bytes).digest();
    let out = '';
    for (let chunk = 0; chunk < 6; chunk++) out += String(hash.readUIntBE(chunk * 5, 5) % 100000).padStart(5, '0');
    return out;
  };
  return [digits(a), digits(b)].sort().join('');
}

describe('safety numbers', () => {
  it('match the test vectors of docs/protocol.md', async () => {
    expect(await safetyNumber(ALICE, BOB)).toBe('220366625756533675080601816240569920858117066542448805130263');
    expect(await safetyNumber(ALICE, CAROL)).toBe('220366625756533675080601816240686853251623214214557057051032');
  });

  it('follow the documented derivation (SHA-512 iterated 5,200 times per key)', async () => {
    expect(await safetyNumber(ALICE, BOB)).toBe(reference(ALICE, BOB));
    expect(await safetyNumber(CAROL, BOB)).toBe(reference(CAROL, BOB));
  });

  it('do not depend on which of the two keys is one’s own, nor on case or colons', async () => {
    expect(await safetyNumber(BOB, ALICE)).toBe(await safetyNumber(ALICE, BOB));
    expect(await safetyNumber(ALICE.toLowerCase(), BOB.replace(/:/g, ''))).toBe(await safetyNumber(ALICE, BOB));
  });

  it('differ when either side sees another key (a person in the middle)', async () => {
    const honest = await safetyNumber(ALICE, BOB);
    expect(await safetyNumber(ALICE, CAROL)).not.toBe(honest);
    expect(await safetyNumber(CAROL, BOB)).not.toBe(honest);
  });

  it('read as 12 groups of 5 digits', async () => {
    const groups = safetyNumberGroups(await safetyNumber(ALICE, BOB));
    expect(groups).toHaveLength(12);
    for (const group of groups) expect(group).toMatch(/^\d{5}$/);
  });

  it('refuse what is not a device key', async () => {
    await expect(safetyNumber('not a key', BOB)).rejects.toThrow(/64 hex digits/);
    await expect(safetyNumber(ALICE.slice(2), BOB)).rejects.toThrow(/64 hex digits/);
  });

  it('travel in a QR code as WHISPER:SN0: and the digits, and nothing else is read as one', async () => {
    const number = await safetyNumber(ALICE, BOB);
    expect(safetyCode(number)).toBe(`WHISPER:SN0:${number}`);
    expect(parseSafetyCode(safetyCode(number))).toBe(number);
    expect(parseSafetyCode(` ${safetyCode(number)}\n`)).toBe(number);
    expect(parseSafetyCode('https://example.com/')).toBeNull();
    expect(parseSafetyCode(`WHISPER:SN0:${number.slice(1)}`)).toBeNull();
    expect(parseSafetyCode(`WHISPER:SN1:${number}`)).toBeNull();
  });
});
