/**
 * The sounds of a call, synthesised with Web Audio (no audio files to load):
 * a two-tone ring for an incoming call, a soft ringback while calling.
 *
 * Safari (iPhone and iPad) lets audio start only from a person's gesture: an
 * AudioContext made or resumed outside one stays silent. So the context is
 * made, and unlocked with a silent sample, on the first tap or key press in the
 * page; a call that rings later can then be heard.
 */
type Pattern = { tones: number[]; burstMs: number; periodMs: number; gain: number };

const PATTERNS: Record<'incoming' | 'outgoing', Pattern> = {
  incoming: { tones: [880, 660], burstMs: 900, periodMs: 2500, gain: 0.18 },
  outgoing: { tones: [440, 480], burstMs: 1200, periodMs: 4000, gain: 0.06 },
};

const GESTURES = ['pointerdown', 'keydown', 'touchend'] as const;

export class Ringtone {
  #context: AudioContext | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #unlocked = false;

  /** Unlocks the audio on the first gesture in `target` (the document). */
  constructor(target: EventTarget | null = globalThis.document ?? null) {
    if (!target || typeof AudioContext === 'undefined') return;
    const unlock = () => {
      for (const type of GESTURES) target.removeEventListener(type, unlock, true);
      this.#unlock();
    };
    for (const type of GESTURES) target.addEventListener(type, unlock, { capture: true, passive: true });
  }

  /** Whether a gesture has unlocked the audio (a ring can be heard even in Safari). */
  get unlocked(): boolean {
    return this.#unlocked;
  }

  #unlock(): void {
    this.#context ??= new AudioContext();
    const context = this.#context;
    // A silent sample played inside the gesture is what Safari asks for; then it idles until a ring.
    const source = context.createBufferSource();
    source.buffer = context.createBuffer(1, 1, context.sampleRate);
    source.connect(context.destination);
    source.start();
    void context
      .resume()
      .then(() => {
        this.#unlocked = true;
        if (!this.#timer) return context.suspend();
      })
      .catch(() => undefined);
  }

  start(kind: keyof typeof PATTERNS): void {
    this.stop();
    if (typeof AudioContext === 'undefined') return;
    const pattern = PATTERNS[kind];
    this.#context ??= new AudioContext();
    void this.#context.resume().catch(() => undefined);
    const ring = () => this.#burst(pattern);
    ring();
    this.#timer = setInterval(ring, pattern.periodMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#context) void this.#context.suspend().catch(() => undefined);
  }

  #burst({ tones, burstMs, gain }: Pattern): void {
    const context = this.#context;
    if (!context || context.state === 'closed') return;
    const now = context.currentTime;
    const end = now + burstMs / 1000;
    const volume = context.createGain();
    volume.gain.setValueAtTime(0, now);
    volume.gain.linearRampToValueAtTime(gain, now + 0.03);
    volume.gain.setValueAtTime(gain, end - 0.05);
    volume.gain.linearRampToValueAtTime(0, end);
    volume.connect(context.destination);
    for (const frequency of tones) {
      const oscillator = context.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(volume);
      oscillator.start(now);
      oscillator.stop(end);
    }
  }
}
