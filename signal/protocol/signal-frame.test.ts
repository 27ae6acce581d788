import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { decodeClientMessage } from './decode.js';
import { SignalDataSchema, SignalRequestSchema } from './messages.js';
import { readSignalFrame } from './signal-frame.js';

const TO = 'peer-0001';
const read = (text: string) => readSignalFrame(Buffer.from(text));
const dataOf = (text: string) => {
  const signal = read(text);
  return signal && { to: signal.to, data: Buffer.from(signal.data).toString() };
};

/** JSON text with random whitespace between tokens (outside strings). */
const jsonText = fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('', ' ', '\t', '\r\n')).map(([value, indent]) => JSON.stringify(value, null, indent));

describe('readSignalFrame', () => {
  it('reads the signals the app sends: the target, and the data exactly as written', () => {
    const data = { kind: 'description', session: 'abc', description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } };
    const frame = JSON.stringify({ type: 'signal', to: TO, data });
    expect(dataOf(frame)).toEqual({ to: TO, data: JSON.stringify(data) });
    expect(dataOf(` {"data" : { "a" : [ 1 , -2.5e+3 , true , null , "\\u00e9\\"" ] } , "from":"forged-01", "to":"${TO}","type":"signal"} `)).toEqual({
      to: TO,
      data: '{ "a" : [ 1 , -2.5e+3 , true , null , "\\u00e9\\"" ] }',
    });
    expect(dataOf(`{"type":"signal","to":"${TO}","data":{"name":"Zoë 🙂"}}`)).toEqual({ to: TO, data: '{"name":"Zoë 🙂"}' });
  });

  it('takes any signal that JSON.stringify writes, whatever its data', () => {
    const data = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 5 }), { maxKeys: 8 });
    fc.assert(
      fc.property(data, fc.jsonValue({ maxDepth: 2 }), (value, extra) => {
        const frame = JSON.stringify({ type: 'signal', extra, to: TO, data: value });
        const signal = dataOf(frame);
        expect(signal?.to).toBe(TO);
        expect(JSON.parse(signal!.data)).toEqual(JSON.parse(frame).data);
      }),
      { numRuns: 1000 },
    );
  });

  it('says yes only to frames the general decoder accepts as the same signal, for valid and broken frames alike', () => {
    const value = fc.oneof(jsonText, fc.constantFrom('"signal"', `"${TO}"`, '"sign\\u0061l"', '{}', '[]', '{"a":1}', '"short"'));
    const member = fc.tuple(fc.constantFrom('type', 'to', 'data', 'from', 't\\u006f', 'x'), value).map(([key, text]) => `"${key}":${text}`);
    const envelope = fc.array(member, { maxLength: 5 }).map((members) => `{${members.join(',')}}`);
    const typical = fc.tuple(jsonText, fc.jsonValue({ maxDepth: 1 })).map(([data, extra]) => `{"type":"signal","to":"${TO}","extra":${JSON.stringify(extra)},"data":{"x":${data}}}`);
    /** One character of a valid frame replaced, dropped or doubled: most such frames are not JSON. */
    const broken = fc.tuple(typical, fc.nat(), fc.constantFrom('', '"', '\\', '{', '}', ',', ':', '0', '-', 'e', '.', ' ', '\u0001', 'x', 'tru', 'nul'), fc.boolean()).map(
      ([text, at, insert, replace]) => {
        const position = at % (text.length + 1);
        return text.slice(0, position) + insert + text.slice(position + (replace ? 1 : 0));
      },
    );
    fc.assert(
      fc.property(fc.oneof(envelope, typical, broken), (frame) => {
        const signal = read(frame);
        if (!signal) return;
        const decoded = decodeClientMessage(frame);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok || decoded.message.type !== 'signal') throw new Error(`the fast path took a frame the decoder refuses: ${frame}`);
        expect(signal.to).toBe(decoded.message.to);
        expect(JSON.parse(Buffer.from(signal.data).toString())).toEqual((JSON.parse(frame) as { data: unknown }).data);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads any bytes without throwing, nested however deep', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((text) => Buffer.from(text))), (bytes) => {
        readSignalFrame(bytes);
      }),
      { numRuns: 3000 },
    );
    const deep = `{"type":"signal","to":"${TO}","data":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    expect(read(deep)?.to).toBe(TO);
    expect(read(deep.slice(0, -3))).toBeNull();
  });

  it.each([
    ['not JSON', `{"type":"signal","to":"${TO}","data":{"a":01}}`],
    ['a raw control character in a string', `{"type":"signal","to":"${TO}","data":{"a":"x\u0001"}}`],
    ['a bad escape', `{"type":"signal","to":"${TO}","data":{"a":"\\x"}}`],
    ['text after the object', `{"type":"signal","to":"${TO}","data":{}} x`],
    ['a malformed target', '{"type":"signal","to":"../x","data":{}}'],
    ['data that is an array', `{"type":"signal","to":"${TO}","data":[]}`],
    ['no data', `{"type":"signal","to":"${TO}"}`],
    ['another type', `{"type":"join","to":"${TO}","data":{}}`],
    ['a repeated key (the decoder reads the last)', `{"type":"signal","to":"${TO}","to":"peer-0002","data":{}}`],
    ['a key written with escapes', `{"type":"signal","t\\u006f":"${TO}","data":{}}`],
  ])('leaves %s to the general decoder', (_, frame) => {
    expect(read(frame)).toBeNull();
  });

  it('follows the signal schema: if this fails, the schema changed and the fast path must follow', () => {
    expect(Object.keys(SignalRequestSchema.entries)).toEqual(['type', 'to', 'data']);
    expect(v.is(SignalDataSchema, {})).toBe(true);
    expect(v.is(SignalDataSchema, { any: [1, { thing: null }] })).toBe(true);
  });
});
