/**
 * Everyone known in a room, online or not, by device key: what the people list shows. The session's parts
 * (presence, links, trust) change a person through `set`, which tells the page once per change.
 */

/**
 * `unsupported`: their browser has no WebRTC (they said so in answer to an offer): no connection is tried.
 * `held`: connected, and DTLS proved their key, but nothing goes either way until the person decides: the
 * key is a verified contact's new one, or only verified contacts may connect and this one is not.
 */
export type LinkState = 'none' | 'connecting' | 'connected' | 'held' | 'mismatch' | 'unsupported';

/** States a closed connection keeps: no new one is made by itself (the key changed, or they cannot connect). */
export const KEPT_WHEN_CLOSED: ReadonlySet<LinkState> = new Set(['mismatch', 'unsupported']);

export interface Person {
  device: string;
  name: string;
  online: boolean;
  link: LinkState;
  /** Their device handed over a push subscription: a call rings it even while their app is closed. */
  pushable: boolean;
  /** This person's safety number was checked on this device, for this very key. */
  verified: boolean;
  /** The person took this device's push subscription back from them: they cannot ring it while Whisper is closed. */
  pushWithdrawn?: boolean;
  /** This key joined as the verified contact with that key, who was away: held until the person decides. */
  keyChangeFrom?: string;
  /** A key met for the first time whose name looks like that of someone met here before (this name): not them. */
  lookalike?: string;
}

export class RoomPeople {
  readonly #people = new Map<string, Person>();
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  get(device: string): Person | undefined {
    return this.#people.get(device);
  }

  has(device: string): boolean {
    return this.#people.has(device);
  }

  all(): Person[] {
    return [...this.#people.values()];
  }

  /** Online first, then by name: the order of the people list. */
  sorted(): Person[] {
    return this.all().sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  }

  /** Changes what is known of the person (someone not known yet is added) and tells the page. */
  set(device: string, change: Partial<Person>): void {
    const person = this.#people.get(device) ?? { device, name: '', online: false, link: 'none' as const, pushable: false, verified: false };
    this.#people.set(device, { ...person, ...change });
    this.#changed();
  }

  /** Adds or replaces people without telling the page (at start, before the first list is shown). */
  put(person: Person): void {
    this.#people.set(person.device, person);
  }

  delete(device: string): void {
    this.#people.delete(device);
  }

  nameOf(device: string): string {
    return this.#people.get(device)?.name || 'They';
  }

  /** Whether a message can go to the person: their browser connects, their key matches, and no new key waits for a decision. */
  canTakeMessages(person: Person): boolean {
    return person.link !== 'unsupported' && person.link !== 'mismatch' && !person.keyChangeFrom;
  }

  /** Online people whose connection can carry a call: not without WebRTC, not a key that does not match, not held. */
  callable(): string[] {
    return this.all()
      .filter((p) => p.online && p.link !== 'unsupported' && p.link !== 'mismatch' && p.link !== 'held')
      .map((p) => p.device);
  }
}
