/** People this device has met, by device key, with the rooms they were seen in. */
import type { Contact, WhisperDatabase } from './database.js';

/** A verification holds for the key it was made for only. */
export const isVerifiedContact = (contact: Contact): boolean => contact.verified?.key === contact.device;

/** The name to show: a verified contact's is the one it was verified under. */
export const contactName = (contact: Contact): string => (isVerifiedContact(contact) && contact.verified?.name) || contact.name;

export class ContactStore {
  constructor(private readonly db: WhisperDatabase) {}

  async inRoom(room: string): Promise<Contact[]> {
    return this.db.getAllFromIndex('contacts', 'by-room', room);
  }

  /**
   * Records that `device` was seen in `room` under `name`: call it once a connection proved the key, or for a
   * key met for the first time (nothing else is known of it). A verified contact keeps the name it was
   * verified under, shown by `contactName`.
   */
  async saw(device: string, name: string, room: string): Promise<Contact> {
    const tx = this.db.transaction('contacts', 'readwrite');
    const existing = await tx.store.get(device);
    const contact: Contact = {
      ...existing,
      // Verified before verifications kept their name: the name it had then is the one verified.
      ...(existing?.verified && existing.verified.name === undefined ? { verified: { ...existing.verified, name: existing.name } } : {}),
      device,
      name,
      rooms: existing?.rooms.includes(room) ? existing.rooms : [...(existing?.rooms ?? []), room],
      lastSeen: Date.now(),
    };
    await tx.store.put(contact);
    await tx.done;
    return contact;
  }

  async get(device: string): Promise<Contact | undefined> {
    return this.db.get('contacts', device);
  }

  /** Changes fields of a contact this device knows; nothing for one it does not. */
  async update(device: string, change: Partial<Pick<Contact, 'push' | 'messagePushed' | 'verified' | 'keyChangeFrom' | 'pushSecret' | 'pushWithdrawn' | 'reached'>>): Promise<void> {
    const tx = this.db.transaction('contacts', 'readwrite');
    const existing = await tx.store.get(device);
    if (existing) {
      const next: Contact = { ...existing, ...change };
      for (const key of Object.keys(change) as Array<keyof typeof change>) if (change[key] === undefined) delete next[key];
      await tx.store.put(next);
    }
    await tx.done;
  }

  /**
   * The person took `to` as the new key of the contact `from` (who changed devices): the conversation moves
   * to the new key, whole and in its order, with the rooms it was seen in, and the old contact is gone. One
   * transaction: a crash leaves either the old contact with its history or the new one with all of it.
   */
  async replaceKey(from: string, to: string, verified: Contact['verified']): Promise<void> {
    const tx = this.db.transaction(['contacts', 'messages'], 'readwrite');
    const contacts = tx.objectStore('contacts');
    const [old, current] = await Promise.all([contacts.get(from), contacts.get(to)]);
    if (!current) throw new Error('The new key is not a contact here.');
    const range = IDBKeyRange.bound([from, -Infinity], [from, Infinity]);
    for (let cursor = await tx.objectStore('messages').index('by-conversation').openCursor(range); cursor; cursor = await cursor.continue()) {
      await cursor.update({ ...cursor.value, conversation: to });
    }
    const next: Contact = { ...current, rooms: [...new Set([...(old?.rooms ?? []), ...current.rooms])] };
    delete next.keyChangeFrom;
    if (verified) next.verified = verified;
    else delete next.verified;
    await contacts.put(next);
    if (old) await contacts.delete(from);
    await tx.done;
  }
}
