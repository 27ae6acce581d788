import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures.js';
import { closeAll, meet, messages, openChat, type Person } from './people.js';

let people: Person[] = [];
let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whisper-files-'));
});
test.afterEach(async () => {
  await closeAll(people);
  await rm(dir, { recursive: true, force: true });
});

async function randomFile(name: string, bytes: number): Promise<{ path: string; sha256: string }> {
  const path = join(dir, name);
  const data = randomBytes(bytes);
  await writeFile(path, data);
  return { path, sha256: createHash('sha256').update(data).digest('hex') };
}

async function attach(person: Person, ...paths: string[]): Promise<void> {
  const chooser = person.page.waitForEvent('filechooser');
  await person.page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(paths);
}

function fileEntry(person: Person, name: string) {
  return messages(person).getByRole('listitem').filter({ hasText: name });
}

async function saved(person: Person, name: string): Promise<string> {
  const download = person.page.waitForEvent('download');
  await fileEntry(person, name).getByRole('button', { name: 'Save' }).click();
  const file = await (await download).path();
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

test('a 50 MB file arrives byte-identical, with progress on both sides', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  const file = await randomFile('holiday video.bin', 50 * 1024 * 1024);
  await openChat(alice, 'Bob');
  await attach(alice, file.path);
  await expect(fileEntry(alice, 'holiday video.bin')).toContainText('Waiting for them to accept');

  await openChat(bob, 'Alice');
  const entry = fileEntry(bob, 'holiday video.bin');
  await expect(entry).toContainText('50.0 MiB');
  await entry.getByRole('button', { name: 'Accept' }).click();
  await expect(entry.getByRole('progressbar', { name: 'Transfer of holiday video.bin' })).toBeVisible();
  await expect(fileEntry(alice, 'holiday video.bin').getByRole('progressbar')).toBeVisible();
  await expect(entry).toContainText('Received and verified.', { timeout: 90_000 });
  await expect(fileEntry(alice, 'holiday video.bin')).toContainText('Sent and verified.');
  expect(await saved(bob, 'holiday video.bin')).toBe(file.sha256);
});
