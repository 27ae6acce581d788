/** Where an entry goes in a conversation's history as shown: the order of the store. */
import type { StoredMessage } from '../storage/database.js';

/**
 * The history with `message` where the store puts it (by `at`): at the end, but for a message placed before
 * later ones of its author (MessageStore.add).
 */
export function inStoredOrder(history: readonly StoredMessage[], message: StoredMessage): StoredMessage[] {
  let index = history.length;
  // As the store's index orders them: by time, then by id.
  while (index > 0 && (history[index - 1]!.at > message.at || (history[index - 1]!.at === message.at && history[index - 1]!.id > message.id))) index--;
  return [...history.slice(0, index), message, ...history.slice(index)];
}
