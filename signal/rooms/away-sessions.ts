/**
 * The sessions of a process that are away: their connection dropped without a goodbye, and each keeps its
 * place (and id) for a grace period, so that a reconnect does not flap its presence. Away sessions count
 * toward no connection limit, so how many there are at once is capped: past the cap a dropped peer leaves
 * at once, as with no grace period.
 */

/** A session as its grace period sees it. */
export interface GracePeriod {
  graceTimer: ReturnType<typeof setTimeout> | null;
}

export interface AwaySessionLimits {
  /** How long a dropped peer keeps its place before the others see it leave; none when 0. */
  graceMs: number;
  /** Sessions away at once, at most (default: no cap). */
  max?: number | undefined;
  /** A dropped peer had to leave at once because as many sessions are away as may be. */
  onFull?: (() => void) | undefined;
}

export class AwaySessions {
  readonly #limits: AwaySessionLimits;
  #count = 0;

  constructor(limits: AwaySessionLimits) {
    this.#limits = limits;
  }

  /** Sessions within their grace period. */
  get count(): number {
    return this.#count;
  }

  /** Starts the grace period of `session`, which ends with `onEnd`; false when the session must leave at once instead. */
  start(session: GracePeriod, onEnd: () => void): boolean {
    if (this.#limits.graceMs <= 0) return false;
    if (this.#count >= (this.#limits.max ?? Infinity)) {
      this.#limits.onFull?.();
      return false;
    }
    this.#count++;
    session.graceTimer = setTimeout(onEnd, this.#limits.graceMs);
    session.graceTimer.unref?.();
    return true;
  }

  /** `session`, away, is no longer: it is back on a connection, or gone. */
  end(session: GracePeriod): void {
    this.stop(session);
    this.#count--;
  }

  /** Stops the timer of the grace period of `session` (server shutdown); the session stays counted. */
  stop(session: GracePeriod): void {
    if (session.graceTimer) clearTimeout(session.graceTimer);
    session.graceTimer = null;
  }
}
