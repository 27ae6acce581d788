/** Work per device, done one at a time in the order it was given: each starts once the one before it settled. */
export class Turns {
  readonly #last = new Map<string, Promise<void>>();

  /** Runs `work` after the earlier work for `device`, whether that succeeded or not. */
  run(device: string, work: () => Promise<void>): Promise<void> {
    const next = (this.#last.get(device) ?? Promise.resolve()).then(work, work);
    this.#last.set(device, next);
    return next;
  }
}

