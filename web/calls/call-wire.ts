/**
 * Call control between two devices, over their "chat" data channel (the
 * server never sees it). Media itself flows on the same peer connection, in
 * audio and video transceivers negotiated when the first call is accepted.
 * Every frame is validated on receipt.
 */
import * as v from 'valibot';
import { parseJsonFrame } from '../peers/json-frame.js';

const CallId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,48}$/));

export const CallFrameSchema = v.variant('t', [
  /** The caller rings the other device. */
  v.object({ t: v.literal('call-invite'), call: CallId, video: v.boolean() }),
  /** The callee's app rings (it is open): the caller need not reach it through a push. */
  v.object({ t: v.literal('call-ringing'), call: CallId }),
  /** The callee answered: its media follows. */
  v.object({ t: v.literal('call-accept'), call: CallId }),
  /** The callee said no, or was in another call. */
  v.object({ t: v.literal('call-decline'), call: CallId, reason: v.picklist(['declined', 'busy']) }),
  /** The caller gave up before an answer: cancelled by hand, or nobody answered in time. */
  v.object({ t: v.literal('call-cancel'), call: CallId, reason: v.picklist(['cancelled', 'timeout']) }),
  /** Either side hung up an answered call. */
  v.object({ t: v.literal('call-end'), call: CallId }),
  /** What the other side should show about this side's media; `away`: its app is in the background (absent from older apps). */
  v.object({ t: v.literal('call-media'), call: CallId, muted: v.boolean(), camera: v.boolean(), screen: v.boolean(), away: v.optional(v.boolean()) }),
]);

export type CallFrame = v.InferOutput<typeof CallFrameSchema>;

/** A call frame, or null for anything else (chat frames share the channel). */
export function parseCallFrame(text: string): CallFrame | null {
  if (!text.includes('"call-')) return null;
  return parseJsonFrame(CallFrameSchema, text);
}
