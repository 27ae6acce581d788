import { describe, expect, it } from 'vitest';
import { FrameRouter } from './frame-router.js';

const typed = (type: string) => (text: string) => {
  const frame = JSON.parse(text) as { type?: string };
  return frame.type === type ? frame : null;
};

describe('the frame router', () => {
  it('hands each frame to the service that reads it, and what none reads to the one that takes the rest', () => {
    const router = new FrameRouter();
    const got: string[] = [];
    router.register<string>({ name: 'chat', takesTheRest: true, receive: (device, text) => got.push(`chat ${device} ${text}`) });
    router.register({ name: 'call', parse: typed('call'), receive: (device, frame) => got.push(`call ${device} ${frame.type}`) });
    router.register({ name: 'room', parse: typed('room'), receive: (device, frame) => got.push(`room ${device} ${frame.type}`) });
    expect(router.route('bob', '{"type":"call"}')).toBe(true);
    expect(router.route('bob', '{"type":"room"}')).toBe(true);
    expect(router.route('carol', '{"type":"msg"}')).toBe(true);
    // Registered first, the chat still comes last: a call frame never reaches it.
    expect(got).toEqual(['call bob call', 'room bob room', 'chat carol {"type":"msg"}']);
  });

  it('says when no service takes a frame', () => {
    const router = new FrameRouter();
    router.register({ name: 'call', parse: typed('call'), receive: () => undefined });
    expect(router.route('bob', '{"type":"other"}')).toBe(false);
  });

  it('refuses a second service that would take the rest', () => {
    const router = new FrameRouter();
    router.register<string>({ name: 'chat', takesTheRest: true, receive: () => undefined });
    expect(() => router.register<string>({ name: 'mailbox', takesTheRest: true, receive: () => undefined })).toThrow(/chat already does/);
  });

  it('tells every service of a connection opening, closing, media and a person leaving, in the order they registered', () => {
    const router = new FrameRouter();
    const heard: string[] = [];
    for (const name of ['chat', 'transfers', 'calls']) {
      router.register({
        name,
        opened: (device) => heard.push(`${name} opened ${device}`),
        closed: (device) => heard.push(`${name} closed ${device}`),
        ...(name === 'calls'
          ? { left: (device: string) => heard.push(`${name} left ${device}`), remoteOffer: (device: string) => heard.push(`${name} offer ${device}`), remoteTrack: (device: string) => heard.push(`${name} track ${device}`) }
          : {}),
      });
    }
    router.opened('bob');
    router.remoteOffer('bob');
    router.remoteTrack('bob');
    router.closed('bob');
    router.left('bob');
    expect(heard).toEqual([
      'chat opened bob',
      'transfers opened bob',
      'calls opened bob',
      'calls offer bob',
      'calls track bob',
      'chat closed bob',
      'transfers closed bob',
      'calls closed bob',
      'calls left bob',
    ]);
  });

  it('hands files-channel frames to the service that takes them', () => {
    const router = new FrameRouter();
    const got: unknown[] = [];
    router.register({ name: 'chat', opened: () => undefined });
    router.register({ name: 'transfers', receiveFile: (device, data) => got.push([device, data]) });
    const chunk = new ArrayBuffer(4);
    router.routeFile('bob', chunk, {} as RTCDataChannel);
    expect(got).toEqual([['bob', chunk]]);
  });

  it('wants a connection when any service waits for one, and asks no further once one does', async () => {
    const router = new FrameRouter();
    const asked: string[] = [];
    router.register({ name: 'chat', wants: async (device) => (asked.push('chat'), device === 'bob') });
    router.register({ name: 'calls', wants: (device) => (asked.push('calls'), device === 'carol') });
    expect(await router.wanted('bob')).toBe(true);
    expect(asked).toEqual(['chat']);
    expect(await router.wanted('carol')).toBe(true);
    expect(await router.wanted('dan')).toBe(false);
  });
});
