/**
 * The mailbox of a signal process that runs alone (no Redis), as deployed (`node build/signal/main.js`): kept
 * in LevelDB under DATA_DIR, so a deposit is still fetched after the process is stopped and started again on
 * the same directory, with the same server-wide counts; a second process on a directory in use refuses to
 * start, saying why, and the first keeps serving. No log line names a mailbox, an entry or a secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { launchSignal, type SignalExit, type SignalProcess } from '../support/signal-process.js';
import { MailboxClient, sealed, writerHash } from './support/mailbox-client.js';
import { metricsOf, sample, until } from './support/metrics.js';

let dataDir: string;
const running: SignalProcess[] = [];
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'whisper-mailbox-restart-'));
});
afterEach(async () => {
  for (const process of running.splice(0)) if (process.child.exitCode === null) await process.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function launch(): Promise<{ process: SignalProcess; httpUrl: string }> {
  const process = launchSignal({ DATA_DIR: dataDir, LOG_LEVEL: 'debug' });
  running.push(process);
  const httpUrl = `http://127.0.0.1:${await process.listening}`;
  await until('the process to be ready', async () => (await fetch(`${httpUrl}/readyz`)).status === 200, 15_000);
  return { process, httpUrl };
}

const stored = async (httpUrl: string) => {
  const metrics = await metricsOf(httpUrl);
  return { mailboxes: sample(metrics, 'whisper_mailboxes'), entries: sample(metrics, 'whisper_mailbox_entries'), bytes: sample(metrics, 'whisper_mailbox_bytes') };
};

it('fetches after a restart on the same DATA_DIR what was deposited before it, and counts it the same', async () => {
  const first = await launch();
  const owner = await new MailboxClient(first.httpUrl).create();
  const data = [sealed('before the restart, 1'), sealed('before the restart, 2', 16 * 1024)];
  for (const entry of data) expect((await owner.deposit(entry)).status).toBe(201);
  const deposited = await owner.entries();
  const counted = await stored(first.httpUrl);
  expect(counted).toMatchObject({ mailboxes: 1, entries: 2 });
  const exits: SignalExit[] = [await first.process.stop()];
  expect(exits[0]!.code).toBe(0);

  const second = await launch();
  const again = new MailboxClient(second.httpUrl, owner.keys);
  expect(await again.entries()).toEqual(deposited);
  expect(await stored(second.httpUrl)).toEqual(counted);
  // The mailbox works on as before: a deposit, and the owner's deletes.
  expect((await again.deposit(sealed('after the restart'))).status).toBe(201);
  expect((await again.delete()).status).toBe(204);
  expect(await stored(second.httpUrl)).toEqual({ mailboxes: 0, entries: 0, bytes: 0 });
  exits.push(await second.process.stop());

  const logs = exits.map((exit) => exit.stdout + exit.stderr).join('\n');
  expect(logs).toContain('"mailbox":"leveldb"');
  for (const secret of [owner.keys.id, owner.keys.read, owner.keys.capability, writerHash(owner.keys.read), writerHash(owner.keys.capability), ...deposited.map((e) => e.entry)]) {
    expect(logs).not.toContain(secret);
  }
});

it('refuses to start a second process on a DATA_DIR in use, saying why, and the first keeps serving', async () => {
  const first = await launch();
  const owner = await new MailboxClient(first.httpUrl).create();
  const refused = await launchSignal({ DATA_DIR: dataDir }).exited;
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`whisper-signal: the mailbox store ${join(dataDir, 'mailbox')} is in use by another process: one signal process per DATA_DIR`);
  expect((await owner.deposit(sealed('still here'))).status).toBe(201);
  expect((await owner.entries()).length).toBe(1);
});
