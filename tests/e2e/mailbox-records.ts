/**
 * What the mailbox leaves where a test can read it (issue 30): a device's IndexedDB, read in a page or a
 * service worker of its browser (Chromium's or Firefox's), and the files of the signal process's data
 * directory, where it keeps the mailboxes (LevelDB).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Worker } from '@playwright/test';
import type { Page as FirefoxPage } from 'puppeteer-core';
import { readStore } from '../support/indexed-db.js';
import { expect } from './fixtures.js';
import { openChat, openRoom, personEntry, type Person } from './people.js';

/** The mailboxes other people's devices handed this one, by id. */
export const mailboxesHeld = async (page: Page | FirefoxPage): Promise<string[]> =>
  ((await (page as { evaluate(code: string): Promise<unknown> }).evaluate(readStore('mailboxContacts'))) as Array<{ target?: { mailbox: string } }>).flatMap((contact) => (contact.target ? [contact.target.mailbox] : []));

/** A message as the device keeps it. */
export interface Stored {
  id: string;
  text: string;
  direction: 'in' | 'out';
  status: string;
  at: number;
  via?: string;
  deposited?: string[];
  /** 1 once an incoming message's read receipt went out (over the channel, or into its writer's mailbox). */
  receiptSent?: number;
}

/** The device's messages, in the order it stored them. */
export const storedMessages = async (target: Page | Worker | FirefoxPage): Promise<Stored[]> =>
  ((await (target as { evaluate(code: string): Promise<unknown> }).evaluate(readStore('messages'))) as Stored[]).sort((a, b) => a.at - b.at);

/** Whether any file of the server's data directory `dir` holds these bytes. */
export async function onDisk(dir: string, needle: Buffer): Promise<boolean> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    if ((await readFile(join(entry.parentPath, entry.name))).includes(needle)) return true;
  }
  return false;
}

/** Whether the server's files hold a sealed entry: LevelDB's log may split a value at a 32 KiB block's end, so four slices of it are looked for. */
export async function sealedOnDisk(dir: string, entry: Buffer): Promise<boolean> {
  for (let i = 0; i < 4; i++) if (await onDisk(dir, entry.subarray(i * 256 + 16, i * 256 + 80))) return true;
  return false;
}

/** Bob joins Alice's room at `link`, they talk (each device takes the other's mailbox), and Bob closes the app. */
export async function metThenBobClosed(alice: Person, bob: Person, link: string): Promise<void> {
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await expect(bob.page.getByText('Direct (P2P)')).toBeVisible();
  await expect.poll(async () => (await mailboxesHeld(alice.page)).length).toBe(1);
  await bob.page.close();
  await expect(personEntry(alice, 'Bob')).toHaveAccessibleName(/^Bob, offline/);
}
