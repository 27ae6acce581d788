/**
 * A room's address: /r/<room id> on this server. Read from the page's path, from a notification's address and
 * from a link the person pastes or scans; anything else names no room (never an error).
 */
import * as v from 'valibot';
import { RoomIdSchema, type RoomId } from '../../signal/protocol/messages.js';

/** The room a path such as /r/<room> names, or null. */
export function roomFromPath(path: string): RoomId | null {
  const match = /^\/r\/([^/]+)\/?$/.exec(path);
  if (!match) return null;
  let id: string;
  try {
    id = decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
  const result = v.safeParse(RoomIdSchema, id);
  return result.success ? result.output : null;
}

export type LinkedRoom = { room: RoomId } | { problem: string };

/** The room a link on this server (`origin`) names; a link of another server or none says why in words. */
export function roomFromLink(text: string, origin: string): LinkedRoom {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { problem: 'That is not a link. Paste the whole room link, starting with https://' };
  }
  const room = roomFromPath(url.pathname);
  if (!room) return { problem: 'That link names no Whisper room.' };
  if (url.origin !== origin) return { problem: `That room is on another server (${url.host}): open the link in the browser.` };
  return { room };
}
