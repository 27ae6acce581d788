import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { WhNoWebRTC } from './wh-no-webrtc.js';
import './wh-no-webrtc.js';

// Mocha's globals, set up by @web/test-runner.
declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

// Role and accessible-name lookups, answered by Playwright (see web-test-runner.config.mjs).
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

describe('wh-no-webrtc', () => {
  it('is one notice, named by its heading, that says what works, what does not, and where it all does', async () => {
    await fixture<WhNoWebRTC>(html`<wh-no-webrtc></wh-no-webrtc>`);
    const [notice, ...more] = await read('region', 'This browser cannot connect to people directly');
    expect(more).to.deep.equal([]);
    expect(notice).to.contain('see who is in them and read the history kept on this device');
    expect(notice).to.contain('messages, files and calls');
    expect(notice).to.contain('WebRTC, which this browser does not have');
    expect(notice).to.contain('open Whisper in a current Chrome, Firefox, Safari or Edge');
  });
});
