import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { WhComposer } from './wh-composer.js';
import './wh-composer.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });

async function composer(disabled = false) {
  const element = await fixture<WhComposer>(html`<wh-composer ?disabled=${disabled}></wh-composer>`);
  const sent: string[] = [];
  const typing: boolean[] = [];
  element.addEventListener('wh-send', (event) => sent.push(event.detail));
  element.addEventListener('wh-typing', (event) => typing.push(event.detail));
  const box = element.shadowRoot!.querySelector<HTMLTextAreaElement>('textarea[aria-label="Message"]')!;
  return { element, sent, typing, box };
}

describe('wh-composer', () => {
  it('sends the trimmed text on Enter and empties the box', async () => {
    const { sent, box } = await composer();
    await click('textbox', 'Message');
    await sendKeys({ type: '  hello there ' });
    await sendKeys({ press: 'Enter' });
    expect(sent).to.deep.equal(['hello there']);
    expect(box.value).to.equal('');
    expect(box.matches(':focus')).to.equal(true, 'the box keeps the focus for the next message');
  });

  it('sends with the Send button', async () => {
    const { sent, box } = await composer();
    await click('textbox', 'Message');
    await sendKeys({ type: 'by button' });
    await click('button', 'Send');
    expect(sent).to.deep.equal(['by button']);
    expect(box.value).to.equal('');
  });

  it('starts a new line on Shift+Enter instead of sending', async () => {
    const { sent, box } = await composer();
    await click('textbox', 'Message');
    await sendKeys({ type: 'first line' });
    await sendKeys({ press: 'Shift+Enter' });
    await sendKeys({ type: 'second line' });
    expect(sent).to.deep.equal([]);
    expect(box.value).to.equal('first line\nsecond line');
    await sendKeys({ press: 'Enter' });
    expect(sent).to.deep.equal(['first line\nsecond line']);
  });

  it('sends nothing when the box is empty or only spaces', async () => {
    const { sent } = await composer();
    await click('textbox', 'Message');
    await sendKeys({ press: 'Enter' });
    await sendKeys({ type: '   ' });
    await sendKeys({ press: 'Enter' });
    await click('button', 'Send');
    expect(sent).to.deep.equal([]);
  });

  it('tells others the user is typing, once, not at every key', async () => {
    const { typing } = await composer();
    await click('textbox', 'Message');
    await sendKeys({ type: 'abc' });
    expect(typing).to.deep.equal([true]);
  });

  it('keeps the text and sends nothing while disabled', async () => {
    const { sent, box } = await composer(true);
    await click('textbox', 'Message');
    await sendKeys({ type: 'wait for me' });
    await sendKeys({ press: 'Enter' });
    expect(sent).to.deep.equal([]);
    expect(box.value).to.equal('wait for me');
  });
});
