import { describe, expect, it } from 'vitest';
import { ActiveSpeaker } from './active-speaker.js';

const BOB = 'B'.repeat(64);
const CAROL = 'C'.repeat(64);

describe('ActiveSpeaker', () => {
  it('makes the loudest the speaker once they were the loudest two polls in a row', () => {
    const speakers = new ActiveSpeaker();
    const poll = () => speakers.heard([{ device: BOB, level: 0.2, muted: false }, { device: CAROL, level: 0.05, muted: false }], null);
    expect(poll()).toBe(null);
    expect(poll()).toBe(BOB);
  });

  it('keeps the speaker through a cough: one loud poll of someone else changes nothing', () => {
    const speakers = new ActiveSpeaker();
    const poll = (carol: number) => speakers.heard([{ device: BOB, level: 0.3, muted: false }, { device: CAROL, level: carol, muted: false }], BOB);
    expect(poll(0)).toBe(BOB);
    expect(poll(0.8)).toBe(BOB);
    expect(poll(0)).toBe(BOB);
  });

  it('takes no one below about -40 dBov for a speaker', () => {
    const speakers = new ActiveSpeaker();
    for (let poll = 0; poll < 5; poll++) expect(speakers.heard([{ device: BOB, level: 0.005, muted: false }], null)).toBe(null);
  });

  it('hears someone muted as silent at once, however loud they were', () => {
    const speakers = new ActiveSpeaker();
    speakers.heard([{ device: BOB, level: 0.5, muted: false }, { device: CAROL, level: 0.1, muted: false }], null);
    speakers.heard([{ device: BOB, level: 0.5, muted: true }, { device: CAROL, level: 0.1, muted: false }], null);
    expect(speakers.heard([{ device: BOB, level: 0.5, muted: true }, { device: CAROL, level: 0.1, muted: false }], null)).toBe(CAROL);
  });
});
