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
import { TypedEventTarget } from '../events/typed-event-target.js';
import { randomId } from '../identity/random-id.js';
import type { PeerLink } from '../peers/peer-link.js';
import type { StoredMessage } from '../storage/database.js';
import { ActiveSpeaker, type Heard } from './active-speaker.js';
import { askToAnnounceCalls, closeCallNotification, showCallNotification } from './call-notification.js';
import { RING_TIMEOUT_MS, stopTracks } from './call-service.js';
import { GroupCall, type MemberState } from './group-call-state.js';
import type { GroupCallTransport, GroupCallTransportFactory } from './group-call-transport.js';
import type { GroupCallFrame } from './group-call-wire.js';
import { acquireMedia } from './local-media.js';
import { holdsTracks, type OwnMediaHost } from './own-media.js';
import { Ringtone } from './ringtone.js';
import { videoBudget } from './video-budget.js';

export { GroupCall, type GroupCallPhase, type Participant } from './group-call-state.js';

/** A mesh beyond four people costs each phone more uplink and encoding than it has. */
export const MAX_GROUP_CALL = 4;
/** How long a call may keep a participant whose connection dropped before counting them gone. */
const RECONNECT_TIMEOUT_MS = 20_000;
/** How long a page that was reloaded mid-call waits to hear that its call goes on before it forgets it. */
const REJOIN_WINDOW_MS = 15_000;
/** How often the active speaker is looked for (and the senders' budgets checked). */
const SPEAKER_POLL_MS = 400;

/** What the room gives its call: its members, the channels to them, its history. */
export interface GroupCallRoom {
  /** This device's key. */
  readonly self: string;
  /** Writes a frame to the member's open, verified channel; false when there is none. */
  send(device: string, frame: GroupCallFrame): boolean;
  /** The member's open, verified connection, if any. */
  link(device: string): PeerLink | null;
  /** Asks for a connection to the member. */
  want(device: string): void;
  name(device: string): string;
  /** Members of the room online now (not this device). */
  online(): string[];
  /** A one-to-one call rings or runs on this device. */
  busy(): boolean;
  /** Adds an entry to the room's history. */
  record(message: Omit<StoredMessage, 'conversation'>): Promise<unknown>;
  /** Keeps the call this page is in across a reload of it (null: none), and reads it back. */
  remember(call: string | null): void;
  remembered(): string | null;
}

export interface GroupCallEventMap {
  /** The call, its participants, their media or the active speaker changed. */
  'wh-group-call': CustomEvent<void>;
  /** Something the person should be told about the call, in words. */
  'wh-call-notice': CustomEvent<string>;
}

export class GroupCallService extends TypedEventTarget<GroupCallEventMap> {
  readonly #room: GroupCallRoom;
  readonly #transports: GroupCallTransportFactory;
  /** How the joined call's media travels, once its own media is acquired. */
  #transport: GroupCallTransport | null = null;
  readonly #ringtone = new Ringtone();
  #current: GroupCall | null = null;
  /** What each member last said of a call they are in (members in none are absent). */
  readonly #members = new Map<string, MemberState>();
  /** Members this device is to ring for its call whose channel was not open: rung when it opens. */
  readonly #toRing = new Set<string>();
  /** Members this device rang who have neither joined nor declined. */
  readonly #ringing = new Set<string>();
  /** Reconnect deadlines of participants whose connection dropped. */
  readonly #dropped = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #speakers = new ActiveSpeaker();
  #poll: ReturnType<typeof setInterval> | null = null;
  /** The call this page was in before it was reloaded: joined again as soon as a member says it goes on. */
  #rejoin: string | null;
  readonly #media: OwnMediaHost<GroupCall> = {
    isCurrent: (call) => this.#current === call,
    sendTrack: async (call, kind, track) => {
      if (call.phase === 'joined') await this.#transport?.sendTrack(kind, track);
    },
    changed: (call, tell) => {
      if (tell) this.#announce(call);
      this.#changed();
    },
    notice: (text) => this.emit('wh-call-notice', text),
  };

  /**
   * `transports`: how a joined call's media travels; the mesh over the room's connections unless said, loaded
   * with the first call joined (while the microphone and camera open), as it is no part of the first screen.
   */
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

  /** A call under way in the room that this device is not in: its id and who is in it (for "Join call"). */
  get underWay(): { call: string; devices: string[] } | null {
    const calls = [...this.#members.values()].map((state) => state.call).sort();
    const call = calls[0];
    if (!call || this.#current?.phase === 'joined') return null;
    return { call, devices: [...this.#members].filter(([, state]) => state.call === call).map(([device]) => device) };
  }

  /** Why this device cannot start or join the room's call now, in words; null when it can. */
  refusal(): string | null {
    if (this.#room.busy()) return 'You are in a call already.';
    if (!this.underWay && this.#room.online().length === 0) return 'No one else is online in this room.';
    return this.limit();
  }

  /** Why the room's call cannot take this device, when it is the mesh's size: the call is full, or too many are online to start one. */
  limit(): string | null {
    const underWay = this.underWay;
    if (underWay) {
      return underWay.devices.length >= MAX_GROUP_CALL
        ? `The call is full: a group call connects each person directly to each other, which works for up to ${MAX_GROUP_CALL} people.`
        : null;
    }
    const everyone = this.#room.online().length + 1;
    return everyone > MAX_GROUP_CALL
      ? `Calling the room works for up to ${MAX_GROUP_CALL} people, and ${everyone} are online: a group call connects each person directly to each other, which is more than phones can send. Call people one to one instead.`
      : null;
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
    this.#stopRinging(call);
    this.#current = null;
    void this.#record(call, 'Missed group call');
    this.#changed();
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

  /** The page was hidden or shown again, in the call: see OwnMedia.setAway. */
  async setAway(away: boolean): Promise<void> {
    const call = this.#current;
    if (call?.phase === 'joined') await call.setAway(away);
  }

  setMuted(muted: boolean): void {
    this.#current?.setMuted(muted);
  }

  async setCamera(on: boolean): Promise<void> {
    await this.#current?.setCamera(on);
  }

  async switchCamera(): Promise<void> {
    await this.#current?.switchCamera();
  }

  async setScreenSharing(on: boolean): Promise<void> {
    if (this.#current?.phase === 'joined') await this.#current.setScreenSharing(on);
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
        if (this.#members.delete(device)) this.#settle();
        return;
      case 'gcall-state':
        if (frame.in) {
          this.#members.set(device, { call: frame.call, since: frame.since, muted: frame.muted, camera: frame.camera, screen: frame.screen, away: frame.away === true });
          this.#ringing.delete(device);
        }
        else if (this.#members.get(device)?.call === frame.call) this.#members.delete(device);
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
    const participant = call.participant(device);
    if (!participant) return;
    clearTimeout(this.#dropped.get(device));
    this.#dropped.delete(device);
    participant.reconnecting = false;
    this.#transport?.connect(device);
    this.#changed();
  }

  /** The member's connection closed: kept in the call for a while, as they may be back (a network drop, a reload). */
  channelClosed(device: string): void {
    const participant = this.#current?.participant(device);
    if (!participant || this.#dropped.has(device)) return;
    participant.reconnecting = true;
    this.#dropped.set(
      device,
      setTimeout(() => {
        this.#dropped.delete(device);
        this.#members.delete(device);
        this.#settle();
      }, RECONNECT_TIMEOUT_MS),
    );
    this.#room.want(device);
    this.#changed();
  }

  /** The remote side offered a (re)negotiation: put our tracks into its transceivers before answering. */
  remoteOffer(device: string): void {
    const call = this.#current;
    if (call?.phase === 'joined' && call.participant(device)) this.#transport?.remoteOffer(device);
  }

  remoteTrack(device: string): void {
    const call = this.#current;
    if (call?.phase === 'joined' && call.participant(device)) this.#transport?.remoteTrack(device);
  }

  /**
   * The member left the room: out of any call too. A participant is kept for a while, as a page that
   * reloads leaves the room and comes back, and joins its call again by itself.
   */
  peerLeft(device: string): void {
    this.#toRing.delete(device);
    this.#ringing.delete(device);
    if (this.#current?.participant(device)) return this.channelClosed(device);
    if (!this.#members.delete(device) && this.#current?.ringer !== device) return;
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
    this.#transport?.close();
    this.#transport = null;
    call.release();
    this.#changed();
  }

  // ---- internals ----

  #enter(call: GroupCall): void {
    this.#current = call;
    call.joinedAt = Date.now();
    this.#changed();
  }

  /** Microphone and camera for the call, then everyone hears that this device is in. */
  async #acquire(call: GroupCall): Promise<boolean> {
    const [{ stream, notice }, transport] = await Promise.all([
      acquireMedia(true),
      this.#transports(call, { received: (device, tracks) => this.#received(call, device, tracks) }),
    ]);
    if (this.#current !== call) {
      stopTracks(stream);
      transport.close();
      return false;
    }
    this.#transport = transport;
    call.useLocal(stream, notice);
    this.#room.remember(call.id);
    this.#announce(call);
    // Who else is in comes with each member's channel: connect to everyone online.
    for (const device of this.#room.online()) if (!this.#room.link(device)) this.#room.want(device);
    this.#settle();
    this.#poll ??= setInterval(() => void this.#pollSpeakers(), SPEAKER_POLL_MS);
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
        if (this.#current !== call || call.phase !== 'incoming') return;
        this.#stopRinging(call);
        this.#current = null;
        void this.#record(call, 'Missed group call');
        this.#changed();
      }, RING_TIMEOUT_MS),
    );
    this.#changed();
  }

  #ring(call: GroupCall, device: string): void {
    if (!this.#room.send(device, { t: 'gcall-ring', call: call.id })) return this.#room.want(device);
    this.#toRing.delete(device);
    this.#ringing.add(device);
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
      if (![...this.#members.values()].some((state) => state.call === call.id)) {
        // Everyone left before this device answered.
        this.#stopRinging(call);
        this.#current = null;
        void this.#record(call, 'Missed group call');
      }
      return this.#changed();
    }
    const transport = this.#transport;
    if (!call.local || !transport) return this.#changed();
    const smaller = [...this.#members.values()].map((state) => state.call).filter((id) => id < call.id).sort()[0];
    if (smaller) {
      // Someone called the room at the same moment: everyone ends in the call with the smaller id.
      call.id = smaller;
      this.#room.remember(call.id);
      this.#announce(call);
    }
    const inCall = [...this.#members].filter(([, state]) => state.call === call.id).sort(([a, sa], [b, sb]) => sa.since - sb.since || a.localeCompare(b));
    // Full: the first four to join keep the call; a fifth that came at the same moment leaves it.
    const ownRank = inCall.filter(([device, state]) => state.since < (call.joinedAt ?? 0) || (state.since === call.joinedAt && device < this.#room.self)).length;
    if (ownRank >= MAX_GROUP_CALL) {
      void this.#finish(call, `The call is full: a group call connects each person directly to each other, which works for up to ${MAX_GROUP_CALL} people.`);
      return;
    }
    const wanted = inCall.slice(0, MAX_GROUP_CALL - 1);
    for (const participant of [...call.participants]) {
      if (wanted.some(([device]) => device === participant.device)) continue;
      call.participants = call.participants.filter((p) => p !== participant);
      this.#speakers.forget(participant.device);
      if (call.speaker === participant.device) call.speaker = null;
      transport.disconnect(participant.device);
    }
    for (const [device, state] of wanted) {
      let participant = call.participant(device);
      if (!participant) {
        participant = { device, muted: state.muted, camera: state.camera, screen: state.screen, away: state.away, stream: new MediaStream(), reconnecting: false };
        call.participants = [...call.participants, participant];
        if (!call.answered) {
          call.answered = true;
          this.#clearTimers(call);
          this.#ringtone.stop();
        }
        transport.connect(device);
      }
      Object.assign(participant, { muted: state.muted, camera: state.camera, screen: state.screen, away: state.away });
      // Someone who muted is not speaking: the highlight waits for the next one heard.
      if (state.muted && call.speaker === device) call.speaker = null;
    }
    // Everyone else left: the call is over for this device too.
    if (call.answered && call.participants.length === 0) {
      void this.#finish(call, 'Everyone else left the call.');
      return;
    }
    this.#changed();
  }

  /** What arrives from a participant, on their tile. */
  #received(call: GroupCall, device: string, tracks: MediaStreamTrack[]): void {
    const participant = this.#current === call ? call.participant(device) : undefined;
    if (!participant || holdsTracks(participant.stream, tracks)) return;
    participant.stream = new MediaStream(tracks);
    this.#changed();
  }

  /**
   * Every poll: each participant's audio level, smoothed, and the loudest held for a moment becomes the
   * active speaker; each video sender is kept within the budget for the number of peers.
   */
  async #pollSpeakers(): Promise<void> {
    const call = this.#current;
    const transport = this.#transport;
    if (call?.phase !== 'joined' || !transport) return;
    const levels: Heard[] = [];
    for (const participant of call.participants) {
      const level = await transport.audioLevel(participant.device);
      if (level !== null) levels.push({ device: participant.device, level, muted: participant.muted });
    }
    if (call.participants.length > 0) await transport.setBudget(videoBudget(call.participants.length, call.screen));
    const speaker = this.#speakers.heard(levels, call.speaker);
    if (speaker !== call.speaker) {
      call.speaker = speaker;
      this.#changed();
    }
  }

  async #finish(call: GroupCall, notice: string): Promise<void> {
    if (this.#current !== call) return;
    this.#current = null;
    this.#clearTimers(call);
    this.#ringtone.stop();
    this.#reset();
    this.#room.remember(null);
    if (call.local) for (const device of this.#room.online()) this.#send(call, device, false);
    for (const participant of call.participants) this.#transport?.disconnect(participant.device);
    this.#transport?.close();
    this.#transport = null;
    call.release();
    this.#changed();
    if (notice) this.emit('wh-call-notice', notice);
    await this.#record(call, call.answered ? 'Group call' : 'Group call, no one joined');
  }

  /** Nothing of a call stays: who was to be rung, levels, reconnect deadlines, the poll. */
  #reset(): void {
    this.#toRing.clear();
    this.#ringing.clear();
    this.#speakers.clear();
    for (const timer of this.#dropped.values()) clearTimeout(timer);
    this.#dropped.clear();
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  async #record(call: GroupCall, text: string): Promise<void> {
    const incoming = call.phase === 'incoming';
    const duration = call.answered && call.joinedAt !== null ? Date.now() - call.joinedAt : undefined;
    await this.#room.record({
      id: `${call.id}-${incoming ? 'in' : 'out'}`,
      direction: incoming ? 'in' : 'out',
      text,
      sentAt: Date.now(),
      at: 0,
      status: incoming ? 'delivered' : 'read',
      receiptSent: 1,
      call: { video: true, outcome: incoming ? 'missed' : call.answered ? 'answered' : 'failed', ...(duration !== undefined ? { duration } : {}) },
    });
  }

  #clearTimers(call: GroupCall): void {
    for (const timer of call.timers) clearTimeout(timer);
    call.timers = [];
  }

  #changed(): void {
    this.emit('wh-group-call', undefined);
  }
}
