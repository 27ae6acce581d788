/**
 * Keeping the screen on during a call or a transfer. WebKit grants a screen wake lock only inside a tap (its
 * transient activation) or to a page it granted one before (WakeLock.cpp), and the app asks for it from events
 * (a call answered on the other side, a transfer's progress, the page shown again), where Safari refused it
 * without a word. So one is taken at the first tap in the page and let go at once: every later request is granted.
 */
/** Each may carry the tap's activation, depending on the pointer (a touch has it at its end): tried until one is granted. */
const GESTURES = ['pointerdown', 'pointerup', 'keydown', 'touchend'] as const;

/** Takes and releases a wake lock at the first gesture in `target` (the document) that is granted one, once. */
export function primeWakeLock(target: EventTarget | null = globalThis.document ?? null): void {
  if (!target || !('wakeLock' in navigator)) return;
  let primed = false;
  const prime = () => {
    if (primed) return;
    // Asked synchronously, inside the gesture.
    void navigator.wakeLock
      .request('screen')
      .then((lock) => {
        if (!primed) {
          primed = true;
          for (const type of GESTURES) target.removeEventListener(type, prime, true);
        }
        return lock.release();
      })
      .catch(() => undefined);
  };
  for (const type of GESTURES) target.addEventListener(type, prime, { capture: true, passive: true });
}

/** Keeps a phone's screen on while something needs it (a file moving, a call running), where the browser allows it. */
export class ScreenKeeper {
  #lock: WakeLockSentinel | null = null;

  /** The page was hidden: the system let the lock go, and the next `keep` takes one again. */
  dropped(): void {
    this.#lock = null;
  }

  async keep(busy: boolean): Promise<void> {
    if (busy && !this.#lock && document.visibilityState === 'visible' && 'wakeLock' in navigator) {
      this.#lock = await navigator.wakeLock.request('screen').catch(() => null);
    } else if (!busy && this.#lock) {
      const lock = this.#lock;
      this.#lock = null;
      await lock.release().catch(() => undefined);
    }
  }
}
