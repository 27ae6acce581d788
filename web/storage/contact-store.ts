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
  async update(device: string, change: Partial<Pick<Contact, 'push' | 'messagePushed' | 'verified'>>): Promise<void> {
    const tx = this.db.transaction('contacts', 'readwrite');
    const existing = await tx.store.get(device);
    if (existing) {
      const next: Contact = { ...existing, ...change };
      for (const key of Object.keys(change) as Array<keyof typeof change>) if (change[key] === undefined) delete next[key];
      await tx.store.put(next);
    }
    await tx.done;
  }
}
