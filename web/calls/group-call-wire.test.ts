import { describe, expect, it } from 'vitest';
import { parseGroupCallFrame } from './group-call-wire.js';

const call = 'AbCdEfGhIjKlMnOp';
const state = { t: 'gcall-state', call, in: true, since: 1_733_000_000_000, muted: false, camera: true, screen: false };

describe('parseGroupCallFrame', () => {
  it('reads every group call frame', () => {
    expect(parseGroupCallFrame(JSON.stringify({ t: 'gcall-ring', call }))).toEqual({ t: 'gcall-ring', call });
    expect(parseGroupCallFrame(JSON.stringify({ t: 'gcall-decline', call }))?.t).toBe('gcall-decline');
    expect(parseGroupCallFrame(JSON.stringify({ t: 'gcall-idle' }))).toEqual({ t: 'gcall-idle' });
    expect(parseGroupCallFrame(JSON.stringify(state))).toEqual(state);
    // An app in the background says so; an older app says nothing of it.
    expect(parseGroupCallFrame(JSON.stringify({ ...state, away: true }))).toEqual({ ...state, away: true });
  });

  it('leaves chat and one-to-one call frames alone, and refuses malformed group call frames', () => {
    expect(parseGroupCallFrame(JSON.stringify({ t: 'msg', id: call, text: 'gcall-ring', sentAt: 1 }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ t: 'call-invite', call, video: true }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ t: 'gcall-ring', call: 'short' }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ ...state, in: 'yes' }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ ...state, since: -1 }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ ...state, since: 1.5 }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ ...state, muted: undefined }))).toBeNull();
    expect(parseGroupCallFrame(JSON.stringify({ ...state, away: 'yes' }))).toBeNull();
    expect(parseGroupCallFrame('{"t":"gcall-idle"')).toBeNull();
  });
});
