import { expect, test } from './fixtures.js';
import { notificationsOf, trackShows } from './notifications.js';
import { call, callEntry, callScreen, callStatus, countNegotiations, expectRemoteVideoPlaying, incomingCall, liveCameras, mediaTracks, negotiations, recordMediaTracks, remoteVideo } from './calls.js';
import { holdStoring } from './files.js';
import { closeAll, meet, newPerson, openChat, openRoom, createRoom, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(async () => {
  await closeAll(people);
});

/** Alice and Bob in one room, each with the other's chat open, their media tracks recorded. */
async function aliceAndBob(browser: Parameters<typeof newPerson>[0], appUrl: string, bobOpensChat = true): Promise<[Person, Person]> {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await recordMediaTracks(alice);
  await recordMediaTracks(bob);
  const link = await createRoom(alice, appUrl);
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  if (bobOpensChat) await openChat(bob, 'Alice');
  return [alice, bob];
}

test('a video call: ringing, both videos play, mute and camera off show on the other side, hang up releases the camera', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await call(alice, 'Video call');
  await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
  const ringing = incomingCall(bob, 'Alice');
  await expect(ringing).toContainText('Incoming video call');
  const answered = Date.now();
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expect(ringing).toBeHidden();

  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  // The duration counts from the answer: never more than the time since Bob pressed Accept, however long the
  // videos took to start on this machine.
  await expect(callStatus(alice, 'Bob')).toHaveText(/^\d+:\d\d$/);
  const [minutes, seconds] = (await callStatus(alice, 'Bob').textContent())!.split(':').map(Number);
  expect(minutes! * 60 + seconds!).toBeLessThanOrEqual(Math.ceil((Date.now() - answered) / 1000));

  await alice.page.getByRole('button', { name: 'Mute' }).click();
  await expect(callScreen(bob, 'Alice')).toContainText('Alice is muted');
  await alice.page.getByRole('button', { name: 'Unmute' }).click();
  await expect(callScreen(bob, 'Alice')).not.toContainText('Alice is muted');

  await bob.page.getByRole('button', { name: 'Camera off' }).click();
  await expect(callScreen(alice, 'Bob')).toContainText('Bob’s camera is off');
  await expect(remoteVideo(alice, 'Bob')).toBeHidden();
  expect(await mediaTracks(bob)).toContain('video:ended');
  await bob.page.getByRole('button', { name: 'Camera on' }).click();
  await expect(callScreen(alice, 'Bob')).not.toContainText('camera is off');
  await expectRemoteVideoPlaying(alice, 'Bob');

  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  await expect(callScreen(bob, 'Alice')).toBeHidden();
  for (const person of [alice, bob]) {
    await expect.poll(() => mediaTracks(person)).not.toContainEqual(expect.stringMatching(/:live$/));
    await expect(callEntry(person, 'Video call')).toContainText(/· 0:\d\d/);
  }
});

test('declining: the caller is told, and both histories say so', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await call(alice, 'Audio call');
  await expect(incomingCall(bob, 'Alice')).toContainText('Incoming audio call');
  await bob.page.getByRole('button', { name: 'Decline' }).click();
  await expect(alice.page.getByRole('alert')).toContainText('Bob declined the call.');
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  await expect(callEntry(alice, 'Call declined')).toBeVisible();
  await expect(callEntry(bob, 'Declined call')).toBeVisible();
  expect(await mediaTracks(alice)).not.toContainEqual(expect.stringMatching(/:live$/));
  expect(await mediaTracks(bob)).toEqual([]); // never answered, so never opened its microphone
});

test('cancelling while it rings: the ringing stops, and the callee sees a missed call', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await call(alice, 'Video call');
  await expect(incomingCall(bob, 'Alice')).toBeVisible();
  await alice.page.getByRole('button', { name: 'Cancel' }).click();
  await expect(incomingCall(bob, 'Alice')).toBeHidden();
  await expect(callEntry(alice, 'Cancelled call')).toBeVisible();
  await expect(callEntry(bob, 'Missed call')).toBeVisible();
  await expect.poll(() => mediaTracks(alice)).not.toContainEqual(expect.stringMatching(/:live$/));
});

test('a call nobody answers times out and leaves "Missed call" in both histories', async ({ browser, app }) => {
  test.setTimeout(90_000);
  const [alice, bob] = await aliceAndBob(browser, app.url, false); // Bob looks at the list, not the chat
  await call(alice, 'Audio call');
  await expect(incomingCall(bob, 'Alice')).toBeVisible();
  await expect(alice.page.getByRole('alert')).toContainText('Bob did not answer.', { timeout: 40_000 });
  await expect(incomingCall(bob, 'Alice')).toBeHidden();
  await expect(callEntry(alice, 'Missed call')).toBeVisible();
  // Bob was not looking at the chat: the missed call counts as unread.
  await expect(bob.page.getByRole('list', { name: 'People' }).getByRole('button', { name: /^Alice, .*1 unread/ })).toBeVisible();
  await openChat(bob, 'Alice');
  await expect(callEntry(bob, 'Missed call')).toBeVisible();
});

/**
 * Holds the call invites the page writes to its data channels until `releaseInvites`: both calls are then
 * really started before either invite arrives, however slowly each page reacts to its click.
 */
async function holdInvites(person: Person): Promise<void> {
  await person.page.evaluate(() => {
    const held: Array<() => void> = [];
    const send = RTCDataChannel.prototype.send;
    (window as unknown as { whReleaseInvites: () => void }).whReleaseInvites = () => {
      RTCDataChannel.prototype.send = send;
      for (const release of held.splice(0)) release();
    };
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: never) {
      if (typeof data === 'string' && (data as string).includes('"t":"call-invite"')) {
        held.push(() => send.call(this, data));
        return;
      }
      return send.call(this, data);
    };
  });
}

const releaseInvites = (person: Person) => person.page.evaluate(() => (window as unknown as { whReleaseInvites: () => void }).whReleaseInvites());

test('both call each other at once: one call, connected on both sides', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await holdInvites(alice);
  await holdInvites(bob);
  await Promise.all([call(alice, 'Video call'), call(bob, 'Video call')]);
  await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
  await expect(callStatus(bob, 'Alice')).toHaveText('Calling…');
  await Promise.all([releaseInvites(alice), releaseInvites(bob)]);
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expect(callStatus(alice, 'Bob')).toHaveText(/^0:\d\d$/);
  await expect(callStatus(bob, 'Alice')).toHaveText(/^0:\d\d$/);
  await expect(incomingCall(alice, 'Bob')).toBeHidden();
  await expect(incomingCall(bob, 'Alice')).toBeHidden();
  await bob.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(alice, 'Bob')).toBeHidden();
  // One call, so one entry each (the invite that lost left none).
  await expect(callEntry(alice, 'Video call')).toHaveCount(1);
  await expect(callEntry(bob, 'Video call')).toHaveCount(1);
});

test('an audio call never opens the camera; its media shows in Connection stats', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await call(alice, 'Audio call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expect(callStatus(alice, 'Bob')).toHaveText(/^0:\d\d$/);
  await expect(callScreen(alice, 'Bob').getByRole('button', { name: 'Camera off' })).toHaveCount(0);
  await alice.page.getByRole('button', { name: 'Connection stats' }).last().click();
  const media = alice.page.getByRole('table', { name: 'Call media' });
  await expect(media.getByRole('columnheader', { name: 'Receiving audio' })).toBeVisible({ timeout: 15_000 });
  await expect(media.getByRole('columnheader', { name: 'Sending audio' })).toBeVisible();
  await expect(media.getByRole('row', { name: /^Codec/ })).toContainText('opus');
  await expect(media.getByRole('columnheader', { name: /video/ })).toHaveCount(0);
  for (const person of [alice, bob]) {
    const constraints = await person.page.evaluate(() => (window as unknown as { whConstraints: MediaStreamConstraints[] }).whConstraints);
    expect(constraints.every((c) => !c.video)).toBe(true);
    expect(await mediaTracks(person)).toEqual(['audio:live']);
  }
});

test('Connection stats during a video call: codec, resolution, frame rate, bitrate, loss, jitter, round-trip time and the path', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Connection stats' }).click();
  const panel = alice.page.getByRole('dialog', { name: 'Connection stats' });
  await expect(panel.getByRole('definition').first()).toHaveText('Direct (P2P)');
  const media = panel.getByRole('table', { name: 'Call media' });
  await expect(media.getByRole('columnheader')).toHaveText(['Sending video', 'Sending audio', 'Receiving video', 'Receiving audio'], { timeout: 15_000 });
  await expect(media.getByRole('row', { name: /^Resolution/ }).getByRole('cell').first()).toHaveText(/^\d+×\d+$/);
  await expect(media.getByRole('row', { name: /^Frame rate/ }).getByRole('cell').nth(2)).toHaveText(/^\d+ fps$/);
  await expect(media.getByRole('row', { name: /^Bitrate/ }).getByRole('cell').nth(2)).toHaveText(/bit\/s$/);
  await expect(media.getByRole('row', { name: /^Packet loss/ }).getByRole('cell').nth(3)).toHaveText(/%$/);
  await expect(media.getByRole('row', { name: /^Jitter/ }).getByRole('cell').nth(3)).toHaveText(/ms$/);
  await expect(media.getByRole('row', { name: /^Round-trip time/ }).getByRole('cell').first()).toHaveText(/ms$/);
});

test('no camera allowed: the callee answers with audio only, is told why, and still sees the caller', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  // Bob's browser refuses the camera (as after "Block" in its permission prompt), not the microphone.
  await bob.page.evaluate(() => {
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) => (constraints?.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : getUserMedia(constraints));
  });
  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expect(callScreen(bob, 'Alice').getByRole('alert')).toContainText('Whisper may not use your camera: access was refused');
  await expect(callScreen(bob, 'Alice').getByRole('alert')).toContainText('audio only from your side');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expect(callScreen(alice, 'Bob')).toContainText('Bob’s camera is off');
  await expect(callStatus(alice, 'Bob')).toHaveText(/^0:\d\d$/);
});

test('an incoming call while the page says it is hidden (its visibilityState set by the test): a service worker notification with Accept and Decline, and Accept there (a click the test dispatches in the worker) answers', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await bob.context.grantPermissions(['notifications'], { origin: new URL(app.url).origin });
  await bob.page.evaluate(() => navigator.serviceWorker.ready);
  await trackShows(bob.page);
  // Bob switches to another app: the page is hidden. A stand-in: headless Chromium keeps every page visible here
  // (checked: a minimized window, another tab brought to the front in the same window, with or without focus
  // emulation and the backgrounding flags, all left visibilityState "visible"), so the page is told so.
  await bob.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await call(alice, 'Video call');
  const shown = async () => (await notificationsOf(bob.page)).map(({ title, body, actions }) => ({ title, body, actions }));
  await expect.poll(shown).toEqual([{ title: 'Alice is calling', body: 'Incoming video call on Whisper', actions: ['Accept', 'Decline'] }]);

  // Bob taps "Accept" on the notification: headless Chromium shows none to tap, so the test dispatches the click
  // in the service worker, which tells the page. (Its waitUntil() refuses an event the browser did not dispatch,
  // after the handler has started what it does.)
  const worker = bob.context.serviceWorkers()[0]!;
  await worker.evaluate(async () => {
    type NotificationEventInit = { notification: Notification; action: string };
    const scope = self as unknown as { registration: ServiceWorkerRegistration; NotificationEvent: new (type: string, init: NotificationEventInit) => Event };
    const [notification] = await scope.registration.getNotifications();
    self.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: notification!, action: 'accept' }));
  });
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expect(callStatus(bob, 'Alice')).toHaveText(/^0:\d\d$/);
  await expect.poll(shown).toEqual([]);
});

test('the call goes on while both chat, and while a file moves on the same connection', async ({ browser, app }) => {
  // Two browsers encoding video while 32 MiB moves between them, on two cores shared with another test: slow, never stuck.
  test.setTimeout(180_000);
  const [alice, bob] = await aliceAndBob(browser, app.url);
  const file = { name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(32 * 1024 * 1024, 7) };
  const chooser = alice.page.waitForEvent('filechooser');
  await alice.page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(file);
  const entry = (person: Person) => person.page.getByRole('list', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'big.bin' });
  // Bob's device stores the first 8 MiB, then nothing until the call is up: the file is still on its way when
  // the call is answered, however fast this machine would have moved it.
  const release = await holdStoring(bob, 8 * 1024 * 1024);
  await entry(bob).getByRole('button', { name: 'Accept' }).click();
  await expect(entry(bob).getByRole('progressbar')).toBeVisible();

  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  // The call is answered (and the connection renegotiated for its media) while the file is on its way.
  await expect(entry(bob).getByRole('progressbar')).toBeVisible();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expect(entry(bob).getByRole('progressbar')).toBeVisible();
  await release();

  // Both go to the chat: the call becomes a bar at the top and goes on.
  await callScreen(alice, 'Bob').getByRole('button', { name: 'Chat' }).click();
  await expect(alice.page.getByRole('button', { name: 'Return to call' })).toBeVisible();
  await expect(alice.page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  const box = alice.page.getByRole('textbox', { name: 'Message' });
  await box.fill('can you see the file coming?');
  await box.press('Enter');
  await expect(bob.page.getByRole('list', { name: 'Messages' })).toContainText('can you see the file coming?');

  await expect(entry(bob)).toContainText('Received and verified.', { timeout: 90_000 });
  await alice.page.getByRole('button', { name: 'Return to call' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expect(callStatus(alice, 'Bob')).toHaveText(/^\d:\d\d$/);
});

test('Switch camera and Share screen replace the video without renegotiating, and the other side keeps seeing it', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await recordMediaTracks(alice);
  await countNegotiations(alice);
  await countNegotiations(bob);
  await openRoom(bob, await createRoom(alice, app.url));
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  await call(alice, 'Video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(bob, 'Alice');
  const before = [await negotiations(alice), await negotiations(bob)];

  // Chromium's second fake camera sends depth frames (Y16) that no encoder takes, so the other side
  // sees it only after switching on, back to the first camera: a newly opened one on the same sender.
  expect(await liveCameras(alice)).toEqual(['fake_device_0']);
  await alice.page.getByRole('button', { name: 'Switch camera' }).click();
  await expect.poll(() => liveCameras(alice)).toEqual(['fake_device_1']);
  await alice.page.getByRole('button', { name: 'Switch camera' }).click();
  await expect.poll(() => liveCameras(alice)).toEqual(['fake_device_0']);
  await expectRemoteVideoPlaying(bob, 'Alice');

  await alice.page.getByRole('button', { name: 'Share screen' }).click();
  await expect(alice.page.getByRole('button', { name: 'Stop sharing' })).toBeVisible();
  await expect(callScreen(bob, 'Alice')).toContainText('Alice is sharing their screen');
  await expectRemoteVideoPlaying(bob, 'Alice', false);
  expect(await liveCameras(alice)).toEqual([]); // the camera is released while the screen is shared
  await alice.page.getByRole('button', { name: 'Stop sharing' }).click();
  await expect(callScreen(bob, 'Alice')).not.toContainText('sharing their screen');
  await expectRemoteVideoPlaying(bob, 'Alice');
  expect(await liveCameras(alice)).toEqual(['fake_device_0']);

  expect([await negotiations(alice), await negotiations(bob)]).toEqual(before);
});

test('a room link carrying ?answer= answers nothing: a call with that id from the one who sent the link rings with Accept and Decline', async ({ browser, app }) => {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await recordMediaTracks(bob);
  // Alice's app is modified to give every call the id her link names (what a stranger's own client can do).
  const id = 'AAAAAAAAAAAAAAAAAAAAAA';
  await alice.context.addInitScript((callId) => {
    const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: unknown) => void;
    RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
      send.call(this, typeof data === 'string' && data.includes('"t":"call-') ? data.replace(/"call":"[A-Za-z0-9_-]+"/, `"call":"${callId}"`) : data);
    };
  }, id);
  const link = await createRoom(alice, app.url);
  await openRoom(bob, `${link}?answer=${id}`);
  await openChat(alice, 'Bob');
  await call(alice, 'Video call');
  const ringing = incomingCall(bob, 'Alice');
  await expect(ringing).toContainText('Incoming video call');
  await expect(ringing.getByRole('button', { name: 'Accept' })).toBeVisible();
  await expect(callStatus(alice, 'Bob')).toHaveText(/Calling…|Ringing…/);
  expect(await mediaTracks(bob)).toEqual([]);
  await ringing.getByRole('button', { name: 'Decline' }).click();
  await expect(ringing).toBeHidden();
  expect(await mediaTracks(bob)).toEqual([]);
});
