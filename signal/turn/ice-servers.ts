/**
 * ICE servers handed to clients in `welcome`: the configured STUN servers and,
 * with a TURN secret, TURN servers with short-lived credentials in the TURN
 * REST scheme that coturn checks with `use-auth-secret`:
 * username `<unix expiry>:<random id>`, password base64(HMAC-SHA1(secret, username)).
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../protocol/messages.js';
import { newRandomId } from '../rooms/room-registry.js';

export interface IceServerConfig {
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | null;
  /** Lifetime of a TURN credential, at most one hour. */
  turnTtlSeconds: number;
}

export interface IssuedIceServers {
  iceServers: IceServer[];
  /** Unix time in ms when the TURN credentials stop working; null without TURN. */
  expiresAt: number | null;
}

export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

export class IceServerIssuer {
  readonly #config: IceServerConfig;

  constructor(config: IceServerConfig) {
    this.#config = config;
  }

  get issuesTurn(): boolean {
    return this.#config.turnSecret !== null && this.#config.turnUrls.length > 0;
  }

  /** Fresh credentials are pushed when three quarters of their lifetime has passed. */
  get refreshAfterMs(): number | null {
    return this.issuesTurn ? this.#config.turnTtlSeconds * 750 : null;
  }

  /** The STUN servers alone. */
  issueWithoutTurn(): IssuedIceServers {
    return { iceServers: this.#config.stunUrls.length > 0 ? [{ urls: this.#config.stunUrls }] : [], expiresAt: null };
  }

  issue(now: number = Date.now()): IssuedIceServers {
    const { iceServers } = this.issueWithoutTurn();
    const secret = this.#config.turnSecret;
    if (secret === null || this.#config.turnUrls.length === 0) return { iceServers, expiresAt: null };

    const expirySeconds = Math.floor(now / 1000) + this.#config.turnTtlSeconds;
    const username = `${expirySeconds}:${newRandomId(12)}`;
    iceServers.push({ urls: this.#config.turnUrls, username, credential: turnPassword(secret, username) });
    return { iceServers, expiresAt: expirySeconds * 1000 };
  }
}
