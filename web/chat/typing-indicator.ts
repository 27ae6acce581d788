/** Who is typing, each shown until they stop or until a while after their last sign of it. */

/** How long "typing…" stays up after the last sign of it. */
const TYPING_SHOWN_MS = 5000;

export class TypingIndicator {
  readonly #until = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #changed: (device: string) => void;

  /** `changed` is told whenever someone starts or stops showing as typing. */
  constructor(changed: (device: string) => void) {
    this.#changed = changed;
  }

  has(device: string): boolean {
    return this.#until.has(device);
  }

  who(): string[] {
    return [...this.#until.keys()];
  }

  start(device: string): void {
    const previous = this.#until.get(device);
    if (previous) clearTimeout(previous);
    this.#until.set(device, setTimeout(() => this.stop(device), TYPING_SHOWN_MS));
    if (!previous) this.#changed(device);
  }

  stop(device: string): void {
    const timer = this.#until.get(device);
    if (!timer) return;
    clearTimeout(timer);
    this.#until.delete(device);
    this.#changed(device);
  }
}
