/**
 * What makes the app answer a call without a click on this page: only the Accept the service worker recorded
 * for that call, from that device, within its window (pending-answer.ts). A real CallService in Chromium,
 * over a transport that records what it would send (no connection is made).
 */
import { expect } from 'chai';
import { CallService, type CallTransport } from './call-service.js';
import type { CallFrame } from './call-wire.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => void | Promise<void>) => void;

const ALICE = 'A1'.repeat(32);
const MALLORY = 'C3'.repeat(32);
const CALL = 'CCCCCCCCCCCCCCCCCCCCCC';

function service(): { calls: CallService; sent: Array<[string, CallFrame]> } {
  const sent: Array<[string, CallFrame]> = [];
  const transport: CallTransport = {
    send: (device, frame) => (sent.push([device, frame]), true),
    link: () => null,
    want: () => undefined,
    name: (device) => (device === ALICE ? 'Alice' : 'Mallory'),
    record: async () => undefined,
    ringAway: async () => false,
    ringEnded: () => undefined,
    optIn: () => undefined,
    busy: () => false,
  };
  return { calls: new CallService(transport), sent };
}

const invite = (calls: CallService, from: string, call = CALL) => calls.receive(from, { t: 'call-invite', call, video: false });

describe('CallService: answering from a notification', () => {
  it('answers the call accepted on the notification when its invite comes from that device', () => {
    const { calls } = service();
    calls.answerWhenInvited({ call: CALL, room: 'Zm9vYmFyYmF6cXV4MTIzNA', device: ALICE, until: Date.now() + 45_000 });
    invite(calls, ALICE);
    expect(calls.current?.phase).to.equal('active');
    calls.stop();
  });

  it('rings, and answers nothing, when the same call id comes from another device', () => {
    const { calls } = service();
    calls.answerWhenInvited({ call: CALL, room: 'Zm9vYmFyYmF6cXV4MTIzNA', device: ALICE, until: Date.now() + 45_000 });
    invite(calls, MALLORY);
    expect(calls.current?.phase).to.equal('incoming');
    calls.stop();
  });

  it('answers once: a second invite of that call, after the first ended, rings', async () => {
    const { calls } = service();
    calls.answerWhenInvited({ call: CALL, room: 'Zm9vYmFyYmF6cXV4MTIzNA', device: ALICE, until: Date.now() + 45_000 });
    invite(calls, ALICE);
    await calls.hangUp();
    invite(calls, ALICE);
    expect(calls.current?.phase).to.equal('incoming');
    calls.stop();
  });

  it('rings when the Accept’s window has passed', () => {
    const { calls } = service();
    calls.answerWhenInvited({ call: CALL, room: 'Zm9vYmFyYmF6cXV4MTIzNA', device: ALICE, until: Date.now() - 1 });
    invite(calls, ALICE);
    expect(calls.current?.phase).to.equal('incoming');
    calls.stop();
  });
});
