/**
 * The app's side of `/ws`: joins a room, validates every frame from the server
 * against the shared schemas, keeps the connection alive with heartbeats and
 * comes back by itself (resuming its session, so the others see no flap) after
 * a drop, a network change or a server restart.
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import { CloseCode } from '../../signal/protocol/codes.js';
import { decodeServerMessage } from '../../signal/protocol/decode.js';
import type {
  ErrorMessage,
  IceServer,
  PeerId,
  PeerInfo,
  PushMessage,
  PushResultMessage,
  RoomId,
  SignalData,
  WelcomeMessage,
} from '../../signal/protocol/messages.js';

export type SignalingState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'replaced';

/**
 * The server turned this device away for now: its per-address limits (docs/protocol.md, "Limits and abuse"),
 * or the room has as many people as it takes (`room-full`).
 */
export interface ServerRefusal {
  code: 'too-many-connections' | 'rate-limited' | 'room-full';
  /** The server's words, e.g. "at most 20 connections at once from one address", "the room is full (at most 16 people)". */
  message: string;
  /** When the client tries again by itself (Date.now() time). */
  retryAt: number;
}

/** Waits that the refusal does not state (too many connections, a full room): long enough for a place to come free, short enough to be back soon. */
const UNSTATED_RETRY_MS = 30_000;
/** How long a connection asked on the page's return may stay silent before it is replaced (checkNow). */
const PROBE_MS = 3_000;

export interface SignalingEventMap {
  'wh-welcome': CustomEvent<WelcomeMessage>;
  'wh-peer-joined': CustomEvent<PeerInfo>;
  'wh-peer-left': CustomEvent<{ id: PeerId }>;
  'wh-signal': CustomEvent<{ from: PeerId; data: SignalData }>;
  'wh-ice-servers': CustomEvent<{ iceServers: IceServer[]; expiresAt: number | null }>;
  'wh-server-error': CustomEvent<ErrorMessage>;
  'wh-state': CustomEvent<SignalingState>;
  /** Turned away by the per-address limits (null again once welcomed). */
  'wh-refusal': CustomEvent<ServerRefusal | null>;
  /** The callee declined this call from a notification, with the app closed. */
  'wh-call-declined': CustomEvent<{ call: string }>;
}

/** How long a push may take, the push service's answer included, before it counts as failed. */
const PUSH_ANSWER_MS = 20_000;

/** The subset of the WebSocket API the client uses, so tests can pass Node's `ws`. */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface SignalingClientOptions {
  url: string;
  room: RoomId;
  name: string;
  /** This device's key, announced to the others so that they recognise it before connecting. */
  device?: string;
  WebSocket?: WebSocketConstructor;
  /** Heartbeat interval; a connection with no answer for two intervals is replaced. */
  heartbeatMs?: number;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export class SignalingClient extends TypedEventTarget<SignalingEventMap> {
  readonly #options: Required<Omit<SignalingClientOptions, 'WebSocket' | 'device'>> & { WebSocket: WebSocketConstructor; device?: string };
  #socket: WebSocket | null = null;
  #state: SignalingState = 'closed';
  #selfId: PeerId | null = null;
  #resumeToken: string | undefined;
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** A join refused for its rate, sent again on the same socket when the server said it may succeed. */
  #rejoinTimer: ReturnType<typeof setTimeout> | null = null;
  #refusal: ServerRefusal | null = null;
  #heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  #lastHeard = 0;
  #stopped = true;
  #vapidPublicKey: string | null = null;
  #nextPush = 1;
  readonly #pushes = new Map<string, (result: PushResultMessage) => void>();

  constructor(options: SignalingClientOptions) {
    super();
    this.#options = {
      heartbeatMs: 10_000,
      minReconnectDelayMs: 250,
      maxReconnectDelayMs: 15_000,
      WebSocket: globalThis.WebSocket,
      ...options,
    };
  }

  get state(): SignalingState {
    return this.#state;
  }

  /** Why the server turned this device away, while it waits to try again; null otherwise. */
  get refusal(): ServerRefusal | null {
    return this.#refusal;
  }

  /** This device's peer id in the room, once welcomed. It survives reconnects within the grace period. */
  get selfId(): PeerId | null {
    return this.#selfId;
  }

  /** The server's VAPID key for PushManager.subscribe, once welcomed by a server that sends pushes. */
  get vapidPublicKey(): string | null {
    return this.#vapidPublicKey;
  }

  /** Asks the server to send a Web Push (encrypted by the caller); resolves with what became of it. */
  push(request: Omit<PushMessage, 'type' | 'id'>): Promise<PushResultMessage> {
    const id = `p${this.#nextPush++}`;
    const failed = (message: string): PushResultMessage => ({ type: 'push-result', id, outcome: 'failed', message });
    if (!this.#send({ type: 'push', id, ...request })) return Promise.resolve(failed('not connected to the server'));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pushes.delete(id);
        resolve(failed('no answer from the server'));
      }, PUSH_ANSWER_MS);
      this.#pushes.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Leaves the room for good: the others see `peer-left` at once. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'leave' }));
    socket?.close(CloseCode.normal, 'bye');
    this.#resumeToken = undefined;
    this.#setState('closed');
  }

  /** Sends a signal to a peer of the room; false when the connection is not open (the caller retries on welcome). */
  sendSignal(to: PeerId, data: SignalData): boolean {
    return this.#send({ type: 'signal', to, data });
  }

  /**
   * The page is back in front (shown again, restored from the back-forward cache): a phone may have closed its
   * socket meanwhile without a word (iOS does within about 30 s in the background), which the heartbeat would
   * notice only 10–20 s later. A connection silent for a heartbeat interval is asked at once and replaced if it
   * stays silent `PROBE_MS`; one waiting out a back-off tries now. A live one answers within milliseconds.
   */
  checkNow(): void {
    if (this.#stopped || this.#refusal) return;
    const socket = this.#socket;
    if (!socket) {
      if (this.#reconnectTimer) this.reconnectNow();
      return;
    }
    if (socket.readyState !== socket.OPEN || Date.now() - this.#lastHeard < this.#options.heartbeatMs) return;
    const asked = Date.now();
    socket.send(JSON.stringify({ type: 'ping', t: asked }));
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = null;
      if (socket === this.#socket && this.#lastHeard < asked) this.reconnectNow();
    }, PROBE_MS);
  }

  /** Closes the current connection and opens a new one at once, e.g. when the network changed. */
  reconnectNow(): void {
    if (this.#stopped) return;
    this.#attempt = 0;
    this.#dropSocket();
    this.#connect();
  }

  #connect(): void {
    this.#clearTimers();
    this.#setState(this.#selfId ? 'reconnecting' : 'connecting');
    let socket: WebSocket;
    try {
      socket = new this.#options.WebSocket(this.#options.url);
    } catch {
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.addEventListener('open', () => {
      if (socket !== this.#socket) return;
      this.#lastHeard = Date.now();
      this.#sendJoin(socket);
      this.#startHeartbeat();
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (socket !== this.#socket) return;
      this.#lastHeard = Date.now();
      if (typeof event.data === 'string') this.#receive(event.data);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#clearTimers();
      if (this.#stopped) return;
      if (event.code === CloseCode.replaced) {
        // This session now lives on another connection (another tab took over): do not fight it.
        this.#stopped = true;
        this.#setState('replaced');
        return;
      }
      if (event.code === CloseCode.tooManyConnections || event.code === CloseCode.rateLimited) {
        const code = event.code === CloseCode.tooManyConnections ? 'too-many-connections' : 'rate-limited';
        const message = event.reason.startsWith(`${code}: `) ? event.reason.slice(code.length + 2) : event.reason;
        const seconds = /try again in (\d+) s/.exec(message)?.[1];
        this.#refused(code, message, seconds ? Number(seconds) * 1000 : UNSTATED_RETRY_MS);
        this.#scheduleReconnect(false, this.#refusal!.retryAt - Date.now());
        return;
      }
      this.#scheduleReconnect(event.code === CloseCode.serviceRestart);
    });
  }

  #sendJoin(socket: WebSocket): void {
    const join: Record<string, string> = { type: 'join', room: this.#options.room, name: this.#options.name };
    if (this.#resumeToken) join.resume = this.#resumeToken;
    if (this.#options.device) join.device = this.#options.device;
    socket.send(JSON.stringify(join));
  }

  /** Records why the server turned this device away; it tries again by itself after `waitMs`, with a little jitter. */
  #refused(code: ServerRefusal['code'], message: string, waitMs: number): void {
    // Jitter, so that a household's devices refused together do not come back together.
    this.#refusal = { code, message, retryAt: Date.now() + Math.round(waitMs * (1 + Math.random() / 5)) };
    this.emit('wh-refusal', this.#refusal);
  }

  #receive(text: string): void {
    const decoded = decodeServerMessage(text);
    if (!decoded.ok) {
      console.warn(`whisper: ignored a malformed message from the server (${decoded.reason})`);
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case 'welcome':
        this.#attempt = 0;
        if (this.#refusal) {
          this.#refusal = null;
          this.emit('wh-refusal', null);
        }
        this.#selfId = message.id;
        this.#resumeToken = message.resumeToken;
        this.#vapidPublicKey = message.vapidPublicKey ?? null;
        this.#setState('open');
        this.emit('wh-welcome', message);
        return;
      case 'peer-joined':
        this.emit('wh-peer-joined', message.peer);
        return;
      case 'peer-left':
        this.emit('wh-peer-left', { id: message.id });
        return;
      case 'signal':
        this.emit('wh-signal', { from: message.from, data: message.data });
        return;
      case 'ice-servers':
        this.emit('wh-ice-servers', { iceServers: message.iceServers, expiresAt: message.iceServersExpireAt });
        return;
      case 'error':
        if ((message.code === 'rate-limited' || message.code === 'room-full') && this.#state !== 'open' && this.#socket) {
          // The join itself was refused (too many from this address this minute, or the room is full): ask again on this socket.
          const socket = this.#socket;
          this.#refused(message.code, message.message, message.retryAfterMs ?? UNSTATED_RETRY_MS);
          if (this.#rejoinTimer) clearTimeout(this.#rejoinTimer);
          this.#rejoinTimer = setTimeout(() => {
            this.#rejoinTimer = null;
            if (socket === this.#socket && socket.readyState === socket.OPEN) this.#sendJoin(socket);
          }, this.#refusal!.retryAt - Date.now());
        }
        this.emit('wh-server-error', message);
        return;
      case 'push-result': {
        const answer = this.#pushes.get(message.id);
        this.#pushes.delete(message.id);
        answer?.(message);
        return;
      }
      case 'call-declined':
        this.emit('wh-call-declined', { call: message.call });
        return;
      case 'pong':
      case 'decline-result':
        return;
    }
  }

  #send(message: object): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== socket.OPEN || this.#state !== 'open') return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  #startHeartbeat(): void {
    const interval = this.#options.heartbeatMs;
    this.#heartbeatTimer = setInterval(() => {
      if (Date.now() - this.#lastHeard > interval * 2) {
        // Half-open connection (a phone changed networks, a NAT forgot us): replace it.
        this.reconnectNow();
        return;
      }
      this.#socket?.send(JSON.stringify({ type: 'ping', t: Date.now() }));
    }, interval);
  }

  /** `waitMs`: when the server said how long to wait (a refusal); otherwise an exponential back-off. */
  #scheduleReconnect(soon = false, waitMs?: number): void {
    this.#setState(this.#selfId ? 'reconnecting' : 'connecting');
    const { minReconnectDelayMs, maxReconnectDelayMs } = this.#options;
    const ceiling = Math.min(maxReconnectDelayMs, minReconnectDelayMs * 2 ** this.#attempt);
    this.#attempt++;
    // Full jitter, so that a restarted server is not hit by every client at the same instant.
    const delay = waitMs ?? (soon && this.#attempt === 1 ? minReconnectDelayMs * Math.random() : ceiling * (0.5 + Math.random() / 2));
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
  }

  #clearTimers(): void {
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    if (this.#rejoinTimer) clearTimeout(this.#rejoinTimer);
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    this.#reconnectTimer = null;
    this.#heartbeatTimer = null;
    this.#rejoinTimer = null;
  }

  #setState(state: SignalingState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('wh-state', state);
  }
}
