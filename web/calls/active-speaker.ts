/**
 * Who speaks in the room's call: at every poll each participant's audio level is smoothed, and the loudest
 * above about -40 dBov for two polls in a row becomes the active speaker. Someone muted is never the speaker.
 */

/** An audio level (0–1, linear) above which someone counts as speaking: about -40 dBov. */
const SPEAKING_LEVEL = 0.01;
/** Polls in a row someone must be the loudest to become the active speaker: no flapping on a cough. */
const SPEAKER_HOLD_POLLS = 2;

/** What one poll heard of a participant. */
export interface Heard {
  device: string;
  /** 0–1, linear, since the last poll. */
  level: number;
  muted: boolean;
}

export class ActiveSpeaker {
  /** Per participant: their smoothed audio level, and polls in a row they were the loudest. */
  readonly #levels = new Map<string, { level: number; loudest: number }>();

  /** One poll's levels, of those who could be heard: returns who speaks now (`speaker` when no one took over). */
  heard(levels: readonly Heard[], speaker: string | null): string | null {
    let loudest: { device: string; level: number } | null = null;
    for (const { device, level, muted } of levels) {
      const entry = this.#levels.get(device) ?? { level: 0, loudest: 0 };
      // Muted is silent at once, without the fading of the smoothing.
      entry.level = muted ? 0 : entry.level * 0.5 + level * 0.5;
      this.#levels.set(device, entry);
      if (entry.level > SPEAKING_LEVEL && (!loudest || entry.level > loudest.level)) loudest = { device, level: entry.level };
    }
    for (const [device, entry] of this.#levels) entry.loudest = device === loudest?.device ? entry.loudest + 1 : 0;
    return loudest && this.#levels.get(loudest.device)!.loudest >= SPEAKER_HOLD_POLLS ? loudest.device : speaker;
  }

  /** The participant left the call. */
  forget(device: string): void {
    this.#levels.delete(device);
  }

  clear(): void {
    this.#levels.clear();
  }
}
