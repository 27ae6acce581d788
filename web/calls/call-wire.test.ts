import { describe, expect, it } from 'vitest';
import { parseCallFrame } from './call-wire.js';

const id = 'AbCdEfGhIjKlMnOp';

describe('parseCallFrame', () => {
  it('reads every call frame', () => {
    expect(parseCallFrame(JSON.stringify({ t: 'call-invite', call: id, video: true }))).toEqual({ t: 'call-invite', call: id, video: true });
    expect(parseCallFrame(JSON.stringify({ t: 'call-decline', call: id, reason: 'busy' }))?.t).toBe('call-decline');
    expect(parseCallFrame(JSON.stringify({ t: 'call-media', call: id, muted: true, camera: false, screen: false }))?.t).toBe('call-media');
    // An app in the background says so; an older app says nothing of it.
    expect(parseCallFrame(JSON.stringify({ t: 'call-media', call: id, muted: false, camera: true, screen: false, away: true }))).toEqual({ t: 'call-media', call: id, muted: false, camera: true, screen: false, away: true });
  });

  it('leaves chat frames alone and refuses malformed call frames', () => {
    expect(parseCallFrame(JSON.stringify({ t: 'msg', id, text: 'call-invite', sentAt: 1 }))).toBeNull();
    expect(parseCallFrame(JSON.stringify({ t: 'call-invite', call: 'short', video: true }))).toBeNull();
    expect(parseCallFrame(JSON.stringify({ t: 'call-invite', call: id, video: 'yes' }))).toBeNull();
    expect(parseCallFrame(JSON.stringify({ t: 'call-decline', call: id, reason: 'because' }))).toBeNull();
    expect(parseCallFrame(JSON.stringify({ t: 'call-media', call: id, muted: false, camera: true, screen: false, away: 'yes' }))).toBeNull();
    expect(parseCallFrame('{"t":"call-end"')).toBeNull();
  });
});
