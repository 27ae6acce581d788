import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeMailboxStore } from '../../tests/signal/support/mailbox-store-contract.js';
import { LevelMailboxStore } from './level-mailbox-store.js';

const dirs: string[] = [];
const stores: LevelMailboxStore[] = [];
afterAll(async () => {
  for (const store of stores) await store.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describeMailboxStore('in LevelDB', async (quotas) => {
  const dir = await mkdtemp(join(tmpdir(), 'whisper-mailbox-'));
  dirs.push(dir);
  let clock = 1_700_000_000_000;
  const store = await LevelMailboxStore.open({ dir, quotas, now: () => clock });
  stores.push(store);
  return {
    store,
    pass: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
  };
});
