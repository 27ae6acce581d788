/**
 * Firefox for the cross-browser suite: Debian's Firefox ESR, driven over
 * WebDriver BiDi by puppeteer-core (Playwright's own Firefox does not run
 * here), with fake camera and microphone, and downloads saved to a folder the
 * test reads. A person is a browser context of their own (own storage, own
 * device) with one page, acted on by role and accessible name through the
 * shadow-root-walking finder of by-role.ts.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import puppeteer, { type Browser, type BrowserContext, type ElementHandle, type Page } from 'puppeteer-core';
import { BY_ROLE_SOURCE, describeName, nameArg, type InPage, type NameArg } from './by-role.js';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/lib/firefox-esr/firefox-esr';

export interface FirefoxOptions {
  /** Firefox's push service (an autopush-server.ts of the test's): `dom.push.serverURL`. */
  pushServer?: string;
  /** The D-Bus session bus its notifications go to (push-desktop-notifications.ts). */
  desktopBus?: string;
  /** More preferences (a benchmark's). */
  prefs?: Record<string, string | number | boolean>;
}

/** Firefox, saving what Save hands it into `downloads`. */
export async function launchFirefox(downloads: string, { pushServer, desktopBus, prefs = {} }: FirefoxOptions = {}): Promise<Browser> {
  if (!existsSync(FIREFOX_PATH)) throw new Error(`No Firefox at ${FIREFOX_PATH}: run 'sudo apt-get install -y firefox-esr' (npm test installs it as root).`);
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    protocolTimeout: 60_000,
    // Its notifications go to the test's desktop, a D-Bus session bus of its own, and nowhere else.
    ...(desktopBus ? { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: desktopBus } } : {}),
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      // A file saved with Save goes straight into `downloads`, as a person's Downloads folder.
      'browser.download.folderList': 2,
      'browser.download.dir': downloads,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
      'browser.download.start_downloads_in_tmp_dir': false,
      // Notifications are answered as a person who allowed them.
      'permissions.default.desktop-notification': 1,
      // Firefox's push client talks to the test's push service (WebDriver turns the connection off unless told).
      ...(pushServer ? { 'dom.push.serverURL': pushServer, 'dom.push.testing.allowInsecureServerURL': true, 'dom.push.connection.enabled': true } : {}),
      ...prefs,
    },
  });
}

export interface Find {
  /** Only inside this element. */
  within?: ElementHandle;
  /** Only elements whose text contains this. */
  hasText?: string;
  timeout?: number;
}

const TIMEOUT = 15_000;

/** One person in Firefox: their own context and page; console errors and page errors are collected. */
export class FirefoxPerson {
  readonly problems: string[] = [];

  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    public page: Page,
  ) {}

  static async open(browser: Browser, name: string, viewport = { width: 1280, height: 800 }): Promise<FirefoxPerson> {
    const context = await browser.createBrowserContext();
    const person = new FirefoxPerson(name, context, await context.newPage());
    await person.page.setViewport(viewport);
    await person.watch(person.page);
    return person;
  }

  /**
   * Makes `page` this person's page, watched like the first: one Firefox opened by itself (a notification's
   * click, through the service worker's clients.openWindow) is watched from the moment the test learns of it.
   */
  async watch(page: Page): Promise<void> {
    this.page = page;
    const name = this.name;
    await page.evaluateOnNewDocument(BY_ROLE_SOURCE);
    page.on('console', (message) => {
      const debugLog = process.env.WH_DEBUG;
      if (debugLog) appendFileSync(debugLog, `[${name} firefox] ${message.type()}: ${message.text()}\n`);
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) this.problems.push(`console: ${message.text()}`);
    });
    // Leaving a page that warns (a transfer under way) is confirmed, as a person who reloads on purpose does.
    page.on('dialog', (dialog) => void (dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss()));
    page.on('pageerror', (error) => this.problems.push(`page error: ${error instanceof Error ? `${error.message} ${error.stack ?? ''}` : String(error)}`));
    // A page that has loaded already gets the finder now.
    if (!(await page.evaluate(() => 'whA11y' in globalThis))) await page.evaluate(BY_ROLE_SOURCE);
  }

  /** The first visible element with the role and name; waits for it. */
  async find(role: string, name?: string | RegExp, options: Find = {}): Promise<ElementHandle> {
    const handle = await this.page
      .waitForFunction(
        (r: string, n: NameArg, scope: Element | null, hasText: string | null) =>
          (globalThis as unknown as InPage).whA11y?.all(r, n, scope, hasText)[0],
        { timeout: options.timeout ?? TIMEOUT, polling: 100 },
        role,
        nameArg(name),
        options.within ?? null,
        options.hasText ?? null,
      )
      .catch((error: Error) => {
        throw new Error(`${this.name} (Firefox): no visible ${role}${describeName(name)}${options.hasText ? ` with “${options.hasText}”` : ''}: ${error.message}`);
      });
    return handle.asElement() as ElementHandle;
  }

  /** How many visible elements have the role and name now. */
  count(role: string, name?: string | RegExp, options: Find = {}): Promise<number> {
    return this.page.evaluate(
      (r: string, n: NameArg, scope: Element | null, hasText: string | null) => (globalThis as unknown as InPage).whA11y.all(r, n, scope, hasText).length,
      role,
      nameArg(name),
      options.within ?? null,
      options.hasText ?? null,
    );
  }

  /** Waits until no visible element has the role and name. */
  async gone(role: string, name?: string | RegExp, options: Find = {}): Promise<void> {
    await this.page.waitForFunction(
      (r: string, n: NameArg, scope: Element | null) => (globalThis as unknown as InPage).whA11y.all(r, n, scope, null).length === 0,
      { timeout: options.timeout ?? TIMEOUT, polling: 100 },
      role,
      nameArg(name),
      options.within ?? null,
    );
  }

  /** Clicks the element once it can be used, as a person (and Playwright's click) waits for a disabled button. */
  async click(role: string, name?: string | RegExp, options: Find = {}): Promise<void> {
    const element = await this.find(role, name, options);
    await this.page
      .waitForFunction((e: Element) => !(e as HTMLButtonElement).disabled && e.getAttribute('aria-disabled') !== 'true', { timeout: options.timeout ?? TIMEOUT, polling: 100 }, element)
      .catch((error: Error) => {
        throw new Error(`${this.name} (Firefox): the ${role}${describeName(name)} stayed disabled: ${error.message}`);
      });
    await element.click();
  }

  async fill(role: string, name: string | RegExp, text: string): Promise<void> {
    const box = await this.find(role, name);
    await box.evaluate((element) => {
      (element as HTMLInputElement).value = '';
    });
    await box.type(text);
  }

  /** The element's rendered text (across shadow roots). */
  text(element: ElementHandle): Promise<string> {
    return element.evaluate((e) => (globalThis as unknown as InPage).whA11y.text(e));
  }

  accessibleName(element: ElementHandle): Promise<string> {
    return element.evaluate((e) => (globalThis as unknown as InPage).whA11y.name(e));
  }

  /** Waits until the element's text matches. */
  async waitForText(element: ElementHandle, text: RegExp, timeout = TIMEOUT): Promise<void> {
    await this.page
      .waitForFunction((e: Element, source: string, flags: string) => new RegExp(source, flags).test((globalThis as unknown as InPage).whA11y.text(e)), { timeout, polling: 200 }, element, text.source, text.flags)
      .catch(async (error: Error) => {
        throw new Error(`${this.name} (Firefox): the text never matched ${String(text)}; it is “${await this.text(element).catch(() => '?')}”: ${error.message}`);
      });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

// What a person does in the app, in Firefox (the same steps as people.ts, for Playwright's pages).

export async function openRoomIn(person: FirefoxPerson, url: string): Promise<void> {
  await person.page.goto(url);
  // The room, or first the name form (a device that has not joined before): whichever the app shows.
  const shown = await person.page.waitForFunction(
    () => {
      const a11y = (globalThis as unknown as InPage).whA11y;
      return a11y?.all('button', 'Share', null, null)[0] ? 'room' : a11y?.all('textbox', 'Your name', null, null)[0] ? 'name' : false;
    },
    { timeout: TIMEOUT, polling: 100 },
  );
  if ((await shown.jsonValue()) === 'name') {
    await person.fill('textbox', 'Your name', person.name);
    await person.click('button', 'Join');
  }
  await person.find('button', 'Share');
}

/** Starts a new room from the home page; returns its link. */
export async function createRoomIn(person: FirefoxPerson, appUrl: string): Promise<string> {
  await person.page.goto(appUrl);
  await person.fill('textbox', 'Your name', person.name);
  await person.click('button', 'Join');
  await person.click('button', 'New room');
  await person.find('button', 'Share');
  await person.page.waitForFunction(() => /^\/r\/[A-Za-z0-9_-]{22}$/.test(location.pathname), { timeout: TIMEOUT, polling: 100 });
  return person.page.url();
}

export function personEntryIn(person: FirefoxPerson, other: string, timeout?: number): Promise<ElementHandle> {
  return person.find('list', 'People').then((list) => person.find('button', new RegExp(`^${other}, `), { within: list, ...(timeout ? { timeout } : {}) }));
}

export async function openChatIn(person: FirefoxPerson, other: string): Promise<void> {
  await (await personEntryIn(person, other)).click();
  await person.find('heading', other);
}

export async function sendIn(person: FirefoxPerson, text: string): Promise<void> {
  await person.fill('textbox', 'Message', text);
  await person.page.keyboard.press('Enter');
}

/** The entry in the open conversation with these words. */
export async function entryIn(person: FirefoxPerson, text: string, timeout?: number): Promise<ElementHandle> {
  const list = await person.find('list', 'Messages');
  return person.find('listitem', undefined, { within: list, hasText: text, ...(timeout ? { timeout } : {}) });
}

/** Waits for the status mark of one of my messages ("Delivered", "Read"...). */
export async function statusIn(person: FirefoxPerson, text: string, status: string): Promise<void> {
  await person.find('img', status, { within: await entryIn(person, text) });
}

/**
 * Waits until the other person's video (found by its name, “Alice’s video”) decodes frames of a real size
 * and more keep coming, as calls.ts checks it in Chromium.
 */
export async function expectRemoteVideoPlayingIn(person: FirefoxPerson, other: string): Promise<void> {
  const frames = () =>
    person.page.evaluate((name: string) => {
      const video = (globalThis as unknown as InPage).whA11y.labelled(name)[0] as HTMLVideoElement | undefined;
      // Firefox counts no frames in getVideoPlaybackQuality() for a MediaStream: count the frames presented.
      const counted = video as (HTMLVideoElement & { whFrames?: number }) | undefined;
      if (counted && counted.whFrames === undefined) {
        counted.whFrames = 0;
        const count = () => {
          counted.whFrames!++;
          counted.requestVideoFrameCallback(count);
        };
        counted.requestVideoFrameCallback(count);
      }
      return counted ? { width: counted.videoWidth, height: counted.videoHeight, decoded: counted.whFrames! } : null;
    }, `${other}’s video`);
  const deadline = Date.now() + 20_000;
  let first: { width: number; height: number; decoded: number } | null = null;
  for (;;) {
    const now = await frames();
    if (now && now.width > 0 && now.height > 0) {
      first ??= now;
      if (now.decoded > first.decoded) return;
    }
    if (Date.now() > deadline) throw new Error(`${person.name} (Firefox): ${other}’s video is not playing (${JSON.stringify(now)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Attaches files as the Attach button would (the file input it opens). */
export async function attachIn(person: FirefoxPerson, ...paths: string[]): Promise<void> {
  const input = (await person.page.evaluateHandle(() => (globalThis as unknown as InPage).whA11y.fileInput())).asElement() as ElementHandle<HTMLInputElement> | null;
  if (!input) throw new Error(`${person.name} (Firefox): no file input to attach with`);
  await input.uploadFile(...paths);
}

/**
 * Presses Save on the file's entry and waits until the downloads folder holds all `bytes` of it (Firefox
 * creates the file first, empty, and writes it through a .part file); its SHA-256.
 */
export async function savedIn(person: FirefoxPerson, downloads: string, name: string, bytes: number): Promise<string> {
  await person.click('button', 'Save', { within: await entryIn(person, name) });
  const path = join(downloads, name);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const files = await readdir(downloads);
    const size = files.includes(name) ? (await stat(path)).size : -1;
    if (size === bytes && !files.some((file) => file.endsWith('.part'))) break;
    if (Date.now() > deadline) throw new Error(`${person.name} (Firefox): “${name}” never arrived whole in the downloads folder (${files.join(', ')}; ${size} bytes)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
