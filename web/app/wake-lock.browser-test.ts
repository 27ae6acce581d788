/**
 * The screen wake lock in a browser that grants it as WebKit does (emulated here, in Chromium, and named so):
 * only inside a tap (the page's real transient activation), or to a page it granted one before. The first tap
 * takes one and lets it go, so that a request made later from an event (a call answered by the other side) is
 * granted.
 */
import { expect } from 'chai';
import { sendMouse } from '@web/test-runner-commands';
import { primeWakeLock, ScreenKeeper } from './wake-lock.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

/**
 * WebKit's rule over `navigator.wakeLock`, with what was granted and released. A tap's activation is the task of
 * a real (trusted) pointer event here, so that "later" is outside it however fast this machine runs.
 */
function emulateWebKitWakeLock(): { log: string[] } {
  let inTap = false;
  let grantedBefore = false;
  const log: string[] = [];
  window.addEventListener(
    'pointerdown',
    (event) => {
      inTap = event.isTrusted;
      setTimeout(() => (inTap = false));
    },
    { capture: true },
  );
  const wakeLock = {
    request: async () => {
      if (!inTap && !grantedBefore) {
        log.push('refused');
        throw new DOMException('Wake lock needs a user gesture', 'NotAllowedError');
      }
      log.push(inTap ? 'granted in a tap' : 'granted');
      grantedBefore = true;
      return { release: async () => void log.push('released') };
    },
  };
  Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: wakeLock });
  return { log };
}

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('screen wake lock (WebKit’s rule, emulated in Chromium)', () => {
  it('is granted later, outside any tap, once the first tap took one and let it go', async () => {
    const { log } = emulateWebKitWakeLock();
    await navigator.wakeLock.request('screen').catch(() => undefined);
    expect(log).to.deep.equal(['refused']);
    primeWakeLock(document);
    await sendMouse({ type: 'click', position: [5, 5] });
    await nextTask();
    expect(log).to.deep.equal(['refused', 'granted in a tap', 'released']);
    // Later, from an event (a call answered on the other side): granted.
    await navigator.wakeLock.request('screen');
    expect(log.at(-1)).to.equal('granted');
  });
});

describe('keeping the screen on while busy', () => {
  it('takes one lock while busy, lets it go when done, and takes it again after the page was hidden', async () => {
    const log: string[] = [];
    Object.defineProperty(navigator, 'wakeLock', {
      configurable: true,
      value: { request: async () => (log.push('taken'), { release: async () => void log.push('released') }) },
    });
    const screen = new ScreenKeeper();
    await screen.keep(true);
    await screen.keep(true);
    expect(log).to.deep.equal(['taken']);
    // Hidden, the system let it go: coming back takes one again.
    screen.dropped();
    await screen.keep(true);
    expect(log).to.deep.equal(['taken', 'taken']);
    await screen.keep(false);
    await screen.keep(false);
    expect(log).to.deep.equal(['taken', 'taken', 'released']);
  });

  it('goes on where the browser refuses, and asks again while still busy', async () => {
    let asked = 0;
    Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: { request: async () => (asked++, Promise.reject(new DOMException('no', 'NotAllowedError'))) } });
    const screen = new ScreenKeeper();
    await screen.keep(true);
    await screen.keep(true);
    await screen.keep(false);
    expect(asked).to.equal(2);
  });
});
