/**
 * A one-to-one call as this device sees it, as the call screens read it: its phase, what arrives from the
 * other side and what they said of it; changed only by CallService (and its own media controls).
 */
import { OwnMedia, type OwnMediaHost } from './own-media.js';

/** How long a call rings before it counts as missed. */
export const RING_TIMEOUT_MS = 30_000;

export type CallPhase = 'outgoing' | 'incoming' | 'active';

export class Call extends OwnMedia {
  readonly id: string;
  readonly device: string;
  readonly direction: 'out' | 'in';
  phase: CallPhase;
  /** Date.now() when it was answered: the duration runs from there. */
  answeredAt: number | null = null;
  /** What arrives from the other device. A new stream whenever its tracks change. */
  remote: MediaStream = new MediaStream();
  remoteMuted = false;
  remoteCameraOn: boolean;
  remoteScreen = false;
  /** Their app is in the background: their microphone is paused (an iPhone's Home Screen app). */
  remoteAway = false;
  /** The connection dropped mid-call and is being made again. */
  reconnecting = false;
  /** Internal: timers and flags of the service. */
  inviteSent = false;
  timers: Array<ReturnType<typeof setTimeout>> = [];
  /** Our own outgoing call that this one (theirs, made at the same moment) replaced. */
  mergedFrom: Call | null = null;
  /** Outgoing: the callee's app said it rings. */
  ringing = false;
  /** Outgoing: the callee's closed app was rung through a push. */
  pushed = false;

  constructor(id: string, device: string, direction: 'out' | 'in', video: boolean, phase: CallPhase, host: OwnMediaHost<Call>) {
    super(video, host as OwnMediaHost<OwnMedia>);
    this.id = id;
    this.device = device;
    this.direction = direction;
    this.phase = phase;
    this.remoteCameraOn = video;
  }
}
