/**
 * Bob's side of Web Push in Firefox, every part of it Firefox's own (push.spec.ts, mailbox-firefox.spec.ts): it
 * subscribes through its push client, connected to our push service's WebSocket side as it connects to
 * Mozilla's (autopush-server.ts), decrypts what comes with keys only it holds, wakes the worker, and shows the
 * notification on the desktop (a D-Bus notification server of the test's, push-desktop-notifications.ts),
 * where the test reads it and clicks it as a person would; the worker's clients.openWindow opens the app.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, ElementHandle, Page } from 'puppeteer-core';
import { AutopushServer } from '../support/autopush-server.js';
import { DesktopNotifications } from '../support/push-desktop-notifications.js';
import type { PushService } from '../support/push-service.js';
import { expect } from './fixtures.js';
import { FirefoxPerson, launchFirefox, openChatIn, openRoomIn } from './firefox.js';
import { readStore } from '../support/indexed-db.js';
import { createRoom, openChat, personEntry, type Person } from './people.js';
import { pushOf } from './push-phone.js';

/** Whether a switch is on. */
const isOn = (handle: ElementHandle) => handle.evaluate((e) => (e as HTMLInputElement).checked || e.getAttribute('aria-checked') === 'true');

/** The person turns "Notify me when I'm away" on (it was off): Firefox subscribes through its push client. */
export async function notifyWhenAwayIn(person: FirefoxPerson): Promise<void> {
  const away = await person.find('switch', /Notify me when I’m away/);
  expect(await isOn(away)).toBe(false);
  await away.click();
  await person.page.waitForFunction((e: Element) => (e as HTMLInputElement).checked || e.getAttribute('aria-checked') === 'true', { timeout: 15_000, polling: 100 }, away);
}

/** The push endpoint the person's device keeps for `name`, read from its IndexedDB. */
export async function pushOfIn(person: FirefoxPerson, name: string): Promise<string | null> {
  const contacts = (await person.page.evaluate(readStore('contacts'))) as Array<{ name: string; push?: { endpoint: string } }>;
  return contacts.find((contact) => contact.name === name)?.push?.endpoint ?? null;
}

/** Firefox as a push client of the test's push service, with the desktop it shows notifications on. */
export class FirefoxPushClient {
  readonly #people: FirefoxPerson[] = [];

  private constructor(
    readonly browser: Browser,
    readonly desktop: DesktopNotifications,
    readonly autopush: AutopushServer,
    private readonly service: PushService,
    private readonly downloads: string,
  ) {}

  /** Firefox whose push client talks to `service`, its notifications on a desktop of the test's. */
  static async launch(service: PushService): Promise<FirefoxPushClient> {
    const desktop = await DesktopNotifications.start();
    const autopush = await AutopushServer.start(service).catch(async (error: unknown) => {
      await desktop.stop();
      throw error;
    });
    const downloads = await mkdtemp(join(tmpdir(), 'whisper-push-firefox-'));
    try {
      const browser = await launchFirefox(downloads, { pushServer: autopush.url, desktopBus: desktop.address });
      return new FirefoxPushClient(browser, desktop, autopush, service, downloads);
    } catch (error) {
      await Promise.all([autopush.stop(), desktop.stop(), rm(downloads, { recursive: true, force: true })]);
      throw error;
    }
  }

  /**
   * Bob in this Firefox, in a room Alice (Chromium) creates, talking with her; he turns "Notify me when I'm
   * away" on: Firefox subscribes through its push client, and Alice's device gets the endpoint our push
   * service gave it. `closePeople` closes him.
   */
  async subscribeBob(alice: Person, appUrl: string): Promise<{ bob: FirefoxPerson; endpoint: string; link: string }> {
    const bob = await this.open('Bob');
    const link = await createRoom(alice, appUrl);
    await openRoomIn(bob, link);
    await bob.page.evaluate(async () => Boolean(await navigator.serviceWorker.ready));
    await openChat(alice, 'Bob');
    await openChatIn(bob, 'Alice');
    await bob.waitForText(await bob.find('region', 'Conversation'), /Direct \(P2P\)/);
    await notifyWhenAwayIn(bob);
    // Firefox registered with our push service, and the endpoint it got went to Alice over the data channel.
    await expect.poll(() => pushOf(alice, 'Bob'), { timeout: 15_000 }).toMatch(new RegExp(`^${this.service.origin}/push/`));
    return { bob, endpoint: (await pushOf(alice, 'Bob'))!, link };
  }

  /** A person in this Firefox (a context of their own), closed by `closePeople`. */
  async open(name: string): Promise<FirefoxPerson> {
    const person = await FirefoxPerson.open(this.browser, name);
    this.#people.push(person);
    return person;
  }

  /** Waits until push number `count` to `endpoint` reached Firefox, which decrypted it and gave it to the worker (ack 100). */
  async took(endpoint: string, count: number): Promise<void> {
    const push = await this.service.waitForEndpoint(endpoint, count, 20_000);
    expect(push.problem).toBeNull();
    expect(await this.autopush.ackFor(endpoint, count)).toMatchObject({ code: 100 });
  }

  /** Closes the people opened here since the last call; then none of their pages may have reported errors. */
  async closePeople(): Promise<void> {
    const ended = this.#people.splice(0).map((person) => ({ person, problems: person.problems.splice(0) }));
    for (const { person } of ended) await person.close();
    for (const { person, problems } of ended) expect(problems, `${person.name}'s pages (Firefox) reported errors`).toEqual([]);
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.autopush.stop();
    await this.desktop.stop();
    await rm(this.downloads, { recursive: true, force: true });
  }
}

/** Bob closes the app: his page goes, Firefox (with the worker and its push connection) stays. */
export async function bobClosesFirefoxTab(alice: Person, bob: FirefoxPerson): Promise<void> {
  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
}

/** The page Firefox opens next in `context` at an address under `prefix`. */
export async function pageOpened(context: BrowserContext, prefix: string): Promise<Page> {
  const target = await context.waitForTarget((t) => t.url().startsWith(prefix), { timeout: 20_000 });
  return (await target.page())!;
}
