import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { WhNameForm } from './wh-name-form.js';
import './wh-name-form.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

async function nameForm() {
  const form = await fixture<WhNameForm>(html`<wh-name-form></wh-name-form>`);
  const names: string[] = [];
  form.addEventListener('wh-name', (event) => names.push(event.detail));
  return { form, names };
}

describe('wh-name-form', () => {
  it('joins with the name typed, without the spaces around it', async () => {
    const { names } = await nameForm();
    await click('textbox', 'Your name');
    await sendKeys({ type: '  Ada Lovelace  ' });
    await click('button', 'Join');
    expect(names).to.deep.equal(['Ada Lovelace']);
    expect(await read('alert')).to.deep.equal(['']);
  });

  it('joins when Enter is pressed in the textbox', async () => {
    const { names } = await nameForm();
    await click('textbox', 'Your name');
    await sendKeys({ type: 'Grace' });
    await sendKeys({ press: 'Enter' });
    expect(names).to.deep.equal(['Grace']);
  });

  it('asks for a name when none was typed, and does not join', async () => {
    const { form, names } = await nameForm();
    await click('button', 'Join');
    await form.updateComplete;
    expect(await read('alert')).to.deep.equal(['Please enter a name.']);
    expect(names).to.deep.equal([]);
  });

  it('treats a name of only spaces as no name', async () => {
    const { form, names } = await nameForm();
    await click('textbox', 'Your name');
    await sendKeys({ type: '    ' });
    await click('button', 'Join');
    await form.updateComplete;
    expect(await read('alert')).to.deep.equal(['Please enter a name.']);
    expect(names).to.deep.equal([]);
  });

  it('refuses a name with a right-to-left override, which could disguise it, and says why', async () => {
    const { form, names } = await nameForm();
    await click('textbox', 'Your name');
    await sendKeys({ type: 'Eve\u202Egnp.exe' });
    await click('button', 'Join');
    await form.updateComplete;
    expect(await read('alert')).to.deep.equal(['That name will not do: name contains control or invisible characters.']);
    expect(names).to.deep.equal([]);
  });

  it('clears the error once a valid name is given', async () => {
    const { form, names } = await nameForm();
    await click('button', 'Join');
    await form.updateComplete;
    await click('textbox', 'Your name');
    await sendKeys({ type: 'Linus' });
    await click('button', 'Join');
    await form.updateComplete;
    expect(await read('alert')).to.deep.equal(['']);
    expect(names).to.deep.equal(['Linus']);
  });
});
