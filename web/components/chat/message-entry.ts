/**
 * One entry of a conversation: a message with its status (or, in the room, its receipts and who has it), a
 * call in the history, a file (its element loads with the first one), or a notice of this device's own.
 */
import { html } from 'lit';
import { linkify } from '../../chat/linkify.js';
import { formatDuration } from '../../format/amounts.js';
import type { RoomSession } from '../../room/room-session.js';
import type { MessageStatus, StoredMessage } from '../../storage/database.js';
import { STATUS_RANK } from '../../storage/message-store.js';
import { phoneIcon, videoIcon } from '../shared/icons.js';

export const STATUS_LABEL: Record<MessageStatus, string> = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', read: 'Read' };
const STATUS_MARK: Record<MessageStatus, string> = { queued: '◷', sent: '✓', delivered: '✓✓', read: '✓✓' };

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** What an entry needs of the conversation it is in. */
export interface EntryContext {
  session: RoomSession;
  nameOf(device: string): string;
  /** Own room messages whose list of who has them is open. */
  receiptsOpen: ReadonlySet<string>;
  toggleReceipts(id: string): void;
}

export function messageEntry(message: StoredMessage, ctx: EntryContext) {
  const time = html`<time datetime=${new Date(message.sentAt).toISOString()}>${timeFormat.format(message.sentAt)}</time>`;
  if (message.notice) return html`<li class="notice">${message.text} ${time}</li>`;
  if (message.call) {
    const { video, outcome, duration } = message.call;
    return html`<li class="message call ${message.direction} ${outcome}">
      <p class="text">
        <span class="call-icon">${video ? videoIcon : phoneIcon}</span>
        <span>${message.text}${duration !== undefined ? html` <span class="duration">· ${formatDuration(duration)}</span>` : null}</span>
      </p>
      <span class="meta">${time}</span>
    </li>`;
  }
  if (message.transfers) {
    // A file sent to the room, with each member's progress: its element comes with the first one.
    void import('../files/wh-room-file-entry.js');
    return html`<li class="message file out">
      <wh-room-file-entry .service=${ctx.session.transfers} .transfers=${message.transfers} .nameOf=${ctx.nameOf}></wh-room-file-entry>
      <span class="meta">${time}</span>
    </li>`;
  }
  if (message.transfer) {
    // A file offered, sent or received: its element comes with the first one, not with the first page.
    void import('../files/wh-file-entry.js');
    return html`<li class="message file ${message.direction}">
      ${author(message, ctx)}
      <wh-file-entry .service=${ctx.session.transfers} .transferId=${message.transfer}></wh-file-entry>
      <span class="meta">${time}</span>
    </li>`;
  }
  return html`<li class="message ${message.direction}">
    ${author(message, ctx)}
    <p class="text">${linkify(message.text).map((part) =>
      part.kind === 'link' ? html`<a href=${part.href} target="_blank" rel="noopener noreferrer nofollow">${part.text}</a>` : part.text,
    )}</p>
    <span class="meta">
      ${time}
      ${message.recipients
        ? receipts(ctx, { ...message, recipients: message.recipients })
        : message.direction === 'out'
        ? status(message, ctx)
        : null}
    </span>
    ${whoHasIt(message, ctx)}
  </li>`;
}

/** An own message's status: Queued, Waiting in Bob's mailbox (sealed on the server while Bob's app is closed), Sent, Delivered, Read. */
function status(message: StoredMessage, ctx: EntryContext) {
  const inMailbox = STATUS_RANK[message.status] < STATUS_RANK.delivered && message.deposited?.includes(message.conversation);
  const label = inMailbox ? `Waiting in ${ctx.nameOf(message.conversation)}’s mailbox` : STATUS_LABEL[message.status];
  return html`<span class="status ${inMailbox ? 'mailbox' : message.status}" role="img" aria-label=${label} title=${label}>${inMailbox ? '✉' : STATUS_MARK[message.status]}</span>`;
}

/** Who wrote a room message, or offers a file in the room. */
function author(message: StoredMessage, ctx: EntryContext) {
  return message.author ? html`<p class="author">${ctx.nameOf(message.author)}</p>` : null;
}

/** An own room message's receipts: how many members have it and have read it; a tap lists who. */
function receipts(ctx: EntryContext, message: StoredMessage & { recipients: Record<string, MessageStatus> }) {
  const members = Object.entries(message.recipients);
  const count = (...statuses: MessageStatus[]) => members.filter(([, status]) => statuses.includes(status)).length;
  const delivered = count('delivered', 'read');
  const read = count('read');
  const sent = count('sent', 'delivered', 'read');
  const summary =
    delivered === 0
      ? sent === 0
        ? 'Queued'
        : `Sent to ${sent} of ${members.length}`
      : `Delivered to ${delivered} of ${members.length}${read > 0 ? `, read by ${read}` : ''}`;
  const open = ctx.receiptsOpen.has(message.id);
  return html`<button class="receipts" aria-expanded=${open ? 'true' : 'false'} @click=${() => ctx.toggleReceipts(message.id)}>${summary}</button>`;
}

/** Each member's status of an own room message, once its receipts were tapped. */
function whoHasIt(message: StoredMessage, ctx: EntryContext) {
  if (!message.recipients || !ctx.receiptsOpen.has(message.id)) return null;
  return html`<ul class="who" aria-label="Who has it">
    ${Object.entries(message.recipients).map(
      ([device, status]) =>
        html`<li>${ctx.nameOf(device)}: ${STATUS_RANK[status] < STATUS_RANK.delivered && message.deposited?.includes(device) ? 'Waiting in their mailbox' : status === 'queued' ? 'Waiting' : STATUS_LABEL[status]}</li>`,
    )}
  </ul>`;
}
