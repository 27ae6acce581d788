import { LitElement, css, html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { formatDuration } from '../../format/amounts.js';
import type { GroupCall, GroupCallService, Participant } from '../../calls/group-call.js';
import type { PeerLink } from '../../peers/peer-link.js';
import { cameraButton, muteButton, playCallMedia, showConnectionStats, videoSourceButtons } from './call-controls.js';
import { callScreenStyles, callViewStyles } from './call.styles.js';
import { chatIcon, hangUpIcon, micOffIcon, statsIcon } from '../shared/icons.js';
import { ListenController } from '../shared/listen-controller.js';
import { controlStyles } from '../shared/shared.styles.js';
import { initial } from './wh-incoming-call.js';

/** One tile: another participant, or this device ("You"). */
interface Tile {
  key: string;
  name: string;
  stream: MediaStream | null;
  muted: boolean;
  camera: boolean;
  screen: boolean;
  away: boolean;
  reconnecting: boolean;
  self: boolean;
}

/**
 * The room's call: a tile per person (video, or their initial while their camera is off), with what each
 * turned off, the active speaker highlighted. On a wide screen the tiles share a grid; on a phone in
 * portrait the active speaker is large and the others sit in a strip below. Minimized (the person went
 * back to the room's conversation), it is a bar at the top; the call and its sound go on.
 * @event wh-minimize - Show the room's conversation, keep the call.
 * @event wh-restore - Back to the call screen.
 */
export class WhGroupCallView extends LitElement {
  static override properties = {
    call: { attribute: false },
    service: { attribute: false },
    names: { attribute: false },
    selfName: {},
    links: { attribute: false },
    minimized: { type: Boolean, reflect: true },
    now: { state: true },
    playRefused: { state: true },
  };
  declare call: GroupCall;
  declare service: GroupCallService;
  /** A member's name, by device key. */
  declare names: (device: string) => string;
  /** This device's person, for their own tile's initial. */
  declare selfName: string;
  /** A member's open connection (for its stats), by device key. */
  declare links: (device: string) => PeerLink | null;
  declare minimized: boolean;
  declare now: number;
  /** The browser would not play the others' sound and video without a tap (Safari where this side captures nothing). */
  declare playRefused: boolean;
  #clock: ReturnType<typeof setInterval> | null = null;
  /**
   * Streams whose video shows frames, by id (a black box before that helps no one). By stream, not by
   * person: a participant's connection made again brings a new stream, hidden until its frames come.
   */
  readonly #playing = new Set<string>();

  constructor() {
    super();
    this.names = () => '';
    this.selfName = '';
    this.links = () => null;
    this.minimized = false;
    this.now = Date.now();
    this.playRefused = false;
    new ListenController(this, () => this.service, ['wh-group-call']);
  }

  static override styles = [
    controlStyles,
    callScreenStyles,
    callViewStyles,
    css`
      .full {
        position: absolute;
        inset: 0;
        display: grid;
        grid-template-rows: auto 1fr auto auto;
      }
      header {
        padding-bottom: 0.5rem;
        background: none;
      }
      .tiles {
        --columns: 2;
        --strip: 3;
        display: grid;
        gap: 0.4rem;
        padding: 0 0.4rem;
        min-height: 0;
        grid-template-columns: repeat(var(--columns, 2), minmax(0, 1fr));
        grid-auto-rows: minmax(0, 1fr);
      }
      .tiles[data-count='1'] {
        --columns: 1;
      }
      .tiles[data-count='2'] {
        --strip: 1;
      }
      .tiles[data-count='3'] {
        --strip: 2;
      }
      .tile {
        position: relative;
        min-height: 0;
        overflow: hidden;
        border-radius: 12px;
        background: #222;
        display: grid;
        place-items: center;
        outline: 3px solid transparent;
        outline-offset: -3px;
        transition: outline-color 200ms ease;
      }
      .tile.speaking {
        outline-color: var(--wh-accept);
      }
      .tile video {
        position: absolute;
        inset: 0;
        width: 100%;
        height: 100%;
        object-fit: cover;
      }
      .tile video.whole {
        object-fit: contain;
        background: #000;
      }
      .tile video.mirror {
        scale: -1 1;
      }
      /* As large as the tile allows, in both directions (a phone on its side has wide, low tiles). */
      .tile .avatar {
        height: clamp(2.5rem, 45%, 7.5rem);
        width: auto;
        max-width: 45%;
        aspect-ratio: 1;
        font-size: clamp(1.2rem, 5vmin, 3rem);
      }
      .caption {
        position: absolute;
        left: 0.4rem;
        bottom: 0.4rem;
        max-width: calc(100% - 3.4rem);
        display: flex;
        align-items: center;
        gap: 0.3rem;
        padding: 0.15rem 0.5rem;
        border-radius: 1rem;
        background: rgb(0 0 0 / 0.6);
        font-size: 0.85rem;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .caption svg {
        width: 1rem;
        height: 1rem;
        flex: none;
      }
      .tile .stats {
        position: absolute;
        right: 0.3rem;
        bottom: 0.3rem;
        min-width: 2.4rem;
        min-height: 2.4rem;
        padding: 0;
        border-radius: 50%;
        background: rgb(0 0 0 / 0.5);
        color: var(--wh-call-fg);
      }
      /* A phone held upright: the active speaker large, the others in a strip below. */
      @media (max-aspect-ratio: 1/1) {
        .tiles.speaker-layout {
          grid-template-columns: repeat(var(--strip), minmax(0, 1fr));
          grid-template-rows: minmax(0, 1fr) minmax(0, 26%);
        }
        .tiles.speaker-layout .tile.main {
          grid-column: 1 / -1;
          grid-row: 1;
        }
      }
      .notice {
        margin-top: 0.5rem;
      }
      .tap-to-play {
        justify-self: center;
        margin-top: 0.5rem;
      }
      /* A phone on its side: the header and the controls give their height to the tiles. */
      @media (max-height: 500px) {
        header {
          padding-top: max(0.3rem, env(safe-area-inset-top));
          padding-bottom: 0.3rem;
        }
        h1 {
          display: none;
        }
        .controls {
          padding-top: 0.5rem;
          padding-bottom: max(0.5rem, env(safe-area-inset-bottom));
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.#clock = setInterval(() => (this.now = Date.now()), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#clock) clearInterval(this.#clock);
  }

  override render() {
    const call = this.call;
    const tiles = this.#tiles();
    const main = call.speaker ?? call.participants[0]?.device ?? 'self';
    const count = tiles.length;
    return html`
      <section class="full" aria-label="Room call">
        <header>
          <h1>Room call</h1>
          <p class="status" role="status">${this.#status()}</p>
        </header>
        <div
          class="tiles ${count > 1 ? 'speaker-layout' : ''}"
          data-count=${count}
          role="list"
          aria-label="People in the call"
        >
          ${repeat(
            tiles,
            (tile) => tile.key,
            (tile) => this.#tile(tile, tile.key === main, call.speaker === tile.key),
          )}
        </div>
        ${call.notice ? html`<p class="notice" role="alert">${call.notice}</p>` : nothing}
        ${this.playRefused ? html`<button class="primary tap-to-play" @click=${this.#playAll}>Tap to hear and see everyone</button>` : nothing}
        <div class="controls" role="toolbar" aria-label="Call controls">
          ${muteButton(call, this.service)} ${cameraButton(call, this.service)} ${videoSourceButtons(call, this.service)}
          <button class="icon" aria-label="Chat" title="Show the room’s conversation; the call goes on" @click=${() => this.#say('wh-minimize')}>${chatIcon}</button>
          <button class="icon hang-up" aria-label="Leave call" title="Leave call" @click=${() => void this.service.leave()}>${hangUpIcon}</button>
        </div>
      </section>
      <div class="bar" role="region" aria-label="Room call">
        <span class="label">Room call · ${this.#status()}</span>
        <button class="return" @click=${() => this.#say('wh-restore')}>Return to call</button>
        ${muteButton(call, this.service)}
        <button class="icon hang-up" aria-label="Leave call" @click=${() => void this.service.leave()}>${hangUpIcon}</button>
      </div>
    `;
  }

  #tiles(): Tile[] {
    const call = this.call;
    const others = call.participants.map((p: Participant) => ({
      key: p.device,
      name: this.names(p.device) || 'Someone',
      stream: p.stream,
      muted: p.muted,
      camera: p.camera,
      screen: p.screen,
      away: p.away,
      reconnecting: p.reconnecting,
      self: false,
    }));
    const self: Tile = { key: 'self', name: 'You', stream: call.local, muted: call.muted, camera: call.cameraOn || call.screen, screen: call.screen, away: false, reconnecting: false, self: true };
    return [...others, self];
  }

  #tile(tile: Tile, main: boolean, speaking: boolean) {
    // A remote video shows once frames of its stream came, and while its track lives (a dropped connection ends it).
    const hasLiveVideo = !!tile.stream?.getVideoTracks().some((track) => track.readyState === 'live');
    const showVideo = tile.camera && hasLiveVideo && (tile.self || (!tile.reconnecting && this.#playing.has(tile.stream!.id)));
    const states = [speaking ? 'speaking' : '', tile.muted ? 'muted' : '', tile.camera ? '' : 'camera off', tile.screen ? 'sharing their screen' : '', tile.away ? 'Whisper in the background, microphone may be paused' : '', tile.reconnecting ? 'reconnecting' : ''].filter(Boolean);
    return html`<div class="tile ${main ? 'main' : ''} ${speaking ? 'speaking' : ''}" role="listitem" aria-label=${[tile.name, ...states].join(', ')}>
      ${showVideo ? nothing : html`<div class="avatar" aria-hidden="true">${initial(tile.self ? this.selfName || tile.name : tile.name)}</div>`}
      <video
        class="${tile.screen ? 'whole' : ''} ${tile.self && !tile.screen && this.call.facing === 'user' ? 'mirror' : ''}"
        autoplay
        playsinline
        ?muted=${tile.self}
        .muted=${tile.self}
        aria-label="${tile.self ? 'Your' : `${tile.name}’s`} video"
        ?hidden=${!showVideo}
        .srcObject=${live(tile.stream)}
        @playing=${this.#videoState}
        @resize=${this.#videoState}
        @emptied=${this.#videoState}
      ></video>
      <span class="caption">
        ${tile.muted ? micOffIcon : nothing}
        <span>${tile.name}${tile.reconnecting ? ' · reconnecting…' : tile.away ? ' · in the background' : tile.screen && !tile.self ? ' · screen' : ''}</span>
      </span>
      ${tile.self
        ? nothing
        : html`<button class="icon stats" aria-label="Connection stats for ${tile.name}" title="Connection stats for ${tile.name}" @click=${() => void showConnectionStats(this.links(tile.key), tile.name)}>
            ${statsIcon}
          </button>`}
    </div>`;
  }

  #status(): string {
    const call = this.call;
    if (!call.answered) return 'Waiting for others to join…';
    if (call.participants.some((p) => p.reconnecting)) return 'Reconnecting…';
    const people = `${call.participants.length + 1} people`;
    return call.joinedAt === null ? people : `${people} · ${formatDuration(Math.max(0, this.now - call.joinedAt))}`;
  }

  /** A remote video counts as shown once frames of its stream arrive; a paused one (moved, or blocked) is started again. */
  readonly #videoState = (event: Event): void => {
    const video = event.currentTarget as HTMLVideoElement;
    const stream = video.srcObject instanceof MediaStream ? video.srcObject : null;
    if (stream && video.videoWidth > 0 && !video.paused && !this.#playing.has(stream.id)) {
      this.#playing.add(stream.id);
      this.requestUpdate();
    }
    if (video.paused && stream) this.#play(video);
  };

  protected override updated(): void {
    // A video that was hidden, or whose stream changed, may need to be started again.
    for (const video of this.renderRoot.querySelectorAll('video')) if (video.paused && video.srcObject) this.#play(video);
  }

  /** Plays a video; a refusal until the person taps is said (the button plays them all inside the tap). */
  #play(video: HTMLVideoElement): void {
    void playCallMedia(video).then((played) => {
      if (played === false) this.playRefused = true;
    });
  }

  #playAll(): void {
    const videos = [...this.renderRoot.querySelectorAll('video')].filter((video) => video.srcObject);
    void Promise.all(videos.map((video) => video.play())).then(
      () => (this.playRefused = false),
      () => undefined,
    );
  }

  #say(type: 'wh-minimize' | 'wh-restore'): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }
}

customElements.define('wh-group-call-view', WhGroupCallView);

declare global {
  interface HTMLElementTagNameMap {
    'wh-group-call-view': WhGroupCallView;
  }
}
