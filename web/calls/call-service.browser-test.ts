/**
 * What makes the app answer a call without a click on this page: only the Accept the service worker recorded
 * for that call, from that device, within its window (pending-answer.ts). A real CallService in Chromium,
 * over a room that records what it would send (no connection is made).
 */
import { expect } from 'chai';
import type { CallRoom } from './call-room.js';
import { CallService } from './call-service.js';
import type { CallFrame } from './call-wire.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => void | Promise<void>) => void;

const ALICE = 'A1'.repeat(32);
const MALLORY = 'C3'.repeat(32);
const CALL = 'CCCCCCCCCCCCCCCCCCCCCC';

function service(link: CallRoom['link'] = () => null): { calls: CallService; sent: Array<[string, CallFrame]> } {
  const sent: Array<[string, CallFrame]> = [];
  const room: CallRoom = {
    send: (device, frame) => (sent.push([device, frame]), true),
    link,
    want: () => undefined,
    name: (device) => (device === ALICE ? 'Alice' : 'Mallory'),
    record: async () => undefined,
    ringAway: async () => false,
    ringEnded: () => undefined,
    optIn: () => undefined,
    busy: () => false,
  };
  return { calls: new CallService(room), sent };
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

describe('CallService: an end lost on the way', () => {
  it('answers a frame of a call it does not have with that call’s end', () => {
    const { calls, sent } = service();
    calls.receive(ALICE, { t: 'call-media', call: CALL, muted: false, camera: true, screen: false });
    calls.receive(ALICE, { t: 'call-accept', call: CALL });
    expect(sent).to.deep.equal([
      [ALICE, { t: 'call-end', call: CALL }],
      [ALICE, { t: 'call-end', call: CALL }],
    ]);
    calls.stop();
  });

  it('ends its call when the other side answers its connection’s return with that end', async () => {
    // The connection that opened again: a real peer connection, whose transceivers the callee fills.
    const pc = new RTCPeerConnection();
    const { calls, sent } = service(() => ({ pc }) as unknown as ReturnType<CallRoom['link']>);
    calls.answerWhenInvited({ call: CALL, room: 'Zm9vYmFyYmF6cXV4MTIzNA', device: ALICE, until: Date.now() + 45_000 });
    invite(calls, ALICE);
    expect(calls.current?.phase).to.equal('active');
    calls.channelClosed(ALICE);
    sent.length = 0;
    calls.channelOpened(ALICE);
    // The callee says the call goes on; Alice, whose call ended meanwhile, answers with its end.
    expect(sent.map(([, frame]) => frame.t)).to.include('call-accept');
    calls.receive(ALICE, { t: 'call-end', call: CALL });
    expect(calls.current).to.equal(null);
    pc.close();
  });

  it('a caller says its call goes on when the connection opens again', async () => {
    const { calls, sent } = service();
    await calls.start(ALICE, false);
    const invited = sent.find(([, frame]) => frame.t === 'call-invite');
    expect(invited, 'the invite').to.not.equal(undefined);
    const id = (invited![1] as { call: string }).call;
    calls.receive(ALICE, { t: 'call-accept', call: id });
    expect(calls.current?.phase).to.equal('active');
    calls.channelClosed(ALICE);
    sent.length = 0;
    calls.channelOpened(ALICE);
    expect(sent).to.deep.include([ALICE, { t: 'call-media', call: id, muted: false, camera: false, screen: false, away: false }]);
    await calls.hangUp();
  });
});
