/**
 * A file entry loads with the first file of a conversation, so its properties are set before its element is
 * defined (Lit keeps them until the first update): it must still follow its transfer from then on.
 */
import { expect } from 'chai';
import type { StoredTransfer } from '../../storage/database.js';
import type { TransferService } from '../../transfer/transfer-service.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

/** The part of a TransferService an entry reads, with one transfer whose state the test moves. */
class OneTransfer extends EventTarget {
  transfer: StoredTransfer = {
    id: 't1',
    conversation: 'bob',
    direction: 'in',
    name: 'holiday.bin',
    type: 'application/octet-stream',
    size: 1000,
    chunkSize: 100,
    next: 0,
    state: 'offered',
  } as StoredTransfer;
  get = (id: string) => (id === this.transfer.id ? this.transfer : undefined);
  needsFile = () => false;
  progress = () => ({ speed: null, eta: null });
  find = async () => undefined;
  move(change: Partial<StoredTransfer>): void {
    this.transfer = { ...this.transfer, ...change };
    this.dispatchEvent(new CustomEvent('wh-transfer', { detail: this.transfer }));
  }
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

describe('wh-file-entry', () => {
  it('given its transfer before its element was defined, shows it and follows its changes', async () => {
    const service = new OneTransfer();
    const entry = document.createElement('wh-file-entry') as HTMLElement & { service: TransferService; transferId: string };
    entry.service = service as unknown as TransferService;
    entry.transferId = 't1';
    document.body.append(entry);
    expect(customElements.get('wh-file-entry')).to.equal(undefined);
    await import('./wh-file-entry.js');
    const upgraded = document.querySelector('wh-file-entry')!;
    await upgraded.updateComplete;
    const state = () => upgraded.shadowRoot!.querySelector('[role="status"]')!.textContent;
    expect(state()).to.equal('Wants to send you this file.');
    service.move({ state: 'active', next: 5 });
    await upgraded.updateComplete;
    await nextFrame();
    expect(state()).to.match(/^50% · /);
    expect(upgraded.shadowRoot!.querySelector('progress')?.getAttribute('aria-label')).to.equal('Transfer of holiday.bin');
    // Another transfer's change does not concern it.
    const renders = upgraded.shadowRoot!.innerHTML;
    service.dispatchEvent(new CustomEvent('wh-transfer', { detail: { ...service.transfer, id: 'other' } }));
    await upgraded.updateComplete;
    expect(upgraded.shadowRoot!.innerHTML).to.equal(renders);
    upgraded.remove();
  });
});
