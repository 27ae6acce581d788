/**
 * The room's call as its state: who is in, who speaks, what each tile shows and the video budget, driven
 * through a stand-in transport (no connection is made), as a second transport would drive it. A real
 * GroupCallService in Chromium; the camera is a canvas.
 */
import { expect } from 'chai';
import type { GroupCallRoom } from './group-call-room.js';
import { GroupCallService } from './group-call.js';
import type { GroupCallTransport, GroupCallTransportHost } from './group-call-transport.js';
import type { GroupCallFrame } from './group-call-wire.js';
import type { VideoBudget } from './video-budget.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const SELF = 'A'.repeat(64);
const BOB = 'B'.repeat(64);
const CAROL = 'C'.repeat(64);

/** A transport that carries nothing: it says what it was asked, and hears what the test says each one says. */
class StandInTransport implements GroupCallTransport {
  readonly connected = new Set<string>();
  readonly sent: Array<['audio' | 'video', MediaStreamTrack | null]> = [];
  readonly budgets: VideoBudget[] = [];
  readonly levels = new Map<string, number>();
  closed = false;
  constructor(readonly host: GroupCallTransportHost) {}
  connect(device: string): void {
    this.connected.add(device);
  }
  disconnect(device: string): void {
    this.connected.delete(device);
  }
  async sendTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    this.sent.push([kind, track]);
  }
  async audioLevel(device: string): Promise<number | null> {
    return this.connected.has(device) ? (this.levels.get(device) ?? 0) : null;
  }
  async setBudget(budget: VideoBudget): Promise<void> {
    this.budgets.push(budget);
  }
  remoteOffer(): void {}
  remoteTrack(): void {}
  close(): void {
    this.closed = true;
  }
}

/** A room with Bob and Carol online and no connection to them, whose camera is a canvas. */
function room(sent: Array<[string, GroupCallFrame]>, wanted: string[] = []): GroupCallRoom {
  navigator.mediaDevices.getUserMedia = async () => document.createElement('canvas').captureStream();
  return {
    self: SELF,
    send: (device, frame) => (sent.push([device, frame]), true),
    link: () => null,
    want: (device) => void wanted.push(device),
    name: (device) => (device === BOB ? 'Bob' : 'Carol'),
    online: () => [BOB, CAROL],
    busy: () => false,
    record: async () => undefined,
    remember: () => undefined,
    remembered: () => null,
  };
}

/** A service in that room, over a stand-in transport. */
function groupCalls(): { calls: GroupCallService; sent: Array<[string, GroupCallFrame]>; transport: () => StandInTransport } {
  const sent: Array<[string, GroupCallFrame]> = [];
  let made: StandInTransport | null = null;
  const calls = new GroupCallService(room(sent), async (_media, host) => (made = new StandInTransport(host)));
  return { calls, sent, transport: () => made! };
}

/** Bob or Carol says they are in the call. */
function joins(calls: GroupCallService, device: string, since: number, muted = false): void {
  calls.receive(device, { t: 'gcall-state', call: calls.current!.id, in: true, since, muted, camera: true, screen: false, away: false });
}

const polls = (count: number) => new Promise((resolve) => setTimeout(resolve, count * 400 + 100));

describe('GroupCallService over a transport', () => {
  it('gives everyone who says they are in a tile, connects them, and shows what arrives from them', async () => {
    const { calls, transport } = groupCalls();
    await calls.start();
    joins(calls, BOB, 1);
    joins(calls, CAROL, 2);
    expect(calls.current!.participants.map((p) => p.device)).to.deep.equal([BOB, CAROL]);
    expect([...transport().connected]).to.deep.equal([BOB, CAROL]);
    const track = document.createElement('canvas').captureStream().getVideoTracks()[0]!;
    transport().host.received(BOB, [track]);
    expect(calls.current!.participant(BOB)!.stream.getTracks()).to.deep.equal([track]);
    await calls.leave();
  });

  it('makes the loudest the speaker, never someone muted, and keeps each copy within the budget for the peers', async () => {
    const { calls, transport } = groupCalls();
    await calls.start();
    joins(calls, BOB, 1, true);
    joins(calls, CAROL, 2);
    transport().levels.set(BOB, 0.5).set(CAROL, 0.1);
    await polls(3);
    expect(calls.current!.speaker).to.equal(CAROL);
    expect(transport().budgets.at(-1)).to.deep.equal({ maxBitrate: 900_000, scaleResolutionDownBy: 1.5 });
    await calls.leave();
  });

  it('takes away the tile of someone who leaves, and no longer sends to them', async () => {
    const { calls, transport } = groupCalls();
    await calls.start();
    joins(calls, BOB, 1);
    joins(calls, CAROL, 2);
    calls.receive(BOB, { t: 'gcall-state', call: calls.current!.id, in: false, since: 1, muted: false, camera: true, screen: false, away: false });
    expect(calls.current!.participants.map((p) => p.device)).to.deep.equal([CAROL]);
    expect([...transport().connected]).to.deep.equal([CAROL]);
    await calls.leave();
  });

  it('shows someone whose connection dropped as reconnecting, and connects them again when it is back', async () => {
    const { calls, transport } = groupCalls();
    await calls.start();
    joins(calls, BOB, 1);
    calls.channelClosed(BOB);
    expect(calls.current!.participant(BOB)!.reconnecting).to.equal(true);
    transport().connected.clear();
    calls.channelOpened(BOB);
    expect(calls.current!.participant(BOB)!.reconnecting).to.equal(false);
    expect([...transport().connected]).to.deep.equal([BOB]);
    await calls.leave();
  });

  it('sends camera off through the transport, and tells the others', async () => {
    const { calls, sent, transport } = groupCalls();
    await calls.start();
    joins(calls, BOB, 1);
    await calls.setCamera(false);
    expect(transport().sent).to.deep.include(['video', null]);
    expect(sent.at(-1)).to.deep.equal([CAROL, { t: 'gcall-state', call: calls.current!.id, in: true, since: calls.current!.joinedAt, muted: false, camera: false, screen: false, away: false }]);
    await calls.leave();
  });

  it('on leaving, lets go of everyone and closes the transport, and says so to the room', async () => {
    const { calls, sent, transport } = groupCalls();
    await calls.start();
    joins(calls, BOB, 1);
    const id = calls.current!.id;
    await calls.leave();
    expect(transport().connected.size).to.equal(0);
    expect(transport().closed).to.equal(true);
    expect(sent.filter(([, frame]) => frame.t === 'gcall-state' && !frame.in).map(([device]) => device)).to.deep.equal([BOB, CAROL]);
    expect(calls.current).to.equal(null);
    expect(calls.underWay).to.deep.equal({ call: id, devices: [BOB] });
  });
});

describe('GroupCallService over the mesh (its transport unless told otherwise)', () => {
  it('asks the room for a connection to each participant it has none with', async () => {
    const wanted: string[] = [];
    const calls = new GroupCallService(room([], wanted));
    await calls.start();
    wanted.length = 0;
    joins(calls, BOB, 1);
    expect(wanted).to.deep.equal([BOB]);
    await calls.leave();
  });
});
