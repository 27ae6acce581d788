/**
 * How the room's call carries media: this device's microphone and camera (or screen) to each participant,
 * and theirs back. The call's state (who is in, who speaks, the tiles, the video budget) is
 * GroupCallService's, and reaches media only through this interface. The mesh (mesh-transport.ts: the
 * room's own connection with each participant) is one transport; a media server (one connection for the
 * whole call, each participant's tracks arriving on it) would be another.
 */
import type { OwnMedia } from './own-media.js';
import type { VideoBudget } from './video-budget.js';

export interface GroupCallTransport {
  /**
   * The participant is in, or their connection opened again: this device's media goes to them and theirs
   * comes here, once what that needs is there (a connection is asked for when there is none).
   */
  connect(device: string): void;
  /** The participant is out: nothing more goes to them, and nothing the call set up for them stays. */
  disconnect(device: string): void;
  /** Sends the track, or nothing, as this device's media of its kind: the microphone; the camera, the screen or none. */
  sendTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>;
  /** How loud (0–1, linear) what came from the participant since the last time this was asked was; null while nothing of them can be heard. */
  audioLevel(device: string): Promise<number | null>;
  /** Keeps this device's video within the budget (every copy of it, where it sends several). */
  setBudget(budget: VideoBudget): Promise<void>;
  /**
   * The room's own connection with the participant offered a renegotiation, or a track arrived on it. The
   * mesh's media rides on that connection; a transport whose media comes another way does nothing.
   */
  remoteOffer(device: string): void;
  remoteTrack(device: string): void;
  /** The call ended here, or the page goes away: the transport forgets it. */
  close(): void;
}

/** What a transport tells the call. */
export interface GroupCallTransportHost {
  /** What arrives from the participant now (their audio and video, as many tracks as there are). */
  received(device: string, tracks: MediaStreamTrack[]): void;
}

/** Makes the transport of a call this device joins, for the media it sends (known once acquired). */
export type GroupCallTransportFactory = (media: OwnMedia, host: GroupCallTransportHost) => Promise<GroupCallTransport>;
