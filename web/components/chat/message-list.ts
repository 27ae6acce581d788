/** A conversation's messages, by day, each entry as message-entry.ts draws it. */
import { html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { StoredMessage } from '../../storage/database.js';
import { messageEntry, type EntryContext } from './message-entry.js';

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** The messages, by day; `intro` heads the list (the room says whose messages it holds). */
export function messageList(history: readonly StoredMessage[], intro: string | null, ctx: EntryContext) {
  return html`<ol aria-label="Messages">
    ${intro ? html`<li class="notice">${intro}</li>` : null}
    ${history.length === 0 ? html`<li class="empty">${ctx.session.canConnect ? 'No messages yet. Say hello!' : 'No messages on this device.'}</li>` : null}
    ${repeat(
      withDays(history),
      (entry) => entry.key,
      (entry) => (entry.kind === 'day' ? html`<li class="day">${entry.label}</li>` : messageEntry(entry.message, ctx)),
    )}
  </ol>`;
}

type Entry = { kind: 'day'; key: string; label: string } | { kind: 'message'; key: string; message: StoredMessage };

function withDays(history: readonly StoredMessage[]): Entry[] {
  const entries: Entry[] = [];
  let lastDay = '';
  for (const message of history) {
    const day = new Date(message.at).toDateString();
    if (day !== lastDay) {
      entries.push({ kind: 'day', key: `day-${day}`, label: dayFormat.format(message.at) });
      lastDay = day;
    }
    entries.push({ kind: 'message', key: message.id, message });
  }
  return entries;
}
