/**
 * The room's call view when the browser refuses to play the others' media until a tap, as Safari does where
 * this side captures nothing (emulated: play() refused until the test allows it).
 */
import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { GroupCall, type GroupCallService } from '../calls/group-call.js';
import type { OwnMediaHost } from '../calls/own-media.js';
import type { WhGroupCallView } from './wh-group-call-view.js';
import './wh-group-call-view.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });
const idle: OwnMediaHost<GroupCall> = { isCurrent: () => true, sendTrack: async () => undefined, changed: () => undefined, notice: () => undefined };

describe('wh-group-call-view when playing is refused (emulated)', () => {
  it('says "Tap to hear and see everyone", and plays them inside that tap', async () => {
    const play = HTMLMediaElement.prototype.play;
    let allowed = false;
    HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
      return allowed ? Promise.resolve() : Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
    };
    try {
      const call = new GroupCall('g'.repeat(16), 'joined', null, idle);
      call.joinedAt = Date.now();
      call.answered = true;
      const stream = new MediaStream([document.createElement('canvas').captureStream().getVideoTracks()[0]!]);
      call.participants = [{ device: 'B'.repeat(64), muted: false, camera: true, screen: false, away: false, stream, reconnecting: false }];
      const service = Object.assign(new EventTarget(), { leave: async () => undefined }) as unknown as GroupCallService;
      await fixture<WhGroupCallView>(html`<wh-group-call-view .call=${call} .service=${service} .names=${() => 'Bob'} selfName="Alice" .links=${() => null}></wh-group-call-view>`);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await read('button', 'Tap to hear and see everyone')).to.have.length(1);
      allowed = true;
      await click('button', 'Tap to hear and see everyone');
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await read('button', 'Tap to hear and see everyone')).to.deep.equal([]);
    } finally {
      HTMLMediaElement.prototype.play = play;
    }
  });

  it('shows a participant whose app is in the background, on their tile', async () => {
    const call = new GroupCall('g'.repeat(16), 'joined', null, idle);
    call.joinedAt = Date.now();
    call.answered = true;
    call.participants = [{ device: 'B'.repeat(64), muted: false, camera: false, screen: false, away: true, stream: new MediaStream(), reconnecting: false }];
    const service = Object.assign(new EventTarget(), { leave: async () => undefined }) as unknown as GroupCallService;
    await fixture<WhGroupCallView>(html`<wh-group-call-view .call=${call} .service=${service} .names=${() => 'Bob'} selfName="Alice" .links=${() => null}></wh-group-call-view>`);
    const tiles = await read('listitem');
    expect(tiles.join(' ')).to.contain('Bob · in the background');
  });
});
