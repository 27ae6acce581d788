/// <reference lib="webworker" />
/**
 * A push that says a message waits (or that this device's messages were delivered), with the app closed
 * (issue 30): the worker reads the mailbox (with the entry the push carried), stores what opens and verifies
 * in the history, deletes it from the server, sends each writer a sealed "delivered" receipt, and shows one
 * notification per conversation with the writer's name and the text ("Show message text in
 * notifications"), updated as more arrive. A push whose entry does not open shows only "New message from
 * Alice", and nothing of it is stored.
 */
import { MailboxClient } from '../web/mailbox/mailbox-client.js';
import { collectMailbox, MAILBOX_STORED, type InboxResult, type MailboxStoredMessage } from '../web/mailbox/mailbox-inbox.js';
import { contactName } from '../web/storage/contact-store.js';
import type { StoredMessage, WhisperDatabase } from '../web/storage/database.js';
import { openDatabase } from '../web/storage/database.js';
import type { PushSender } from '../web/push/trusted-push.js';
import { notificationText, pushUrl, type PushData } from '../web/push/push-wire.js';

declare const self: ServiceWorkerGlobalScope;

type MailboxPush = Extract<PushData, { kind: 'message' | 'receipt' }>;

/** What a conversation's notification keeps, to count what arrives next. */
interface ConversationNotificationData {
  url: string;
  conversation: string;
  count: number;
}

const ICON = '/icons/icon-192.png';
/** Longest text a notification shows of a message: phones cut it to a few lines anyway. */
const PREVIEW_CHARACTERS = 300;

/**
 * Pushes are handled one after another: two reads of the mailbox at once would store the same entries side by
 * side (harmless, by id) but count them twice; and Chromium forgets a notification being shown while
 * `getNotifications()` runs.
 */
let inTurn: Promise<void> = Promise.resolve();

export function showMailboxPush(data: MailboxPush, sender: PushSender, fallback: () => Promise<void>): Promise<void> {
  const turn = inTurn.then(() => handle(data, sender, fallback));
  inTurn = turn.catch(() => undefined);
  return turn;
}

async function handle(data: MailboxPush, sender: PushSender, fallback: () => Promise<void>): Promise<void> {
  const db = await openDatabase();
  const device = (await db.get('settings', 'deviceKey')) as string | undefined;
  const result = device ? await collectMailbox({ db, device, client: new MailboxClient(self.location.origin), origin: self.location.origin, ...(data.entry ? { pushed: data.entry } : {}) }).catch(() => null) : null;
  if (result) await tellPages(result);
  if (result && result.stored.length > 0) {
    await showConversations(db, result.stored, data);
    await result.sendReceipts();
    return;
  }
  if (data.kind === 'receipt') {
    // The app on screen shows the new status itself.
    if (await appVisible()) return;
    // Every push shows something (browsers and iPhones take away subscriptions that push silently): a quiet
    // line that replaces the one before, instead of a sound for every receipt.
    const { title, body } = notificationText(data, sender.name);
    await self.registration.showNotification(title, { body, tag: `whisper-receipt-${sender.device.slice(0, 16)}`, icon: ICON, silent: true, data: { url: pushUrl(self.location.origin, data) } });
    return;
  }
  // What the push brought is stored already (an earlier push's fetch took it, or the app did): the
  // conversation's notification, or the app on screen, says it. Only when neither shows is something said.
  if (result?.pushedOpened && (await somethingShows())) return;
  // Nothing opened (a forged or altered entry, a mailbox out of reach): the plain word that something waits.
  await fallback();
}

/** One notification per conversation, with the newest message's text, counting what it said before. */
async function showConversations(db: WhisperDatabase, messages: readonly StoredMessage[], data: MailboxPush): Promise<void> {
  const showText = (await db.get('settings', 'notificationText')) !== false;
  const byConversation = new Map<string, StoredMessage[]>();
  for (const message of messages) byConversation.set(message.conversation, [...(byConversation.get(message.conversation) ?? []), message]);
  for (const [conversation, arrived] of byConversation) {
    const tag = `whisper-chat-${conversation.slice(0, 60)}`;
    const earlier = (await self.registration.getNotifications({ tag })).reduce((n, shown) => Math.max(n, (shown.data as Partial<ConversationNotificationData> | null)?.count ?? 0), 0);
    const count = earlier + arrived.length;
    const last = arrived.at(-1)!;
    const author = await nameOf(db, last.author ?? last.conversation);
    const inRoom = conversation.startsWith('room:');
    const title = `${inRoom ? `${author} in the room` : author}${count > 1 ? ` · ${count} new messages` : ''}`;
    const text = last.text.length > PREVIEW_CHARACTERS ? `${last.text.slice(0, PREVIEW_CHARACTERS)}…` : last.text;
    const body = showText ? text : count > 1 ? `${count} new messages` : 'New message';
    const room = inRoom ? conversation.slice('room:'.length) : data.room;
    const url = pushUrl(self.location.origin, { room });
    const notificationData: ConversationNotificationData & { push: PushData } = { url, conversation, count, push: data };
    await self.registration.showNotification(title, { body, tag, icon: ICON, data: notificationData, timestamp: last.sentAt, navigate: url } as NotificationOptions);
  }
}

/** Whether a notification of this app, or a window of it, is on screen: a push then needs no notification of its own. */
async function somethingShows(): Promise<boolean> {
  return (await self.registration.getNotifications()).length > 0 || (await appVisible());
}

async function appVisible(): Promise<boolean> {
  return (await self.clients.matchAll({ type: 'window' })).some((client) => client.visibilityState === 'visible');
}

/** Open pages show what the worker stored (they read it from IndexedDB by these ids: a message names nothing else). */
async function tellPages(result: InboxResult): Promise<void> {
  const ids = [...result.stored, ...[...result.advanced.values()].flat()].map((message) => message.id);
  if (ids.length === 0) return;
  const message: MailboxStoredMessage = { type: MAILBOX_STORED, ids };
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage(message);
}

async function nameOf(db: WhisperDatabase, device: string): Promise<string> {
  const contact = await db.get('contacts', device);
  return contact ? contactName(contact) : 'Someone';
}
