/**
 * Where a tap on a notification meant to take the person, for an app that opens somewhere else. An iPhone's
 * Home Screen app opens its start address whatever address the service worker asks `clients.openWindow` for
 * (WebKit bug 259212): "Alice is calling" would open the home view, and the call would ring out unanswered.
 * So the worker writes the room here just before it opens a window, and the app, started at its start address,
 * goes there (its call rings on the incoming-call screen; answering still takes the person's tap, unless they
 * pressed Accept, which pending-answer.ts records). Read once: a start that does not use it voids it too.
 */
import * as v from 'valibot';
import { RoomIdSchema, type RoomId } from '../../signal/protocol/messages.js';
import type { WhisperDatabase } from '../storage/database.js';
import { roomFromPath } from './room-link.js';

/** How long after the tap the app may take to start and still go where it meant: a slow phone, a cold start. */
export const PENDING_ROUTE_MS = 60_000;

const PendingRouteSchema = v.object({
  room: RoomIdSchema,
  /** Ms since the epoch: a start later than this is not the tap's. */
  until: v.pipe(v.number(), v.finite()),
});

const KEY = 'pendingRoute';

/** The worker, before it opens a window at `url` (a room's address on this origin; anything else is not kept). */
export async function recordPendingRoute(db: WhisperDatabase, url: string, origin: string, now = Date.now()): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  const room = parsed.origin === origin ? roomFromPath(parsed.pathname) : null;
  if (room) await db.put('settings', { room, until: now + PENDING_ROUTE_MS }, KEY);
}

/** The app at start: the room a tap just meant to open, once (gone after this, used or not). */
export async function takePendingRoute(db: WhisperDatabase, now = Date.now()): Promise<RoomId | null> {
  const tx = db.transaction('settings', 'readwrite');
  const raw: unknown = await tx.store.get(KEY);
  const stored = v.safeParse(PendingRouteSchema, raw);
  // Nearly every start finds nothing: it writes nothing either.
  if (raw !== undefined) await tx.store.delete(KEY);
  await tx.done;
  return stored.success && now < stored.output.until ? stored.output.room : null;
}
