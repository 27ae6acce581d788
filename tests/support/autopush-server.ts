/**
 * The browser's side of our push service, for Firefox: the WebSocket protocol
 * Firefox speaks to Mozilla's autopush (dom/push/PushServiceWebSocket.sys.mjs),
 * on loopback. Firefox is pointed at it with `dom.push.serverURL` (ws:// needs
 * `dom.push.testing.allowInsecureServerURL`), and then subscribes, decrypts
 * and wakes the service worker by itself, with keys only it holds:
 *
 *   Firefox -> hello {use_webpush}                 <- hello {uaid, status 200, use_webpush}
 *   Firefox -> register {channelID, key}           <- register {channelID, status 200, pushEndpoint}
 *   Firefox -> unregister {channelID, code}        <- unregister {channelID, status 200}
 *   a push accepted at the endpoint (push-service.ts) <- notification {channelID, version, data, headers}
 *   Firefox -> ack {updates: [{channelID, version, code}]}   (100 delivered, 101 not decrypted, 102 not delivered)
 *
 * A push that comes while Firefox is not connected waits, as autopush keeps it, and goes when it says hello
 * again with the same uaid.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PushService, ReceivedPush } from './push-service.js';

/** What Firefox answered for a push it was handed: 100 delivered to the worker, 101 not decrypted, 102 not delivered. */
export interface Ack {
  endpoint: string;
  version: string;
  code: number;
}

interface Channel {
  endpoint: string;
  /** Pushes handed over (or waiting to be), by version, until Firefox acknowledges them. */
  unacked: Map<string, { data: string }>;
}

type ClientMessage =
  | { messageType: 'hello'; uaid?: string; use_webpush?: boolean }
  | { messageType: 'register'; channelID: string; key?: string }
  | { messageType: 'unregister'; channelID: string; code?: number }
  | { messageType: 'ack'; updates: Array<{ channelID: string; version: string; code: number }> }
  | { messageType: 'nack'; version: string; code: number }
  | { messageType: 'broadcast_subscribe' | 'ping' };

export class AutopushServer {
  /** Pushes held back from Firefox (`hold`), in the order accepted; null while none are. */
  #heldBack: Array<[channelID: string, version: string, data: string]> | null = null;
  readonly acks: Ack[] = [];
  readonly #channels = new Map<string, Channel>();
  readonly #waiters = new Set<() => void>();
  /** The version each push went out to Firefox under: its answer names it. */
  readonly #versions = new WeakMap<ReceivedPush, string>();
  #uaid = randomUUID().replaceAll('-', '');
  #socket: WebSocket | null = null;

  private constructor(
    private readonly server: WebSocketServer,
    private readonly service: PushService,
  ) {}

  /** Listens on loopback; subscriptions made through it get endpoints of `service`. */
  static async start(service: PushService): Promise<AutopushServer> {
    // Firefox asks for the "push-notification" subprotocol; ws agrees to the first one asked for.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const autopush = new AutopushServer(server, service);
    server.on('connection', (socket) => autopush.#connected(socket));
    return autopush;
  }

  /** The value of Firefox's `dom.push.serverURL`. */
  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Waits until Firefox answered for the push number `count` (1-based) accepted for `endpoint`. */
  async ackFor(endpoint: string, count: number, timeoutMs = 20_000): Promise<Ack> {
    const push = await this.service.waitForEndpoint(endpoint, count, timeoutMs);
    const version = this.#versions.get(push);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ack = this.acks.find((a) => a.endpoint === endpoint && a.version === version);
      if (ack) return ack;
      if (Date.now() > deadline) throw new Error(`Firefox never answered for push ${count} to ${endpoint}`);
      await new Promise<void>((resolve) => {
        const wake = () => (this.#waiters.delete(wake), resolve());
        this.#waiters.add(wake);
        setTimeout(wake, 200);
      });
    }
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #connected(socket: WebSocket): void {
    socket.on('message', (raw) => {
      let message: ClientMessage;
      try {
        message = JSON.parse(String(raw)) as ClientMessage;
      } catch {
        return;
      }
      this.#handle(socket, message);
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = null;
    });
  }

  #handle(socket: WebSocket, message: ClientMessage): void {
    const send = (reply: object) => socket.send(JSON.stringify(reply));
    switch (message.messageType) {
      case 'hello': {
        // A uaid we do not know means a new identity: its old subscriptions are gone (Firefox drops them too).
        if (message.uaid !== this.#uaid) {
          for (const channel of this.#channels.values()) this.service.closeChannel(channel.endpoint);
          this.#channels.clear();
          if (message.uaid === undefined) this.#uaid = randomUUID().replaceAll('-', '');
        }
        this.#socket = socket;
        send({ messageType: 'hello', uaid: this.#uaid, status: 200, use_webpush: true, broadcasts: {} });
        for (const [channelID, channel] of this.#channels) for (const [version, { data }] of channel.unacked) this.#notify(channelID, version, data);
        return;
      }
      case 'register': {
        const channelID = message.channelID;
        const endpoint = this.service.openChannel(message.key ?? '', (push) => this.#accepted(channelID, push));
        this.#channels.set(channelID, { endpoint, unacked: new Map() });
        send({ messageType: 'register', channelID, status: 200, pushEndpoint: endpoint });
        return;
      }
      case 'unregister': {
        const channel = this.#channels.get(message.channelID);
        if (channel) this.service.closeChannel(channel.endpoint);
        this.#channels.delete(message.channelID);
        send({ messageType: 'unregister', channelID: message.channelID, status: 200 });
        return;
      }
      case 'ack':
        for (const { channelID, version, code } of message.updates) {
          const channel = this.#channels.get(channelID);
          if (!channel) continue;
          channel.unacked.delete(version);
          this.acks.push({ endpoint: channel.endpoint, version, code });
        }
        for (const wake of [...this.#waiters]) wake();
        return;
      case 'nack':
        for (const channel of this.#channels.values()) {
          if (channel.unacked.delete(message.version)) this.acks.push({ endpoint: channel.endpoint, version: message.version, code: message.code });
        }
        for (const wake of [...this.#waiters]) wake();
        return;
      default:
        // A ping ({} or "ping") is answered in kind; a broadcast subscription needs no answer here.
        if (message.messageType === undefined || message.messageType === 'ping') send({});
    }
  }

  /**
   * Keeps the pushes accepted from now on from Firefox, as from a phone out of reach, until the function returned
   * is called: then they go, in order.
   */
  hold(): () => void {
    this.#heldBack = [];
    return () => {
      const held = this.#heldBack ?? [];
      this.#heldBack = null;
      for (const [channelID, version, data] of held) this.#notify(channelID, version, data);
    };
  }

  /** A push the service accepted for a channel: to Firefox now, or when it connects again (or is let through). */
  #accepted(channelID: string, push: ReceivedPush): void {
    const channel = this.#channels.get(channelID);
    if (!channel) return;
    const version = randomUUID();
    this.#versions.set(push, version);
    const data = push.body.toString('base64url');
    channel.unacked.set(version, { data });
    if (this.#heldBack) this.#heldBack.push([channelID, version, data]);
    else if (this.#socket) this.#notify(channelID, version, data);
  }

  #notify(channelID: string, version: string, data: string): void {
    this.#socket?.send(JSON.stringify({ messageType: 'notification', channelID, version, data, headers: { encoding: 'aes128gcm' } }));
  }
}
