import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { WhUpdatePrompt } from './wh-update-prompt.js';
import './wh-update-prompt.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

describe('wh-update-prompt', () => {
  it('says a new version is ready', async () => {
    await fixture(html`<wh-update-prompt></wh-update-prompt>`);
    const [text] = await read('region', 'New version');
    expect(text).to.contain('A new version of Whisper is ready.');
  });

  it('asks for the update only when "Update" is clicked', async () => {
    const prompt = await fixture<WhUpdatePrompt>(html`<wh-update-prompt></wh-update-prompt>`);
    let updates = 0;
    prompt.addEventListener('wh-update', () => updates++);
    expect(updates).to.equal(0);
    await click('button', 'Update');
    expect(updates).to.equal(1);
  });

  it('goes away on "Later" without updating', async () => {
    const prompt = await fixture<WhUpdatePrompt>(html`<wh-update-prompt></wh-update-prompt>`);
    let updates = 0;
    prompt.addEventListener('wh-update', () => updates++);
    await click('button', 'Later');
    await prompt.updateComplete;
    expect(await read('region', 'New version')).to.deep.equal([]);
    expect(await read('button', 'Update')).to.deep.equal([]);
    expect(updates).to.equal(0);
  });
});
