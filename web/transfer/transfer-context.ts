/** What the sender and the receiver are both given by the service: the records, the way out, the histories. */
import type { ChatService } from '../chat/chat-service.js';
import type { WhisperDatabase } from '../storage/database.js';
import type { RoomFileHistory } from './transfer-history.js';
import type { TransferSpeed } from './transfer-speed.js';
import type { TransferStore } from './transfer-store.js';
import type { TransferTransport } from './transfer-transport.js';
import type { TransferFrame } from './transfer-wire.js';

export interface TransferContext {
  readonly db: WhisperDatabase;
  readonly store: TransferStore;
  readonly transport: TransferTransport;
  readonly chat: ChatService;
  /** The room's conversation, for files sent to the whole room and offered in it; null: one to one only. */
  readonly room: RoomFileHistory | null;
  readonly speed: TransferSpeed;
  /** Sends a control frame on the device's files channel; false when none is open. */
  control(device: string, frame: TransferFrame): boolean;
  /** Tells the person something went wrong, in words (the service's `wh-transfer-error`). */
  error(message: string): void;
}
