/**
 * npm run bench:transfer — a real Whisper file transfer against a raw
 * DataChannel blast of the same size, in one run, between two Chromium
 * contexts on loopback. The blast does nothing but send and count bytes (no
 * storage, no hashing); the transfer reads the file, hashes every chunk and
 * the whole file on both sides, and writes every chunk to IndexedDB.
 * Prints both throughputs, their ratio and the receiver's peak JS heap.
 * BENCH_MIB sets the size (default 256).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../e2e/playwright.config.js';
import { launchSignal } from '../support/signal-process.js';
import { twoPeople } from './two-people.js';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 256);

/** Samples the page's JS heap until stopped; resolves with the peak in bytes. */
function watchHeap(cdp: CDPSession): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      peak = Math.max(peak, usedSize);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

// In-page code is kept as source text (tsx would add helpers that do not exist in the page).
const RAW_PEER = `async (role) => {
  const pc = new RTCPeerConnection();
  window.__pc = pc;
  const channel = pc.createDataChannel('blast', { negotiated: true, id: 0 });
  channel.binaryType = 'arraybuffer';
  window.__channel = channel;
  if (role === 'offer') await pc.setLocalDescription(await pc.createOffer());
  return null;
}`;
const GATHERED = `async () => {
  const pc = window.__pc;
  if (pc.iceGatheringState !== 'complete') await new Promise((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()));
  return pc.localDescription.toJSON();
}`;
const ANSWER = `async (offer) => {
  const pc = window.__pc;
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  return null;
}`;
const ACCEPT_ANSWER = `async (answer) => { await window.__pc.setRemoteDescription(answer); return null; }`;
const RECEIVE = `(total) => new Promise((resolve) => {
  const channel = window.__channel;
  let received = 0, started = 0;
  channel.onmessage = (event) => {
    if (!started) started = performance.now();
    received += event.data.byteLength;
    if (received >= total) resolve(performance.now() - started);
  };
})`;
const BLAST = `async (total) => {
  const channel = window.__channel;
  if (channel.readyState !== 'open') await new Promise((r) => channel.addEventListener('open', r, { once: true }));
  const chunk = new Uint8Array(64 * 1024);
  crypto.getRandomValues(chunk);
  channel.bufferedAmountLowThreshold = 1024 * 1024;
  for (let sent = 0; sent < total; sent += chunk.byteLength) {
    if (channel.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => channel.addEventListener('bufferedamountlow', r, { once: true }));
    channel.send(chunk);
  }
  return null;
}`;

async function rawBlast(sender: Page, receiver: Page, bytes: number): Promise<number> {
  await sender.evaluate(`(${RAW_PEER})('offer')`);
  await receiver.evaluate(`(${RAW_PEER})('answer')`);
  const offer = await sender.evaluate(`(${GATHERED})()`);
  await receiver.evaluate(`(${ANSWER})(${JSON.stringify(offer)})`);
  const answer = await receiver.evaluate(`(${GATHERED})()`);
  await sender.evaluate(`(${ACCEPT_ANSWER})(${JSON.stringify(answer)})`);
  const received = receiver.evaluate(`(${RECEIVE})(${bytes})`) as Promise<number>;
  await sender.evaluate(`(${BLAST})(${bytes})`);
  return (await received) / 1000;
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 4 * MIB) {
    if (!out.write(randomBytes(Math.min(4 * MIB, bytes - written)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

const bytes = SIZE_MIB * MIB;
const dir = await mkdtemp(join(tmpdir(), 'whisper-bench-'));
const signal = launchSignal({ STATIC_DIR: join(import.meta.dirname, '../../dist') });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  const port = await signal.listening;
  const url = `http://localhost:${port}/`;
  const file = join(dir, 'bench.bin');
  await writeRandomFile(file, bytes);

  // Raw blast between two fresh contexts.
  const rawSender = await (await browser.newContext()).newPage();
  const rawReceiver = await (await browser.newContext()).newPage();
  await Promise.all([rawSender.goto(url), rawReceiver.goto(url)]);
  const rawHeap = watchHeap(await rawReceiver.context().newCDPSession(rawReceiver));
  const rawSeconds = await rawBlast(rawSender, rawReceiver, bytes);
  const rawPeak = await rawHeap.stop();
  await rawSender.context().close();
  await rawReceiver.context().close();

  // A real Whisper transfer of the same size.
  const { alice, bob } = await twoPeople(browser, url, 'both');
  const chooser = alice.waitForEvent('filechooser');
  await alice.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(file);
  const entry = bob.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'bench.bin' });
  const heap = watchHeap(await bob.context().newCDPSession(bob));
  await entry.getByRole('button', { name: 'Accept' }).click();
  const started = performance.now();
  await entry.getByText('Received and verified.').waitFor({ timeout: 30 * 60_000 });
  const whisperSeconds = (performance.now() - started) / 1000;
  const peak = await heap.stop();

  const raw = SIZE_MIB / rawSeconds;
  const whisper = SIZE_MIB / whisperSeconds;
  console.log(`File transfer of ${SIZE_MIB} MiB on loopback (Chromium ${browser.version()}):`);
  console.log(`  raw DataChannel blast: ${raw.toFixed(1)} MiB/s (${rawSeconds.toFixed(1)} s), receiver peak JS heap ${(rawPeak / MIB).toFixed(1)} MB`);
  console.log(`  Whisper transfer:      ${whisper.toFixed(1)} MiB/s (${whisperSeconds.toFixed(1)} s, hashed, stored, verified), receiver peak JS heap ${(peak / MIB).toFixed(1)} MB`);
  console.log(`  ratio Whisper / raw: ${(whisper / raw).toFixed(2)} (goal >= 0.85)`);
} finally {
  await browser.close();
  await signal.stop();
  await rm(dir, { recursive: true, force: true });
}
