import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { attach, bytesSentShown, fileEntry, holdStoring, randomFile as randomFileIn, saved } from './files.js';
import type { SignalProcess } from '../support/signal-process.js';
import { closeNetworked, expectNoProblemsButLostConnections, expectPathsInside, loseNetwork, losePath, newNetworkedPerson, regainNetwork, signalForDevices, type NetworkedPerson } from './network.js';
import { closeAll, createRoom, meet, messages, newPerson, openChat, openRoom, type Person } from './people.js';

let people: Person[] = [];
/** People on networks of their own (network.ts), and the signal processes they reach: the test checks their pages' problems itself. */
const networked: NetworkedPerson[] = [];
const servers: SignalProcess[] = [];
let dir: string;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whisper-files-'));
});
test.afterEach(async () => {
  await closeAll(people);
  for (const person of networked.splice(0)) await closeNetworked(person);
  for (const signal of servers.splice(0)) await signal.stop();
  await rm(dir, { recursive: true, force: true });
});

const randomFile = (name: string, bytes: number) => randomFileIn(dir, name, bytes);

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
  // See whether the app asks to keep the screen on.
  await bob.page.evaluate(() => {
    const wakeLock = navigator.wakeLock;
    const request = wakeLock.request.bind(wakeLock);
    (window as unknown as { wakeLocks: number }).wakeLocks = 0;
    wakeLock.request = (type) => {
      (window as unknown as { wakeLocks: number }).wakeLocks++;
      return request(type);
    };
  });
  // Bob's device stores nothing until the test lets it: the transfer is under way for the checks below, however
  // fast this machine would move 50 MB.
  const release = await holdStoring(bob);
  await entry.getByRole('button', { name: 'Accept' }).click();
  await expect(entry.getByRole('progressbar', { name: 'Transfer of holiday video.bin' })).toBeVisible();
  await expect(fileEntry(alice, 'holiday video.bin').getByRole('progressbar')).toBeVisible();
  expect(await bob.page.evaluate(() => (window as unknown as { wakeLocks: number }).wakeLocks)).toBeGreaterThan(0);
  // Leaving the page mid-transfer asks first; staying keeps the transfer going.
  const dialog = bob.page.waitForEvent('dialog');
  await bob.page.close({ runBeforeUnload: true });
  const asked = await dialog;
  expect(asked.type()).toBe('beforeunload');
  await asked.dismiss();
  await release();
  await expect(entry).toContainText('Received and verified.', { timeout: 90_000 });
  await expect(fileEntry(alice, 'holiday video.bin')).toContainText('Sent and verified.');
  expect(await saved(bob, 'holiday video.bin')).toBe(file.sha256);
});

/** Alice offers the file to Bob, Bob accepts, and both wait until at least `percent` has arrived. */
async function sendUntil(alice: Person, bob: Person, file: { path: string }, name: string, percent: number): Promise<void> {
  await openChat(alice, 'Bob');
  await attach(alice, file.path);
  await openChat(bob, 'Alice');
  await fileEntry(bob, name).getByRole('button', { name: 'Accept' }).click();
  const progress = fileEntry(bob, name).getByRole('progressbar');
  await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 60_000, intervals: [50] }).toBeGreaterThanOrEqual(percent);
}

/**
 * Sends until Bob has `percent` of the file, then freezes `held`'s page, Alice's or Bob's (its tasks stop, as a
 * phone's do in the background): nothing more is sent, or stored and acknowledged, so the transfer is still under
 * way for whatever the test does next, on any machine however fast (a fresh one finished 30 MiB before the reload
 * meant to cut it). Returns what thaws the page.
 */
async function sendAndHold(alice: Person, bob: Person, file: { path: string }, name: string, percent: number, held: Person): Promise<() => Promise<void>> {
  await sendUntil(alice, bob, file, name, percent);
  const cdp = await held.context.newCDPSession(held.page);
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
  return async () => {
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    await cdp.detach();
  };
}


test('a transfer cut by the receiver closing its page resumes where it stopped, and arrives intact', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  const file = await randomFile('archive.bin', 40 * 1024 * 1024);
  // Bob's device stores the first half and holds the rest: Alice goes at most a window (16 MiB) past what he
  // acknowledged, so the transfer is still under way when his page closes, however fast this machine. (Freezing
  // Alice's page at half way instead let what was already on its way finish the file in a fresh-clone run.)
  await holdStoring(bob, 20 * 1024 * 1024);
  await sendUntil(alice, bob, file, 'archive.bin', 45);

  // Bob's page goes away mid-transfer (his device keeps what it stored).
  const oldPage = bob.page;
  bob.page = await bob.context.newPage();
  await oldPage.close();
  await expect(fileEntry(alice, 'archive.bin')).not.toContainText('verified');
  await bob.page.goto(room.link);
  await openChat(bob, 'Alice');
  await expect(fileEntry(bob, 'archive.bin')).toContainText('Received and verified.', { timeout: 90_000 });
  expect(await saved(bob, 'archive.bin')).toBe(file.sha256);
  // The new connection carried the rest, not the whole file again.
  expect(await bytesSentShown(alice)).toBeLessThan(0.8 * 40 * 1024 * 1024);
});

test('after the sender reloads, it picks the file again (the same one is checked) and the transfer goes on', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  const file = await randomFile('thesis.pdf', 40 * 1024 * 1024);
  const other = await randomFile('other.pdf', 40 * 1024 * 1024);
  // A quarter of the way: the sender reads at most its window (16 MiB) past what Bob stored, so it cannot have
  // read the whole file before the reload (had it, it would know the file's hash and finish without it: at half
  // way through 30 MiB it sometimes had). What the new page sends (the rest, what SCTP sends again, a window the
  // receiver drops) stays well apart from what a start from zero would send.
  const thaw = await sendAndHold(alice, bob, file, 'thesis.pdf', 25, bob);

  await alice.page.reload();
  await thaw();
  await openChat(alice, 'Bob');
  const entry = fileEntry(alice, 'thesis.pdf');
  await expect(entry).toContainText('Pick the file again to continue sending it.');
  await expect(fileEntry(bob, 'thesis.pdf').getByRole('progressbar')).toBeVisible();
  const wrong = alice.page.waitForEvent('filechooser');
  await entry.getByRole('button', { name: 'Pick the file again' }).click();
  await (await wrong).setFiles(other.path);
  await expect(alice.page.getByRole('alert')).toContainText('That is not the same file as “thesis.pdf”');
  await alice.page.getByRole('button', { name: 'Dismiss' }).click();

  const right = alice.page.waitForEvent('filechooser');
  await entry.getByRole('button', { name: 'Pick the file again' }).click();
  await (await right).setFiles(file.path);
  await expect(fileEntry(bob, 'thesis.pdf')).toContainText('Received and verified.', { timeout: 90_000 });
  await expect(entry).toContainText('Sent and verified.');
  expect(await saved(bob, 'thesis.pdf')).toBe(file.sha256);
  // Alice's new page sent only what Bob did not have yet.
  expect(await bytesSentShown(alice)).toBeLessThan(0.9 * 40 * 1024 * 1024);
});

/** Alice and Bob in a new room, each with the other's conversation open. */
async function chatting(browser: Browser, appUrl: string): Promise<[Person, Person]> {
  const room = await meet(browser, appUrl, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  return [alice, bob];
}

test('decline, cancel on either side, an empty file, an unusual name and many small files', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const [alice, bob] = await chatting(browser, app.url);

  const declined = await randomFile('no thanks.txt', 1000);
  await attach(alice, declined.path);
  await fileEntry(bob, 'no thanks.txt').getByRole('button', { name: 'Decline' }).click();
  await expect(fileEntry(alice, 'no thanks.txt')).toContainText('They declined this file.');

  const big = await randomFile('big.bin', 30 * 1024 * 1024);
  // Both cancels are pressed while the transfer is under way: Bob's device stores none of it meanwhile.
  const release = await holdStoring(bob);
  await attach(alice, big.path);
  await fileEntry(bob, 'big.bin').getByRole('button', { name: 'Accept' }).click();
  await expect(fileEntry(bob, 'big.bin').getByRole('progressbar')).toBeVisible();
  await fileEntry(alice, 'big.bin').getByRole('button', { name: 'Cancel' }).click();
  await expect(fileEntry(bob, 'big.bin')).toContainText('Cancelled by the other side.');

  await attach(alice, big.path);
  const second = messages(bob).getByRole('listitem').filter({ hasText: 'big.bin' }).last();
  await second.getByRole('button', { name: 'Accept' }).click();
  await expect(second.getByRole('progressbar')).toBeVisible();
  await second.getByRole('button', { name: 'Cancel' }).click();
  await expect(messages(alice).getByRole('listitem').filter({ hasText: 'big.bin' }).last()).toContainText('Cancelled by the other side.');
  await release();

  const empty = join(dir, 'empty.txt');
  await writeFile(empty, '');
  const odd = await randomFile('Ünïcödé – "quotes" & <tags> 🎉.txt', 3000);
  const small = await Promise.all(Array.from({ length: 8 }, (_, i) => randomFile(`small-${i}.dat`, 10_000 + i)));
  await attach(alice, empty, odd.path, ...small.map((f) => f.path));
  for (const name of ['empty.txt', 'Ünïcödé – "quotes" & <tags> 🎉.txt', ...small.map((_, i) => `small-${i}.dat`)]) {
    await fileEntry(bob, name).getByRole('button', { name: 'Accept' }).click();
  }
  for (const name of ['empty.txt', ...small.map((_, i) => `small-${i}.dat`)]) {
    await expect(fileEntry(bob, name)).toContainText('Received and verified.');
  }
  expect(await saved(bob, 'empty.txt')).toBe(createHash('sha256').update('').digest('hex'));
  expect(await saved(bob, 'Ünïcödé – "quotes" & <tags> 🎉.txt')).toBe(odd.sha256);
  expect(await saved(bob, 'small-7.dat')).toBe(small[7]!.sha256);

  // A stored file can be deleted from the device; the entry stays in the history.
  await fileEntry(bob, 'small-0.dat').getByRole('button', { name: 'Delete' }).click();
  await expect(fileEntry(bob, 'small-0.dat')).toContainText('Deleted from this device.');
  await expect(fileEntry(bob, 'small-0.dat').getByRole('button', { name: 'Save' })).toHaveCount(0);
});

test('a chunk corrupted on the way is detected by the receiver, which asks for it again, and the file arrives intact', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  // Alice's data channels: the index of every chunk frame sent is recorded, and the first copy of chunk 9 goes
  // out with the last byte of its data flipped (frames are views of a reused buffer: the copy is changed, not it).
  await alice.page.evaluate(() => {
    const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: ArrayBufferView | ArrayBuffer | string | Blob) => void;
    const page = window as unknown as { whChunksSent: number[] };
    page.whChunksSent = [];
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      const value = data as unknown;
      if (this.label === 'files' && (ArrayBuffer.isView(value) || value instanceof ArrayBuffer)) {
        const bytes = ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
        // A chunk frame (transfer-wire.ts): version, 16 bytes of transfer id, the index at byte 17, its hash, the data.
        const index = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(17);
        page.whChunksSent.push(index);
        if (index === 9 && page.whChunksSent.filter((i) => i === 9).length === 1) {
          const damaged = bytes.slice();
          damaged[damaged.byteLength - 1]! ^= 0xff;
          return send.call(this, damaged);
        }
      }
      return send.call(this, value as ArrayBufferView);
    };
  });
  // Bob's control frames on the files channel, to see what his device asks for.
  await bob.page.evaluate(() => {
    const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: unknown) => void;
    const page = window as unknown as { whFileFramesSent: string[] };
    page.whFileFramesSent = [];
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      if (this.label === 'files' && typeof data === 'string') page.whFileFramesSent.push(data);
      return send.call(this, data);
    };
  });
  const file = await randomFile('photo.raw', 5 * 1024 * 1024);
  await openChat(alice, 'Bob');
  await attach(alice, file.path);
  await openChat(bob, 'Alice');
  await fileEntry(bob, 'photo.raw').getByRole('button', { name: 'Accept' }).click();
  await expect(fileEntry(bob, 'photo.raw')).toContainText('Received and verified.', { timeout: 60_000 });
  expect(await saved(bob, 'photo.raw')).toBe(file.sha256);
  // Bob's device found chunk 9 damaged and asked for it again, once; Alice sent it again (and, going back to it,
  // what followed it); the damaged copy was the first of two.
  const framesSent = await bob.page.evaluate(() => (window as unknown as { whFileFramesSent: string[] }).whFileFramesSent.map((text) => JSON.parse(text) as { t: string; from?: number }));
  expect(framesSent.filter((frame) => frame.t === 'nack')).toEqual([expect.objectContaining({ t: 'nack', from: 9 })]);
  const chunksSent = await alice.page.evaluate(() => (window as unknown as { whChunksSent: number[] }).whChunksSent);
  expect(chunksSent.filter((index) => index === 9)).toHaveLength(2);
});

test('a page of another site that posts files to the share target gets nothing kept; shared files can be discarded', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  people = [alice];
  await createRoom(alice, app.url);
  await alice.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const waiting = () => alice.page.evaluate(() => new Promise<number>((resolve) => {
    const open = indexedDB.open('whisper');
    open.onsuccess = () => {
      const count = open.result.transaction('shared').objectStore('shared').count();
      count.onsuccess = () => resolve(count.result);
    };
  }));
  // A page of another site, in the same browser, submits a form with a file of its making to Whisper's share target.
  await alice.page.route('http://elsewhere.example/', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<form method="post" enctype="multipart/form-data" action="${app.url}/share-target"><input type="file" name="files"></form>
        <script>const data = new DataTransfer(); data.items.add(new File(['spam'], 'prize.exe')); const form = document.forms[0];
        form.files.files = data.files; form.submit();</script>`,
    }),
  );
  await alice.page.goto('http://elsewhere.example/');
  await expect(alice.page).toHaveURL(`${app.url}/`);
  await expect(alice.page.getByRole('button', { name: 'New room' })).toBeVisible();
  expect(await waiting()).toBe(0);
  await expect(alice.page.getByRole('status').filter({ hasText: 'ready to send' })).toHaveCount(0);

  // What Whisper itself (or the share sheet, with no referrer) hands over is kept, and can be thrown away.
  await alice.page.evaluate(async () => {
    const form = new FormData();
    form.append('files', new File(['mine'], 'mine.txt'));
    // Read to its end: a page that navigates away from a response it has not read aborts it (requestfailed).
    await (await fetch('/share-target', { method: 'POST', body: form })).arrayBuffer();
  });
  await alice.page.goto(`${app.url}/?shared`);
  const status = alice.page.getByRole('status').filter({ hasText: '1 shared file from another app, ready to send' });
  await status.getByRole('button', { name: 'Discard' }).click();
  await expect(status).toHaveCount(0);
  expect(await waiting()).toBe(0);
});

test('files shared into Whisper from the system share sheet are sent to the person chosen', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await alice.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // What the OS share sheet does: a multipart POST to the manifest's share_target, handled by the service worker.
  const landed = await alice.page.evaluate(async () => {
    const form = new FormData();
    form.append('files', new File(['shared from the gallery'], 'gallery photo.jpg', { type: 'image/jpeg' }));
    const response = await fetch('/share-target', { method: 'POST', body: form });
    await response.arrayBuffer();
    return new URL(response.url).search;
  });
  expect(landed).toBe('?shared');
  await alice.page.goto(`${app.url}/?shared`);
  await expect(alice.page.getByRole('status').filter({ hasText: '1 shared file from another app, ready to send' })).toBeVisible();

  await alice.page.goto(room.link);
  await openChat(alice, 'Bob');
  await alice.page.getByRole('button', { name: 'Send 1 shared file to Bob' }).click();
  await openChat(bob, 'Alice');
  await fileEntry(bob, 'gallery photo.jpg').getByRole('button', { name: 'Accept' }).click();
  await expect(fileEntry(bob, 'gallery photo.jpg')).toContainText('Received and verified.');
  await expect(fileEntry(bob, 'gallery photo.jpg').getByRole('img', { name: 'gallery photo.jpg' })).toBeAttached();
  expect(await saved(bob, 'gallery photo.jpg')).toBe(createHash('sha256').update('shared from the gallery').digest('hex'));
  await expect(alice.page.getByRole('button', { name: /Send 1 shared file/ })).toBeHidden();
});

test('not enough space: the receiver is told before the transfer, or when space runs out during it, and keeps what it has', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  // These machines' disks cannot be made small, and Chromium ignores quota overrides here, so the
  // browser's answers are changed instead: first a small free space, then a full disk mid-transfer.
  await bob.page.evaluate(() => {
    const estimate = navigator.storage.estimate.bind(navigator.storage);
    (window as unknown as { freeSpace: number | null }).freeSpace = 5 * 1024 * 1024;
    navigator.storage.estimate = async () => {
      const real = await estimate();
      const free = (window as unknown as { freeSpace: number | null }).freeSpace;
      return free === null ? real : { ...real, quota: (real.usage ?? 0) + free };
    };
  });
  const file = await randomFile('too big.bin', 20 * 1024 * 1024);
  await openChat(alice, 'Bob');
  await attach(alice, file.path);
  await openChat(bob, 'Alice');
  const entry = fileEntry(bob, 'too big.bin');
  await entry.getByRole('button', { name: 'Accept' }).click();
  await expect(bob.page.getByRole('alert')).toContainText('Not enough space');
  await expect(entry).toContainText('Not enough space');
  await expect(fileEntry(alice, 'too big.bin')).toContainText('Waiting for them to accept');
  await bob.page.getByRole('button', { name: 'Dismiss' }).click();

  // Space is freed, but the disk fills up again after 4 MiB have been stored. The file is written by the
  // receiving worker, which starts with the transfer: chunks wait in the page until the test has filled its disk.
  await bob.page.evaluate(() => {
    const page = window as unknown as { freeSpace: number | null; release: () => void };
    page.freeSpace = null;
    let hold = true;
    const held: Array<() => void> = [];
    page.release = () => {
      hold = false;
      for (const send of held.splice(0)) send();
    };
    window.Worker = class extends Worker {
      override postMessage(message: unknown, transfer?: Transferable[] | StructuredSerializeOptions): void {
        if (hold && (message as { t?: string }).t === 'chunk') held.push(() => super.postMessage(message, transfer as Transferable[]));
        else super.postMessage(message, transfer as Transferable[]);
      }
    };
  });
  const worker = bob.page.waitForEvent('worker');
  await entry.getByRole('button', { name: 'Accept' }).click();
  await (await worker).evaluate(() => {
    const scope = self as unknown as { diskFull: boolean; whFlushed: number };
    type Handle = { write: (data: Uint8Array, options: { at: number }) => number; flush: () => void };
    const handle = (self as unknown as { FileSystemSyncAccessHandle: { prototype: Handle } }).FileSystemSyncAccessHandle.prototype;
    const { write, flush } = handle;
    // What the file holds on disk: the end of what was written when it was last flushed.
    let written = 0;
    scope.whFlushed = 0;
    handle.write = function (data, options) {
      if (options.at >= 4 * 1024 * 1024 && scope.diskFull !== false) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const length = write.call(this, data, options);
      written = Math.max(written, options.at + length);
      return length;
    };
    handle.flush = function () {
      flush.call(this);
      scope.whFlushed = written;
    };
  });
  await bob.page.evaluate(() => (window as unknown as { release: () => void }).release());
  await expect(bob.page.getByRole('alert')).toContainText('out of storage space');
  await expect(entry).toContainText('out of storage space');
  // What was on disk when the disk filled up is kept and shown, whatever the chunk size (64 KiB, or Chromium's
  // 255 KiB) and however many chunks a flush holds: some, and no more than the 4 MiB that fit.
  const kept = await (await worker).evaluate(() => (self as unknown as { whFlushed: number }).whFlushed);
  expect(kept).toBeGreaterThan(0);
  expect(kept).toBeLessThanOrEqual(4 * 1024 * 1024);
  await expect(entry.getByRole('progressbar')).toHaveAttribute('value', String(Math.floor((100 * kept) / (20 * 1024 * 1024))));
  await bob.page.getByRole('button', { name: 'Dismiss' }).click();

  // Space again: Resume goes on from what was kept.
  await (await worker).evaluate(() => {
    (self as unknown as { diskFull: boolean }).diskFull = false;
  });
  await entry.getByRole('button', { name: 'Resume' }).click();
  await expect(entry).toContainText('Received and verified.', { timeout: 60_000 });
  expect(await saved(bob, 'too big.bin')).toBe(file.sha256);
});

test('files dropped onto the chat or pasted into the message box are offered', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  const dropped = await alice.page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['dropped bytes'], 'dropped.txt', { type: 'text/plain' }));
    return data;
  });
  await messages(alice).dispatchEvent('dragover', { dataTransfer: dropped });
  await messages(alice).dispatchEvent('drop', { dataTransfer: dropped });
  const pasted = await alice.page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['pasted bytes'], 'pasted.png', { type: 'image/png' }));
    return data;
  });
  await alice.page
    .getByRole('textbox', { name: 'Message' })
    .evaluate((box, data) => box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })), pasted);

  await openChat(bob, 'Alice');
  for (const [name, content] of [['dropped.txt', 'dropped bytes'], ['pasted.png', 'pasted bytes']] as const) {
    await fileEntry(bob, name).getByRole('button', { name: 'Accept' }).click();
    await expect(fileEntry(bob, name)).toContainText('Received and verified.');
    expect(await saved(bob, name)).toBe(createHash('sha256').update(content).digest('hex'));
  }
  await expect(messages(alice).getByRole('paragraph')).toHaveCount(0);
});

test('both people reload at once and a file is attached right away: the receiver gets the offer with its size and Accept', async ({ browser, app }) => {
  test.setTimeout(120_000);
  const [alice, bob] = await chatting(browser, app.url);
  await expect(alice.page.getByText('Direct (P2P)')).toBeVisible();
  const file = await randomFile('after reload.bin', 96 * 1024 * 1024);
  // Both reload within a second; Alice attaches the file as soon as her chat is back, while the two
  // reconnect (the file's history entry must never travel as a chat message and take the offer's place).
  // Bob's page sends no signal until she has: the two are still reconnecting when she attaches, whichever page
  // this machine would have had back first.
  let reconnecting = true;
  const held: Array<() => void> = [];
  await bob.page.routeWebSocket(/\/ws$/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => {
      if (reconnecting && String(message).includes('"type":"signal"')) held.push(() => server.send(message));
      else server.send(message);
    });
    server.onMessage((message) => socket.send(message));
  });
  await Promise.all([alice.page.reload(), bob.page.reload()]);
  await Promise.all([openChat(alice, 'Bob'), openChat(bob, 'Alice')]);
  await expect(alice.page.getByText('Direct (P2P)')).toBeHidden();
  await attach(alice, file.path);
  reconnecting = false;
  for (const send of held.splice(0)) send();
  const entry = fileEntry(bob, 'after reload.bin');
  await expect(entry).toContainText('96.0 MiB');
  await entry.getByRole('button', { name: 'Accept' }).click();
  await expect(entry).toContainText('Received and verified.', { timeout: 100_000 });
  await expect(fileEntry(alice, 'after reload.bin')).toContainText('Sent and verified.');
  expect(await saved(bob, 'after reload.bin')).toBe(file.sha256);
});

test('in an iPhone’s Home Screen app (Chromium told it is one: navigator.standalone, and a share sheet the test records), Save hands the whole received file to the share sheet, and downloads nothing', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await bob.context.addInitScript(() => {
    Object.defineProperty(navigator, 'standalone', { value: true });
    const shared: Array<{ name: string; type: string; sha256: string }> = [];
    (window as unknown as { whShared: typeof shared }).whShared = shared;
    navigator.canShare = () => true;
    navigator.share = async (data?: ShareData) => {
      if (!navigator.userActivation.isActive) throw new DOMException('share() needs a tap', 'NotAllowedError');
      for (const file of data?.files ?? []) {
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
        shared.push({ name: file.name, type: file.type, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') });
      }
    };
  });
  await openRoom(bob, await createRoom(alice, app.url));
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  const file = await randomFile('trip plan.pdf', 3 * 1024 * 1024);
  await attach(alice, file.path);
  await fileEntry(bob, 'trip plan.pdf').getByRole('button', { name: 'Accept' }).click();
  await expect(fileEntry(bob, 'trip plan.pdf')).toContainText('Received and verified.');
  let downloads = 0;
  bob.page.on('download', () => downloads++);
  await fileEntry(bob, 'trip plan.pdf').getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => bob.page.evaluate(() => (window as unknown as { whShared: unknown[] }).whShared)).toEqual([{ name: 'trip plan.pdf', type: expect.any(String), sha256: file.sha256 }]);
  expect(downloads).toBe(0);
});

/**
 * Alice and Bob in a new room on a signal process of the test's own, each on a
 * network of their own when named in `ownNetwork` (network.ts), in the test's browser otherwise.
 */
async function onNetworks(browser: Browser, ownNetwork: Array<'Alice' | 'Bob'>): Promise<{ alice: Person | NetworkedPerson; bob: Person | NetworkedPerson }> {
  const { url, signal } = await signalForDevices();
  servers.push(signal);
  const person = async (name: 'Alice' | 'Bob') => {
    if (!ownNetwork.includes(name)) {
      const someone = await newPerson(browser, name);
      people.push(someone);
      return someone;
    }
    const someone = await newNetworkedPerson(name);
    networked.push(someone);
    return someone;
  };
  const alice = await person('Alice');
  const bob = await person('Bob');
  await openRoom(bob, await createRoom(alice, url));
  return { alice, bob };
}

test('a transfer goes on by itself after its WebRTC path was lost mid-way until ICE gave up, and arrives intact', async ({ browser }) => {
  test.setTimeout(180_000);
  const { alice, bob } = (await onNetworks(browser, ['Bob'])) as { alice: Person; bob: NetworkedPerson };
  const file = await randomFile('lost path.bin', 40 * 1024 * 1024);
  // Bob's device stores a third of the file, then nothing more until the path has been lost and is back.
  const release = await holdStoring(bob, 13 * 1024 * 1024);
  await sendUntil(alice, bob, file, 'lost path.bin', 25);
  // Every UDP packet to Bob's device is dropped (his WebSocket stays, his browser counts itself online) until his
  // connection fails (ICE gave up on it).
  const rule = await losePath(bob, 'failed');
  await release();
  await rule.remove();
  // Nobody presses anything.
  await expect(fileEntry(bob, 'lost path.bin')).toContainText('Received and verified.', { timeout: 120_000 });
  await expect(fileEntry(alice, 'lost path.bin')).toContainText('Sent and verified.');
  await expect(fileEntry(bob, 'lost path.bin')).toHaveCount(1);
  expect(await saved(bob, 'lost path.bin')).toBe(file.sha256);
  await expectPathsInside(bob);
  expectNoProblemsButLostConnections(bob);
});

test('a transfer cut five times (the receiver reloading, the sender’s network lost, the receiver’s WebRTC path lost) ends saved and verified on the receiver', async ({ browser }) => {
  test.setTimeout(300_000);
  const { alice, bob } = (await onNetworks(browser, ['Alice', 'Bob'])) as { alice: NetworkedPerson; bob: NetworkedPerson };
  const size = 96 * 1024 * 1024;
  const file = await randomFile('cut five times.bin', size);
  await sendUntil(alice, bob, file, 'cut five times.bin', 5);
  // Alice's link goes down (her WebSocket and WebRTC die, her browser goes offline) until her app has seen it.
  const loseAlicesNetwork = async () => {
    await loseNetwork(alice);
    await regainNetwork(alice);
  };
  // Every UDP packet to Bob is dropped until WebRTC noticed; his WebSocket stays.
  const loseBobsPath = async () => (await losePath(bob)).remove();
  const reload = async (person: Person) => {
    await person.page.reload();
    await openChat(person, person === bob ? 'Alice' : 'Bob');
  };
  const percent = async () => Number(await fileEntry(bob, 'cut five times.bin').getByRole('progressbar').getAttribute('value'));
  let reached = await percent();
  for (const cut of [() => reload(bob), loseAlicesNetwork, () => reload(bob), loseBobsPath, () => reload(bob)]) {
    // Each cut comes once more of the file has arrived since the last one, and while the rest is still to come:
    // Bob's device stores a little further (5 points, and 5 MiB for the progress it reports every 16 chunks,
    // about 4 MiB), then no more until the cut, however fast this machine moves it.
    const release = await holdStoring(bob, Math.floor(((reached + 5) / 100) * size) + 5 * 1024 * 1024);
    await expect.poll(percent, { timeout: 60_000, intervals: [50] }).toBeGreaterThanOrEqual(reached + 5);
    reached = await percent();
    await cut();
    await release();
  }
  const entry = fileEntry(bob, 'cut five times.bin');
  await expect(entry).toContainText('Received and verified.', { timeout: 150_000 });
  await expect(fileEntry(alice, 'cut five times.bin')).toContainText('Sent and verified.');
  expect(await saved(bob, 'cut five times.bin')).toBe(file.sha256);
  await reload(bob);
  await expect(entry).toContainText('Received and verified.');
  expect(await saved(bob, 'cut five times.bin')).toBe(file.sha256);
  await expectPathsInside(alice);
  for (const person of [alice, bob]) expectNoProblemsButLostConnections(person);
});
