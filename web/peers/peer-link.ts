/**
 * One RTCPeerConnection to one other device, with its "chat" data channel.
 *
 * Negotiation follows the "perfect negotiation" pattern: both sides may offer
 * at any time; on a collision the impolite side ignores the other's offer and
 * the polite side rolls back and answers. The channel is negotiated (id 0) so
 * both sides create it and neither waits for the other's `datachannel` event.
 * A path that fails is repaired with an ICE restart. An offer whose answer does not come (a signal server
 * restarting, a WebSocket that died unnoticed) is made again, or every later negotiation (a call's media)
 * would wait behind it for ever; offers are numbered so that a late answer to an earlier one is not applied.
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import type { PeerId, SignalData } from '../../signal/protocol/messages.js';
import { randomId } from '../identity/random-id.js';
import { descriptionKeyProblem, handshakeKeys } from '../identity/device-proof.js';
import { parsePeerSignal, type PeerSignal } from './peer-signal.js';

export interface PeerLinkOptions {
  remoteId: PeerId;
  /** The device key the server announced for the peer: the only one this connection may reach. */
  device: string;
  polite: boolean;
  certificate: RTCCertificate;
  iceServers: RTCIceServer[];
  relayOnly: boolean;
  sendSignal(data: SignalData): void;
}

export interface PeerLinkEventMap {
  /** Both channels are open, to the announced device: every fingerprint the browser was given was its key. */
  'wh-open': CustomEvent<void>;
  /**
   * The peer is not the announced device: a description it sent carries another fingerprint, or the
   * handshake's certificate is another one. Nothing was passed on; the link closes.
   */
  'wh-impostor': CustomEvent<string>;
  'wh-message': CustomEvent<string>;
  /** A frame on the "files" channel: JSON control as text, chunks as binary. */
  'wh-file-frame': CustomEvent<string | ArrayBuffer>;
  /** The channel or the connection is gone for good; the owner makes a new link when needed. */
  'wh-closed': CustomEvent<void>;
  'wh-state': CustomEvent<RTCPeerConnectionState>;
  /**
   * The remote description of an offer was just applied and the answer is not
   * made yet: listeners may set the directions of the transceivers it created
   * (synchronously) so that the answer already sends media.
   */
  'wh-remote-offer': CustomEvent<void>;
  /** Remote media arrived on a transceiver. */
  'wh-track': CustomEvent<RTCRtpTransceiver>;
  /** An ICE server (STUN or TURN) answered with an error, e.g. 401 for credentials TURN refused. */
  'wh-ice-error': CustomEvent<{ code: number; text: string; url: string }>;
}

/** How long a "disconnected" path may last before an ICE restart is tried. */
const DISCONNECTED_GRACE_MS = 2500;
/**
 * A connection that has not agreed on a session description (offer and answer
 * applied) by the first mark is given up, and one that agreed but is not
 * connected gets an ICE restart; one that has not opened its channels by the
 * second mark is given up. Its owner opens a fresh one while still needed. On loopback the
 * whole set-up takes ~50 ms, and through TURN a few seconds: a negotiation that
 * stalls, for whatever reason, must not leave a person unreachable for long.
 */
const NEGOTIATION_TIMEOUT_MS = 4000;
const SETUP_TIMEOUT_MS = 15_000;
/**
 * An offer unanswered this long is made again, then after twice as long, up to the cap. A signal round trip
 * takes milliseconds; a peer whose page was frozen answers every offer it missed at once, in order, and only
 * the answer to the last is applied.
 */
export const ANSWER_TIMEOUT_MS = 5000;
const ANSWER_TIMEOUT_CAP_MS = 30_000;

export class PeerLink extends TypedEventTarget<PeerLinkEventMap> {
  readonly remoteId: PeerId;
  readonly session = randomId(12);
  readonly pc: RTCPeerConnection;
  readonly channel: RTCDataChannel;
  /** File transfers get their own channel, so a big file never holds up a chat message. */
  readonly files: RTCDataChannel;
  #remoteSession: string | null = null;
  #options: PeerLinkOptions;
  #makingOffer = false;
  #ignoreOffer = false;
  #settingRemoteAnswer = false;
  /** The number of our last offer sent (0: none yet); an answer echoes the number of the offer it answers. */
  #offerSeq = 0;
  #answerTimer: ReturnType<typeof setTimeout> | null = null;
  #answerWait = ANSWER_TIMEOUT_MS;
  #queue: Promise<void> = Promise.resolve();
  #disconnectedTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #setupTimers: Array<ReturnType<typeof setTimeout>>;
  #closed = false;
  /** Remote offers received (a connection made to answer one does not offer itself). */
  #remoteOffers = 0;
  /** The handshake's certificate is being checked ('wh-open' follows unless it is another device's). */
  #announcing = false;
  /** 'wh-open' was emitted: frames are passed on as they come. */
  #announced = false;
  /** Frames that arrived before `wh-open` was emitted. */
  readonly #early: Array<() => void> = [];

  constructor(options: PeerLinkOptions) {
    super();
    this.#options = options;
    this.remoteId = options.remoteId;
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers,
      iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
      certificates: [options.certificate],
    });
    this.channel = this.pc.createDataChannel('chat', { negotiated: true, id: 0, ordered: true });
    this.files = this.pc.createDataChannel('files', { negotiated: true, id: 1, ordered: true });
    this.files.binaryType = 'arraybuffer';

    this.pc.addEventListener('negotiationneeded', () => void this.#offer());
    this.pc.addEventListener('icecandidate', ({ candidate }) => {
      if (!candidate) return;
      const { sdpMid, sdpMLineIndex, usernameFragment } = candidate;
      this.#signal({ kind: 'candidate', session: this.session, candidate: { candidate: candidate.candidate, sdpMid, sdpMLineIndex, usernameFragment } });
    });
    this.pc.addEventListener('connectionstatechange', () => this.#onConnectionState());
    this.pc.addEventListener('track', (event) => this.emit('wh-track', event.transceiver));
    this.pc.addEventListener('icecandidateerror', (event) => {
      const { errorCode, errorText, url } = event as RTCPeerConnectionIceErrorEvent;
      this.emit('wh-ice-error', { code: errorCode, text: errorText, url: url ?? '' });
    });
    this.#setupTimers = [
      setTimeout(() => {
        if (this.isOpen) return;
        if (!this.pc.remoteDescription || this.pc.signalingState !== 'stable') this.close();
        // Agreed but not connected: candidates were lost. Gather anew, from one side only: both restarting at
        // once would collide again, and the polite side's rollback would lose its candidates once more.
        else if (!this.#options.polite) this.restartIce();
      }, NEGOTIATION_TIMEOUT_MS),
      setTimeout(() => {
        if (!this.isOpen) this.close();
      }, SETUP_TIMEOUT_MS),
    ];
    const opened = () => {
      if (this.channel.readyState !== 'open' || this.files.readyState !== 'open') return;
      for (const timer of this.#setupTimers) clearTimeout(timer);
      void this.#announceOpen();
    };
    this.channel.addEventListener('open', opened);
    this.files.addEventListener('open', opened);
    this.files.addEventListener('message', (event: MessageEvent) => this.#deliver(() => this.emit('wh-file-frame', event.data as string | ArrayBuffer)));
    this.channel.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data === 'string') {
        const text = event.data;
        this.#deliver(() => this.emit('wh-message', text));
      }
    });
    this.channel.addEventListener('close', () => this.close());
  }

  /**
   * Emits `wh-open` once; frames that came before it follow, in order. Every description applied was
   * checked; where the browser shows the handshake's certificate, it must be the announced key's too.
   */
  async #announceOpen(): Promise<void> {
    if (this.#announcing || this.#closed) return;
    this.#announcing = true;
    // Frames that arrive while the certificate is read wait in #early: passed on before 'wh-open', its owner
    // would not know whose they are yet, and drop them (a call's invite was lost so, in Firefox).
    const keys = await handshakeKeys(this.pc).catch(() => null);
    if (this.#closed) return;
    if (keys && keys[0] !== this.#options.device) {
      this.#impostor(`its certificate is ${keys[0]!.slice(0, 16)}…`);
      return;
    }
    this.#announced = true;
    this.emit('wh-open', undefined);
    for (const emit of this.#early.splice(0)) emit();
  }

  /** Not the announced device: said once, and the link closes without passing anything on. */
  #impostor(why: string): void {
    if (this.#closed) return;
    console.warn(`whisper: peer ${this.remoteId} was announced as device ${this.#options.device.slice(0, 16)}…, but ${why}`);
    this.#early.length = 0;
    this.emit('wh-impostor', why);
    this.close();
  }

  /** A frame is passed on only after `wh-open`, so that its owner knows whose it is. */
  #deliver(emit: () => void): void {
    if (this.#announced) emit();
    else this.#early.push(emit);
  }

  get isOpen(): boolean {
    return this.channel.readyState === 'open' && this.files.readyState === 'open';
  }

  /** Writes one frame to the chat channel; false when it is not open. */
  send(text: string): boolean {
    if (this.channel.readyState !== 'open') return false;
    try {
      this.channel.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A signal from the remote device. Returns false when it belongs to another
   * connection of theirs (they started over): the owner replaces this link.
   */
  handleSignal(data: SignalData): boolean {
    const signal = parsePeerSignal(data);
    // `no-webrtc` is for the room session, which stops connecting: nothing for the connection itself.
    if (!signal || signal.kind === 'no-webrtc' || (signal.re !== undefined && signal.re !== this.session)) return true;
    if (this.#remoteSession === null) {
      // The remote connection is known by its first description (its offer, or its answer to ours);
      // a candidate before that belongs to a connection of theirs that is already gone.
      if (signal.kind !== 'description') return true;
      this.#remoteSession = signal.session;
    } else if (signal.session !== this.#remoteSession) {
      return !(signal.kind === 'description' && signal.description.type === 'offer');
    }
    if (signal.kind === 'description' && signal.description.type === 'offer' && this.#options.polite && !this.pc.currentRemoteDescription && (this.#makingOffer || this.pc.signalingState !== 'stable')) {
      // Both sides offered a first connection at once. Rolling ours back loses the ICE candidates gathered
      // for it (Chromium gathers none again, and the connection never starts): the owner answers their
      // offer with a fresh connection instead.
      return false;
    }
    if (signal.kind === 'description' && signal.description.type === 'offer') this.#remoteOffers++;
    this.#queue = this.#queue.then(() => this.#apply(signal)).catch((error: unknown) => console.warn('whisper: negotiation step failed', error));
    return true;
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.#options = { ...this.#options, iceServers };
    if (this.#closed) return;
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  restartIce(): void {
    // Offline, its offer would be lost, maybe in a WebSocket that died unnoticed: the room restarts ICE when
    // the network is back.
    if (!navigator.onLine) return;
    if (this.#closed || this.pc.signalingState === 'closed') return;
    this.pc.restartIce();
    // The browser offers only from "stable": an offer pending (perhaps lost) is made again now, with the restart.
    this.offerAgainIfPending();
  }

  /**
   * An offer still unanswered is made again now: the owner calls this once the signal server is reached
   * again, since whatever was sent while it was out of reach is lost.
   */
  offerAgainIfPending(): void {
    if (this.#closed || this.pc.signalingState !== 'have-local-offer') return;
    this.#queue = this.#queue
      .then(async () => {
        if (this.#closed || this.#makingOffer || this.pc.signalingState !== 'have-local-offer') return;
        await this.#offer();
      })
      .catch((error: unknown) => console.warn('whisper: could not offer again', error));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#setupTimers) clearTimeout(timer);
    if (this.#disconnectedTimer) clearTimeout(this.#disconnectedTimer);
    this.#stopAnswerTimer();
    this.channel.close();
    this.files.close();
    this.pc.close();
    this.emit('wh-closed', undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #offer(): Promise<void> {
    // A connection made to answer their offer needs no offer of its own (the channels are in theirs).
    if (this.#remoteOffers > 0 && !this.pc.currentRemoteDescription) return;
    try {
      this.#makingOffer = true;
      // From "have-local-offer" too: the browser then makes a new offer, which replaces the unanswered one.
      await this.pc.setLocalDescription();
      const local = this.pc.localDescription;
      if (local?.type === 'offer') {
        this.#offerSeq++;
        this.#signal({ kind: 'description', session: this.session, seq: this.#offerSeq, description: { type: local.type, sdp: local.sdp } });
        this.#armAnswerTimer();
      }
    } catch (error) {
      console.warn('whisper: could not make an offer', error);
    } finally {
      this.#makingOffer = false;
    }
  }

  async #apply(signal: PeerSignal): Promise<void> {
    if (this.#closed || signal.kind === 'no-webrtc') return;
    if (signal.kind === 'candidate') {
      try {
        await this.pc.addIceCandidate(signal.candidate);
      } catch (error) {
        if (!this.#ignoreOffer) throw error;
      }
      return;
    }
    const description = signal.description;
    const readyForOffer = !this.#makingOffer && (this.pc.signalingState === 'stable' || this.#settingRemoteAnswer);
    const collision = description.type === 'offer' && !readyForOffer;
    this.#ignoreOffer = !this.#options.polite && collision;
    if (this.#ignoreOffer) {
      // Their first offer lost: they answer ours from a fresh connection of theirs, which is the one to know.
      if (!this.pc.currentRemoteDescription) this.#remoteSession = null;
      return;
    }
    if (description.type === 'answer') {
      // An answer to an offer we made again since (its seq), or to none pending: stale, and applying it
      // to the offer pending now would pair two descriptions that do not belong together.
      if (this.pc.signalingState !== 'have-local-offer') return;
      if (signal.seq !== undefined && signal.seq !== this.#offerSeq) return;
    }
    // Checked before the browser sees it: DTLS would accept a certificate matching any fingerprint in it.
    const problem = description.type === 'rollback' ? null : descriptionKeyProblem(description.sdp, this.#options.device);
    if (problem) {
      this.#impostor(problem);
      return;
    }
    this.#settingRemoteAnswer = description.type === 'answer';
    await this.pc.setRemoteDescription(description);
    this.#settingRemoteAnswer = false;
    if (description.type === 'answer') {
      this.#stopAnswerTimer();
      this.#answerWait = ANSWER_TIMEOUT_MS;
    }
    if (description.type === 'offer') {
      // Theirs replaced ours (we are the polite side, or ours was rolled back): no answer to wait for.
      this.#stopAnswerTimer();
      this.emit('wh-remote-offer', undefined);
      await this.pc.setLocalDescription();
      const local = this.pc.localDescription;
      if (local) this.#signal({ kind: 'description', session: this.session, ...(signal.seq === undefined ? {} : { seq: signal.seq }), description: { type: local.type, sdp: local.sdp } });
    }
  }

  #armAnswerTimer(): void {
    this.#stopAnswerTimer();
    const wait = this.#answerWait;
    this.#answerWait = Math.min(wait * 2, ANSWER_TIMEOUT_CAP_MS);
    this.#answerTimer = setTimeout(() => {
      this.#answerTimer = null;
      this.offerAgainIfPending();
    }, wait);
  }

  #stopAnswerTimer(): void {
    if (this.#answerTimer) clearTimeout(this.#answerTimer);
    this.#answerTimer = null;
  }

  #onConnectionState(): void {
    const state = this.pc.connectionState;
    this.emit('wh-state', state);
    if (this.#disconnectedTimer) clearTimeout(this.#disconnectedTimer);
    this.#disconnectedTimer = null;
    if (state === 'failed') this.restartIce();
    if (state === 'disconnected') {
      this.#disconnectedTimer = setTimeout(() => {
        if (this.pc.connectionState === 'disconnected') this.restartIce();
      }, DISCONNECTED_GRACE_MS);
    }
  }

  #signal(signal: PeerSignal): void {
    if (this.#closed) return;
    const addressed = this.#remoteSession === null ? signal : { ...signal, re: this.#remoteSession };
    this.#options.sendSignal(addressed as unknown as SignalData);
  }
}
