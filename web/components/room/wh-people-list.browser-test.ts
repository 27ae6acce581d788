import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { PersonEntry, WhPeopleList } from './wh-people-list.js';
import './wh-people-list.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

const BOB = 'B'.repeat(64);
const CAROL = 'C'.repeat(64);

function person(device: string, name: string, online: boolean, unread: number): PersonEntry {
  return { device, name, online, unread, link: 'none', pushable: false, verified: false };
}

describe('wh-people-list', () => {
  it('names each person with their presence and unread count', async () => {
    const people = [person(BOB, 'Bob', true, 2), person(CAROL, 'Carol', false, 0)];
    await fixture<WhPeopleList>(html`<wh-people-list .people=${people}></wh-people-list>`);
    expect(await read('list', 'People')).to.have.length(1);
    expect(await read('button', 'Bob, online, 2 unread')).to.have.length(1);
    expect(await read('button', 'Carol, offline')).to.have.length(1);
    expect(await read('button')).to.have.length(2);
  });

  it('says who is verified, and whose safety number changed', async () => {
    const people = [{ ...person(BOB, 'Bob', false, 0), verified: true }, { ...person(CAROL, 'Bob', true, 1), keyChangeFrom: BOB }];
    await fixture<WhPeopleList>(html`<wh-people-list .people=${people}></wh-people-list>`);
    const [verified] = await read('button', 'Bob, verified, offline');
    expect(verified).to.contain('Verified');
    const [changed] = await read('button', 'Bob, online, safety number changed, 1 unread');
    expect(changed).to.contain('Safety number changed');
  });

  it("opens a person's conversation when they are clicked", async () => {
    const people = [person(BOB, 'Bob', true, 0), person(CAROL, 'Carol', true, 0)];
    const list = await fixture<WhPeopleList>(html`<wh-people-list .people=${people}></wh-people-list>`);
    const selected: string[] = [];
    list.addEventListener('wh-select', (event) => selected.push(event.detail));
    await click('button', 'Carol, online');
    expect(selected).to.deep.equal([CAROL]);
  });

  it('shows a hint to share the link when no one else is here', async () => {
    await fixture<WhPeopleList>(html`<wh-people-list .people=${[]}></wh-people-list>`);
    expect(await read('list', 'People')).to.deep.equal([]);
    const [text] = await read('paragraph');
    expect(text).to.equal("No one else is here yet. Share the room's link to invite someone.");
  });

  it('shows a name made of HTML as text, never as markup', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const list = await fixture<WhPeopleList>(html`<wh-people-list .people=${[person(BOB, name, true, 0)]}></wh-people-list>`);
    const [text] = await read('button', `${name}, online`);
    expect(text).to.contain(name);
    expect(list.shadowRoot!.querySelector('img')).to.equal(null);
  });

  it('updates when someone comes online', async () => {
    const list = await fixture<WhPeopleList>(html`<wh-people-list .people=${[person(BOB, 'Bob', false, 0)]}></wh-people-list>`);
    list.people = [person(BOB, 'Bob', true, 1)];
    await list.updateComplete;
    expect(await read('button', 'Bob, offline')).to.deep.equal([]);
    expect(await read('button', 'Bob, online, 1 unread')).to.have.length(1);
  });
});
