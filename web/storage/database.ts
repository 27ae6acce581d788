/**
 * Whisper's IndexedDB: one schema, ordered migrations that are never edited
 * (add a new one instead), opened once per page.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read';

export interface StoredMessage {
  id: string;
  /** The other device's key: one conversation per person, whatever the room. */
  conversation: string;
  direction: 'out' | 'in';
  text: string;
  /** When the author wrote it (their clock), ms. */
  sentAt: number;
  /** When this device stored it (local clock), ms: the order on this device. */
  at: number;
  /** For own messages: how far it got. Incoming messages are 'delivered' until read here, then 'read'. */
  status: MessageStatus;
  /** Incoming only: 1 once the read receipt went out. Numbers, since booleans are not IndexedDB keys. */
  receiptSent: 0 | 1;
  /** For a file: the transfer's id (the text is then the file's name). */
  transfer?: string;
  /**
   * For a file this device sent to the room: each member's own transfer of it, by their device key (the text
   * is then the file's name). The entry and these transfers are written in one transaction.
   */
  transfers?: Record<string, string>;
  /** For a call: how it went (the text then says it in words). */
  call?: CallRecord;
  /**
   * A line of this device's own in the history, never sent: a key changed (never unread), or a file someone
   * wants to send, told through the mailbox while the two were not online together (its bytes come later).
   */
  notice?: 'key-changed' | 'file-waiting';
  /** A room message from someone else: their device key (the channel it came on proved it). */
  author?: string;
  /**
   * An own room message: how far it got with each member who was in the room when it was written (each
   * gets it separately; `status` is the least of these, so a message waits while anyone has not got it).
   */
  recipients?: Record<string, MessageStatus>;
  /**
   * An own message not yet delivered: the devices whose mailbox on the signal server holds it sealed (issue 30),
   * so that it reaches them while their app is closed. It still goes over the channel when one opens.
   */
  deposited?: string[];
  /** An incoming message: how it came, when not over the channel ('mailbox': fetched from this device's mailbox). */
  via?: 'mailbox';
}

export type CallOutcome = 'answered' | 'missed' | 'declined' | 'cancelled' | 'busy' | 'failed';

export interface CallRecord {
  video: boolean;
  outcome: CallOutcome;
  /** Answered calls: how long they lasted, ms. */
  duration?: number;
}

export type TransferState = 'offered' | 'active' | 'paused' | 'complete' | 'declined' | 'cancelled' | 'failed';

export interface StoredTransfer {
  id: string;
  /** The other device's key: the transfer goes between this device and that one, whatever its entry's conversation. */
  conversation: string;
  /** A file sent to a room (this room id): its entry is in the room's conversation, not the one-to-one. */
  room?: string;
  direction: 'out' | 'in';
  name: string;
  size: number;
  type: string;
  chunkSize: number;
  chunkCount: number;
  state: TransferState;
  /** Chunks 0..next-1 are stored and verified (receiver) or acknowledged (sender). */
  next: number;
  /**
   * How chunks are checked: 2, a SHA-256 per chunk and the file's hash over those; absent, version 1 (an
   * xxhash64 per chunk and the whole file's SHA-256), as every transfer stored before version 2 existed.
   */
  integrity?: 2;
  /** Receiver: saved SHA-256 state over chunks 0..next-1 (their data, or their SHA-256), so hashing resumes after a reload. */
  hashState?: Uint8Array;
  /** The file's hash (hex) as its integrity version computes it, once known. */
  sha256?: string;
  /** Sender: the offer was left sealed in the receiver's mailbox while their app was closed ("Alice wants to send you…"). */
  deposited?: true;
  /** Sender: what identifies the picked file, to check a file picked again after a reload. */
  lastModified?: number;
  firstChunkHash?: string;
  /** Why it stopped, in words for the user. */
  reason?: string;
  createdAt: number;
  /** Receiver: 'opfs' when the data is a file in the origin private file system; absent, blocks in the `chunks` store. */
  store?: 'opfs';
}

export interface Contact {
  device: string;
  name: string;
  /** Rooms where this person was seen. */
  rooms: string[];
  lastSeen: number;
  /**
   * Their device's Web Push subscription, as they handed it over the data channel, with the secret they gave
   * this device to sign pushes to them; absent when none.
   */
  push?: { endpoint: string; p256dh: string; auth: string; key: string };
  /** The secret this device gave them to sign their pushes to it: the worker shows only pushes signed with it. */
  pushSecret?: string;
  /** The person took back this device's subscription from them: they get none, and their pushes are not shown. */
  pushWithdrawn?: true;
  /**
   * This device chose to reach them (opened their conversation, or the room's with them in it, wrote, sent a
   * file, called): a connection to them may show this device's address. Until then, a connection they start
   * is answered through the relay where the server offers one.
   */
  reached?: true;
  /** A "New message" push went to them since they were last connected: no more until they are. */
  messagePushed?: boolean;
  /**
   * The person verified this device by its safety number: the key it was made for, when, and the name it had
   * then, which it keeps (whoever joins later under that key with another name does not rename it).
   */
  verified?: { key: string; at: number; name?: string };
  /**
   * This key joined under the name of a verified contact (the device key given) who was away: a new phone,
   * a reinstall, or someone in the middle. Nothing goes to it until the person verifies it or accepts it.
   */
  keyChangeFrom?: string;
}

/** One of this device's mailbox key pairs (web/mailbox/mailbox-keys.ts): entries sealed to it open while it is kept. */
export interface StoredMailboxKey {
  /** The key id entries name it by: the first 8 bytes of the public key's SHA-256, base64url. */
  id: string;
  /** ECDH P-256, non-extractable: usable here, never readable. */
  privateKey: CryptoKey;
  /** Raw, base64url. */
  publicKey: string;
  /** Its RFC 8291 auth secret, base64url. */
  auth: string;
  createdAt: number;
  /** Contacts seal to it until then (ms); it is deleted once no entry sealed by then can still be waiting. */
  expires: number;
}

/** What this device and one contact (by device key) exchanged for each other's mailboxes. */
export interface StoredMailboxContact {
  device: string;
  /** What this device gave them: their capability to write to its mailbox, and the key their entries are authenticated with. */
  granted?: { capability: string; macKey: string };
  /** What they gave this device, as their last `mailbox` frame said, and when it came. */
  target?: { mailbox: string; key: string; auth: string; expires: number; capability: string; macKey: string; at: number };
}

export interface WhisperSchema extends DBSchema {
  settings: { key: string; value: unknown };
  messages: {
    key: string;
    value: StoredMessage;
    indexes: {
      'by-conversation': [string, number];
      'by-status': [string, string, MessageStatus];
    };
  };
  contacts: { key: string; value: Contact; indexes: { 'by-room': string } };
  transfers: { key: string; value: StoredTransfer; indexes: { 'by-conversation': string } };
  /** Received file data where the origin private file system cannot take it: 1 MiB blocks, keyed by [transfer id, block index]. */
  /** Blocks of received files: Blobs, or ArrayBuffers where IndexedDB refuses Blobs (Safari's Private Browsing). */
  chunks: { key: [string, number]; value: Blob | ArrayBuffer };
  /** Files shared into Whisper from the system share sheet, waiting for the person to pick a recipient. */
  shared: { key: number; value: File };
  mailboxKeys: { key: string; value: StoredMailboxKey };
  mailboxContacts: { key: string; value: StoredMailboxContact };
}

export type WhisperDatabase = IDBPDatabase<WhisperSchema>;

type Migration = (db: WhisperDatabase, tx: IDBPTransaction<WhisperSchema, StoreNames<WhisperSchema>[], 'versionchange'>) => void;

/** Index i upgrades version i to i + 1. Append only. */
const MIGRATIONS: Migration[] = [
  (db) => {
    db.createObjectStore('settings');
    const messages = db.createObjectStore('messages', { keyPath: 'id' });
    messages.createIndex('by-conversation', ['conversation', 'at']);
    messages.createIndex('by-status', ['conversation', 'direction', 'status']);
    const contacts = db.createObjectStore('contacts', { keyPath: 'device' });
    contacts.createIndex('by-room', 'rooms', { multiEntry: true });
  },
  (db) => {
    const transfers = db.createObjectStore('transfers', { keyPath: 'id' });
    transfers.createIndex('by-conversation', 'conversation');
    db.createObjectStore('chunks');
  },
  (db) => {
    db.createObjectStore('shared', { autoIncrement: true });
  },
  (db) => {
    db.createObjectStore('mailboxKeys', { keyPath: 'id' });
    db.createObjectStore('mailboxContacts', { keyPath: 'device' });
  },
];

export const DATABASE_NAME = 'whisper';

let opening: Promise<WhisperDatabase> | null = null;

export function openDatabase(name = DATABASE_NAME): Promise<WhisperDatabase> {
  if (name !== DATABASE_NAME) return open(name);
  return (opening ??= open(name));
}

function open(name: string): Promise<WhisperDatabase> {
  return openDB<WhisperSchema>(name, MIGRATIONS.length, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let version = oldVersion; version < MIGRATIONS.length; version++) MIGRATIONS[version]!(db, tx);
    },
    blocking(_current, _blocked, event) {
      // A newer version of the app (another tab) wants to upgrade: let it.
      (event.target as IDBDatabase).close();
    },
  });
}

/** A write failed because the device is out of space: said in words a person understands. */
export class StorageFullError extends Error {
  constructor() {
    super('This device is out of storage space for Whisper. Free some space, then try again; nothing already saved was lost.');
  }
}

export function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'QuotaExceededError' || error.name === 'NS_ERROR_DOM_QUOTA_REACHED');
}
