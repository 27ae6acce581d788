/**
 * Picture-in-picture in a video call (README: "in a call there are ...
 * picture-in-picture"): the call screen's button puts the other person's video
 * in the browser's floating window, where it keeps playing; the button takes
 * it back, and hanging up closes the window.
 */
import type { Locator } from '@playwright/test';
import { call, callScreen, expectRemoteVideoPlaying, remoteVideo } from './calls.js';
import { expect, test } from './fixtures.js';
import { closeAll, meet, openChat, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

/** Whether the video is the one in the browser's picture-in-picture window (asked of its own tree: the document sees its shadow host). */
function inPictureInPicture(video: Locator): Promise<boolean> {
  return video.evaluate((element) => (element.getRootNode() as ShadowRoot | Document).pictureInPictureElement === element);
}

test('in a video call, Picture in picture floats the other person’s video in its own window, playing; the button takes it back, and hanging up closes it', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [alice, bob] = room.people as [Person, Person];
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');

  const video = remoteVideo(alice, 'Bob');
  // The window the browser opens, as the page is told of it.
  await video.evaluate((element: HTMLVideoElement) => {
    element.addEventListener('enterpictureinpicture', (event) => {
      const { width, height } = (event as PictureInPictureEvent).pictureInPictureWindow;
      (window as unknown as { whPipWindow: number[] }).whPipWindow = [width, height];
    });
  });
  const button = callScreen(alice, 'Bob').getByRole('button', { name: 'Picture in picture' });
  await button.click();
  await expect.poll(() => inPictureInPicture(video)).toBe(true);
  const [width, height] = await alice.page.evaluate(() => (window as unknown as { whPipWindow: number[] }).whPipWindow);
  expect(width).toBeGreaterThan(0);
  expect(height).toBeGreaterThan(0);
  // Bob's frames keep coming in the window.
  await expectRemoteVideoPlaying(alice, 'Bob');

  await button.click();
  await expect.poll(() => inPictureInPicture(video)).toBe(false);
  await button.click();
  await expect.poll(() => inPictureInPicture(video)).toBe(true);

  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  await expect.poll(() => alice.page.evaluate(() => document.pictureInPictureElement === null)).toBe(true);
});
