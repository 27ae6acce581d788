import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { encode } from 'uqr';
import type { WhShareDialog } from './wh-share-dialog.js';
import './wh-share-dialog.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

const ROOM_LINK = 'https://whisper.example/r/k3Jd9_x-QpL2mN7vT0aB';

async function openDialog() {
  const dialog = await fixture<WhShareDialog>(html`<wh-share-dialog url=${ROOM_LINK}></wh-share-dialog>`);
  await dialog.show();
  return dialog;
}

describe('wh-share-dialog', () => {
  it('shows nothing until opened', async () => {
    await fixture<WhShareDialog>(html`<wh-share-dialog url=${ROOM_LINK}></wh-share-dialog>`);
    expect(await read('dialog')).to.deep.equal([]);
  });

  it("shows the room's link as text and as a QR code", async () => {
    const dialog = await openDialog();
    const [text] = await read('dialog', 'Share this room');
    expect(text).to.contain(ROOM_LINK);
    expect(await read('heading', 'Share this room')).to.have.length(1);
    expect(await read('img', 'QR code of the room link')).to.have.length(1);
    // Far more dark cells than an empty or broken drawing would have.
    const cells = dialog.shadowRoot!.querySelectorAll('svg[role="img"] rect');
    expect(cells.length).to.be.greaterThan(200);
  });

  it('draws the QR code of exactly this link, one square per dark module', async () => {
    const dialog = await openDialog();
    const drawn = new Set([...dialog.shadowRoot!.querySelectorAll('svg[role="img"] rect')].map((r) => `${r.getAttribute('x')},${r.getAttribute('y')}`));
    const { data } = encode(ROOM_LINK, { border: 2 });
    const dark = new Set(data.flatMap((row, y) => row.flatMap((on, x) => (on ? [`${x},${y}`] : []))));
    expect([...drawn].sort()).to.deep.equal([...dark].sort());
  });

  it('copies the link to the clipboard and says so', async () => {
    const dialog = await openDialog();
    await click('button', 'Copy link');
    await dialog.updateComplete;
    expect(await read('status')).to.deep.equal(['Link copied.']);
    expect(await navigator.clipboard.readText()).to.equal(ROOM_LINK);
  });

  it('closes and leaves the page on "Close"', async () => {
    const dialog = await openDialog();
    await click('button', 'Close');
    expect(await read('dialog')).to.deep.equal([]);
    expect(dialog.isConnected).to.equal(false);
  });
});
