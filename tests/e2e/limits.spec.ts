/**
 * The server's per-address limits as a person meets them: everyone here comes from 127.0.0.1, one address,
 * like a household behind one router. Past CONNECTIONS_PER_ADDRESS the room says why in words and offers
 * Try again now; past TURN_CREDENTIALS_PER_HOUR the welcome has no relay, and the person is told.
 */
import AxeBuilder from '@axe-core/playwright';
import { join } from 'node:path';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { metricsOf, sample } from '../signal/support/metrics.js';
import { expect, test } from './fixtures.js';
import { PHONE, closeAll, createRoom, newPerson, openRoom, personEntry, type Person } from './people.js';

let people: Person[] = [];
let signal: SignalProcess;
test.afterEach(async () => {
  await closeAll(people);
  await signal.stop();
});

test('past the connections one address may hold, the room says why with Try again now, which comes in once a place is free; a welcome without the relay says so', async ({ browser }) => {
  signal = launchSignal({
    STATIC_DIR: join(import.meta.dirname, '../../dist'),
    CONNECTIONS_PER_ADDRESS: '2',
    // Credentials are issued without a relay behind them: only how many matters here.
    TURN_URLS: 'turn:127.0.0.1:9?transport=udp',
    TURN_SECRET: 'limits-test-secret',
    TURN_CREDENTIALS_PER_HOUR: '2',
  });
  const port = await signal.listening;
  const app = `http://localhost:${port}/`;
  const alice = await newPerson(browser, 'Alice');
  const bob = await newPerson(browser, 'Bob');
  const carol = await newPerson(browser, 'Carol', PHONE);
  people = [alice, bob, carol];
  const link = await createRoom(alice, app);
  await openRoom(bob, link);
  await expect(personEntry(alice, 'Bob')).toBeVisible();

  // Carol's is the third connection from this address.
  await carol.page.goto(link);
  await carol.page.getByRole('textbox', { name: 'Your name' }).fill('Carol');
  await carol.page.getByRole('button', { name: 'Join' }).click();
  const refusal = carol.page.getByRole('alert').filter({ hasText: 'Too many connections from your network' });
  await expect(refusal).toContainText('the server allows at most 2 connections at once from one address');
  await expect(refusal).toContainText(/Whisper tries again by itself at \d/);
  await carol.page.screenshot({ path: test.info().outputPath('refused-phone.png') });
  const { violations } = await new AxeBuilder({ page: carol.page }).options({ resultTypes: ['violations'] }).analyze();
  expect(violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);

  // Bob closes Whisper: Carol need not wait half a minute. (Once the server has seen his connection close: his
  // browser and the server are other processes, and Carol's click could otherwise come first.)
  await bob.context.close();
  people = [alice, carol];
  await expect.poll(async () => sample(await metricsOf(`http://127.0.0.1:${port}`), 'whisper_connections')).toBe(1);
  await refusal.getByRole('button', { name: 'Try again now' }).click();
  await expect(refusal).toHaveCount(0);
  await expect(personEntry(carol, 'Alice')).toBeVisible();
  // Alice and Bob took the two relay credentials of the hour.
  await expect(carol.page.getByRole('alert').filter({ hasText: 'No relay (TURN) for now' })).toBeVisible();
  await expect(alice.page.getByRole('alert').filter({ hasText: 'No relay' })).toHaveCount(0);
});
