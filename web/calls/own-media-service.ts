/**
 * What both call services (one to one, and the room's call) do alike with their current call's own media:
 * the controls the call screens' buttons use, and the page going to the background and back.
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import type { OwnMedia } from './own-media.js';

export abstract class OwnMediaService<C extends OwnMedia, M extends { [K in keyof M]: CustomEvent }> extends TypedEventTarget<M> {
  /** The call ringing or running on this device. */
  abstract get current(): C | null;

  /** Whether the call is answered here: only then is the screen shared, or the microphone paused in the background. */
  protected abstract answered(call: C): boolean;

  /** The page was hidden (the app went to the background) or shown again, during a call: see OwnMedia.setAway. */
  async setAway(away: boolean): Promise<void> {
    const call = this.current;
    if (call && this.answered(call)) await call.setAway(away);
  }

  setMuted(muted: boolean): void {
    this.current?.setMuted(muted);
  }

  /** Camera off releases it (its light goes out); camera on opens it again. */
  async setCamera(on: boolean): Promise<void> {
    await this.current?.setCamera(on);
  }

  /** The other camera: front/back on a phone, the next one on a desktop. */
  async switchCamera(): Promise<void> {
    await this.current?.switchCamera();
  }

  /** Sends the screen instead of the camera, and back; only once the call is answered. */
  async setScreenSharing(on: boolean): Promise<void> {
    const call = this.current;
    if (call && this.answered(call)) await call.setScreenSharing(on);
  }
}
