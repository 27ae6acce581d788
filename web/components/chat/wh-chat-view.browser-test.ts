import { fixture, html, waitUntil } from '@open-wc/testing-helpers';
import { executeServerCommand, sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import { ChatService, type ChatTransport } from '../../chat/chat-service.js';
import type { ChatFrame } from '../../chat/chat-wire.js';
import { randomId } from '../../identity/random-id.js';
import type { Person, RoomSession } from '../../room/room-session.js';
import { openDatabase } from '../../storage/database.js';
import { MessageStore } from '../../storage/message-store.js';
import type { WhChatView } from './wh-chat-view.js';
import './wh-chat-view.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

const BOB = 'B'.repeat(64);

/** Bob's data channel: records what goes to him, or refuses it while closed. */
class BobsChannel implements ChatTransport {
  open = true;
  readonly frames: ChatFrame[] = [];
  send(_device: string, frame: ChatFrame): boolean {
    if (this.open) this.frames.push(frame);
    return this.open;
  }
  want(): void {}
}

/**
 * The part of a RoomSession the chat view uses, around a real ChatService and
 * a real MessageStore in this browser's IndexedDB. There is no peer connection,
 * so Ping and Connection stats stay disabled.
 */
class RoomWithBob extends EventTarget implements Pick<RoomSession, 'chat' | 'person' | 'link' | 'canConnect' | 'onlyVerified' | 'keyChangeOf'> {
  readonly bob: Person = { device: BOB, name: 'Bob', online: true, link: 'none', pushable: false, verified: false };
  /** This room's server sends no pushes. */
  readonly away = Object.assign(new EventTarget(), { available: false, subscribed: false });
  /** The calls asked for ("audio Bob", "video Bob"); no call is ever current here. */
  readonly callsStarted: string[] = [];
  readonly calls = Object.assign(new EventTarget(), {
    current: null,
    start: async (device: string, video: boolean) => void this.callsStarted.push(`${video ? 'video' : 'audio'} ${device === BOB ? 'Bob' : device}`),
  });
  /** False: a browser without WebRTC. */
  constructor(
    readonly chat: ChatService,
    readonly canConnect: boolean,
  ) {
    super();
  }
  person(device: string): Person | undefined {
    return device === BOB ? this.bob : undefined;
  }
  link(): undefined {
    return undefined;
  }
  /** Everyone connects; no key changed. */
  readonly onlyVerified = false;
  keyChangeOf(): null {
    return null;
  }
}

async function chatWithBob({ canConnect = true } = {}) {
  const channel = new BobsChannel();
  const chat = new ChatService(new MessageStore(await openDatabase(`chat-view-test-${randomId(8)}`)), channel);
  await chat.load(BOB);
  const room = new RoomWithBob(chat, canConnect);
  const view = await fixture<WhChatView>(html`<wh-chat-view .session=${room as unknown as RoomSession} device=${BOB}></wh-chat-view>`);
  /** A frame arriving from Bob, then the view redrawn. */
  const fromBob = async (frame: ChatFrame) => {
    await chat.receive(BOB, JSON.stringify(frame));
    await view.updateComplete;
  };
  return { channel, view, fromBob, room };
}

async function messages(): Promise<string> {
  const [list] = await read('list', 'Messages');
  return list ?? '';
}

/** Types a message in the composer and sends it with Enter; resolves once it went out to Bob. */
async function send(text: string, channel: BobsChannel) {
  await click('textbox', 'Message');
  await sendKeys({ type: text });
  await sendKeys({ press: 'Enter' });
  await waitUntil(async () => (await messages()).includes(text), 'the message appears in the conversation');
  return channel.frames.find((frame): frame is Extract<ChatFrame, { t: 'msg' }> => frame.t === 'msg' && frame.text === text);
}

describe('wh-chat-view', () => {
  it('names the person, says they are online, and invites a first message', async () => {
    await chatWithBob();
    expect(await read('heading', 'Bob')).to.have.length(1);
    expect(await messages()).to.contain('No messages yet. Say hello!');
    const [header] = await read('banner');
    expect(header).to.contain('Online');
  });

  it('shows a message containing HTML literally, as text', async () => {
    const { view, fromBob } = await chatWithBob();
    const text = '<b>bold</b> & <img src=x onerror=alert(1)>';
    await fromBob({ t: 'msg', id: randomId(16), text, sentAt: Date.now() });
    expect(await messages()).to.contain(text);
    const list = view.shadowRoot!.querySelector('ol')!;
    expect(list.querySelector('b, img')).to.equal(null);
  });

  it('turns web addresses in a message into links that open apart from the app', async () => {
    const { view, fromBob } = await chatWithBob();
    await fromBob({ t: 'msg', id: randomId(16), text: 'The plan: https://example.com/plan?v=2#top, see you.', sentAt: Date.now() });
    expect(await read('link', 'https://example.com/plan?v=2#top')).to.have.length(1);
    const link = view.shadowRoot!.querySelector('a')!;
    expect(link.href).to.equal('https://example.com/plan?v=2#top');
    expect(link.target).to.equal('_blank');
    expect(link.relList.contains('noopener')).to.equal(true);
    expect(await messages()).to.contain('The plan: https://example.com/plan?v=2#top, see you.');
  });

  it('does not make links of addresses that are not web addresses', async () => {
    const { fromBob } = await chatWithBob();
    await fromBob({ t: 'msg', id: randomId(16), text: 'javascript:alert(1) and ftp://files.example', sentAt: Date.now() });
    expect(await messages()).to.contain('javascript:alert(1) and ftp://files.example');
    expect(await read('link')).to.deep.equal([]);
  });

  it('sends what is typed to Bob and marks it Sent, then Delivered, then Read', async () => {
    const { channel, fromBob } = await chatWithBob();
    const sent = await send('Hi Bob', channel);
    expect(sent, 'the message went over the channel').to.not.equal(undefined);
    await waitUntil(async () => (await read('img', 'Sent')).length === 1, 'the message is marked Sent');
    await fromBob({ t: 'ack', ids: [sent!.id] });
    expect(await read('img', 'Delivered')).to.have.length(1);
    expect(await read('img', 'Sent')).to.deep.equal([]);
    await fromBob({ t: 'read', ids: [sent!.id] });
    expect(await read('img', 'Read')).to.have.length(1);
    expect(await read('img', 'Delivered')).to.deep.equal([]);
  });

  it('marks a message Queued while there is no channel to Bob', async () => {
    const { channel } = await chatWithBob();
    channel.open = false;
    await send('Are you there?', channel);
    expect(await read('img', 'Queued')).to.have.length(1);
    expect(await read('img', 'Sent')).to.deep.equal([]);
  });

  it('gives no status to messages from Bob', async () => {
    const { fromBob } = await chatWithBob();
    await fromBob({ t: 'msg', id: randomId(16), text: 'hello', sentAt: Date.now() });
    expect(await messages()).to.contain('hello');
    for (const status of ['Queued', 'Sent', 'Delivered', 'Read']) expect(await read('img', status)).to.deep.equal([]);
  });

  it('shows when Bob is typing, until he stops', async () => {
    const { view, fromBob } = await chatWithBob();
    // A live region without a role: read as the words on screen under the messages.
    const typing = () => view.shadowRoot!.querySelector('ol + [aria-live]')!.textContent;
    expect(typing()).to.equal('');
    await fromBob({ t: 'typing', on: true });
    expect(typing()).to.equal('Bob is typing…');
    await fromBob({ t: 'typing', on: false });
    expect(typing()).to.equal('');
  });
});

describe('wh-chat-view calls', () => {
  it('"Audio call" and "Video call" ring the person, and are unavailable while they are offline', async () => {
    const { view, room } = await chatWithBob();
    await click('button', 'Audio call');
    await click('button', 'Video call');
    expect(room.callsStarted).to.deep.equal(['audio Bob', 'video Bob']);
    room.bob.online = false;
    view.requestUpdate();
    await view.updateComplete;
    const disabled = view.renderRoot.querySelector<HTMLButtonElement>('button[aria-label="Video call"]')!.disabled;
    expect(disabled).to.equal(true);
  });
});

describe('wh-chat-view without WebRTC', () => {
  it('shows the history on this device, offers nothing that needs a connection, and says why', async () => {
    const { fromBob } = await chatWithBob({ canConnect: false });
    expect(await messages()).to.contain('No messages on this device.');
    await fromBob({ t: 'msg', id: randomId(16), text: 'From before', sentAt: Date.now() });
    expect(await messages()).to.contain('From before');
    expect(await read('heading', 'Bob')).to.have.length(1);
    for (const control of ['Message', 'Send', 'Attach file', 'Audio call', 'Video call', 'Ping', 'Connection stats']) {
      expect(await read('textbox', control), control).to.deep.equal([]);
      expect(await read('button', control), control).to.deep.equal([]);
    }
    expect(await read('button', 'Back')).to.have.length(1);
    const [note] = await read('note');
    expect(note).to.contain('Messages, files and calls to Bob cannot be sent from this browser: they need WebRTC');
    expect(note).to.contain('Chrome, Firefox, Safari or Edge');
  });

  it('keeps the composer and the calls where WebRTC is there', async () => {
    await chatWithBob();
    expect(await read('textbox', 'Message')).to.have.length(1);
    expect(await read('button', 'Audio call')).to.have.length(1);
    expect(await read('note')).to.deep.equal([]);
  });
});
