/**
 * The buttons over this device's own media that every call screen has (one to one, and the room's call),
 * each named for what it will do; and how a call screen plays what arrives.
 */
import { html, nothing } from 'lit';
import type { OwnMedia } from '../../calls/own-media.js';
import type { PeerLink } from '../../peers/peer-link.js';
import { micIcon, micOffIcon, screenIcon, switchCameraIcon, videoIcon, videoOffIcon } from '../shared/icons.js';

/** What the buttons ask of the call's service. */
export interface MediaControls {
  setMuted(muted: boolean): void;
  setCamera(on: boolean): Promise<void>;
  switchCamera(): Promise<void>;
  setScreenSharing(on: boolean): Promise<void>;
}

export function muteButton(media: OwnMedia, controls: MediaControls) {
  const muted = media.muted;
  return html`<button class="icon ${muted ? 'on' : ''}" aria-label=${muted ? 'Unmute' : 'Mute'} title=${muted ? 'Unmute' : 'Mute'} @click=${() => controls.setMuted(!muted)}>
    ${muted ? micOffIcon : micIcon}
  </button>`;
}

export function cameraButton(media: OwnMedia, controls: MediaControls) {
  if (!media.video) return nothing;
  return html`<button
    class="icon ${media.cameraOn ? '' : 'on'}"
    aria-label=${media.cameraOn ? 'Camera off' : 'Camera on'}
    title=${media.cameraOn ? 'Camera off' : 'Camera on'}
    @click=${() => void controls.setCamera(!media.cameraOn)}
  >
    ${media.cameraOn ? videoIcon : videoOffIcon}
  </button>`;
}

/** Switch camera (when there are two) and Share screen (where it can be), once the call is under way. */
export function videoSourceButtons(media: OwnMedia, controls: MediaControls) {
  return [
    media.video && media.cameras > 1
      ? html`<button class="icon" aria-label="Switch camera" title="Switch camera" ?disabled=${!media.cameraOn || media.screen} @click=${() => void controls.switchCamera()}>
          ${switchCameraIcon}
        </button>`
      : nothing,
    media.video && media.canShareScreen
      ? html`<button
          class="icon ${media.screen ? 'on' : ''}"
          aria-label=${media.screen ? 'Stop sharing' : 'Share screen'}
          title=${media.screen ? 'Stop sharing' : 'Share screen'}
          @click=${() => void controls.setScreenSharing(!media.screen)}
        >
          ${screenIcon}
        </button>`
      : nothing,
  ];
}

/** Opens Connection stats for one person's connection, over the call (its element loads then). */
export async function showConnectionStats(link: PeerLink | null, name: string): Promise<void> {
  await import('../room/wh-stats-panel.js');
  const panel = document.createElement('wh-stats-panel');
  panel.link = link;
  panel.name = name;
  document.body.append(panel);
  void panel.show();
}

/**
 * Plays a call's video (and its sound); true when it played, false when the browser refused it until a tap
 * (Safari where this side captures nothing), null when it failed otherwise.
 */
export function playCallMedia(video: HTMLMediaElement): Promise<boolean | null> {
  return video.play().then(
    () => true,
    (error: unknown) => (error instanceof DOMException && error.name === 'NotAllowedError' ? false : null),
  );
}
