import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { live } from 'lit/directives/live.js';
import type { Call, CallService } from '../../calls/call-service.js';
import { formatDuration } from '../../format/amounts.js';
import type { PeerLink } from '../../peers/peer-link.js';
import { cameraButton, muteButton, playCallMedia, showConnectionStats, videoSourceButtons } from './call-controls.js';
import { chatIcon, hangUpIcon, pipIcon, statsIcon } from '../shared/icons.js';
import { callScreenStyles, callViewStyles } from './call.styles.js';
import { controlStyles } from '../shared/shared.styles.js';
import { ListenController } from '../shared/listen-controller.js';
import { initial } from './wh-incoming-call.js';

/** How close to an edge the preview tile settles after a drag, px. */
const TILE_MARGIN = 12;

/**
 * A call being made or held: the other person's video fills the screen, this
 * device's preview is a small tile that can be dragged to any corner, and
 * the controls sit at the bottom. Minimized (the person went back to the
 * chat), it is a bar at the top of the screen; the call and its sound go on.
 * @event wh-minimize - Show the chat, keep the call.
 * @event wh-restore - Back to the call screen.
 */
/** Picture in picture was refused once: the button stays hidden for the rest of this page's life. */
let pipRefused = false;

export class WhCallView extends LitElement {
  static override properties = {
    call: { attribute: false },
    service: { attribute: false },
    link: { attribute: false },
    name: {},
    minimized: { type: Boolean, reflect: true },
    now: { state: true },
    remotePlaying: { state: true },
    playRefused: { state: true },
    pipProblem: { state: true },
  };
  declare call: Call;
  declare service: CallService;
  declare link: PeerLink | null;
  declare name: string;
  declare minimized: boolean;
  declare now: number;
  declare remotePlaying: boolean;
  /** The browser would not play the other side's sound and video without a tap (Safari in a receive-only call). */
  declare playRefused: boolean;
  /** Picture in picture was refused (older iPhones refuse it for a call's video): said, and the button hidden. */
  declare pipProblem: string;
  #clock: ReturnType<typeof setInterval> | null = null;
  #drag: { pointer: number; dx: number; dy: number } | null = null;

  constructor() {
    super();
    this.link = null;
    this.name = '';
    this.minimized = false;
    this.now = Date.now();
    this.remotePlaying = false;
    this.playRefused = false;
    this.pipProblem = '';
    new ListenController(this, () => this.service, ['wh-call']);
  }

  static override styles = [
    controlStyles,
    callScreenStyles,
    callViewStyles,
    css`
      /* Inside the call's region, painted under its header, stage and controls. */
      video.remote {
        position: absolute;
        z-index: -1;
        inset: 0;
        width: 100%;
        height: 100%;
        object-fit: cover;
        background: #000;
      }
      /* A shared screen is shown whole; a face may be cropped to fill the screen. */
      video.remote.whole {
        object-fit: contain;
      }
      @media (min-aspect-ratio: 1/1) {
        video.remote {
          object-fit: contain;
        }
      }
      .full {
        position: absolute;
        inset: 0;
        display: grid;
        grid-template-rows: auto 1fr auto;
        pointer-events: none;
      }
      .full > * {
        pointer-events: auto;
      }
      .chips {
        display: flex;
        justify-content: center;
        flex-wrap: wrap;
        gap: 0.4rem;
        margin-top: 0.5rem;
      }
      .chip {
        font-size: 0.8rem;
        padding: 0.15rem 0.6rem;
        border-radius: 1rem;
        background: rgb(0 0 0 / 0.55);
      }
      .avatar {
        place-self: center;
      }
      .tap-to-play {
        place-self: center;
        pointer-events: auto;
        z-index: 1;
      }
      .stage {
        position: relative;
        display: grid;
        pointer-events: none;
      }
      video.local {
        position: absolute;
        top: ${TILE_MARGIN}px;
        right: ${TILE_MARGIN}px;
        width: clamp(6rem, 24vw, 12rem);
        aspect-ratio: 3 / 4;
        object-fit: cover;
        border-radius: 12px;
        background: #222;
        box-shadow: 0 4px 18px rgb(0 0 0 / 0.5);
        touch-action: none;
        cursor: grab;
        pointer-events: auto;
      }
      /* Once dragged, the tile is placed by offsets from the stage's top left corner. */
      video.local.placed {
        top: 0;
        right: auto;
        left: 0;
        transform: translate(var(--x, 0px), var(--y, 0px));
        transition: transform 180ms ease;
      }
      video.local.mirror {
        scale: -1 1;
      }
      video.local.dragging {
        transition: none;
        cursor: grabbing;
      }
      @media (prefers-reduced-motion: reduce) {
        video.local.placed {
          transition: none;
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
    // The call is over: its picture-in-picture window goes too (Chromium keeps it open for a removed video). The
    // video is known as such in this shadow root; the document sees this element instead.
    if (this.shadowRoot?.pictureInPictureElement === this.#remoteVideo) void document.exitPictureInPicture().catch(() => undefined);
  }

  override render() {
    const call = this.call;
    // (live(): Lit sets object values on every render, and setting srcObject, even to the same stream, restarts the video.)
    const active = call.phase === 'active';
    const showRemoteVideo = call.video && call.remoteCameraOn && this.remotePlaying;
    const hasLocalVideo = !!call.local?.getVideoTracks().length;
    return html`
      <section class="full" aria-label="Call with ${this.name}">
        <video
          class="remote ${call.remoteScreen ? 'whole' : ''}"
          autoplay
          playsinline
          aria-label="${this.name}’s video"
          .srcObject=${live(call.remote)}
          ?hidden=${!showRemoteVideo}
          @playing=${this.#remoteState}
          @resize=${this.#remoteState}
          @emptied=${this.#remoteState}
        ></video>
        <header>
          <h1>${this.name}</h1>
          <p class="status" role="status">${this.#status()}</p>
          <div class="chips">
            ${active && call.remoteAway ? html`<span class="chip">${this.name} has Whisper in the background: their microphone may be paused</span>` : nothing}
            ${active && call.remoteMuted && !call.remoteAway ? html`<span class="chip">${this.name} is muted</span>` : nothing}
            ${active && call.video && !call.remoteCameraOn ? html`<span class="chip">${this.name}’s camera is off</span>` : nothing}
            ${active && call.remoteScreen ? html`<span class="chip">${this.name} is sharing their screen</span>` : nothing}
          </div>
        </header>
        <div class="stage">
          ${showRemoteVideo ? nothing : html`<div class="avatar" aria-hidden="true">${initial(this.name)}</div>`}
          ${call.notice ? html`<p class="notice" role="alert">${call.notice}</p>` : nothing}
          ${this.pipProblem ? html`<p class="notice" role="alert">${this.pipProblem}</p>` : nothing}
          ${this.playRefused ? html`<button class="primary tap-to-play" @click=${this.#playAfterTap}>Tap to hear and see ${this.name}</button>` : nothing}
          <video
            class="local ${call.facing === 'user' && !call.screen ? 'mirror' : ''}"
            autoplay
            playsinline
            muted
            aria-label="Your video"
            ?hidden=${!hasLocalVideo}
            .srcObject=${live(call.local)}
            @pointerdown=${this.#dragStart}
            @pointermove=${this.#dragMove}
            @pointerup=${this.#dragEnd}
            @pointercancel=${this.#dragEnd}
          ></video>
        </div>
        <div class="controls" role="toolbar" aria-label="Call controls">${this.#controls()}</div>
      </section>
      <div class="bar" role="region" aria-label="Call with ${this.name}">
        <span class="label">${this.name} · ${this.#status()}</span>
        <button class="return" @click=${() => this.#say('wh-restore')}>Return to call</button>
        ${muteButton(this.call, this.service)}
        <button class="icon hang-up" aria-label="Hang up" @click=${() => void this.service.hangUp()}>${hangUpIcon}</button>
      </div>
    `;
  }

  #status(): string {
    const call = this.call;
    if (call.phase === 'outgoing') return 'Calling…';
    if (call.reconnecting) return 'Reconnecting…';
    if (call.phase === 'active' && call.answeredAt !== null) return formatDuration(Math.max(0, this.now - call.answeredAt));
    return '';
  }

  #controls() {
    const call = this.call;
    const active = call.phase === 'active';
    const hangUp = html`<button class="icon hang-up" aria-label=${active ? 'Hang up' : 'Cancel'} title=${active ? 'Hang up' : 'Cancel'} @click=${() => void this.service.hangUp()}>
      ${hangUpIcon}
    </button>`;
    if (!active) return [muteButton(call, this.service), cameraButton(call, this.service), hangUp];
    return [
      muteButton(call, this.service),
      cameraButton(call, this.service),
      ...videoSourceButtons(call, this.service),
      call.video && document.pictureInPictureEnabled && !pipRefused
        ? html`<button class="icon" aria-label="Picture in picture" title="Picture in picture" @click=${this.#pictureInPicture}>${pipIcon}</button>`
        : nothing,
      html`<button class="icon" aria-label="Connection stats" title="Connection stats" @click=${() => void showConnectionStats(this.link, this.name)}>${statsIcon}</button>`,
      html`<button class="icon" aria-label="Chat" title="Show the chat; the call goes on" @click=${() => this.#say('wh-minimize')}>${chatIcon}</button>`,
      hangUp,
    ];
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('call') || this.#remoteVideo?.srcObject !== this.call.remote) this.#remoteState();
  }

  get #remoteVideo(): HTMLVideoElement | null {
    return this.renderRoot.querySelector('video.remote');
  }

  /** The remote video is shown once frames arrive (a black box before that helps no one). */
  #remoteState(): void {
    const video = this.#remoteVideo;
    this.remotePlaying = !!video && video.videoWidth > 0 && !video.paused;
    if (video?.paused && video.srcObject) {
      void playCallMedia(video).then((played) => {
        if (played !== null) this.playRefused = !played;
      });
    }
  }

  /** Inside the tap: play, which the browser now allows. */
  #playAfterTap(): void {
    const video = this.#remoteVideo;
    if (!video) return;
    void video.play().then(
      () => (this.playRefused = false),
      () => undefined,
    );
  }

  async #pictureInPicture(): Promise<void> {
    const video = this.#remoteVideo;
    if (!video) return;
    if (document.pictureInPictureElement) await document.exitPictureInPicture().catch(() => undefined);
    else {
      await video.requestPictureInPicture().catch((error: unknown) => {
        pipRefused = true;
        this.pipProblem = `This browser would not show ${this.name}’s video in picture in picture${error instanceof DOMException && error.name === 'NotSupportedError' ? ' (it does not for calls here)' : ''}. The call goes on here.`;
      });
    }
  }

  #dragStart(event: PointerEvent): void {
    const tile = event.currentTarget as HTMLVideoElement;
    const stage = tile.parentElement!.getBoundingClientRect();
    const rect = tile.getBoundingClientRect();
    tile.setPointerCapture(event.pointerId);
    tile.classList.add('placed', 'dragging');
    this.#placeTile(tile, rect.left - stage.left, rect.top - stage.top);
    this.#drag = { pointer: event.pointerId, dx: event.clientX - (rect.left - stage.left), dy: event.clientY - (rect.top - stage.top) };
  }

  #dragMove(event: PointerEvent): void {
    if (this.#drag?.pointer !== event.pointerId) return;
    this.#placeTile(event.currentTarget as HTMLVideoElement, event.clientX - this.#drag.dx, event.clientY - this.#drag.dy);
  }

  /** Settles the tile in the nearest corner. */
  #dragEnd(event: PointerEvent): void {
    if (this.#drag?.pointer !== event.pointerId) return;
    this.#drag = null;
    const tile = event.currentTarget as HTMLVideoElement;
    tile.classList.remove('dragging');
    const stage = tile.parentElement!.getBoundingClientRect();
    const rect = tile.getBoundingClientRect();
    const left = rect.left - stage.left + rect.width / 2 < stage.width / 2;
    const top = rect.top - stage.top + rect.height / 2 < stage.height / 2;
    this.#placeTile(tile, left ? TILE_MARGIN : stage.width - rect.width - TILE_MARGIN, top ? TILE_MARGIN : stage.height - rect.height - TILE_MARGIN);
  }

  #placeTile(tile: HTMLElement, x: number, y: number): void {
    const stage = tile.parentElement!;
    const maxX = Math.max(0, stage.clientWidth - tile.offsetWidth);
    const maxY = Math.max(0, stage.clientHeight - tile.offsetHeight);
    tile.style.setProperty('--x', `${Math.min(maxX, Math.max(0, x))}px`);
    tile.style.setProperty('--y', `${Math.min(maxY, Math.max(0, y))}px`);
  }

  #say(type: 'wh-minimize' | 'wh-restore'): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true }));
  }
}

customElements.define('wh-call-view', WhCallView);

declare global {
  interface HTMLElementTagNameMap {
    'wh-call-view': WhCallView;
  }
  interface HTMLElementEventMap {
    'wh-minimize': CustomEvent<void>;
    'wh-restore': CustomEvent<void>;
  }
}
