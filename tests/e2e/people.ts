/**
 * Helpers that act as a person would: open the app in a fresh browser context
 * (its own storage, so its own device), choose a name, open a room link,
 * pick someone from the list, write.
 */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { watchContext } from './fixtures.js';

export interface Person {
  name: string;
  context: BrowserContext;
  /** The person's open page; a test that closes it and opens another sets the new one here. */
  page: Page;
  /** What every page of the person's context reported, reopened pages included (see `watchContext`). */
  problems: string[];
}

export const PHONE = { width: 360, height: 640 };
/** What Safari on an iPhone says it is. */
export const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1';
export const DESKTOP = { width: 1280, height: 800 };

/**
 * A person with a browser context of their own, watched from its first page on. `touch`: a touch screen
 * (touch events, and `pointerType` "touch"), as on a phone. WH_DEBUG=<file> appends every page's console
 * to that file, by person.
 */
export async function newPerson(browser: Browser, name: string, viewport = DESKTOP, { touch = false } = {}): Promise<Person> {
  const context = await browser.newContext({ viewport, hasTouch: touch, permissions: ['clipboard-read', 'clipboard-write'] });
  const problems = watchContext(context);
  const debugLog = process.env.WH_DEBUG;
  if (debugLog) context.on('console', (message) => appendFileSync(debugLog, `[${name}] ${message.type()}: ${message.text()}\n`));
  return { name, context, page: await context.newPage(), problems };
}

/** The person closes the app's page and opens a new, blank one (still watched): as closing the tab, then opening the browser again. */
export async function closePage(person: Person): Promise<void> {
  const closing = person.page;
  person.page = await person.context.newPage();
  await closing.close();
}

/** Opens `url`, gives a name when asked, and waits for the room to be there. */
export async function openRoom(person: Person, url: string): Promise<void> {
  await person.page.goto(url);
  const nameBox = person.page.getByRole('textbox', { name: 'Your name' });
  const share = person.page.getByRole('button', { name: 'Share' });
  // The app's first start (its script, then IndexedDB and the device key) on a page opened while others hold
  // calls on these two cores: allowed longer than a click's answer.
  await expect(nameBox.or(share)).toBeVisible({ timeout: 30_000 });
  if (await nameBox.isVisible()) {
    await nameBox.fill(person.name);
    await person.page.getByRole('button', { name: 'Join' }).click();
  }
  await expect(person.page.getByRole('button', { name: 'Share' })).toBeVisible();
}

/** Starts a new room from the home page; returns its link. */
export async function createRoom(person: Person, appUrl: string): Promise<string> {
  await person.page.goto(appUrl);
  await person.page.getByRole('textbox', { name: 'Your name' }).fill(person.name);
  await person.page.getByRole('button', { name: 'Join' }).click();
  await person.page.getByRole('button', { name: 'New room' }).click();
  await expect(person.page).toHaveURL(/\/r\/[A-Za-z0-9_-]{22}$/);
  await expect(person.page.getByRole('button', { name: 'Share' })).toBeVisible();
  return person.page.url();
}

/** People in separate browser contexts, all in one new room: the first creates it, the others open its link. */
export async function meet(browser: Browser, appUrl: string, ...who: Array<string | { name: string; viewport: typeof DESKTOP; touch?: boolean }>): Promise<{ people: Person[]; link: string }> {
  const people: Person[] = [];
  for (const entry of who) {
    const { name, viewport, touch } = typeof entry === 'string' ? { name: entry, viewport: DESKTOP, touch: false } : entry;
    people.push(await newPerson(browser, name, viewport, { touch }));
  }
  const link = await createRoom(people[0]!, appUrl);
  for (const person of people.slice(1)) await openRoom(person, link);
  return { people, link };
}

/** Ends a test's people, every one of them: then none of their pages may have reported errors. */
export async function closeAll(people: Person[]): Promise<void> {
  const ended = people.splice(0);
  for (const person of ended) await person.context.close();
  for (const person of ended) expect(person.problems, `${person.name}'s pages reported errors`).toEqual([]);
}

export function peopleList(person: Person) {
  return person.page.getByRole('list', { name: 'People' });
}

export function personEntry(person: Person, other: string) {
  return peopleList(person).getByRole('button', { name: new RegExp(`^${other}, `) });
}

export async function openChat(person: Person, other: string): Promise<void> {
  await personEntry(person, other).click();
  await expect(person.page.getByRole('heading', { name: other })).toBeVisible();
}

export async function send(person: Person, text: string): Promise<void> {
  const box = person.page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

export function messages(person: Person) {
  return person.page.getByRole('list', { name: 'Messages' });
}

/** The texts of the messages in the open conversation, in order. */
export function messageTexts(person: Person) {
  return messages(person).getByRole('paragraph');
}

/** The status mark of one of my messages, by its text: "Queued", "Sent", "Delivered" or "Read". */
export function statusOf(person: Person, text: string) {
  return messages(person).getByRole('listitem').filter({ hasText: text }).getByRole('img');
}

/** Opens the room's conversation from the Room entry at the top of the people list. */
export async function openRoomChat(person: Person): Promise<void> {
  await peopleList(person).getByRole('button', { name: /^Room, / }).click();
  await expect(person.page.getByRole('heading', { name: 'Room', exact: true })).toBeVisible();
}

/** An own room message's receipts, a button named by what it says ("Delivered to 1 of 2, read by 1"). */
export function receipts(person: Person, text: string) {
  return messages(person).getByRole('listitem').filter({ hasText: text }).getByRole('button');
}

/** What the status mark of one of my messages in the open conversation says now ("Queued", "Sent", …), read once, without waiting for it. */
export async function statusNow(person: Person, text: string): Promise<string | null> {
  const marks = await statusOf(person, text).evaluateAll((found) => found.map((mark) => mark.getAttribute('aria-label')));
  return marks.length === 1 ? marks[0]! : null;
}

/**
 * A negative check, held: `check` must say true at once and at every read (every 100 ms) for `ms`. Called after
 * an event that shows that what must not happen would have happened by then (a later message that did arrive,
 * a connection that is up, an attempt that ended): what would come a moment late fails it too, where a single
 * read passes at the first poll.
 */
export async function holds(what: string, check: () => Promise<boolean>, ms = 1500): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    expect(await check(), what).toBe(true);
    if (Date.now() >= end) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
