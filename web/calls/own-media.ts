/**
 * What this device sends in a call, and the controls over it: microphone (mute), camera (off releases it,
 * so its light goes out), the other camera, and the screen instead of the camera. One-to-one calls and
 * the room's call both are an `OwnMedia`; they differ only in where the video goes (one connection, or
 * each participant's) and whom they tell, which their service supplies as the host.
 */
import { canShareScreen, mediaProblem, openCamera, openMicrophone, videoInputs, type Facing } from './local-media.js';

export interface OwnMediaHost<M extends OwnMedia> {
  /** Whether the call is still the service's current one (media that arrives for an ended call is released). */
  isCurrent(media: M): boolean;
  /** Puts the track on the call's sender(s) of its kind: microphone; camera, screen, or none. */
  sendTrack(media: M, kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>;
  /** The call changed; `tell`: the others should hear of it (mute, camera, screen). */
  changed(media: M, tell: boolean): void;
  /** Something the person must be told about a device, in words. */
  notice(text: string): void;
}

export class OwnMedia {
  readonly video: boolean;
  /** What this device sends (and shows as its preview); null until acquired. */
  local: MediaStream | null = null;
  muted = false;
  /** This side's app is in the background (an iPhone's Home Screen app stops its microphone there). */
  away = false;
  cameraOn: boolean;
  screen = false;
  facing: Facing = 'user';
  cameras = 0;
  /** A device problem and what the call does instead. */
  notice = '';
  readonly canShareScreen = canShareScreen();
  cameraTrack: MediaStreamTrack | null = null;
  /** The camera in use before screen sharing released it. */
  cameraDevice: string | null = null;
  readonly #host: OwnMediaHost<this>;

  constructor(video: boolean, host: OwnMediaHost<OwnMedia>) {
    this.video = video;
    this.cameraOn = video;
    this.#host = host as OwnMediaHost<this>;
  }

  get kinds(): Array<'audio' | 'video'> {
    return this.video ? ['audio', 'video'] : ['audio'];
  }

  /** The acquired microphone and camera become what the call sends. */
  useLocal(stream: MediaStream, notice: string): void {
    this.local = stream;
    this.cameraTrack = stream.getVideoTracks()[0] ?? null;
    this.cameraOn = this.video && this.cameraTrack !== null;
    this.notice = notice;
    for (const track of stream.getAudioTracks()) track.enabled = !this.muted;
    if (notice) this.#host.notice(notice);
    if (this.video) void videoInputs().then((cameras) => {
      this.cameras = cameras.length;
      this.#host.changed(this, false);
    });
    this.#host.changed(this, false);
  }

  setMuted(muted: boolean): void {
    if (!this.local) return;
    this.muted = muted;
    for (const track of this.local.getAudioTracks()) track.enabled = !muted;
    this.#host.changed(this, true);
  }

  /** Camera off releases it (its light goes out); camera on opens it again. */
  async setCamera(on: boolean): Promise<void> {
    if (!this.video || this.cameraOn === on) return;
    if (!on) {
      this.cameraOn = false;
      await this.#setCameraTrack(null);
    } else if (this.screen) {
      this.cameraOn = true; // opened when the screen sharing stops
    } else {
      try {
        const track = await openCamera(this.facing);
        if (!this.#host.isCurrent(this)) return track.stop();
        this.cameraOn = true;
        this.notice = '';
        await this.#setCameraTrack(track);
      } catch (error) {
        this.#problem(error, 'camera');
      }
    }
    this.#host.changed(this, true);
  }

  /**
   * The other camera: front/back on a phone, the next one on a desktop. A camera that says which way it faces (a
   * phone's) is switched by facing: an iPhone lists several back lenses, and the next device would often be
   * another back one. The facing is then read from the camera opened.
   */
  async switchCamera(): Promise<void> {
    if (!this.video || !this.cameraOn) return;
    const cameras = await videoInputs();
    if (cameras.length < 2) return;
    const current = this.cameraTrack;
    const byFacing = (current?.getCapabilities?.().facingMode?.length ?? 0) > 0;
    const currentId = current?.getSettings().deviceId;
    const next = cameras[(cameras.findIndex((camera) => camera.deviceId === currentId) + 1) % cameras.length]!;
    const facing: Facing = this.facing === 'user' ? 'environment' : 'user';
    const open = () => (byFacing ? openCamera(facing, undefined, true) : openCamera(facing, next.deviceId || undefined));
    try {
      let track: MediaStreamTrack;
      try {
        track = await open();
      } catch {
        // Many phones cannot open both cameras at once: release this one, then try again.
        await this.#setCameraTrack(null);
        track = await open();
      }
      if (!this.#host.isCurrent(this)) return track.stop();
      const opened = track.getSettings().facingMode;
      this.facing = opened === 'user' || opened === 'environment' ? opened : facing;
      await this.#setCameraTrack(track);
    } catch (error) {
      this.#problem(error, 'camera');
      if (!this.cameraTrack) {
        this.cameraOn = false;
        await this.setCamera(true);
      }
    }
    this.#host.changed(this, false);
  }

  /**
   * Sends the screen instead of the camera (on the same sender, without renegotiation), and back. The
   * camera is released while the screen is shared.
   */
  async setScreenSharing(on: boolean): Promise<void> {
    if (!this.video || this.screen === on) return;
    if (!on) return this.#stopScreen();
    let screen: MediaStreamTrack;
    try {
      screen = (await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false })).getVideoTracks()[0]!;
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'NotAllowedError')) this.#host.notice(mediaProblem(error, 'screen'));
      return;
    }
    if (!this.#host.isCurrent(this)) return screen.stop();
    this.screen = true;
    // The browser's own "Stop sharing" ends the track: back to the camera then too.
    screen.addEventListener('ended', () => {
      if (this.#host.isCurrent(this) && this.screen) void this.#stopScreen();
    });
    this.cameraDevice = this.cameraTrack?.getSettings().deviceId ?? this.cameraDevice;
    await this.#putVideo(screen);
    await this.#setCameraTrack(null);
    this.#host.changed(this, true);
  }

  /**
   * This side's app went to the background (`away`), or came back: the others are told (an iPhone's Home Screen
   * app stops the microphone at once and pauses the camera, and the call would look connected while nothing is
   * heard). Back, a microphone or camera the system ended is opened again and sent.
   */
  async setAway(away: boolean): Promise<void> {
    if (this.away === away) return;
    this.away = away;
    this.#host.changed(this, true);
    if (away || !this.local) return;
    const microphoneEnded = this.local.getAudioTracks()[0]?.readyState === 'ended';
    const cameraEnded = this.video && this.cameraOn && !this.screen && this.cameraTrack?.readyState === 'ended';
    if (microphoneEnded) {
      try {
        const fresh = await openMicrophone();
        if (!this.#host.isCurrent(this) || this.away) return fresh.stop();
        fresh.enabled = !this.muted;
        this.local = new MediaStream([fresh, ...this.local.getVideoTracks()]);
        await this.#host.sendTrack(this, 'audio', fresh);
      } catch (error) {
        this.#problem(error, 'microphone');
      }
    }
    if (cameraEnded) {
      try {
        const track = await openCamera(this.facing);
        if (!this.#host.isCurrent(this) || this.away) return track.stop();
        await this.#setCameraTrack(track);
      } catch (error) {
        this.cameraOn = false;
        this.#problem(error, 'camera');
      }
    }
    // What was opened again (or could not be) is told too.
    if (microphoneEnded || cameraEnded) this.#host.changed(this, true);
  }

  /** The call ended: the camera and microphone are released. */
  release(): void {
    if (this.local) for (const track of this.local.getTracks()) track.stop();
    this.cameraTrack?.stop();
  }

  #problem(error: unknown, what: string): void {
    this.notice = mediaProblem(error, what);
    this.#host.notice(this.notice);
  }

  async #setCameraTrack(track: MediaStreamTrack | null): Promise<void> {
    const old = this.cameraTrack;
    this.cameraTrack = track;
    if (!this.screen) await this.#putVideo(track);
    old?.stop();
  }

  /** Back from the screen to the camera (opened again, the one that was in use), or to no video. */
  async #stopScreen(): Promise<void> {
    this.screen = false;
    let camera: MediaStreamTrack | null = null;
    if (this.cameraOn) {
      try {
        camera = await openCamera(this.facing, this.cameraDevice ?? undefined);
      } catch (error) {
        this.cameraOn = false;
        this.#problem(error, 'camera');
      }
    }
    if (!this.#host.isCurrent(this)) return camera?.stop();
    this.cameraTrack = camera;
    await this.#putVideo(camera);
    this.#host.changed(this, true);
  }

  /**
   * The one video track this side sends (camera, screen or none), in the preview and on the sender(s).
   * Tracks it replaces are stopped once the senders have let go of them (except the camera kept for later).
   */
  async #putVideo(track: MediaStreamTrack | null): Promise<void> {
    const replaced = this.local?.getVideoTracks() ?? [];
    this.local = new MediaStream([...(this.local?.getAudioTracks() ?? []), ...(track ? [track] : [])]);
    await this.#host.sendTrack(this, 'video', track);
    for (const old of replaced) if (old !== track && old !== this.cameraTrack) old.stop();
  }
}

/** The connection's transceiver for a kind of media (the one calls reuse), if it has one. */
export function mediaTransceiver(pc: RTCPeerConnection, kind: 'audio' | 'video'): RTCRtpTransceiver | undefined {
  return pc.getTransceivers().find((transceiver) => transceiver.receiver.track.kind === kind && transceiver.currentDirection !== 'stopped');
}

/**
 * Puts the call's local tracks into the connection's audio and video transceivers, creating them when
 * the connection has none yet and `create` says this side does. Directions are set synchronously:
 * inside `wh-remote-offer` they shape the answer.
 */
export function attachTracks(pc: RTCPeerConnection, media: OwnMedia, create: boolean): void {
  for (const kind of media.kinds) {
    const track = media.local?.getTracks().find((t) => t.kind === kind && t.readyState === 'live') ?? null;
    const transceiver = mediaTransceiver(pc, kind);
    if (!transceiver) {
      if (create) pc.addTransceiver(track ?? kind, { direction: 'sendrecv' });
      continue;
    }
    if (transceiver.direction !== 'sendrecv') transceiver.direction = 'sendrecv';
    if (transceiver.sender.track !== track) void transceiver.sender.replaceTrack(track).catch((error: unknown) => console.warn('whisper: could not send a track', error));
  }
}

/** Sends `track` (or nothing) on the connection's sender of that kind, without renegotiation. */
export async function replaceTrack(pc: RTCPeerConnection | undefined, kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
  const sender = pc && mediaTransceiver(pc, kind)?.sender;
  await sender?.replaceTrack(track).catch((error: unknown) => console.warn('whisper: could not send a track', error));
}

/** Empties the connection's senders when a call ends with it; the transceivers stay for the next call. */
export function detachTracks(pc: RTCPeerConnection): void {
  for (const transceiver of pc.getTransceivers()) {
    if (transceiver.currentDirection !== 'stopped' && transceiver.sender.track) void transceiver.sender.replaceTrack(null).catch(() => undefined);
  }
}

/** What arrives on the connection's transceivers of these kinds. */
export function receivedTracks(pc: RTCPeerConnection, kinds: ReadonlyArray<'audio' | 'video'>): MediaStreamTrack[] {
  return kinds.map((kind) => mediaTransceiver(pc, kind)?.receiver.track).filter((track): track is MediaStreamTrack => !!track);
}

/** Whether a stream holds exactly these tracks. */
export function holdsTracks(stream: MediaStream, tracks: readonly MediaStreamTrack[]): boolean {
  const present = stream.getTracks();
  return tracks.length === present.length && tracks.every((track) => present.includes(track));
}
