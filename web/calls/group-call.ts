/**
 * The room's call: who is in, who speaks, what each tile shows, and the video budget. Its media travels
 * through a GroupCallTransport (group-call-transport.ts): by default the mesh (mesh-transport.ts), each
 * person sending to each other directly over the connections the room already has, for up to four people.
 *
 * Nobody holds the call: each participant says where it stands (`gcall-state`) to every member it is
 * connected to, again whenever that changes and whenever a channel opens; so everyone learns who is in,
 * and a member who comes later sees "Join call". Two people who call the room at the same moment end in
 * one call: the call with the smaller id wins, and those in the other move to it.
 *
 * Each sender's video bitrate and resolution shrink with the number of peers (video-budget.ts), so that
 * four people on a phone uplink stay usable (docs/architecture.md, "Group calls"). The active speaker is
 * the loudest of what the transport hears from each participant (active-speaker.ts).
 */
import { randomId } from '../identity/random-id.js';
import { callEntry } from './call-history.js';
import { askToAnnounceCalls, closeCallNotification, showCallNotification } from './call-notification.js';
import { RING_TIMEOUT_MS } from './call-state.js';
import type { GroupCallRoom } from './group-call-room.js';
import { CALL_FULL, groupCallLimit, GroupCallRoster, MAX_GROUP_CALL } from './group-call-roster.js';
import { GroupCall } from './group-call-state.js';
import type { GroupCallTiles } from './group-call-tiles.js';
import type { GroupCallTransportFactory } from './group-call-transport.js';
import type { GroupCallFrame } from './group-call-wire.js';
import { acquireMedia, stopTracks } from './local-media.js';
import { OwnMediaService } from './own-media-service.js';
import type { OwnMediaHost } from './own-media.js';
import { Ringtone } from './ringtone.js';

export { MAX_GROUP_CALL } from './group-call-roster.js';
export { GroupCall, type GroupCallPhase, type Participant } from './group-call-state.js';

/** How long a page that was reloaded mid-call waits to hear that its call goes on before it forgets it. */
const REJOIN_WINDOW_MS = 15_000;

export interface GroupCallEventMap {
  /** The call, its participants, their media or the active speaker changed. */
  'wh-group-call': CustomEvent<void>;
  /** Something the person should be told about the call, in words. */
  'wh-call-notice': CustomEvent<string>;
}

export class GroupCallService extends OwnMediaService<GroupCall, GroupCallEventMap> {
  readonly #room: GroupCallRoom;
  readonly #transports: GroupCallTransportFactory;
  /** The joined call's tiles and its transport, once its own media is acquired. */
  #tiles: GroupCallTiles | null = null;
  readonly #ringtone = new Ringtone();
  #current: GroupCall | null = null;
  readonly #roster = new GroupCallRoster();
  /** Members this device is to ring for its call whose channel was not open: rung when it opens. */
  readonly #toRing = new Set<string>();
  /** Members this device rang who have neither joined nor declined. */
  readonly #ringing = new Set<string>();
  /** The call this page was in before it was reloaded: joined again as soon as a member says it goes on. */
  #rejoin: string | null;
  readonly #media: OwnMediaHost<GroupCall> = {
    isCurrent: (call) => this.#current === call,
    sendTrack: async (call, kind, track) => {
      if (this.#tiles?.call === call) await this.#tiles.sendTrack(kind, track);
    },
    changed: (call, tell) => {
      if (tell) this.#announce(call);
      this.#changed();
    },
    notice: (text) => this.emit('wh-call-notice', text),
  };

  /** `transports`: how a joined call's media travels; the mesh over the room's connections unless said. */
  constructor(room: GroupCallRoom, transports: GroupCallTransportFactory = (media, host) => import('./mesh-transport.js').then(({ MeshTransport }) => new MeshTransport(room, media, host))) {
    super();
    this.#room = room;
    this.#transports = transports;
    this.#rejoin = room.remembered();
    if (this.#rejoin) {
      setTimeout(() => {
        if (this.#rejoin) room.remember((this.#rejoin = null));
      }, REJOIN_WINDOW_MS);
    }
  }

  /** The call ringing here or joined here. */
  get current(): GroupCall | null {
    return this.#current;
  }

  protected answered(call: GroupCall): boolean {
    return call.phase === 'joined';
  }

  /** A call under way in the room that this device is not in: its id and who is in it (for "Join call"). */
  get underWay(): { call: string; devices: string[] } | null {
    return this.#current?.phase === 'joined' ? null : this.#roster.underWay;
  }

  /** Why this device cannot start or join the room's call now, in words; null when it can. */
  refusal(): string | null {
    if (this.#room.busy()) return 'You are in a call already.';
    if (!this.underWay && this.#room.online().length === 0) return 'No one else is online in this room.';
    return this.limit();
  }

  /** Why the room's call cannot take this device, when it is the mesh's size: the call is full, or too many are online to start one. */
  limit(): string | null {
    return groupCallLimit(this.underWay, this.#room.online().length + 1);
  }

  /**
   * Whether a connection to the member is needed for the call: in a call, to everyone online (so that who
   * is in reaches everyone, and who comes later sees "Join call"); while it rings here, to the one ringing.
   */
  involves(device: string): boolean {
    const call = this.#current;
    return !!call && (call.phase === 'joined' || call.ringer === device);
  }

  /** "Call the room": joins the call under way, or starts one and rings everyone online. */
  async start(): Promise<void> {
    if (this.#current?.phase === 'joined' || this.refusal()) return;
    if (this.underWay) return this.join();
    askToAnnounceCalls();
    const call = new GroupCall(randomId(16), 'joined', null, this.#media);
    this.#enter(call);
    for (const device of this.#room.online()) this.#toRing.add(device);
    this.#ringtone.start('outgoing');
    call.timers.push(
      setTimeout(() => {
        if (this.#current === call && !call.answered) void this.#finish(call, 'No one joined the call.');
      }, RING_TIMEOUT_MS),
    );
    if (!(await this.#acquire(call))) return;
    for (const device of this.#toRing) this.#ring(call, device);
  }

  /** Joins the call ringing here, or the one under way ("Join call"). */
  async join(): Promise<void> {
    const ringing = this.#current?.phase === 'incoming' ? this.#current : null;
    const id = ringing?.id ?? this.underWay?.call;
    if (!id || this.#room.busy()) return;
    if (!ringing && this.refusal()) return;
    askToAnnounceCalls();
    if (ringing) this.#stopRinging(ringing);
    const call = new GroupCall(id, 'joined', ringing?.ringer ?? null, this.#media);
    this.#enter(call);
    await this.#acquire(call);
  }

  /** Not now: the ringing stops; the call stays open to join. */
  decline(): void {
    const call = this.#current;
    if (call?.phase !== 'incoming') return;
    if (call.ringer) this.#room.send(call.ringer, { t: 'gcall-decline', call: call.id });
    this.#missed(call);
  }

  /** Leaves the call (the others go on). */
  async leave(): Promise<void> {
    const call = this.#current;
    if (!call) return;
    if (call.phase === 'incoming') return this.decline();
    await this.#finish(call, '');
  }

  /** A click on the incoming-call notification, passed on by the service worker. */
  async notificationAction(id: string, action: 'accept' | 'decline' | 'open'): Promise<boolean> {
    if (this.#current?.id !== id || this.#current.phase !== 'incoming') return false;
    if (action === 'accept') await this.join();
    else if (action === 'decline') this.decline();
    return true;
  }

  // ---- from the room session ----

  receive(device: string, frame: GroupCallFrame): void {
    switch (frame.t) {
      case 'gcall-ring':
        this.#rung(device, frame.call);
        return;
      case 'gcall-decline': {
        const call = this.#current;
        if (call?.id !== frame.call || call.phase !== 'joined' || !this.#ringing.delete(device)) return;
        // Everyone rung said no before anyone joined: the call is over.
        if (!call.answered && this.#ringing.size === 0 && this.#toRing.size === 0) void this.#finish(call, 'No one joined the call: everyone declined.');
        else this.emit('wh-call-notice', `${this.#room.name(device)} declined the call.`);
        return;
      }
      case 'gcall-idle':
        if (this.#roster.forget(device)) this.#settle();
        return;
      case 'gcall-state':
        this.#roster.said(device, frame);
        if (frame.in) this.#ringing.delete(device);
        this.#toRing.delete(device);
        if (frame.in && frame.call === this.#rejoin && this.#current?.phase !== 'joined') {
          this.#rejoin = null;
          this.#settle();
          void this.join();
          return;
        }
        this.#settle();
        return;
    }
  }

  /** The member's connection opened (or opened again). */
  channelOpened(device: string): void {
    const call = this.#current;
    if (call?.phase !== 'joined') {
      // Back from a reload mid-call, this page is about to join again: the others keep it meanwhile.
      if (!this.#rejoin) this.#room.send(device, { t: 'gcall-idle' });
      return;
    }
    // Joining: its state goes to everyone once its media is there.
    if (!call.local) return;
    this.#send(call, device);
    if (this.#toRing.has(device)) this.#ring(call, device);
    this.#tiles?.reopened(device);
  }

  /** The member's connection closed: kept in the call for a while, as they may be back (a network drop, a reload). */
  channelClosed(device: string): void {
    if (!this.#tiles?.dropped(device)) return;
    this.#room.want(device);
    this.#changed();
  }

  /** The remote side offered a (re)negotiation: put our tracks into its transceivers before answering. */
  remoteOffer(device: string): void {
    this.#tiles?.remoteOffer(device);
  }

  remoteTrack(device: string): void {
    this.#tiles?.remoteTrack(device);
  }

  /**
   * The member left the room: out of any call too. A participant is kept for a while, as a page that
   * reloads leaves the room and comes back, and joins its call again by itself.
   */
  peerLeft(device: string): void {
    this.#toRing.delete(device);
    this.#ringing.delete(device);
    if (this.#current?.participant(device)) return this.channelClosed(device);
    if (!this.#roster.forget(device) && this.#current?.ringer !== device) return;
    this.#settle();
  }

  /**
   * The page goes away (closed, reloaded, or the room left): media is released, and nothing is said to the
   * others, who keep this device in the call for a while; a reload joins it again (see `remembered`).
   */
  stop(): void {
    const call = this.#current;
    this.#ringtone.stop();
    if (!call) return;
    this.#current = null;
    this.#clearTimers(call);
    this.#reset();
    this.#endTiles(false);
    call.release();
    this.#changed();
  }

  // ---- internals ----

  #enter(call: GroupCall): void {
    this.#current = call;
    call.joinedAt = Date.now();
    this.#changed();
  }

  /**
   * Microphone and camera for the call, then everyone hears that this device is in. The tiles and the
   * transport load meanwhile, with the first call joined: they are no part of the first screen.
   */
  async #acquire(call: GroupCall): Promise<boolean> {
    const [{ stream, notice }, { GroupCallTiles }, transport] = await Promise.all([
      acquireMedia(true),
      import('./group-call-tiles.js'),
      this.#transports(call, {
        received: (device, tracks) => {
          if (this.#tiles?.call === call) this.#tiles.received(device, tracks);
        },
      }),
    ]);
    if (this.#current !== call) {
      stopTracks(stream);
      transport.close();
      return false;
    }
    this.#tiles = new GroupCallTiles(call, transport, {
      changed: () => this.#changed(),
      gone: (device) => {
        this.#roster.forget(device);
        this.#settle();
      },
    });
    call.useLocal(stream, notice);
    this.#room.remember(call.id);
    this.#announce(call);
    // Who else is in comes with each member's channel: connect to everyone online.
    for (const device of this.#room.online()) if (!this.#room.link(device)) this.#room.want(device);
    this.#settle();
    return true;
  }

  #rung(device: string, id: string): void {
    const current = this.#current;
    if (current?.id === id) return;
    // In the room's call already, or ringing for it: a call rung at the same moment merges by its state frames.
    if (current) return;
    if (this.#room.busy()) {
      this.#room.send(device, { t: 'gcall-decline', call: id });
      return;
    }
    const call = new GroupCall(id, 'incoming', device, this.#media);
    this.#current = call;
    this.#ringtone.start('incoming');
    const name = this.#room.name(device);
    if (document.visibilityState !== 'visible') void showCallNotification(id, name, true, device, true).catch(() => undefined);
    call.timers.push(
      setTimeout(() => {
        if (this.#current === call && call.phase === 'incoming') this.#missed(call);
      }, RING_TIMEOUT_MS),
    );
    this.#changed();
  }

  #ring(call: GroupCall, device: string): void {
    if (!this.#room.send(device, { t: 'gcall-ring', call: call.id })) return this.#room.want(device);
    this.#toRing.delete(device);
    this.#ringing.add(device);
  }

  /** The call rang here and was not joined: it ends here, a missed call in the room's history. */
  #missed(call: GroupCall): void {
    this.#stopRinging(call);
    this.#current = null;
    void this.#record(call, 'Missed group call');
    this.#changed();
  }

  #stopRinging(call: GroupCall): void {
    this.#clearTimers(call);
    this.#ringtone.stop();
    void closeCallNotification(call.id).catch(() => undefined);
  }

  /** Tells every connected member where this device stands in the call. */
  #announce(call: GroupCall): void {
    for (const device of this.#room.online()) this.#send(call, device);
  }

  #send(call: GroupCall, device: string, inCall = true): void {
    this.#room.send(device, {
      t: 'gcall-state',
      call: call.id,
      in: inCall,
      since: call.joinedAt ?? 0,
      muted: call.muted,
      camera: call.cameraOn,
      screen: call.screen,
      away: call.away,
    });
  }

  /**
   * Brings the call in line with what the members said: merges into a call with a smaller id, adds and
   * removes participants (media attached and detached), ends a ringing call no one is in any more.
   */
  #settle(): void {
    const call = this.#current;
    if (!call) return this.#changed();
    if (call.phase === 'incoming') {
      // Everyone left before this device answered.
      if (!this.#roster.holds(call.id)) return this.#missed(call);
      return this.#changed();
    }
    const tiles = this.#tiles;
    if (!call.local || tiles?.call !== call) return this.#changed();
    const smaller = this.#roster.smallest(call.id);
    if (smaller) {
      // Someone called the room at the same moment: everyone ends in the call with the smaller id.
      call.id = smaller;
      this.#room.remember(call.id);
      this.#announce(call);
    }
    // Full: the first four to join keep the call; a fifth that came at the same moment leaves it.
    const { ahead, members } = this.#roster.seats(call.id, this.#room.self, call.joinedAt ?? 0);
    if (ahead >= MAX_GROUP_CALL) {
      void this.#finish(call, CALL_FULL);
      return;
    }
    if (tiles.seat(members.slice(0, MAX_GROUP_CALL - 1)) && !call.answered) {
      call.answered = true;
      this.#clearTimers(call);
      this.#ringtone.stop();
    }
    // Everyone else left: the call is over for this device too.
    if (call.answered && call.participants.length === 0) {
      void this.#finish(call, 'Everyone else left the call.');
      return;
    }
    this.#changed();
  }

  async #finish(call: GroupCall, notice: string): Promise<void> {
    if (this.#current !== call) return;
    this.#current = null;
    this.#clearTimers(call);
    this.#ringtone.stop();
    this.#reset();
    this.#room.remember(null);
    if (call.local) for (const device of this.#room.online()) this.#send(call, device, false);
    this.#endTiles(true);
    call.release();
    this.#changed();
    if (notice) this.emit('wh-call-notice', notice);
    await this.#record(call, call.answered ? 'Group call' : 'Group call, no one joined');
  }

  /** Nothing of a call's ringing stays: who was to be rung, who was rung. */
  #reset(): void {
    this.#toRing.clear();
    this.#ringing.clear();
  }

  /** `release`: nothing more goes to anyone (the call ended here, rather than the page going away). */
  #endTiles(release: boolean): void {
    this.#tiles?.end(release);
    this.#tiles = null;
  }

  async #record(call: GroupCall, text: string): Promise<void> {
    const incoming = call.phase === 'incoming';
    const outcome = incoming ? 'missed' : call.answered ? 'answered' : 'failed';
    await this.#room.record(callEntry(call.id, incoming ? 'in' : 'out', text, { video: true, outcome }, call.answered ? call.joinedAt : null));
  }

  #clearTimers(call: GroupCall): void {
    for (const timer of call.timers) clearTimeout(timer);
    call.timers = [];
  }

  #changed(): void {
    this.emit('wh-group-call', undefined);
  }
}
