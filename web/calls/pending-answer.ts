/**
 * A call the person accepted on a notification, before the page that answers it had heard the call ring:
 * written by the service worker on the click, read once by the page. Nothing else makes the app answer a call
 * by itself: no address, no message from another device. The page answers only this call, only when its
 * invite comes from this device, and only until `until` (the call's ringing window).
 */
import * as v from 'valibot';
import { CallIdSchema, DeviceKeySchema, RoomIdSchema } from '../../signal/protocol/messages.js';
import type { WhisperDatabase } from '../storage/database.js';

export const PendingAnswerSchema = v.object({
  call: CallIdSchema,
  room: RoomIdSchema,
  /** The caller's device key, from the notification this device showed (not from the invite). */
  device: DeviceKeySchema,
  /** Ms since the epoch: past it, the call no longer rings, and the answer is void. */
  until: v.pipe(v.number(), v.finite()),
});
export type PendingAnswer = v.InferOutput<typeof PendingAnswerSchema>;

const KEY = 'pendingAnswer';

/** The worker records the person's Accept (one at a time: a newer Accept replaces an older one). */
export async function recordPendingAnswer(db: WhisperDatabase, answer: PendingAnswer): Promise<void> {
  await db.put('settings', answer, KEY);
}

/** Takes the recorded Accept for `room` (or any room), once: it is gone after this, used or not. */
export async function takePendingAnswer(db: WhisperDatabase, room?: string, now = Date.now()): Promise<PendingAnswer | null> {
  const tx = db.transaction('settings', 'readwrite');
  const stored = v.safeParse(PendingAnswerSchema, await tx.store.get(KEY));
  const answer = stored.success && now < stored.output.until && (room === undefined || stored.output.room === room) ? stored.output : null;
  // Another room's Accept stays for that room (opening another room first does not void it); anything stale goes.
  if (answer || !stored.success || now >= stored.output.until) await tx.store.delete(KEY);
  await tx.done;
  return answer;
}

/** Accepts whose call has not rung here yet: each answers its call once, when its invite comes from its device, within its window. */
export class AnswersAwaitingInvite {
  readonly #answers = new Map<string, PendingAnswer>();

  /** Kept until its window closes. */
  keep(answer: PendingAnswer): void {
    this.#answers.set(answer.call, answer);
    setTimeout(() => {
      if (this.#answers.get(answer.call) === answer) this.#answers.delete(answer.call);
    }, Math.max(0, answer.until - Date.now()));
  }

  /** Whether the call, its invite come from `device`, was accepted already: once, and only within the window. */
  take(call: string, device: string): boolean {
    const answer = this.#answers.get(call);
    if (answer?.device !== device) return false;
    this.#answers.delete(call);
    return Date.now() < answer.until;
  }
}
