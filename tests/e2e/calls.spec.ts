import { expect, test } from './fixtures.js';
import { call, callEntry, callScreen, callStatus, expectRemoteVideoPlaying, incomingCall, mediaTracks, recordMediaTracks, remoteVideo } from './calls.js';
import { closeAll, meet, newPerson, openChat, openRoom, createRoom, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(async () => {
  await closeAll(people);
});

/** Alice and Bob in one room, each with the other's chat open, their media tracks recorded. */
async function aliceAndBob(browser: Parameters<typeof newPerson>[0], appUrl: string): Promise<[Person, Person]> {
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  people = [alice, bob];
  await recordMediaTracks(alice);
  await recordMediaTracks(bob);
  const link = await createRoom(alice, appUrl);
  await openRoom(bob, link);
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  return [alice, bob];
}

test('a video call: ringing, both videos play, mute and camera off show on the other side, hang up releases the camera', async ({ browser, app }) => {
  const [alice, bob] = await aliceAndBob(browser, app.url);
  await call(alice, 'Video call');
  await expect(callStatus(alice, 'Bob')).toHaveText('Calling…');
  const ringing = incomingCall(bob, 'Alice');
  await expect(ringing).toContainText('Incoming video call');
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expect(ringing).toBeHidden();

  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expect(callStatus(alice, 'Bob')).toHaveText(/^0:0\d$/);

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
