/**
 * Trust in a room: which proven connections may carry anything. A verified contact's new key is held until
 * the person verifies it again or accepts it; with "Only connect to verified contacts" on, everyone not
 * verified is held; a key never met before under a known name is said, and marked as a look-alike.
 * Verification itself is the person comparing safety numbers (safety-number.ts); this keeps what they decided.
 */
import type { ChatService } from '../chat/chat-service.js';
import { randomId } from '../identity/random-id.js';
import { looksLike } from '../identity/name-skeleton.js';
import { safetyNumber } from '../identity/safety-number.js';
import type { ContactStore } from '../storage/contact-store.js';
import type { RoomLinks } from './room-links.js';
import type { RoomPeople } from './room-people.js';

export interface RoomTrustOptions {
  self: string;
  contacts: ContactStore;
  people: RoomPeople;
  chat: ChatService;
  links: () => RoomLinks;
  onlyVerified: boolean;
  warn(text: string): void;
  /** The person took a new key for a contact: their conversation moved from the old key to the new one. */
  keyReplaced(from: string, to: string): void;
}

export class RoomTrust {
  readonly #options: RoomTrustOptions;
  readonly #people: RoomPeople;
  #onlyVerified: boolean;

  constructor(options: RoomTrustOptions) {
    this.#options = options;
    this.#people = options.people;
    this.#onlyVerified = options.onlyVerified;
  }

  get onlyVerified(): boolean {
    return this.#onlyVerified;
  }

  /** Whether nothing may go to or come from the person over a proven link. */
  isHeld(device: string): boolean {
    const person = this.#people.get(device);
    return !!person?.keyChangeFrom || (this.#onlyVerified && !person?.verified);
  }

  /** After a reload too: an unverified key whose name looks like a verified contact's is not them. */
  markLookalikes(): void {
    const verified = this.#people.all().filter((person) => person.verified);
    for (const person of this.#people.all()) {
      const like = person.verified || person.keyChangeFrom ? undefined : verified.find((other) => looksLike(other.name, person.name));
      if (like) this.#people.put({ ...person, lookalike: like.name });
    }
  }

  /**
   * The safety number with the person, from this device's key and the key DTLS proved on the open
   * connection to them; null while no connection proves one.
   */
  async safetyNumber(device: string): Promise<string | null> {
    if (!this.#options.links().provenLink(device)) return null;
    return safetyNumber(this.#options.self, device);
  }

  /**
   * The person compared safety numbers and they matched: kept with the key they were made for. For a
   * verified contact's new key, that is "Verify again": the conversation moves to it.
   */
  async markVerified(device: string): Promise<void> {
    const verified = { key: device, at: Date.now(), name: this.#people.get(device)?.name ?? '' };
    if (this.#people.get(device)?.keyChangeFrom) {
      await this.#replaceKey(device, verified);
      return;
    }
    await this.#options.contacts.update(device, { verified });
    this.#people.set(device, { verified: true, lookalike: undefined });
    this.#options.links().release(device);
  }

  /** "Accept new key": the verified contact's new key becomes theirs, unverified, and their conversation moves to it. */
  async acceptNewKey(device: string): Promise<void> {
    if (this.#people.get(device)?.keyChangeFrom) await this.#replaceKey(device, undefined);
  }

  /** The new key of a verified contact who changed devices, when one waits for the person's decision. */
  keyChangeOf(oldDevice: string): string | null {
    return this.#people.all().find((person) => person.keyChangeFrom === oldDevice)?.device ?? null;
  }

  /** "Only connect to verified contacts": links to others are held from now on, or released. */
  setOnlyVerified(on: boolean): void {
    if (on === this.#onlyVerified) return;
    this.#onlyVerified = on;
    const links = this.#options.links();
    for (const device of links.provenDevices()) {
      // Whatever was under way with them stops: the link is made again, held.
      if (this.isHeld(device)) links.hold(device);
      else links.release(device);
    }
  }

  async #replaceKey(device: string, verified: { key: string; at: number } | undefined): Promise<void> {
    const from = this.#people.get(device)?.keyChangeFrom;
    if (!from) return;
    const { contacts, chat } = this.#options;
    const name = this.#people.get(device)?.name || this.#people.get(from)?.name || 'They';
    await contacts.replaceKey(from, device, verified);
    this.#options.links().close(from);
    this.#people.delete(from);
    chat.forget(from);
    this.#people.set(device, { keyChangeFrom: undefined, verified: !!verified, lookalike: undefined });
    await chat.load(device);
    await this.#note(
      device,
      verified
        ? `${name}’s safety number changed, and you verified the new one.`
        : `${name}’s safety number changed, and you accepted the new key. ${name} is no longer verified: verify the new number to mark them again.`,
    );
    this.#options.keyReplaced(from, device);
    this.#options.links().release(device);
  }

  /**
   * A key never met before joined under the name of someone met in this room who is away: a new phone, a
   * reinstall, or someone in the middle (a server can announce anyone under any name). A verified contact's
   * new key is held until the person verifies it again or accepts it; for anyone else it is said, and the
   * old conversation keeps a line about it. Names are compared by how they look (name-skeleton.ts): "Воb" with
   * a Cyrillic В is Bob. A look-alike of someone who is here too is marked, and said when that someone is
   * verified (two devices of one person online at once are not a change, but never the verified key).
   */
  async newKey(device: string, name: string): Promise<void> {
    const alike = this.#people.all().filter((other) => other.device !== device && !other.lookalike && looksLike(other.name, name));
    const old = alike.find((person) => person.verified && !person.online) ?? alike.find((person) => !person.online) ?? alike.find((person) => person.verified) ?? alike[0];
    if (!old) return;
    const { warn } = this.#options;
    this.#people.set(device, { lookalike: old.name });
    if (old.online) {
      if (old.verified) warn(`Someone joined as ${name} with a key that is not the verified ${old.name}’s. They are listed apart, as not verified.`);
      return;
    }
    if (old.verified) {
      await this.#options.contacts.update(device, { keyChangeFrom: old.device });
      this.#people.set(device, { keyChangeFrom: old.device });
      // Their offer may have opened a link during the awaits above, before it was to be held: it is made again, held.
      this.#options.links().close(device);
      await this.#note(old.device, `${name}’s safety number changed: a device with a new key joined as ${name}, perhaps a new phone, or a browser that cleared ${name}’s data (Safari does after 7 days without a visit). Nothing goes to it until you verify ${name} again or accept the new key.`);
      warn(`${name}’s safety number changed. Nothing is sent to ${name} until you verify them again or accept the new key.`);
      return;
    }
    await this.#note(old.device, `A device with a new key joined as ${name}: a new phone, a reinstall, a browser that cleared ${name}’s data (Safari does after 7 days without a visit), or someone else using the name. What you said here stays with the key you knew.`);
    warn(`A device with a new key joined as ${name}. It is listed apart from the ${old.name} you knew until you verify who it is.`);
  }

  /** A line of this device's own in the conversation's history. */
  async #note(device: string, text: string): Promise<void> {
    const now = Date.now();
    await this.#options.chat.record({ id: randomId(16), conversation: device, direction: 'in', text, sentAt: now, at: now, status: 'read', receiptSent: 1, notice: 'key-changed' });
  }
}
