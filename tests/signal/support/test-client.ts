/**
 * A real WebSocket client (the `ws` package) that records what the server
 * sends, so tests can wait for a message, or check that none came.
 */
import WebSocket from 'ws';

export type Message = Record<string, unknown> & { type: string };

export interface ClientOptions {
  origin?: string;
  /** Leave pongs unanswered, like a client whose network died. */
  deaf?: boolean;
  /** The source address to connect from (any of 127.0.0.0/8 is on loopback here). */
  localAddress?: string;
  /** Extra request headers; an array value is sent as that many lines. */
  headers?: Record<string, string | string[]>;
}

export class TestClient {
  readonly received: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the server sent a binary frame');
      this.received.push(JSON.parse(data.toString()) as Message);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  static async connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
    const socket = new WebSocket(url, {
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      autoPong: !options.deaf,
    });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    });
    return client;
  }

  /** Connects and joins; resolves with the welcome. */
  static async join(url: string, room: string, name: string, options: ClientOptions & { resume?: string } = {}): Promise<[TestClient, Message]> {
    const client = await TestClient.connect(url, options);
    client.send({ type: 'join', room, name, ...(options.resume ? { resume: options.resume } : {}) });
    const welcome = await client.next('welcome');
    return [client, welcome];
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.socket.send(data, { binary });
  }

  /** The next message not yet taken (of `type`, when given), within `timeoutMs`. */
  async next(type?: string, timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => type === undefined || m.type === type);
      if (index >= 0) return this.received.splice(index, 1)[0]!;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        const closed = this.socket.readyState === WebSocket.CLOSED ? `; the socket was closed (${JSON.stringify(await this.closed)})` : '';
        throw new Error(`no ${type ?? 'message'} within ${timeoutMs} ms; got ${JSON.stringify(this.received)}${closed}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * A round trip to this client's server process: it handles each message to its end before the next and writes
   * to each socket in order, so whatever it sent this client while handling what came before the ping (another
   * client's message that was answered already, say) has arrived once the pong has.
   */
  async roundTrip(): Promise<void> {
    const t = Math.floor(Math.random() * 1e9);
    this.send({ type: 'ping', t });
    for (;;) {
      const pong = await this.next('pong');
      if (pong.t === t) return;
    }
  }

  /** Waits `ms` and returns what arrived meanwhile (and was not taken). */
  async drain(ms = 150): Promise<Message[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.received.splice(0);
  }

  close(): void {
    this.socket.close();
  }

  /** Drops the TCP connection with no close handshake, like a lost network. */
  kill(): void {
    this.socket.terminate();
  }
}

export function randomRoom(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
}

/**
 * The control for "nobody was seen to leave or join": Dan joins `room` at `url` and drops off without a word;
 * resolves with what `watcher` is told next of presence, twice (his join, and his leave once the grace period
 * after his drop is over). Any flap of someone dropped before him on the same process (a grace period that ran
 * out, a place given up) is told before his leave: then it is what this returns instead.
 */
export async function presenceAroundADrop(url: string, room: string, watcher: TestClient, timeoutMs: number): Promise<{ dan: string; told: Message[] }> {
  const [dan, welcome] = await TestClient.join(url, room, 'Dan');
  dan.kill();
  const told: Message[] = [];
  while (told.length < 2) {
    const next = await watcher.next(undefined, timeoutMs);
    if (next.type === 'peer-joined' || next.type === 'peer-left') told.push(next);
  }
  return { dan: welcome.id as string, told };
}
