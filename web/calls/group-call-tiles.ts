/**
 * The tiles of the room's call once this device is in it: a participant for each member seated, with what
 * arrives from them and whether they are reconnecting; who speaks; and this device's video within the budget
 * for the number of peers. Their media goes through the call's transport, whichever it is.
 */
import { ActiveSpeaker, type Heard } from './active-speaker.js';
import type { GroupCall, MemberState } from './group-call-state.js';
import type { GroupCallTransport } from './group-call-transport.js';
import { holdsTracks } from './own-media.js';
import { videoBudget } from './video-budget.js';

/** How long a call may keep a participant whose connection dropped before counting them gone. */
const RECONNECT_TIMEOUT_MS = 20_000;
/** How often the active speaker is looked for (and the senders' budgets checked). */
const SPEAKER_POLL_MS = 400;

export interface GroupCallTilesHost {
  /** A tile, its media or the active speaker changed. */
  changed(): void;
  /** A participant whose connection dropped was not back in time. */
  gone(device: string): void;
}

export class GroupCallTiles {
  readonly call: GroupCall;
  readonly #transport: GroupCallTransport;
  readonly #host: GroupCallTilesHost;
  readonly #speakers = new ActiveSpeaker();
  /** Reconnect deadlines of participants whose connection dropped. */
  readonly #dropped = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #poll: ReturnType<typeof setInterval>;

  constructor(call: GroupCall, transport: GroupCallTransport, host: GroupCallTilesHost) {
    this.call = call;
    this.#transport = transport;
    this.#host = host;
    this.#poll = setInterval(() => void this.#pollSpeakers(), SPEAKER_POLL_MS);
  }

  /**
   * Seats these members (first come first), connecting whoever is new and letting go of whoever is no longer
   * among them, and shows what each says of their media; returns whether anyone new came.
   */
  seat(members: ReadonlyArray<[string, MemberState]>): boolean {
    const call = this.call;
    let added = false;
    for (const participant of [...call.participants]) {
      if (members.some(([device]) => device === participant.device)) continue;
      call.participants = call.participants.filter((p) => p !== participant);
      this.#speakers.forget(participant.device);
      if (call.speaker === participant.device) call.speaker = null;
      this.#transport.disconnect(participant.device);
    }
    for (const [device, state] of members) {
      let participant = call.participant(device);
      if (!participant) {
        participant = { device, muted: state.muted, camera: state.camera, screen: state.screen, away: state.away, stream: new MediaStream(), reconnecting: false };
        call.participants = [...call.participants, participant];
        added = true;
        this.#transport.connect(device);
      }
      Object.assign(participant, { muted: state.muted, camera: state.camera, screen: state.screen, away: state.away });
      // Someone who muted is not speaking: the highlight waits for the next one heard.
      if (state.muted && call.speaker === device) call.speaker = null;
    }
    return added;
  }

  /** The participant's connection opened again: no longer reconnecting, and media with them goes on. */
  reopened(device: string): void {
    const participant = this.call.participant(device);
    if (!participant) return;
    clearTimeout(this.#dropped.get(device));
    this.#dropped.delete(device);
    participant.reconnecting = false;
    this.#transport.connect(device);
    this.#host.changed();
  }

  /** The participant's connection dropped: shown as reconnecting, and gone unless back in time. Returns whether that started now. */
  dropped(device: string): boolean {
    const participant = this.call.participant(device);
    if (!participant || this.#dropped.has(device)) return false;
    participant.reconnecting = true;
    this.#dropped.set(
      device,
      setTimeout(() => {
        this.#dropped.delete(device);
        this.#host.gone(device);
      }, RECONNECT_TIMEOUT_MS),
    );
    return true;
  }

  /** This device's microphone, camera or screen, to everyone seated. */
  async sendTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    await this.#transport.sendTrack(kind, track);
  }

  remoteOffer(device: string): void {
    if (this.call.participant(device)) this.#transport.remoteOffer(device);
  }

  remoteTrack(device: string): void {
    if (this.call.participant(device)) this.#transport.remoteTrack(device);
  }

  /** What arrives from a participant, on their tile. */
  received(device: string, tracks: MediaStreamTrack[]): void {
    const participant = this.call.participant(device);
    if (!participant || holdsTracks(participant.stream, tracks)) return;
    participant.stream = new MediaStream(tracks);
    this.#host.changed();
  }

  /** The call ended here (`release`: nothing more goes to anyone), or the page goes away. */
  end(release: boolean): void {
    clearInterval(this.#poll);
    for (const timer of this.#dropped.values()) clearTimeout(timer);
    this.#dropped.clear();
    if (release) for (const participant of this.call.participants) this.#transport.disconnect(participant.device);
    this.#transport.close();
  }

  /**
   * Every poll: each participant's audio level, smoothed, and the loudest held for a moment becomes the
   * active speaker; this device's video is kept within the budget for the number of peers.
   */
  async #pollSpeakers(): Promise<void> {
    const call = this.call;
    const levels: Heard[] = [];
    for (const participant of call.participants) {
      const level = await this.#transport.audioLevel(participant.device);
      if (level !== null) levels.push({ device: participant.device, level, muted: participant.muted });
    }
    if (call.participants.length > 0) await this.#transport.setBudget(videoBudget(call.participants.length, call.screen));
    const speaker = this.#speakers.heard(levels, call.speaker);
    if (speaker === call.speaker) return;
    call.speaker = speaker;
    this.#host.changed();
  }
}
