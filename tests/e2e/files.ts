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

/**
 * Runs in the receiver's page (Chromium's or Firefox's): from now on it hands its receiving worker, which stores
 * what arrives, only the chunks that end at or before byte `upTo` of their file, and holds the others until
 * `whReleaseStoring()`. Nothing held is stored or acknowledged, and the sender goes no further than a window past
 * what is acknowledged: the transfer stays under way, below `upTo`, for as long as the test needs, however fast
 * this machine would move it. (What is sent again after a cut, below `upTo`, goes through.)
 */
export function holdStoringInPage(upTo: number): void {
  const scope = window as unknown as { whReleaseStoring?: () => void };
  scope.whReleaseStoring?.();
  const post = Worker.prototype.postMessage as (this: Worker, message: unknown, transfer?: Transferable[]) => void;
  const held: Array<() => void> = [];
  // The transfer's chunk size: the data of any chunk but the last (transfer-wire.ts's frame: version, id,
  // index at byte 17, then an 8- or 32-byte hash).
  let chunkSize = 0;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
    const buffer = (message as { t?: string; buffer?: ArrayBuffer })?.t === 'chunk' ? (message as { buffer: ArrayBuffer }).buffer : null;
    if (buffer && buffer.byteLength > 21) {
      const bytes = new Uint8Array(buffer);
      const length = buffer.byteLength - (21 + (bytes[0] === 2 ? 32 : 8));
      chunkSize = Math.max(chunkSize, length);
      const index = new DataView(buffer).getUint32(17);
      if (index * chunkSize + length > upTo) {
        held.push(() => post.call(this, message, transfer as Transferable[]));
        return;
      }
    }
    post.call(this, message, transfer as Transferable[]);
  } as typeof Worker.prototype.postMessage;
  scope.whReleaseStoring = () => {
    Worker.prototype.postMessage = post as typeof Worker.prototype.postMessage;
    delete scope.whReleaseStoring;
    for (const send of held.splice(0)) send();
  };
}

/** holdStoringInPage in the person's page; returns what releases what it held (nothing, if the page has gone since). */
export async function holdStoring(person: Person, upTo = 0): Promise<() => Promise<void>> {
  const page = person.page;
  await page.evaluate(holdStoringInPage, upTo);
  return async () => {
    if (!page.isClosed()) await page.evaluate(() => (window as unknown as { whReleaseStoring?: () => void }).whReleaseStoring?.());
  };
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
