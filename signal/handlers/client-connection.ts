import type { Admission, AddressKeys } from '../limits/address-limits.js';
import type { ClientLink, PeerSession } from '../rooms/room-registry.js';
import { TokenBucket } from './token-bucket.js';

/** Pushes a connection may ask for at once; then PUSHES_PER_MINUTE (6: a call rings at most a few times a minute). */
export const PUSH_BURST = 6;

export interface ConnectionLimits {
  messagesPerSecond: number;
  burst: number;
  /** Rate-limited or malformed messages tolerated in a burst before the socket is closed. */
  strikes: number;
  /** Strikes forgiven per second. */
  strikesForgivenPerSecond: number;
}

/** One client socket as the protocol layer sees it, whatever the transport. */
export class ClientConnection {
  session: PeerSession | null = null;
  /** True while a join waits for the room directory's answer. */
  joining = false;
  /** True once the socket is gone. */
  closed = false;
  iceRefreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** The TURN credentials of its session: none, asked for (a limit may answer later), or held and not yet due for refreshing. */
  turn: 'none' | 'asking' | 'held' = 'none';
  /** The client's address as the per-address limits count it, with the IPv6 networks holding it (client-address.ts `addressKeys`). */
  address: AddressKeys = [''];
  /** Its place among the address's open connections, given back when the socket closes. */
  admission: Admission | null = null;
  /** True once the client was told it is rate-limited, until a message gets through again. */
  toldRateLimited = false;
  readonly #rate: TokenBucket;
  readonly #strikes: TokenBucket;
  #pushes: TokenBucket | null = null;

  constructor(
    readonly link: ClientLink,
    limits: ConnectionLimits,
  ) {
    this.#rate = new TokenBucket(limits.burst, limits.messagesPerSecond);
    this.#strikes = new TokenBucket(limits.strikes, limits.strikesForgivenPerSecond);
  }

  /** The session this socket speaks for, unless it was taken over by a newer socket. */
  get activeSession(): PeerSession | null {
    const session = this.session;
    return session && !session.left && session.link === this.link ? session : null;
  }

  allowMessage(): boolean {
    return this.#rate.take();
  }

  /** Takes one of the connection's pushes; false when it has used them up. Made on first use: most connections never push. */
  allowPush(perMinute: number): boolean {
    return (this.#pushes ??= new TokenBucket(PUSH_BURST, perMinute / 60)).take();
  }

  /** Records a misbehaviour; false when the client has used up its tolerance. */
  strike(): boolean {
    return this.#strikes.take();
  }

  stopIceRefresh(): void {
    if (this.iceRefreshTimer) clearTimeout(this.iceRefreshTimer);
    this.iceRefreshTimer = null;
  }
}
