/**
 * The `/ws` route on uWebSockets.js: upgrade checks (Origin, capacity,
 * shutdown), then each frame goes to the protocol layer. Nothing here knows
 * the protocol beyond text versus binary.
 */
import uWS, { type TemplatedApp, type WebSocket } from 'uWebSockets.js';
import type { Logger } from 'pino';
import { CloseCode } from '../protocol/codes.js';
import { MAX_MESSAGE_BYTES } from '../protocol/limits.js';
import { ClientConnection, type ConnectionLimits } from '../handlers/client-connection.js';
import type { HandlerContext } from '../handlers/context.js';
import { connectionClosed, dispatchBinary, dispatchFrame } from '../handlers/dispatch.js';
import type { ClientLink, Frame } from '../rooms/room-registry.js';
import type { SignalMetrics } from '../ops/metrics.js';
import { respondText } from './http-response.js';
import { isOriginAllowed } from './origin-policy.js';
import { addressKeys, clientAddress, forwardedFor, socketAddress, type AddressList } from './client-address.js';
import type { Admission, AddressKeys, Refusal, RefusalCode } from '../limits/address-limits.js';

const HARD_PAYLOAD_LIMIT = 4 * MAX_MESSAGE_BYTES;
/** Frames kept from a client while the shared count (Redis) decides on its connection: an app sends one, its join. */
const MAX_HELD_FRAMES = 16;

interface SocketData {
  connection: ClientConnection | null;
  closed: boolean;
  /** The client's address keys, and its place among their connections (null: refused). */
  address: AddressKeys;
  admission: Admission | null;
  /** Why the per-address limits refused this socket: it is closed with this as soon as it opens. */
  refusal: Refusal | null;
  /** The shared count's verdict (with Redis), until it comes: then the socket is closed, or what it sent goes on. */
  confirmation: Promise<Refusal | null> | null;
  /** What the client sent before that verdict, in order (copies: uWS's buffers live only during a callback). */
  held: Array<{ bytes: Uint8Array; isBinary: boolean }>;
}

/** The close code for each refusal, read by the app (docs/protocol.md, "Close codes"). */
const REFUSAL_CLOSE: Record<RefusalCode, number> = {
  'too-many-connections': CloseCode.tooManyConnections,
  'rate-limited': CloseCode.rateLimited,
};

export interface WebSocketRouteOptions {
  allowedOrigins: readonly string[];
  maxConnections: number;
  idleTimeoutSeconds: number;
  maxBackpressureBytes: number;
  connectionLimits: ConnectionLimits;
  /** Peers allowed to say who the client is in X-Forwarded-For. */
  trustedProxies: AddressList;
}

/** uWS.js `send` results. */
const SEND_SUCCESS = 1;
const SEND_DROPPED = 2;

/** A uWS socket seen through the registry's `ClientLink`. */
class UwsLink implements ClientLink {
  constructor(
    private readonly socket: WebSocket<SocketData>,
    /** The socket's user data, held here so that a send needs no call into uWS to read it. */
    private readonly data: SocketData,
    private readonly maxBackpressure: number,
    private readonly metrics: SignalMetrics,
  ) {}

  send(frame: Frame): void {
    const data = this.data;
    if (data.closed) return;
    const status = this.socket.send(frame, false);
    if (status === SEND_SUCCESS) return;
    // Dropped over maxBackpressure, or buffered past it: a client that does not read is cut off, never buffered without bound.
    if (status === SEND_DROPPED || this.socket.getBufferedAmount() > this.maxBackpressure) {
      this.metrics.disconnects.inc({ reason: 'backpressure' });
      data.closed = true;
      this.socket.close();
    }
  }

  batch(sends: () => void): void {
    // Inside a uWS callback the socket is corked already, and cork() just runs `sends`; outside one (a join
    // the Redis directory answered, a timer) it gathers the frames into one write instead of one per frame.
    if (this.data.closed) sends();
    else this.socket.cork(sends);
  }

  close(code: number, reason: string): void {
    if (this.data.closed) return;
    this.socket.end(code, reason);
  }
}

export class WebSocketRoute {
  readonly #sockets = new Set<WebSocket<SocketData>>();
  #draining = false;

  constructor(
    private readonly context: HandlerContext,
    private readonly options: WebSocketRouteOptions,
    private readonly log: Logger,
  ) {}

  get connectionCount(): number {
    return this.#sockets.size;
  }

  attach(app: TemplatedApp): void {
    const { context, options } = this;
    const metrics = context.metrics;
    app.ws<SocketData>('/ws', {
      compression: uWS.DISABLED,
      // uWS cuts a socket over its own limit abruptly (1006), so it is set higher and frames between
      // the two limits are refused here with a proper 1009 close that the client can read.
      maxPayloadLength: HARD_PAYLOAD_LIMIT,
      idleTimeout: options.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      maxBackpressure: options.maxBackpressureBytes,
      upgrade: (res, req, socketContext) => {
        const origin = req.getHeader('origin');
        const host = req.getHeader('host');
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        if (this.#draining) {
          metrics.upgradesRefused.inc({ reason: 'shutting-down' });
          respondText(res, '503 Service Unavailable', 'server is restarting', [['Retry-After', '2']]);
          return;
        }
        if (!isOriginAllowed(origin, host, options.allowedOrigins)) {
          metrics.upgradesRefused.inc({ reason: 'origin' });
          respondText(res, '403 Forbidden', 'origin not allowed');
          return;
        }
        if (this.#sockets.size >= options.maxConnections) {
          metrics.upgradesRefused.inc({ reason: 'capacity' });
          respondText(res, '503 Service Unavailable', 'too many connections', [['Retry-After', '10']]);
          return;
        }
        const peer = socketAddress(Buffer.from(res.getRemoteAddressAsText()).toString());
        const address = addressKeys(clientAddress(peer, forwardedFor(req), options.trustedProxies));
        // Decided here, in uWS's handler: the socket is upgraded now, never from a promise (see AddressLimiter.connect).
        const outcome = context.addresses.connect(address);
        // A refused client still gets its WebSocket, only to be closed with a code the app can read and
        // say in words: a browser shows nothing of a refused HTTP upgrade.
        const data: SocketData = { connection: null, closed: false, address, admission: null, refusal: null, confirmation: null, held: [] };
        if (outcome.ok) {
          data.admission = outcome.admission;
          data.confirmation = outcome.confirmation ?? null;
        } else {
          data.refusal = outcome.refusal;
          this.#refused(outcome.refusal, address);
        }
        res.upgrade<SocketData>(data, key, protocol, extensions, socketContext);
      },
      open: (socket) => {
        const data = socket.getUserData();
        if (data.refusal) {
          data.closed = true;
          socket.end(REFUSAL_CLOSE[data.refusal.code], `${data.refusal.code}: ${data.refusal.message}`);
          return;
        }
        this.#sockets.add(socket);
        const link = new UwsLink(socket, data, options.maxBackpressureBytes, metrics);
        const connection = new ClientConnection(link, options.connectionLimits);
        connection.address = data.address;
        connection.admission = data.admission;
        data.connection = connection;
        if (data.confirmation) void data.confirmation.then((refusal) => this.#confirmed(socket, data, refusal));
      },
      message: (socket, message, isBinary) => {
        const data = socket.getUserData();
        if (!data.connection) return;
        // Held until the shared count decides; a frame too large is refused at once, as it would be then.
        if (data.confirmation && message.byteLength <= MAX_MESSAGE_BYTES) {
          if (data.held.length >= MAX_HELD_FRAMES) {
            data.closed = true;
            socket.end(CloseCode.rateLimited, 'rate-limited: too many messages before the connection was admitted; try again in 1 s');
            return;
          }
          data.held.push({ bytes: new Uint8Array(message.slice(0)), isBinary });
          return;
        }
        this.#receive(socket, data.connection, new Uint8Array(message), isBinary);
      },
      close: (socket) => {
        const data = socket.getUserData();
        data.closed = true;
        this.#sockets.delete(socket);
        if (data.connection) connectionClosed(context, data.connection);
        else data.admission?.release();
        data.connection = null;
      },
    });
  }

  #refused(refusal: Refusal, address: AddressKeys): void {
    this.context.refused(refusal.code === 'too-many-connections' ? 'too-many-connections' : 'connection-rate', address[0]);
  }

  /** The shared count has decided on an open socket: it is closed with the refusal, or what it sent meanwhile goes on. */
  #confirmed(socket: WebSocket<SocketData>, data: SocketData, refusal: Refusal | null): void {
    data.confirmation = null;
    const held = data.held.splice(0);
    if (data.closed || !data.connection) return;
    const connection = data.connection;
    socket.cork(() => {
      if (refusal) {
        this.#refused(refusal, data.address);
        connection.link.close(REFUSAL_CLOSE[refusal.code], `${refusal.code}: ${refusal.message}`);
        return;
      }
      for (const { bytes, isBinary } of held) if (!data.closed) this.#receive(socket, connection, bytes, isBinary);
    });
  }

  /** One frame from the client, to the protocol layer (`bytes` valid only during the call). */
  #receive(socket: WebSocket<SocketData>, connection: ClientConnection, bytes: Uint8Array, isBinary: boolean): void {
    const metrics = this.context.metrics;
    if (bytes.byteLength > MAX_MESSAGE_BYTES) {
      metrics.disconnects.inc({ reason: 'message-too-big' });
      socket.end(CloseCode.messageTooBig, `message larger than ${MAX_MESSAGE_BYTES} bytes`);
      return;
    }
    try {
      if (isBinary) dispatchBinary(this.context, connection);
      // uWS has checked that a text frame is valid UTF-8.
      else dispatchFrame(this.context, connection, bytes);
    } catch (error) {
      // A bug must cost one connection, never the process and everyone on it.
      this.log.error({ err: error }, 'message handler failed');
      metrics.disconnects.inc({ reason: 'internal-error' });
      connection.link.close(CloseCode.internalError, 'internal error');
    }
  }

  /** Refuses new sockets and asks every client to reconnect elsewhere (or here, after the restart). */
  drain(): void {
    this.#draining = true;
    for (const socket of this.#sockets) {
      if (!socket.getUserData().closed) socket.end(CloseCode.serviceRestart, 'server restarting');
    }
    this.log.info({ connections: this.#sockets.size }, 'draining connections');
  }

  /** Cuts whatever is still open after the shutdown timeout. */
  closeAll(): void {
    for (const socket of [...this.#sockets]) {
      const data = socket.getUserData();
      if (!data.closed) socket.close();
    }
  }
}
