/**
 * Helpers for the suites that move files: random files on disk with their
 * SHA-256, attaching them as a person does, finding a file's entry, and
 * saving it to check what arrived.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import { messages, type Person } from './people.js';

export interface TestFile {
  path: string;
  sha256: string;
}

export async function randomFile(dir: string, name: string, bytes: number): Promise<TestFile> {
  const path = join(dir, name);
  const data = randomBytes(bytes);
  await writeFile(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex') };
}

export async function attach(person: Person, ...paths: string[]): Promise<void> {
  const chooser = person.page.waitForEvent('filechooser');
  await person.page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(paths);
}

export function fileEntry(person: Person, name: string) {
  return messages(person).getByRole('listitem').filter({ hasText: name });
}

/** Presses Save on the file's entry; the SHA-256 of what the browser saved. */
export async function saved(person: Person, name: string): Promise<string> {
  const download = person.page.waitForEvent('download');
  await fileEntry(person, name).getByRole('button', { name: 'Save' }).click();
  const file = await (await download).path();
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Bytes this connection has sent, as the Connection stats panel shows them. */
export async function bytesSentShown(person: Person): Promise<number> {
  await person.page.getByRole('button', { name: 'Connection stats' }).click();
  const panel = person.page.getByRole('dialog', { name: 'Connection stats' });
  const sent = panel.getByRole('definition').nth(5);
  await expect(sent).not.toHaveText('0 B');
  const [value, unit] = (await sent.textContent())!.split(' ');
  await panel.getByRole('button', { name: 'Close' }).click();
  return Number(value) * ({ B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as Record<string, number>)[unit!]!;
}
