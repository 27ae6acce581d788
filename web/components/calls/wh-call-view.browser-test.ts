import { fixture, html } from '@open-wc/testing-helpers';
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { Call, type CallService } from '../../calls/call-service.js';
import type { OwnMediaHost } from '../../calls/own-media.js';
import type { WhCallView } from './wh-call-view.js';
import { whilePlayRefused } from './refused-play.test-support.js';
import './wh-call-view.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const click = (role: string, name: string) => executeServerCommand('click-by-role', { role, name });
const read = (role: string, name?: string) => executeServerCommand<string[], object>('read-by-role', { role, name });

/** A stand-in for the call service that notes what the controls asked for. */
function fakeService(asked: string[]) {
  return Object.assign(new EventTarget(), {
    hangUp: async () => void asked.push('hang up'),
    setMuted: (muted: boolean) => void asked.push(muted ? 'mute' : 'unmute'),
    setCamera: async (on: boolean) => void asked.push(on ? 'camera on' : 'camera off'),
  }) as unknown as CallService;
}

/** A call's media that goes nowhere: the view is tested alone. */
const idle: OwnMediaHost<Call> = { isCurrent: () => true, sendTrack: async () => undefined, changed: () => undefined, notice: () => undefined };

async function callView(call: Call, asked: string[] = [], minimized = false): Promise<WhCallView> {
  return fixture<WhCallView>(html`<wh-call-view .call=${call} .service=${fakeService(asked)} name="Alice" .minimized=${minimized}></wh-call-view>`);
}

describe('wh-call-view', () => {
  it('while calling: "Calling…", and Cancel hangs up', async () => {
    const asked: string[] = [];
    await callView(new Call('c'.repeat(16), 'device', 'out', true, 'outgoing', idle), asked);
    expect(await read('status')).to.deep.equal(['Calling…']);
    expect(await read('button', 'Hang up')).to.deep.equal([]);
    await click('button', 'Cancel');
    expect(asked).to.deep.equal(['hang up']);
  });

  it('in a call: the duration, and controls named for what they will do', async () => {
    // The view's clock stands still: it shows 1:05 however long this machine takes to draw and read it.
    const realNow = Date.now;
    const now = realNow();
    Date.now = () => now;
    const call = new Call('c'.repeat(16), 'device', 'in', true, 'active', idle);
    call.answeredAt = now - 65_000;
    call.muted = true;
    call.cameraOn = false;
    const asked: string[] = [];
    try {
      await callView(call, asked);
      expect(await read('status')).to.deep.equal(['1:05']);
    } finally {
      Date.now = realNow;
    }
    await click('button', 'Unmute');
    await click('button', 'Camera on');
    await click('button', 'Hang up');
    expect(asked).to.deep.equal(['unmute', 'camera on', 'hang up']);
  });

  it('shows what the other side turned off', async () => {
    const call = new Call('c'.repeat(16), 'device', 'out', true, 'active', idle);
    call.answeredAt = Date.now();
    call.remoteMuted = true;
    call.remoteCameraOn = false;
    await callView(call);
    const [screen] = await read('region', 'Call with Alice');
    expect(screen).to.contain('Alice is muted');
    expect(screen).to.contain('Alice’s camera is off');
  });

  it('minimized, it is a bar that returns to the call', async () => {
    const call = new Call('c'.repeat(16), 'device', 'out', false, 'active', idle);
    call.answeredAt = Date.now();
    const view = await callView(call, [], true);
    let restored = 0;
    view.addEventListener('wh-restore', () => restored++);
    expect(await read('toolbar', 'Call controls')).to.deep.equal([]);
    await click('button', 'Return to call');
    expect(restored).to.equal(1);
  });
});

describe('wh-call-view when the browser refuses media (as Safari does: emulated by refusing play() and picture in picture)', () => {
  it('says "Tap to hear and see" when playing is refused, and plays inside that tap', async () => {
    await whilePlayRefused(async (allow) => {
      const call = new Call('c'.repeat(16), 'device', 'in', true, 'active', idle);
      call.answeredAt = Date.now();
      call.remote = new MediaStream([document.createElement('canvas').captureStream().getVideoTracks()[0]!]);
      const view = await callView(call);
      await view.updateComplete;
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await read('button', 'Tap to hear and see Alice')).to.have.length(1);
      allow();
      await click('button', 'Tap to hear and see Alice');
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(await read('button', 'Tap to hear and see Alice')).to.deep.equal([]);
    });
  });

  it('says so when picture in picture is refused, and hides its button', async () => {
    const request = HTMLVideoElement.prototype.requestPictureInPicture;
    HTMLVideoElement.prototype.requestPictureInPicture = () => Promise.reject(new DOMException('not for a MediaStream', 'NotSupportedError'));
    try {
      const call = new Call('c'.repeat(16), 'device', 'in', true, 'active', idle);
      call.answeredAt = Date.now();
      await callView(call);
      await click('button', 'Picture in picture');
      expect((await read('alert')).join(' ')).to.contain('This browser would not show Alice’s video in picture in picture (it does not for calls here).');
      expect(await read('button', 'Picture in picture')).to.deep.equal([]);
    } finally {
      HTMLVideoElement.prototype.requestPictureInPicture = request;
    }
  });
});
