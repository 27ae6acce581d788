/**
 * Helpers for the call suites: what a person sees and does in a call, and
 * what a tester needs to look under it (is the remote video decoding frames,
 * did the app release the camera).
 */
import { expect } from '@playwright/test';
import type { Person } from './people.js';

/**
 * Keeps every camera and microphone track the page gets, to check later that
 * the app stopped them (the camera light goes out). Call before the page loads.
 */
export async function recordMediaTracks(person: Person): Promise<void> {
  await person.page.addInitScript(() => {
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    const record = window as unknown as { whTracks: MediaStreamTrack[]; whConstraints: MediaStreamConstraints[] };
    record.whTracks = [];
    record.whConstraints = [];
    devices.getUserMedia = async (constraints) => {
      record.whConstraints.push(constraints ?? {});
      const stream = await getUserMedia(constraints);
      record.whTracks.push(...stream.getTracks());
      return stream;
    };
  });
}

/** The kinds and states of the tracks the page got ("video:live", "audio:ended"...). */
export function mediaTracks(person: Person): Promise<string[]> {
  return person.page.evaluate(() => (window as unknown as { whTracks: MediaStreamTrack[] }).whTracks.map((t) => `${t.kind}:${t.readyState}`));
}

export function incomingCall(person: Person, caller: string) {
  return person.page.getByRole('dialog', { name: caller });
}

export function callScreen(person: Person, other: string) {
  return person.page.getByRole('region', { name: `Call with ${other}` });
}

export function callStatus(person: Person, other: string) {
  return callScreen(person, other).getByRole('status');
}

export function remoteVideo(person: Person, other: string) {
  return person.page.getByLabel(`${other}’s video`);
}

/**
 * Waits until the other person's video is decoding frames of a real size, and
 * (for a camera, whose picture always moves) they keep coming. A shared screen
 * that does not change sends no new frames.
 */
export async function expectRemoteVideoPlaying(person: Person, other: string, moving = true): Promise<void> {
  const video = remoteVideo(person, other);
  await expect(video).toBeVisible({ timeout: 20_000 });
  const frames = () =>
    video.evaluate((element: HTMLVideoElement) => ({
      width: element.videoWidth,
      height: element.videoHeight,
      decoded: element.getVideoPlaybackQuality().totalVideoFrames,
    }));
  const first = await frames();
  expect(first.width).toBeGreaterThan(0);
  expect(first.height).toBeGreaterThan(0);
  if (!moving) return;
  // Frames keep coming: one reading above the one before. Not above the first: a renegotiation (after a signal
  // restart) may give the element its stream again, and its count starts over (seen: 64, then 29 and climbing).
  let last = first.decoded;
  await expect
    .poll(
      async () => {
        const { decoded } = await frames();
        const advanced = decoded > last;
        last = decoded;
        return advanced;
      },
      { timeout: 10_000, intervals: [500] },
    )
    .toBe(true);
}

/** Starts a call from the open chat, by the header button ("Audio call" or "Video call"). */
export async function call(person: Person, kind: 'Audio call' | 'Video call'): Promise<void> {
  await person.page.getByRole('button', { name: kind, exact: true }).click();
}

/** The call entry in the open conversation with the given words. */
export function callEntry(person: Person, text: string | RegExp) {
  return person.page.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: text });
}

/** Counts the page's session descriptions (each offer or answer it makes), to see when a change renegotiates. */
export async function countNegotiations(person: Person): Promise<void> {
  await person.page.addInitScript(() => {
    const counter = window as unknown as { whNegotiations: number };
    counter.whNegotiations = 0;
    const setLocalDescription = RTCPeerConnection.prototype.setLocalDescription;
    RTCPeerConnection.prototype.setLocalDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof setLocalDescription>) {
      counter.whNegotiations++;
      return setLocalDescription.apply(this, args);
    } as typeof setLocalDescription;
  });
}

export function negotiations(person: Person): Promise<number> {
  return person.page.evaluate(() => (window as unknown as { whNegotiations: number }).whNegotiations);
}

/** The labels of the live camera tracks the page holds (which camera is on). */
export function liveCameras(person: Person): Promise<string[]> {
  return person.page.evaluate(() => (window as unknown as { whTracks: MediaStreamTrack[] }).whTracks.filter((t) => t.kind === 'video' && t.readyState === 'live').map((t) => t.label));
}
