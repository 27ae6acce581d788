/**
 * Installing Whisper to the home screen. Chromium (desktop and Android) offers
 * it through `beforeinstallprompt`, which is kept so that the app's own
 * Install button can show the browser's prompt. iOS Safari has no such event:
 * there, a short "Add to Home Screen" guide is shown once, until dismissed.
 * Both go away once Whisper runs installed (`appinstalled`, or the page is in
 * `display-mode: standalone`).
 */
import { TypedEventTarget } from '../events/typed-event-target.js';
import { needsHomeScreen } from '../push/own-subscription.js';
import type { SettingsStore } from '../storage/settings-store.js';

/** Chromium's event (not in TypeScript's DOM types). */
interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export interface InstallPromptEventMap {
  'wh-install-change': CustomEvent<void>;
}

export class InstallPrompt extends TypedEventTarget<InstallPromptEventMap> {
  readonly #standalone = matchMedia('(display-mode: standalone)');
  #offer: BeforeInstallPromptEvent | null = null;
  #installed = this.#standalone.matches;
  /** Read from the settings once they are open; hidden until then. */
  #guideDismissed = true;
  #dataAtRisk = false;
  /**
   * Which guide Safari needs, read once from the browser: an iPhone's or iPad's (Share, then Add to Home Screen),
   * or a Mac's (File, then Add to Dock, from Safari 17); null for browsers with their own prompt.
   */
  readonly guideFor: 'home-screen' | 'dock' | null = safariGuide();
  #settings: SettingsStore | null = null;

  /** Listens from the page's start: the browser may offer installing before the app has opened its storage. */
  constructor() {
    super();
    addEventListener('beforeinstallprompt', (event) => {
      // Keep it for the Install button instead of the browser's own mini-infobar.
      event.preventDefault();
      this.#offer = event as BeforeInstallPromptEvent;
      this.#changed();
    });
    addEventListener('appinstalled', () => this.#markInstalled());
    this.#standalone.addEventListener('change', (event) => {
      if (event.matches) this.#markInstalled();
    });
  }

  /** The settings hold whether the iOS guide was dismissed. */
  async useSettings(settings: SettingsStore): Promise<void> {
    this.#settings = settings;
    this.#guideDismissed = await settings.get('installGuideDismissed');
    // Safari in a tab keeps a site's data only 7 days without a visit, and says so: persisted() is false there.
    this.#dataAtRisk = this.guideFor !== null && (await navigator.storage?.persisted?.().catch(() => true)) === false;
    this.#changed();
  }

  /**
   * Safari (an iPhone's or iPad's, or a Mac's) in a tab rather than the installed app, where the browser says it
   * may delete Whisper's data (this device's identity, the history, received files): after 7 days without a
   * visit, Safari does.
   */
  get dataAtRisk(): boolean {
    return !this.#installed && this.#dataAtRisk;
  }

  /** The browser offers installing, and the app is not installed. */
  get canInstall(): boolean {
    return !this.#installed && this.#offer !== null;
  }

  /** Safari without an install prompt, in a tab, and the guide not dismissed yet. */
  get showsGuide(): boolean {
    return !this.#installed && !this.#guideDismissed && this.guideFor !== null;
  }


  /** Shows the browser's install prompt (from a click); the offer can be used once. */
  async install(): Promise<void> {
    const offer = this.#offer;
    if (!offer) return;
    this.#offer = null;
    this.#changed();
    await offer.prompt();
    if ((await offer.userChoice).outcome === 'accepted') this.#markInstalled();
  }

  async dismissGuide(): Promise<void> {
    this.#guideDismissed = true;
    this.#changed();
    await this.#settings?.set('installGuideDismissed', true);
  }

  #markInstalled(): void {
    this.#installed = true;
    this.#offer = null;
    this.#changed();
  }

  #changed(): void {
    this.emit('wh-install-change', undefined);
  }
}

function safariGuide(): 'home-screen' | 'dock' | null {
  if (needsHomeScreen()) return 'home-screen';
  const agent = navigator.userAgent;
  const macSafari = agent.includes('Macintosh') && !/Chrome|Chromium|Edg|Firefox|OPR/.test(agent) ? /Version\/(\d+)[\d.]* Safari\//.exec(agent) : null;
  return macSafari && Number(macSafari[1]) >= 17 ? 'dock' : null;
}
