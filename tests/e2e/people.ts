/**
 * Helpers that act as a person would: open the app in a fresh browser context
 * (its own storage, so its own device), choose a name, open a room link,
 * pick someone from the list, write.
 */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { watchForProblems } from './fixtures.js';

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
  problems: string[];
}

export const PHONE = { width: 360, height: 640 };
export const DESKTOP = { width: 1280, height: 800 };

/** WH_DEBUG=<file> appends every page's console to that file, by person. */
export async function newPerson(browser: Browser, name: string, viewport = DESKTOP): Promise<Person> {
  const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const debugLog = process.env.WH_DEBUG;
  if (debugLog) context.on('console', (message) => appendFileSync(debugLog, `[${name}] ${message.type()}: ${message.text()}\n`));
  return { name, context, page, problems: watchForProblems(page) };
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
export async function meet(browser: Browser, appUrl: string, ...who: Array<string | { name: string; viewport: typeof DESKTOP }>): Promise<{ people: Person[]; link: string }> {
  const people: Person[] = [];
  for (const entry of who) {
    const { name, viewport } = typeof entry === 'string' ? { name: entry, viewport: DESKTOP } : entry;
    people.push(await newPerson(browser, name, viewport));
  }
  const link = await createRoom(people[0]!, appUrl);
  for (const person of people.slice(1)) await openRoom(person, link);
  return { people, link };
}

/** Ends a test's people: their pages must not have reported errors. */
export async function closeAll(people: Person[]): Promise<void> {
  for (const person of people.splice(0)) {
    expect(person.problems, `${person.name}'s page reported errors`).toEqual([]);
    await person.context.close();
  }
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
