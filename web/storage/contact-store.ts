/** People this device has met, by device key, with the rooms they were seen in. */
import type { Contact, WhisperDatabase } from './database.js';

export class ContactStore {
  constructor(private readonly db: WhisperDatabase) {}

  async inRoom(room: string): Promise<Contact[]> {
    return this.db.getAllFromIndex('contacts', 'by-room', room);
  }

  /** Records that `device` was seen in `room` under `name`. */
  async saw(device: string, name: string, room: string): Promise<Contact> {
    const tx = this.db.transaction('contacts', 'readwrite');
    const existing = await tx.store.get(device);
    const contact: Contact = {
      ...existing,
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
  async update(device: string, change: Partial<Pick<Contact, 'push' | 'messagePushed' | 'verified' | 'keyChangeFrom'>>): Promise<void> {
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
