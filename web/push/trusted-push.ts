/**
 * Who a push comes from, as the service worker decides before showing it: the contact whose device key it
 * names, only if it is signed with the secret this device gave that contact (which it did only over a
 * connection whose key DTLS proved), names a room where this device met them, the person has not taken the
 * subscription back from them, and, with "Only connect to verified contacts" on, they are verified. Anyone else who holds the subscription (the
 * push service, a contact who passed it on, the signal server) can make the browser wake the worker, but
 * not put a name, a room or a call of their choice on the screen.
 */
import { contactName, isVerifiedContact } from '../storage/contact-store.js';
import type { WhisperDatabase } from '../storage/database.js';
import { pushSignedWith, type PushData } from './push-wire.js';

export interface PushSender {
  device: string;
  /** The name this device keeps for them. */
  name: string;
}

export async function trustedPushSender(db: WhisperDatabase, data: PushData): Promise<PushSender | null> {
  const contact = await db.get('contacts', data.sender);
  if (!contact?.pushSecret || contact.pushWithdrawn || !contact.rooms.includes(data.room)) return null;
  if ((await db.get('settings', 'onlyVerified')) === true && !isVerifiedContact(contact)) return null;
  if (!(await pushSignedWith(data, contact.pushSecret))) return null;
  return { device: contact.device, name: contactName(contact) };
}
