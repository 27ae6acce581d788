import { describeMailboxStore } from '../../tests/signal/support/mailbox-store-contract.js';
import { MemoryMailboxStore } from './memory-mailbox-store.js';

describeMailboxStore('in memory', async (quotas) => {
  let clock = 1_700_000_000_000;
  const store = new MemoryMailboxStore(quotas, () => clock);
  return {
    store,
    pass: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
  };
});
