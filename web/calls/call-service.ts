/**
 * Audio and video calls with the people of a room, on the peer connection the
 * chat already uses: one call at a time.
 *
 * Control (invite, accept, decline, cancel, end, media state) goes over the
 * chat data channel. Media goes in an audio and a video transceiver that the
 * callee adds when it accepts the first call on a connection; that
 * renegotiates the connection (perfect negotiation), and the caller fills
 * the transceivers with its tracks before it answers (`wh-remote-offer`), so
 * media flows both ways after one round trip. Later calls on the same
 * connection reuse the transceivers with `replaceTrack`, and so do camera
 * switches and screen sharing: no renegotiation.
 *
 * Glare (both call each other at once): the invite with the smaller id wins
 * on both sides, and the side whose invite lost accepts the other at once.
 */
import { randomId } from '../identity/random-id.js';
import type { CallOutcome } from '../storage/database.js';
import { callEntry, callText } from './call-history.js';
import { askToAnnounceCalls, closeCallNotification, showCallNotification } from './call-notification.js';
import type { CallRoom } from './call-room.js';
import { Call, RING_TIMEOUT_MS } from './call-state.js';
import type { CallFrame } from './call-wire.js';
import { acquireMedia, stopTracks } from './local-media.js';
import { OwnMediaService } from './own-media-service.js';
import { attachTracks, detachTracks, holdsTracks, receivedTracks, replaceTrack, type OwnMediaHost } from './own-media.js';
import { AnswersAwaitingInvite, type PendingAnswer } from './pending-answer.js';
import { Ringtone } from './ringtone.js';

export interface CallEventMap {
  /** The current call started, changed or ended. */
  'wh-call': CustomEvent<void>;
  /** Something the person should be told about a call (why it ended, a device problem). */
  'wh-call-notice': CustomEvent<string>;
}

export { callText } from './call-history.js';
export { Call, type CallPhase } from './call-state.js';

/** How long to wait for a connection to the person before saying they cannot be reached. */
const REACH_TIMEOUT_MS = 15_000;
/** How long a call may stay without a connection before it is ended. */
const RECONNECT_TIMEOUT_MS = 20_000;
/** A callee whose app has not said it rings by then is rung through a push (their app is closed or frozen). */
export const AWAY_AFTER_MS = 2500;

export class CallService extends OwnMediaService<Call, CallEventMap> {
  readonly #room: CallRoom;
  readonly #ringtone = new Ringtone();
  #current: Call | null = null;
  /** How a call's own media reaches the other side, and who hears of its changes. */
  readonly #media: OwnMediaHost<Call> = {
    isCurrent: (call) => this.#current === call,
    sendTrack: (call, kind, track) => replaceTrack(call.phase === 'active' ? this.#room.link(call.device)?.pc : undefined, kind, track),
    changed: (call, tell) => {
      if (tell) this.#sendMediaState(call);
      this.#changed();
    },
    notice: (text) => this.emit('wh-call-notice', text),
  };

  constructor(room: CallRoom) {
    super();
    this.#room = room;
  }

  get current(): Call | null {
    return this.#current;
  }

  protected answered(call: Call): boolean {
    return call.phase === 'active';
  }

  /** Whether a call with the device is ringing or running (its connection is needed). */
  involves(device: string): boolean {
    return this.#current?.device === device;
  }

  /** Calls accepted on a notification before their invite arrived here. */
  readonly #awaitingInvite = new AnswersAwaitingInvite();

  /** Rings the person. Their connection is made first if needed. */
  async start(device: string, video: boolean): Promise<void> {
    if (this.#current || this.#room.busy()) return;
    askToAnnounceCalls();
    this.#room.optIn();
    const call = new Call(randomId(16), device, 'out', video, 'outgoing', this.#media);
    this.#current = call;
    this.#ringtone.start('outgoing');
    call.timers.push(
      setTimeout(() => {
        if (this.#current === call && !call.inviteSent) void this.#finish(call, 'failed', `${this.#room.name(device)} could not be reached.`);
      }, REACH_TIMEOUT_MS),
    );
    this.#changed();
    const { stream, notice } = await acquireMedia(video);
    const merged = this.#current?.mergedFrom === call ? this.#current : null;
    if (merged) {
      // They called us meanwhile and their call won: it goes on with this media.
      merged.useLocal(stream, notice);
      this.#answer(merged);
      return;
    }
    if (this.#current !== call) {
      stopTracks(stream);
      return;
    }
    call.useLocal(stream, notice);
    this.#sendInvite(call);
    if (!call.inviteSent) this.#room.want(device);
    // Offline, or their app does not say it rings: their phone may have closed it. Ring it through a push.
    call.timers.push(setTimeout(() => void this.#ringAway(call), call.inviteSent ? AWAY_AFTER_MS : 0));
  }

  /**
   * "Accept" on a notification (recorded by the service worker, see pending-answer.ts): answer that call as
   * soon as its invite comes, from that device, within its ringing window (the caller keeps ringing while this
   * app starts and connects). Nothing else answers a call without the person's click on this page.
   */
  answerWhenInvited(answer: PendingAnswer): void {
    const current = this.#current;
    if (current?.id === answer.call && current.device === answer.device && current.phase === 'incoming' && Date.now() < answer.until) {
      void this.accept();
      return;
    }
    this.#awaitingInvite.keep(answer);
  }

  /** The callee declined from a notification, with their app closed (through the server). */
  declinedAway(id: string): void {
    const call = this.#current;
    if (call?.id === id && call.direction === 'out' && call.phase === 'outgoing') void this.#finish(call, 'declined');
  }

  async #ringAway(call: Call): Promise<void> {
    if (this.#current !== call || call.phase !== 'outgoing' || call.ringing || call.pushed) return;
    call.pushed = true;
    if (!(await this.#room.ringAway(call))) {
      call.pushed = false;
      return;
    }
    if (this.#current !== call || call.phase !== 'outgoing') return;
    // Their app must start, join and connect: the call rings for the full time from now.
    this.#clearTimers(call);
    call.timers.push(
      setTimeout(() => {
        if (this.#current !== call || call.phase !== 'outgoing') return;
        if (call.inviteSent) this.#room.send(call.device, { t: 'call-cancel', call: call.id, reason: 'timeout' });
        void this.#finish(call, 'missed', `${this.#room.name(call.device)} did not answer.`);
      }, RING_TIMEOUT_MS),
    );
    this.#changed();
  }

  /** The person answers the ringing call. */
  async accept(): Promise<void> {
    const call = this.#current;
    if (!call || call.phase !== 'incoming') return;
    askToAnnounceCalls();
    this.#room.optIn();
    this.#ringtone.stop();
    void closeCallNotification(call.id);
    call.phase = 'active';
    call.answeredAt = Date.now();
    this.#changed();
    const { stream, notice } = await acquireMedia(call.video);
    if (this.#current !== call) {
      stopTracks(stream);
      return;
    }
    call.useLocal(stream, notice);
    this.#answer(call);
  }

  async decline(): Promise<void> {
    const call = this.#current;
    if (!call || call.phase !== 'incoming') return;
    this.#room.send(call.device, { t: 'call-decline', call: call.id, reason: 'declined' });
    await this.#finish(call, 'declined');
  }

  /** Cancel (while ringing) or hang up. */
  async hangUp(): Promise<void> {
    const call = this.#current;
    if (!call) return;
    if (call.phase === 'incoming') return this.decline();
    if (call.phase === 'outgoing') {
      if (call.inviteSent) this.#room.send(call.device, { t: 'call-cancel', call: call.id, reason: 'cancelled' });
      await this.#finish(call, 'cancelled');
      return;
    }
    this.#room.send(call.device, { t: 'call-end', call: call.id });
    await this.#finish(call, 'answered');
  }

  /**
   * A click on the notification of the call ringing here, passed on by the service worker. (An Accept of a
   * call that has not rung here yet comes as the worker's record instead: `answerWhenInvited`.)
   */
  async notificationAction(id: string, action: 'accept' | 'decline' | 'open'): Promise<void> {
    if (this.#current?.id !== id) return;
    if (action === 'accept') await this.accept();
    else if (action === 'decline') await this.decline();
  }

  // ---- from the room session ----

  receive(device: string, frame: CallFrame): void {
    const call = this.#current?.device === device && this.#current.id === frame.call ? this.#current : null;
    if (!call && (frame.t === 'call-media' || frame.t === 'call-accept')) {
      // An answered call that is not (or no longer) going on here: its end was lost on the way (written to a
      // connection that died, or sent while none was open), and the other side would stay in it for ever.
      // Said again. (A ring for a call that is not going on here stops at its own timeout, or at this end
      // once the callee accepts it.)
      this.#room.send(device, { t: 'call-end', call: frame.call });
      return;
    }
    switch (frame.t) {
      case 'call-invite':
        this.#invited(device, frame.call, frame.video);
        return;
      case 'call-ringing':
        if (call?.phase === 'outgoing') call.ringing = true;
        return;
      case 'call-accept':
        if (call?.phase === 'outgoing') this.#accepted(call);
        return;
      case 'call-decline':
        if (call?.phase === 'outgoing') void this.#finish(call, frame.reason === 'busy' ? 'busy' : 'declined');
        return;
      case 'call-cancel':
        if (call?.phase === 'incoming') void this.#finish(call, 'missed');
        else if (call) void this.#finish(call, 'answered');
        return;
      case 'call-end':
        if (call) void this.#finish(call, call.phase === 'active' ? 'answered' : 'missed');
        return;
      case 'call-media':
        if (!call) return;
        call.remoteMuted = frame.muted;
        call.remoteCameraOn = frame.camera;
        call.remoteScreen = frame.screen;
        call.remoteAway = frame.away === true;
        this.#changed();
        return;
    }
  }

  /** The device's connection opened (or opened again). */
  channelOpened(device: string): void {
    const call = this.#current;
    if (call?.device !== device) return;
    if (call.phase === 'outgoing') {
      // An invite written to a connection that was then replaced may never have arrived: say it again
      // (the callee knows a call by its id, so a repeat rings nothing twice).
      call.inviteSent = false;
      this.#sendInvite(call);
    }
    if (call.phase !== 'active') return;
    call.reconnecting = false;
    // A new connection has no transceivers: the callee adds them again, the caller fills them. Each side says
    // the call goes on (call-accept, call-media), so a side whose call ended meanwhile answers with its end.
    if (call.direction === 'in') this.#answer(call);
    else {
      this.#attach(call, false);
      this.#sendMediaState(call);
    }
    this.#changed();
  }

  channelClosed(device: string): void {
    const call = this.#current;
    if (call?.device !== device || call.phase !== 'active') return;
    call.reconnecting = true;
    call.timers.push(
      setTimeout(() => {
        if (this.#current === call && call.reconnecting) void this.#finish(call, 'answered', 'The call ended: the connection was lost.');
      }, RECONNECT_TIMEOUT_MS),
    );
    this.#room.want(device);
    this.#changed();
  }

  /** The remote side offered a (re)negotiation: put our tracks into its transceivers before answering. */
  remoteOffer(device: string): void {
    const call = this.#current;
    if (call?.device === device && call.phase === 'active') this.#attach(call, false);
  }

  /** Remote media arrived on the device's connection. */
  remoteTrack(device: string): void {
    const call = this.#current;
    if (call?.device === device) this.#refreshRemote(call);
  }

  /** The person left the room. */
  peerLeft(device: string): void {
    const call = this.#current;
    if (call?.device !== device) return;
    const name = this.#room.name(device);
    if (call.phase === 'active') void this.#finish(call, 'answered', `The call ended: ${name} left.`);
    else void this.#finish(call, call.direction === 'in' ? 'missed' : 'failed', call.direction === 'out' ? `${name} left before answering.` : '');
  }

  /** Leaving the room: hang up whatever is going on. */
  stop(): void {
    if (this.#current) void this.hangUp();
    this.#ringtone.stop();
  }

  // ---- internals ----

  #invited(device: string, id: string, video: boolean): void {
    const current = this.#current;
    if (current?.device === device && current.id === id) return;
    if (current?.device === device && current.direction === 'out' && current.phase === 'outgoing') {
      // Both called each other: the smaller id wins on both sides.
      if (current.id < id) return;
      this.#clearTimers(current);
      const call = new Call(id, device, 'in', video || current.video, 'active', this.#media);
      call.answeredAt = Date.now();
      call.mergedFrom = current;
      this.#current = call;
      this.#ringtone.stop();
      // Our media may still be on its way (start() hands it over then).
      if (current.local) {
        call.useLocal(current.local, current.notice);
        this.#answer(call);
      }
      this.#changed();
      return;
    }
    if (current || this.#room.busy()) {
      this.#room.send(device, { t: 'call-decline', call: id, reason: 'busy' });
      void this.#record(new Call(id, device, 'in', video, 'incoming', this.#media), 'missed');
      return;
    }
    const call = new Call(id, device, 'in', video, 'incoming', this.#media);
    this.#current = call;
    this.#room.send(device, { t: 'call-ringing', call: id });
    if (this.#awaitingInvite.take(id, device)) {
      // Accepted on the notification already.
      this.#changed();
      void this.accept();
      return;
    }
    this.#ringtone.start('incoming');
    if (document.visibilityState !== 'visible') void showCallNotification(id, this.#room.name(device), video, device).catch(() => undefined);
    // The caller's own timeout normally ends it; this one covers a caller that vanished.
    call.timers.push(
      setTimeout(() => {
        if (this.#current === call && call.phase === 'incoming') void this.#finish(call, 'missed');
      }, RING_TIMEOUT_MS + 5000),
    );
    this.#changed();
  }

  #sendInvite(call: Call): void {
    if (call.inviteSent || !call.local) return;
    if (!this.#room.send(call.device, { t: 'call-invite', call: call.id, video: call.video })) return;
    call.inviteSent = true;
    this.#clearTimers(call);
    call.timers.push(
      setTimeout(() => {
        if (this.#current !== call || call.phase !== 'outgoing') return;
        this.#room.send(call.device, { t: 'call-cancel', call: call.id, reason: 'timeout' });
        void this.#finish(call, 'missed', `${this.#room.name(call.device)} did not answer.`);
      }, RING_TIMEOUT_MS),
    );
  }

  #accepted(call: Call): void {
    this.#clearTimers(call);
    this.#ringtone.stop();
    call.phase = 'active';
    call.answeredAt = Date.now();
    this.#attach(call, false);
    this.#sendMediaState(call);
    this.#changed();
  }

  /** Callee: adds (or fills) the transceivers, which starts the media, and says so. */
  #answer(call: Call): void {
    if (!this.#room.link(call.device)) {
      this.#room.want(call.device);
      return;
    }
    this.#attach(call, true);
    this.#room.send(call.device, { t: 'call-accept', call: call.id });
    this.#sendMediaState(call);
  }

  /** Puts the call's tracks into the connection's transceivers, creating them (callee) when it has none yet. */
  #attach(call: Call, create: boolean): void {
    const link = this.#room.link(call.device);
    if (!link) return;
    attachTracks(link.pc, call, create);
    this.#refreshRemote(call);
  }

  #refreshRemote(call: Call): void {
    const link = this.#room.link(call.device);
    if (!link) return;
    const tracks = receivedTracks(link.pc, call.kinds);
    if (holdsTracks(call.remote, tracks)) return;
    call.remote = new MediaStream(tracks);
    this.#changed();
  }

  #sendMediaState(call: Call): void {
    this.#room.send(call.device, { t: 'call-media', call: call.id, muted: call.muted, camera: call.cameraOn, screen: call.screen, away: call.away });
  }

  async #finish(call: Call, outcome: CallOutcome, message?: string): Promise<void> {
    if (this.#current !== call) return;
    this.#current = null;
    // Rung through a push and never answered: the callee's phone shows a missed call instead of the ringing.
    if (call.pushed && call.phase === 'outgoing' && (outcome === 'missed' || outcome === 'cancelled' || outcome === 'failed')) this.#room.ringEnded(call);
    this.#clearTimers(call);
    this.#ringtone.stop();
    void closeCallNotification(call.id).catch(() => undefined);
    const link = this.#room.link(call.device);
    if (link) detachTracks(link.pc);
    call.release();
    this.#changed();
    const name = this.#room.name(call.device);
    const notice = message ?? (call.direction === 'out' ? { busy: `${name} is in another call.`, declined: `${name} declined the call.` }[outcome as 'busy' | 'declined'] : undefined);
    if (notice) this.emit('wh-call-notice', notice);
    await this.#record(call, outcome);
  }

  async #record(call: Call, outcome: CallOutcome): Promise<void> {
    const entry = callEntry(call.id, call.direction, callText(outcome, call.direction === 'in', call.video), { video: call.video, outcome }, outcome === 'answered' ? call.answeredAt : null);
    await this.#room.record({ ...entry, conversation: call.device });
  }

  #clearTimers(call: Call): void {
    for (const timer of call.timers) clearTimeout(timer);
    call.timers = [];
  }

  #changed(): void {
    this.emit('wh-call', undefined);
  }
}

