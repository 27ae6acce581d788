/**
 * The room's call as this device sees it, as the screens read it: its phase, everyone else in it (a tile
 * each), the active speaker; changed only by GroupCallService (and its own media controls).
 */
import { OwnMedia, type OwnMediaHost } from './own-media.js';

export type GroupCallPhase = 'incoming' | 'joined';

/** Another participant, as their last `gcall-state` says and as their media arrives. */
export interface Participant {
  device: string;
  muted: boolean;
  camera: boolean;
  screen: boolean;
  /** Their app is in the background: their microphone may be paused. */
  away: boolean;
  /** What arrives from them: a new stream whenever its tracks change. */
  stream: MediaStream;
  /** Their connection dropped and is being made again. */
  reconnecting: boolean;
}

/** What a member said of their place in a call. */
export interface MemberState {
  call: string;
  since: number;
  muted: boolean;
  camera: boolean;
  screen: boolean;
  away: boolean;
}

/** The room's call as this device sees it: ringing here, or joined. */
export class GroupCall extends OwnMedia {
  /** Changes once, when this call merges into one that started at the same moment. */
  id: string;
  phase: GroupCallPhase;
  /** Who rang this device (incoming). */
  readonly ringer: string | null;
  /** Date.now() when this device joined. */
  joinedAt: number | null = null;
  /** Everyone else in the call, in the order they joined. */
  participants: Participant[] = [];
  /** The participant heard the loudest lately, or null before anyone spoke. */
  speaker: string | null = null;
  /** Someone other than this device joined while it was in: the call counts as answered. */
  answered = false;
  timers: Array<ReturnType<typeof setTimeout>> = [];

  constructor(id: string, phase: GroupCallPhase, ringer: string | null, host: OwnMediaHost<GroupCall>) {
    super(true, host as OwnMediaHost<OwnMedia>);
    this.id = id;
    this.phase = phase;
    this.ringer = ringer;
  }

  participant(device: string): Participant | undefined {
    return this.participants.find((p) => p.device === device);
  }
}
