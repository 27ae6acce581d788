import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientMessage } from './decode.js';
import { encodeSignalDelivery } from './encode.js';
import { memberText } from './raw-json.js';

const parse = (text: string | undefined): unknown => (text === undefined ? undefined : JSON.parse(text));


describe('memberText', () => {
  it('finds a member whatever its value, position and surrounding whitespace', () => {
    const object = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1, maxKeys: 6 });
    fc.assert(
      fc.property(object, fc.constantFrom('', ' ', '\t', '\r\n'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        for (const key of Object.keys(value)) expect(parse(memberText(text, key))).toEqual(parsed[key]);
        expect(memberText(text, '\u0000no such key')).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('reads keys and values as JSON.parse does: escapes, quotes and braces inside strings, repeated keys', () => {
    expect(memberText('{"d\\u0061ta":{"a":1}}', 'data')).toBe('{"a":1}');
    expect(memberText('{"data":{"s":"}\\"{[\\\\"},"data":{"b":2}}', 'data')).toBe('{"b":2}');
    expect(memberText('{"a":"\\\\","data":{"x":"\\\\\\""}}', 'data')).toBe('{"x":"\\\\\\""}');
    expect(memberText('{"data":-1.5e3,"n":null}', 'data')).toBe('-1.5e3');
    expect(memberText(' { "data" : [ 1 , { } ] } ', 'data')).toBe('[ 1 , { } ]');
    expect(memberText('{}', 'data')).toBeUndefined();
  });
});

describe('a relayed signal', () => {
  it("carries the sender's data exactly as written, set by the server's own sender, without encoding it again", () => {
    const data = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });
    fc.assert(
      fc.property(data, fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (value, extra, dataFirst) => {
        const envelope = dataFirst ? { data: value, type: 'signal', to: 'peer-0001', from: 'forged-0001', extra } : { from: 'forged-0001', type: 'signal', extra, to: 'peer-0001', data: value };
        const frame = JSON.stringify(envelope);
        const decoded = decodeClientMessage(frame);
        if (!decoded.ok || decoded.message.type !== 'signal') throw new Error('a valid signal was refused');
        const forwarded = encodeSignalDelivery('sender-0001', memberText(frame, 'data')!);
        const written = (JSON.parse(frame) as { data: unknown }).data;
        expect(JSON.parse(forwarded)).toEqual({ type: 'signal', from: 'sender-0001', data: written });
      }),
      { numRuns: 500 },
    );
  });
});
