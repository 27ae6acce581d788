import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { WhIncomingCall } from './wh-incoming-call.js';
import './wh-incoming-call.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

describe('wh-incoming-call', () => {
  it('names the caller and the kind of call', async () => {
    await fixture(html`<wh-incoming-call name="Alice" video></wh-incoming-call>`);
    const [text] = await read('dialog', 'Alice');
    expect(text).to.contain('Incoming video call');
  });

  it('answers with Accept and refuses with Decline', async () => {
    const ringing = await fixture<WhIncomingCall>(html`<wh-incoming-call name="Bob"></wh-incoming-call>`);
    const said: string[] = [];
    ringing.addEventListener('wh-accept', () => said.push('accept'));
    ringing.addEventListener('wh-decline', () => said.push('decline'));
    expect((await read('dialog', 'Bob'))[0]).to.contain('Incoming audio call');
    await click('button', 'Decline');
    await click('button', 'Accept');
    expect(said).to.deep.equal(['decline', 'accept']);
  });
});
