/**
 * The room's call (a mesh of up to four) between two members, over their "chat" data channel: the
 * server never sees it. Each participant tells every member it is connected to where it stands in the
 * call, in one idempotent frame (`gcall-state`) sent again whenever that changes and whenever a channel
 * opens (`gcall-idle` when in none), so a repeat or a loss changes nothing that the next frame does not settle. `gcall-ring` asks
 * the members to join; `gcall-decline` tells the one who rang that this member will not.
 * Every frame is validated on receipt.
 */
import * as v from 'valibot';
import { parseJsonFrame } from '../peers/json-frame.js';

const CallId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,48}$/));

export const GroupCallFrameSchema = v.variant('t', [
  /** "Call the room": the sender is in the call and asks this member to join. */
  v.object({ t: v.literal('gcall-ring'), call: CallId }),
  /** This member will not join now (the call stays open to them: "Join call"). */
  v.object({ t: v.literal('gcall-decline'), call: CallId }),
  /**
   * The sender is in no call: sent when a channel opens, so that a member who reloaded or whose app was
   * closed is not kept in a call it no longer knows.
   */
  v.object({ t: v.literal('gcall-idle') }),
  /**
   * Where the sender stands in the call: in it or not (any more), and what to show about its media.
   * `since`: when it joined (its own clock), which orders who came first when the call is full.
   */
  v.object({
    t: v.literal('gcall-state'),
    call: CallId,
    in: v.boolean(),
    since: v.pipe(v.number(), v.integer(), v.minValue(0)),
    muted: v.boolean(),
    camera: v.boolean(),
    screen: v.boolean(),
    /** The sender's app is in the background (an iPhone's Home Screen app stops the microphone); absent from older apps. */
    away: v.optional(v.boolean()),
  }),
]);

export type GroupCallFrame = v.InferOutput<typeof GroupCallFrameSchema>;

/** A group call frame, or null for anything else (chat and one-to-one call frames share the channel). */
export function parseGroupCallFrame(text: string): GroupCallFrame | null {
  if (!text.includes('"gcall-')) return null;
  return parseJsonFrame(GroupCallFrameSchema, text);
}
