/**
 * The room's call view when the browser refuses to play the others' media until a tap, as Safari does where
 * this side captures nothing (emulated: play() refused until the test allows it).
 */
import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { GroupCall, type GroupCallService } from '../../calls/group-call.js';
import type { OwnMediaHost } from '../../calls/own-media.js';
import type { WhGroupCallView } from './wh-group-call-view.js';
import { whilePlayRefused } from './refused-play.test-support.js';
import './wh-group-call-view.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });
const idle: OwnMediaHost<GroupCall> = { isCurrent: () => true, sendTrack: async () => undefined, changed: () => undefined, notice: () => undefined };

/** The room's call view, Alice's, with Bob's name for every other device. */
function groupView(call: GroupCall): Promise<WhGroupCallView> {
  const service = Object.assign(new EventTarget(), { leave: async () => undefined }) as unknown as GroupCallService;
  return fixture<WhGroupCallView>(html`<wh-group-call-view .call=${call} .service=${service} .names=${() => 'Bob'} selfName="Alice" .links=${() => null}></wh-group-call-view>`);
}

describe('wh-group-call-view when playing is refused (emulated)', () => {
  it('says "Tap to hear and see everyone", and plays them inside that tap', async () => {
    await whilePlayRefused(async (allow) => {
      const call = new GroupCall('g'.repeat(16), 'joined', null, idle);
      call.joinedAt = Date.now();
      call.answered = true;
      const stream = new MediaStream([document.createElement('canvas').captureStream().getVideoTracks()[0]!]);
      call.participants = [{ device: 'B'.repeat(64), muted: false, camera: true, screen: false, away: false, stream, reconnecting: false }];
      await groupView(call);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await read('button', 'Tap to hear and see everyone')).to.have.length(1);
      allow();
      await click('button', 'Tap to hear and see everyone');
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await read('button', 'Tap to hear and see everyone')).to.deep.equal([]);
    });
  });

  it('shows a participant whose app is in the background, on their tile', async () => {
    const call = new GroupCall('g'.repeat(16), 'joined', null, idle);
    call.joinedAt = Date.now();
    call.answered = true;
    call.participants = [{ device: 'B'.repeat(64), muted: false, camera: false, screen: false, away: true, stream: new MediaStream(), reconnecting: false }];
    await groupView(call);
    const tiles = await read('listitem');
    expect(tiles.join(' ')).to.contain('Bob · in the background');
  });
});
