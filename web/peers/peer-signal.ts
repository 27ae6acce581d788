/**
 * What two devices send each other through the server's `signal` relay to set
 * up their peer connection. Validated on receipt like everything else inbound.
 */
import * as v from 'valibot';

/** Each PeerLink has a random session id, so that signals of a replaced connection are not applied to its successor. */
const SessionSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{8,32}$/));

export const PeerSignalSchema = v.variant('kind', [
  v.object({
    kind: v.literal('description'),
    session: SessionSchema,
    /** The session of ours this answers, when known: signals meant for a connection we replaced are dropped. */
    re: v.optional(SessionSchema),
    /**
     * The number of the offer this description is, or answers: an offer that got no answer is made again, and
     * an answer to an earlier one, arriving late, must not be applied to the one pending now.
     */
    seq: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31))),
    description: v.object({ type: v.picklist(['offer', 'answer', 'pranswer', 'rollback']), sdp: v.pipe(v.string(), v.maxLength(60_000)) }),
  }),
  v.object({
    kind: v.literal('candidate'),
    session: SessionSchema,
    re: v.optional(SessionSchema),
    candidate: v.object({
      candidate: v.pipe(v.string(), v.maxLength(1000)),
      sdpMid: v.nullish(v.pipe(v.string(), v.maxLength(64))),
      sdpMLineIndex: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64))),
      usernameFragment: v.nullish(v.pipe(v.string(), v.maxLength(256))),
    }),
  }),
  /** The answer of a browser without WebRTC to an offer: it can make no connection, so stop trying. */
  v.object({ kind: v.literal('no-webrtc') }),
]);

export type PeerSignal = v.InferOutput<typeof PeerSignalSchema>;

export function parsePeerSignal(data: unknown): PeerSignal | null {
  const result = v.safeParse(PeerSignalSchema, data);
  return result.success ? result.output : null;
}

/** Only an offer may start a new connection: late candidates or answers of a closed one must not. */
export function isOffer(data: unknown): boolean {
  const signal = parsePeerSignal(data);
  return signal?.kind === 'description' && signal.description.type === 'offer';
}
