import { describe, expect, it } from 'vitest';
import { decodeClientMessage, decodeServerMessage } from './decode.js';

const ROOM = 'Zm9vYmFyYmF6cXV4MTIzNA';

describe('decodeClientMessage', () => {
  it('accepts a join and trims the name', () => {
    expect(decodeClientMessage(JSON.stringify({ type: 'join', room: ROOM, name: '  Ada  ' }))).toEqual({
      ok: true,
      message: { type: 'join', room: ROOM, name: 'Ada' },
    });
  });

  it('drops fields it does not know, including a forged sender', () => {
    const decoded = decodeClientMessage(JSON.stringify({ type: 'signal', to: 'peer-0001', from: 'someone-else', data: { sdp: 'v=0' } }));
    expect(decoded).toEqual({ ok: true, message: { type: 'signal', to: 'peer-0001', data: { sdp: 'v=0' } } });
  });

  it.each([
    ['not JSON', '{"type":', 'not valid JSON'],
    ['an array', '[1,2]', 'a message must be a JSON object'],
    ['a string', '"join"', 'a message must be a JSON object'],
    ['null', 'null', 'a message must be a JSON object'],
    ['no type', '{"room":"x"}', 'unknown or missing message type'],
    ['an unknown type', '{"type":"shout"}', 'unknown or missing message type'],
    ['a short room id', JSON.stringify({ type: 'join', room: 'short', name: 'A' }), 'room: room must be'],
    ['a room id with a slash', JSON.stringify({ type: 'join', room: 'a/bcdefghijklmnopqrs', name: 'A' }), 'room:'],
    ['an empty name', JSON.stringify({ type: 'join', room: ROOM, name: '   ' }), 'name: name is empty'],
    ['a name of 41 characters', JSON.stringify({ type: 'join', room: ROOM, name: 'x'.repeat(41) }), 'name: name is longer than 40'],
    ['a name with a newline', JSON.stringify({ type: 'join', room: ROOM, name: 'Eve\nAdmin' }), 'control or invisible characters'],
    ['a name with a bidi override', JSON.stringify({ type: 'join', room: ROOM, name: 'Eve\u202Enimda' }), 'control or invisible characters'],
    ['a numeric name', JSON.stringify({ type: 'join', room: ROOM, name: 42 }), 'name:'],
    ['a malformed resume token', JSON.stringify({ type: 'join', room: ROOM, name: 'A', resume: 'abc' }), 'resume:'],
    ['signal data that is an array', JSON.stringify({ type: 'signal', to: 'peer-0001', data: [1] }), 'data:'],
    ['signal data that is a string', JSON.stringify({ type: 'signal', to: 'peer-0001', data: 'sdp' }), 'data:'],
    ['a signal without a target', JSON.stringify({ type: 'signal', data: {} }), 'to:'],
  ])('refuses %s with a reason', (_, text, reason) => {
    const decoded = decodeClientMessage(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toContain(reason);
  });

  it('counts a name in user-perceived characters, so emoji families fit', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(decodeClientMessage(JSON.stringify({ type: 'join', room: ROOM, name: family.repeat(20) })).ok).toBe(true);
  });
});

describe('decodeServerMessage', () => {
  it('refuses a welcome whose peer list carries a name no server would send', () => {
    const welcome = {
      type: 'welcome',
      id: 'peer-0001',
      room: ROOM,
      name: 'Ada',
      peers: [{ id: 'peer-0002', name: '' }],
      resumeToken: 'a'.repeat(43),
      resumed: false,
      iceServers: [],
      iceServersExpireAt: null,
      limits: { maxMessageBytes: 65536, maxRoomSize: 16, messagesPerSecond: 50, burst: 200, resumeGraceMs: 120000 },
    };
    expect(decodeServerMessage(JSON.stringify(welcome)).ok).toBe(false);
    welcome.peers[0]!.name = 'Grace';
    expect(decodeServerMessage(JSON.stringify(welcome)).ok).toBe(true);
  });

  it('refuses an error with an unknown code', () => {
    expect(decodeServerMessage('{"type":"error","code":"teapot","message":"x"}').ok).toBe(false);
    expect(decodeServerMessage('{"type":"error","code":"room-full","message":"x"}').ok).toBe(true);
  });
});
