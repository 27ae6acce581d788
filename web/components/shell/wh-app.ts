import { LitElement, html } from 'lit';
import { registerSW } from 'virtual:pwa-register';
import { InstallPrompt } from '../../app/install-prompt.js';
import { roomFromPath } from '../../app/room-link.js';
import { primeWakeLock, ScreenKeeper } from '../../app/wake-lock.js';
import { WhisperApp } from '../../app/whisper-app.js';
import { hasWebRTC } from '../../identity/webrtc-support.js';
import type { RoomId } from '../../../signal/protocol/messages.js';
import type { RoomSession } from '../../room/room-session.js';
import { noWebRTC } from './no-webrtc-notice.js';
import { appStyles } from './wh-app.styles.js';
import './wh-home-view.js';
import '../room/wh-room-view.js';
import { callLayer, loadCallScreens } from '../calls/call-layer.js';
import { listenForCallActions } from '../../calls/call-notification.js';

const UPDATE_CHECK_MS = 60 * 60 * 1000;

type Phase = { kind: 'loading' } | { kind: 'failed'; reason: string } | { kind: 'name' } | { kind: 'home' } | { kind: 'room'; session: RoomSession };

/**
 * The whole app: routes between the name form, the home page and a room
 * (`/r/<room>`), keeps "which chat is open" in the browser history so that
 * Back closes it, and offers updates of the app.
 */
export class WhApp extends LitElement {
  static override properties = {
    phase: { state: true },
    selected: { state: true },
    online: { state: true },
    updateReady: { state: true },
    warning: { state: true },
    sharedCount: { state: true },
    callMinimized: { state: true },
  };
  declare phase: Phase;
  declare selected: string | null;
  declare online: boolean;
  declare updateReady: boolean;
  declare warning: string;
  /** Files shared into Whisper that wait for a recipient. */
  declare sharedCount: number;
  /** The call goes on in a bar at the top while the person looks at the chat. */
  declare callMinimized: boolean;
  #stopCallActions: (() => void) | null = null;
  #app: WhisperApp | null = null;
  /** From the page's start: the browser may offer installing before storage is open. */
  readonly #install = new InstallPrompt();
  #name = '';
  #recentRooms: string[] = [];
  #applyUpdate: ((reload?: boolean) => Promise<void>) | null = null;

  constructor() {
    super();
    this.phase = { kind: 'loading' };
    this.selected = null;
    this.online = navigator.onLine;
    this.updateReady = false;
    this.warning = '';
    this.sharedCount = 0;
    this.callMinimized = false;
    primeWakeLock();
  }

  static override styles = appStyles;

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('popstate', this.#onPopState);
    addEventListener('online', this.#onNetwork);
    addEventListener('offline', this.#onNetwork);
    document.addEventListener('visibilitychange', this.#onVisibility);
    addEventListener('pagehide', this.#onPageHide);
    addEventListener('beforeunload', this.#onBeforeUnload);
    addEventListener('pageshow', this.#onPageShow);
    this.#stopCallActions = listenForCallActions((message) => void this.#callAction(message.call, message.action));
    this.#applyUpdate = registerSW({
      onNeedRefresh: () => {
        // The prompt's code comes with the first update, not with every first load.
        void import('./wh-update-prompt.js').then(() => (this.updateReady = true));
      },
      onRegisteredSW: (_url, registration) => {
        // Long-lived tabs look for a new version every hour and whenever they come back into view.
        if (!registration) return;
        setInterval(() => void registration.update().catch(() => undefined), UPDATE_CHECK_MS);
        document.addEventListener('visibilitychange', () => {
          if (document.visibilityState === 'visible') void registration.update().catch(() => undefined);
        });
      },
    });
    void this.#boot();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('popstate', this.#onPopState);
    removeEventListener('online', this.#onNetwork);
    removeEventListener('offline', this.#onNetwork);
    removeEventListener('pagehide', this.#onPageHide);
    removeEventListener('beforeunload', this.#onBeforeUnload);
    removeEventListener('pageshow', this.#onPageShow);
    this.#stopCallActions?.();
    document.removeEventListener('visibilitychange', this.#onVisibility);
  }

  override render() {
    const session = this.phase.kind === 'room' ? this.phase.session : null;
    const group = session?.groupCalls.current;
    const call = session?.calls.current;
    const minimized = this.callMinimized && ((!!group && group.phase === 'joined') || (!!call && call.phase !== 'incoming'));
    this.toggleAttribute('call-bar', minimized);
    return html`
      <div class="page">${this.#page()}</div>
      ${this.#call()}
      ${this.warning
        ? html`<div class="toast" role="alert"><p>${this.warning}</p><button @click=${() => (this.warning = '')}>Dismiss</button></div>`
        : null}
      ${this.updateReady ? html`<wh-update-prompt @wh-update=${this.#update}></wh-update-prompt>` : null}
    `;
  }

  #call() {
    if (this.phase.kind !== 'room') return null;
    return callLayer(this.phase.session, {
      selfName: this.#name,
      minimized: this.callMinimized,
      showChat: (conversation) => void this.#showCallChat(conversation),
      restore: () => (this.callMinimized = false),
    });
  }

  /** "Chat" in a call: the conversation with that person, the call in a bar above it. */
  async #showCallChat(device: string): Promise<void> {
    this.callMinimized = true;
    await this.#select(new CustomEvent('wh-select', { detail: device }));
  }

  #page() {
    switch (this.phase.kind) {
      case 'loading':
        return html`<main class="center"><p class="muted" role="status">Opening Whisper…</p></main>`;
      case 'failed':
        return html`<main class="center"><h1>Whisper cannot start</h1><p class="muted" role="alert">${this.phase.reason}</p></main>`;
      case 'name':
        return html`<main class="center">
          <h1>Whisper</h1>
          <p class="muted">Private conversations, straight from your device to theirs.</p>
          <wh-name-form .value=${this.#name} @wh-name=${this.#nameChosen}></wh-name-form>
          ${hasWebRTC() ? null : noWebRTC()}
        </main>`;
      case 'home':
        return html`<main class="home">
          ${hasWebRTC() ? null : noWebRTC()}
          <wh-home-view
            .name=${this.#name}
            .recentRooms=${this.#recentRooms}
            .sharedCount=${this.sharedCount}
            .install=${this.#install}
            @wh-new-room=${this.#newRoom}
            @wh-join=${this.#joinRoom}
            @wh-discard-shared=${this.#discardShared}
          ></wh-home-view>
        </main>`;
      case 'room':
        return html`<wh-room-view
          .session=${this.phase.session}
          .selected=${this.selected}
          .online=${this.online}
          .sharedCount=${this.sharedCount}
          .install=${this.#install}
          @wh-send-shared=${this.#sendShared}
          @wh-select=${this.#select}
          @wh-close-chat=${this.#closeChat}
          @wh-relay-only=${this.#relayOnly}
          @wh-new-room=${this.#newRoom}
          @wh-only-verified=${this.#onlyVerified}
        ></wh-room-view>`;
    }
  }

  async #boot(): Promise<void> {
    try {
      this.#app = await WhisperApp.open();
    } catch (error) {
      // A rare page: its words are not part of every start.
      const { cannotKeepData } = await import('./cannot-start.js');
      this.phase = { kind: 'failed', reason: cannotKeepData(error) };
      return;
    }
    void this.#install.useSettings(this.#app.settings);
    this.#name = await this.#app.settings.get('name');
    // Started by a tap on a notification at the start address instead of the room it named (an iPhone's Home
    // Screen app does that): go to that room, where its call rings.
    const tapped = await this.#app.takePendingRoute();
    if (tapped && !roomFromPath(location.pathname)) history.replaceState(null, '', `/r/${tapped}`);
    await this.#route();
  }

  async #route(): Promise<void> {
    const app = this.#app;
    if (!app) return;
    this.sharedCount = await app.shared.count();
    if (!this.#name) {
      // Asked once per device: its code is not part of every start.
      await import('./wh-name-form.js');
      this.phase = { kind: 'name' };
      return;
    }
    const room = roomFromPath(location.pathname);
    if (!room) {
      app.leaveRoom();
      this.selected = null;
      this.#recentRooms = await app.settings.get('recentRooms');
      this.phase = { kind: 'home' };
      return;
    }
    const session = await app.enterRoom(room, this.#name);
    if (this.phase.kind !== 'room' || this.phase.session !== session) {
      session.away.addEventListener('wh-away-notice', (event) => (this.warning = event.detail));
      session.addEventListener('wh-warning', (event) => (this.warning = event.detail));
      session.addEventListener('wh-key-replaced', (event) => {
        // The open conversation moved to the person's new key: it stays open, under that key.
        if (this.selected !== event.detail.from) return;
        history.replaceState({ chat: event.detail.to }, '');
        this.selected = event.detail.to;
        void this.#syncActive();
      });
      session.chat.addEventListener('wh-storage-error', (event) => (this.warning = event.detail));
      session.roomChat.addEventListener('wh-room-error', (event) => (this.warning = event.detail));
      session.transfers.addEventListener('wh-transfer-error', (event) => (this.warning = event.detail));
      session.transfers.addEventListener('wh-transfer', () => void this.#keepAwake());
      session.calls.addEventListener('wh-call-notice', (event) => (this.warning = event.detail));
      session.groupCalls.addEventListener('wh-call-notice', (event) => (this.warning = event.detail));
      for (const service of [session.calls, session.groupCalls]) {
        service.addEventListener(service === session.calls ? 'wh-call' : 'wh-group-call', () => {
          if (session.calls.current || session.groupCalls.current) loadCallScreens();
          else this.callMinimized = false;
          this.requestUpdate();
          void this.#keepAwake();
        });
      }
      this.phase = { kind: 'room', session };
    }
    this.selected = (history.state as { chat?: string } | null)?.chat ?? null;
    await this.#syncActive();
  }

  async #nameChosen(event: CustomEvent<string>): Promise<void> {
    this.#name = event.detail;
    await this.#app?.settings.set('name', event.detail);
    await this.#route();
  }

  async #newRoom(): Promise<void> {
    history.pushState(null, '', `/r/${WhisperApp.newRoomId()}`);
    await this.#route();
  }

  /** A room joined with its link or QR code (wh-join-form.ts). */
  async #joinRoom(event: CustomEvent<RoomId>): Promise<void> {
    history.pushState(null, '', `/r/${event.detail}`);
    await this.#route();
  }

  async #select(event: CustomEvent<string>): Promise<void> {
    if (this.selected === event.detail) return;
    // Opening a chat is a step in the history, so that Back (or the phone's back gesture) closes it.
    if (this.selected === null) history.pushState({ chat: event.detail }, '');
    else history.replaceState({ chat: event.detail }, '');
    this.selected = event.detail;
    await this.#syncActive();
  }

  async #closeChat(): Promise<void> {
    if ((history.state as { chat?: string } | null)?.chat) {
      history.back();
      return;
    }
    this.selected = null;
    await this.#syncActive();
  }

  /** Sends the files shared into Whisper to the person whose chat is open. */
  async #sendShared(): Promise<void> {
    const app = this.#app;
    if (!app?.session || !this.selected) return;
    const files = await app.shared.take();
    this.sharedCount = 0;
    await app.session.transfers.send(this.selected, files);
  }

  async #discardShared(): Promise<void> {
    await this.#app?.shared.take();
    this.sharedCount = 0;
  }

  async #relayOnly(event: CustomEvent<boolean>): Promise<void> {
    await this.#app?.settings.set('relayOnly', event.detail);
    this.#app?.session?.setRelayOnly(event.detail);
    this.requestUpdate();
  }

  async #onlyVerified(event: CustomEvent<boolean>): Promise<void> {
    await this.#app?.settings.set('onlyVerified', event.detail);
    this.#app?.session?.setOnlyVerified(event.detail);
    this.requestUpdate();
  }

  async #syncActive(): Promise<void> {
    await this.#app?.session?.setActive(this.selected, document.visibilityState === 'visible');
  }

  /** The person chose to update: activate the waiting version, then reload into it. */
  async #update(): Promise<void> {
    // workbox-window reloads only pages that were controlled when it registered; this covers the rest.
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    await this.#applyUpdate?.(true);
  }

  readonly #onPopState = () => void this.#route();
  /** Closing or leaving the page is a goodbye: the others see us leave at once, not after the resume grace period. */
  readonly #onPageHide = () => {
    this.#app?.leaveRoom();
  };
  readonly #onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted) void this.#route();
  };
  readonly #onVisibility = () => {
    void this.#syncActive();
    void this.#app?.session?.calls.setAway(document.visibilityState === 'hidden');
    void this.#app?.session?.groupCalls.setAway(document.visibilityState === 'hidden');
    // The system drops a wake lock when the page is hidden; take it again on return.
    this.#screen.dropped();
    void this.#keepAwake();
  };

  /** Leaving mid-transfer or mid-call asks first (a transfer would resume later, but people expect to be asked). */
  readonly #onBeforeUnload = (event: BeforeUnloadEvent) => {
    const session = this.#app?.session;
    if (!session?.transfers.busy && !session?.calls.current && !session?.groupCalls.current) return;
    event.preventDefault();
    event.returnValue = '';
  };

  readonly #screen = new ScreenKeeper();

  /** A click on a call notification: the room's call's, or a one-to-one call's (or an Accept the worker recorded). */
  async #callAction(call: string, action: 'accept' | 'decline' | 'open'): Promise<void> {
    const session = this.#app?.session;
    if (action === 'accept') await this.#app?.answerAccepted();
    if (session && !(await session.groupCalls.notificationAction(call, action))) await session.calls.notificationAction(call, action);
  }

  /** Keeps a phone's screen on while a file moves or a call runs, where the browser allows it. */
  async #keepAwake(): Promise<void> {
    const session = this.#app?.session;
    await this.#screen.keep(!!session && (session.transfers.busy || session.calls.current?.phase === 'active' || session.groupCalls.current?.phase === 'joined'));
  }

  readonly #onNetwork = () => {
    this.online = navigator.onLine;
  };
}

customElements.define('wh-app', WhApp);

declare global {
  interface HTMLElementTagNameMap {
    'wh-app': WhApp;
  }
}
