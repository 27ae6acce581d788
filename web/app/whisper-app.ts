/**
 * The app's services, wired once per page: the database and its stores, this
 * device's identity, the settings, and the room session that is open.
 */
import { ROOM_ID_RANDOM_BYTES } from '../../signal/protocol/limits.js';
import type { RoomId } from '../../signal/protocol/messages.js';
import { takePendingAnswer } from '../calls/pending-answer.js';
import { loadDeviceIdentity, type DeviceIdentity } from '../identity/device-identity.js';
import { randomId } from '../identity/random-id.js';
import { RoomSession } from '../room/room-session.js';
import { ContactStore } from '../storage/contact-store.js';
import { openDatabase, type WhisperDatabase } from '../storage/database.js';
import { MessageStore } from '../storage/message-store.js';
import { SettingsStore } from '../storage/settings-store.js';
import { SharedInbox } from '../storage/shared-inbox.js';
import { takePendingRoute } from './pending-route.js';

const RECENT_ROOMS = 8;

export class WhisperApp {
  session: RoomSession | null = null;
  readonly shared: SharedInbox;

  private constructor(
    private readonly db: WhisperDatabase,
    readonly identity: DeviceIdentity,
    readonly settings: SettingsStore,
    private readonly messages: MessageStore,
    private readonly contacts: ContactStore,
  ) {
    this.shared = new SharedInbox(db);
  }

  static async open(): Promise<WhisperApp> {
    const db = await openDatabase();
    // Ask the browser to keep our data (history, identity) even under storage pressure.
    void navigator.storage?.persist?.().catch(() => false);
    return new WhisperApp(db, await loadDeviceIdentity(db), new SettingsStore(db), new MessageStore(db), new ContactStore(db));
  }

  /** A new room id: 16 random bytes (128 bits), URL-safe. */
  static newRoomId(): RoomId {
    return randomId(ROOM_ID_RANDOM_BYTES);
  }

  /** The room a notification's tap meant to open, if the app was started by it (pending-route.ts); once. */
  takePendingRoute(): Promise<RoomId | null> {
    return takePendingRoute(this.db);
  }

  async enterRoom(room: RoomId, name: string): Promise<RoomSession> {
    if (this.session?.room === room) return this.session;
    this.leaveRoom();
    const recent = await this.settings.get('recentRooms');
    await this.settings.set('recentRooms', [room, ...recent.filter((r) => r !== room)].slice(0, RECENT_ROOMS));
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.session = new RoomSession({
      db: this.db,
      room,
      name,
      identity: this.identity,
      messages: this.messages,
      contacts: this.contacts,
      settings: this.settings,
      signalingUrl: `${scheme}://${location.host}/ws`,
      relayOnly: await this.settings.get('relayOnly'),
      onlyVerified: await this.settings.get('onlyVerified'),
    });
    await this.session.start();
    await this.answerAccepted();
    return this.session;
  }

  /** A call accepted on a notification (the worker's record, taken once): the open room answers it when it rings. */
  async answerAccepted(): Promise<void> {
    const session = this.session;
    const answer = session ? await takePendingAnswer(this.db, session.room) : null;
    if (answer && this.session === session) session!.calls.answerWhenInvited(answer);
  }

  leaveRoom(): void {
    this.session?.stop();
    this.session = null;
  }
}
