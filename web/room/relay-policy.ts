/**
 * The ICE servers a room's connections use, and what is said about the relay (TURN): "Relay only" without a
 * relay, and a relay that refuses the credentials. Each is said once for a set of servers, not for every
 * connection attempt (which would also push aside whatever was said since).
 */
export class RelayPolicy {
  #iceServers: RTCIceServer[] = [];
  #relayOnly: boolean;
  /** The ICE servers (credentials) a TURN refusal was last reported for. */
  #turnErrorShownFor: RTCIceServer[] | null = null;
  /** The ICE servers (without TURN) that "no TURN relay" was last said for, when a connection failed. */
  #noRelayWarnedFor: RTCIceServer[] | null = null;
  readonly #warn: (text: string) => void;

  constructor(relayOnly: boolean, warn: (text: string) => void) {
    this.#relayOnly = relayOnly;
    this.#warn = warn;
  }

  get iceServers(): RTCIceServer[] {
    return this.#iceServers;
  }

  set iceServers(iceServers: RTCIceServer[]) {
    this.#iceServers = iceServers;
  }

  get relayOnly(): boolean {
    return this.#relayOnly;
  }

  set relayOnly(on: boolean) {
    this.#relayOnly = on;
  }

  /** Whether the server gave TURN credentials (it gives them only while someone else is in the room). */
  get hasTurn(): boolean {
    return this.#iceServers.some((server) => [server.urls].flat().some((url) => /^turns?:/.test(url)));
  }

  /**
   * Relay only without a TURN server can connect to no one: say so instead of spinning. `couldConnect`: someone
   * else is online, this browser connects and the server is reached (alone in the room, the server gives no
   * credentials: there is no one to relay to, and nothing to say).
   */
  warnIfNoRelay(couldConnect: boolean, onceForTheseServers = false): void {
    if (onceForTheseServers && this.#noRelayWarnedFor === this.#iceServers) return;
    if (this.#relayOnly && couldConnect && !this.hasTurn) {
      this.#noRelayWarnedFor = this.#iceServers;
      this.#warn('Relay only is on, but this server offers no TURN relay, so no connection can be made. Turn Relay only off, or ask the server’s owner to set up TURN.');
    }
  }

  /**
   * A TURN server refused us (wrong or expired credentials, quota): with Relay only on, nothing else can
   * connect, so the person is told why, once for the credentials in use.
   */
  iceError(error: { code: number; text: string; url: string }): void {
    if (!/^turns?:/.test(error.url) || this.#turnErrorShownFor === this.#iceServers) return;
    if (error.code !== 401 && error.code !== 403 && error.code !== 437 && error.code !== 486) return;
    this.#turnErrorShownFor = this.#iceServers;
    const why =
      error.code === 401
        ? 'it refused the credentials this server gave (they are wrong or expired: the server’s TURN secret may not match the relay’s)'
        : error.code === 486
          ? 'it has no room for more connections (quota reached)'
          : `it said “${error.code} ${error.text}”`;
    this.#warn(`The TURN relay could not be used: ${why}.${this.#relayOnly ? ' With Relay only on, no connection can be made.' : ''}`);
  }
}
