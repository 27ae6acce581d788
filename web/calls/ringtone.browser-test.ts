/**
 * The ringtone's audio is unlocked by the first gesture in the page, as Safari
 * requires: before it, nothing is made; after it, the context runs once.
 */
import { expect } from 'chai';
import { sendKeys, sendMouse } from '@web/test-runner-commands';
import { Ringtone } from './ringtone.js';
import { until } from '../test-support/until.test-support.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('Ringtone: audio unlocked by a gesture', () => {
  it('makes no AudioContext before a gesture, and unlocks on the first click (a real one: a synthetic event is no gesture)', async () => {
    const target = document;
    const made: AudioContext[] = [];
    const Original = globalThis.AudioContext;
    globalThis.AudioContext = class extends Original {
      constructor() {
        super();
        made.push(this);
      }
    };
    try {
      const ringtone = new Ringtone(target);
      await settle();
      expect(made).to.have.length(0);
      expect(ringtone.unlocked).to.equal(false);
      await sendMouse({ type: 'click', position: [5, 5] });
      expect(made).to.have.length(1);
      await until(() => ringtone.unlocked, 'the audio to be unlocked');
      // Idle until a ring, and a second gesture makes nothing new.
      await until(() => made[0]!.state === 'suspended', 'the context to idle');
      await sendKeys({ press: 'Shift' });
      ringtone.start('incoming');
      await until(() => made[0]!.state === 'running', 'the context to run');
      expect(made).to.have.length(1);
      ringtone.stop();
    } finally {
      globalThis.AudioContext = Original;
    }
  });
});
