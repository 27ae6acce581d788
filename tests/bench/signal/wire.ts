/**
 * How the load generator speaks to each server under test: Whisper's `/ws`
 * protocol, and the PeerJS server's protocol, adapted only as that protocol
 * requires (the client picks its id, messages are OFFER/ANSWER/CANDIDATE with
 * `dst` and `payload`, and a HEARTBEAT keeps the client registered).
 */

export type ServerKind = 'whisper' | 'peerjs' | 'bare-uws';

/** Signal kinds in the order the generator cycles through them: one negotiation is an offer, an answer and candidates. */
export const MESSAGE_MIX = ['offer', 'answer', 'candidate', 'candidate', 'candidate', 'candidate'] as const;
export type SignalKind = (typeof MESSAGE_MIX)[number];

/** Bytes of a whole client frame the payloads are padded to (an offer, answer or candidate of a small session). */
export const FRAME_BYTES = 600;

/** Marks the sequence number inside a payload, so a receiver finds it without parsing JSON. */
export const SEQUENCE_MARK = Buffer.from('"n":');

export interface WireProtocol {
  /** The URL a client opens, given the server's port and the client's own id (used by PeerJS only). */
  url(port: number, clientId: string): string;
  /** The first frame a client sends once open, if any (Whisper's join). */
  hello(room: string, name: string): string | null;
  /**
   * Reads a frame the server sent while a client gets ready. Returns the id the
   * server knows the client by, once it is registered (and in its room).
   */
  ready(text: string, clientId: string): string | null;
  /** A signal frame from a client to `to`, split around the sequence number so that only the number changes per message. */
  signalFrame(to: string, kind: SignalKind): [prefix: string, suffix: string];
  /** The heartbeat a real client of this server sends, and how often. */
  heartbeat: { frame: string; everyMs: number };
}

const SDP_LINE = 'a=candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host generation 0 network-id 1\\r\\n';

/** `{"n":<seq>,...}` padded so that the whole frame is about FRAME_BYTES. */
function payloadAround(kind: SignalKind, envelopeBytes: number): [string, string] {
  const session = 'k3JqvJ0W8mE1cQpT9xYb2A';
  const head =
    kind === 'candidate'
      ? `,"kind":"candidate","session":"${session}","re":"Zx81bQw0pL7dR2nM4tV6yA","candidate":{"sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"f3Kp","candidate":"`
      : `,"kind":"description","session":"${session}","description":{"type":"${kind}","sdp":"`;
  const tail = kind === 'candidate' ? '"}}' : '"}}';
  const sequenceDigits = 7;
  const padding = Math.max(0, FRAME_BYTES - envelopeBytes - '{"n":'.length - sequenceDigits - head.length - tail.length);
  const body = SDP_LINE.repeat(Math.ceil(padding / SDP_LINE.length)).slice(0, padding).replace(/\\$/, ' ');
  return ['{"n":', `${head}${body}${tail}`];
}

export const WHISPER_WIRE: WireProtocol = {
  url: (port) => `ws://127.0.0.1:${port}/ws`,
  hello: (room, name) => JSON.stringify({ type: 'join', room, name }),
  ready(text) {
    if (!text.startsWith('{"type":"welcome"')) return null;
    return (JSON.parse(text) as { id: string }).id;
  },
  signalFrame(to, kind) {
    const envelope = `{"type":"signal","to":"${to}","data":}`;
    const [open, close] = payloadAround(kind, envelope.length);
    return [`{"type":"signal","to":"${to}","data":${open}`, `${close}}`];
  },
  // The app pings every 10 s (web/signaling); the server's own WebSocket pings are answered by `ws`.
  heartbeat: { frame: '{"type":"ping"}', everyMs: 10_000 },
};

const PEERJS_TYPE: Record<SignalKind, string> = { offer: 'OFFER', answer: 'ANSWER', candidate: 'CANDIDATE' };

export const PEERJS_WIRE: WireProtocol = {
  url: (port, clientId) => `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${clientId}&token=${clientId.slice(0, 10)}`,
  hello: () => null,
  ready: (text, clientId) => (text.startsWith('{"type":"OPEN"') ? clientId : null),
  signalFrame(to, kind) {
    const type = PEERJS_TYPE[kind];
    const envelope = `{"type":"${type}","dst":"${to}","payload":}`;
    const [open, close] = payloadAround(kind, envelope.length);
    return [`{"type":"${type}","dst":"${to}","payload":${open}`, `${close}}`];
  },
  // The PeerJS client sends a HEARTBEAT every 5 s (its pingInterval); the server drops clients silent for alive_timeout.
  heartbeat: { frame: '{"type":"HEARTBEAT"}', everyMs: 5_000 },
};

export const WIRES: Record<ServerKind, WireProtocol> = { whisper: WHISPER_WIRE, peerjs: PEERJS_WIRE, 'bare-uws': WHISPER_WIRE };

/** Reads the sequence number after SEQUENCE_MARK, or -1 when the frame carries none. */
export function sequenceOf(frame: Buffer): number {
  const at = frame.indexOf(SEQUENCE_MARK);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + SEQUENCE_MARK.length; i < frame.length; i++) {
    const digit = frame[i]! - 48;
    if (digit < 0 || digit > 9) break;
    n = n * 10 + digit;
  }
  return n;
}
