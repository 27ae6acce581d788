/**
 * Faults as phones have them, on a seeded random schedule, while two people
 * chat (one to one and in the room's conversation, in turns), send files both
 * ways (one of 64 MiB) and make a call: page reloads,
 * a tab closed and opened again, the network lost for 0.5–5 s (the person's
 * link taken down: WebSocket and WebRTC die, as when a phone leaves Wi-Fi),
 * the WebRTC path lost for 0.5–5 s after WebRTC noticed (every UDP packet to
 * the person dropped, the WebSocket left up), both reloading at once, a
 * CPU-starved page, a message written while the other's app is closed (it
 * waits in their mailbox on the server), and the signal server restarted (SIGTERM, then a new
 * process on the same port) while the two are in a video call and a file is
 * on its way. Alice and Bob each run in a Chromium on a network of their own
 * (tests/e2e/network.ts), so that one person's network is cut and not the
 * other's. After each fault the person writes, and the
 * time until that message is Delivered is the time until chat works again.
 *
 * A third person, Carol, writes in the room and closes her tab as each round
 * begins, and opens it again as it ends: what the two write in the room
 * meanwhile waits for her on their devices, through their faults.
 *
 * Afterwards: every message is on both sides exactly once and in order (also
 * after a final reload); each person's room history holds every room message
 * once, in each writer's order, under its writer's name, and each is Delivered
 * to both other members; every file is byte-identical after the person pressed
 * whatever the app offered (Accept, Resume, Pick the file again), and no
 * "Key changed" appeared between devices that did not change.
 *
 * `npm test` runs one round with a fixed seed. `npm run soak` runs rounds with
 * random seeds for SOAK_MINUTES and prints, per fault kind, the recovery time
 * (p50, p95, max) and how many were survived; the seed is printed so that a
 * failure can be replayed (FAULT_SEED=<seed>).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type Locator } from '@playwright/test';
import { seededRandom } from '../bench/statistics.js';
import { portForRestarts } from '../support/free-port.js';
import { launchSignal, type SignalProcess } from '../support/signal-process.js';
import { call, callEntry, callScreen, expectRemoteVideoPlaying, incomingCall } from './calls.js';
import { watchForProblems } from './fixtures.js';
import { attach, fileEntry, holdStoring, randomFile, saved, type TestFile } from './files.js';
import { closeNetworked, expectNoProblemsButLostConnections, expectPathsInside, keepPeerConnections, loseNetwork, losePath, newNetworkedPerson, REACHABLE_FROM_DEVICES, regainNetwork, signalForDevices, type NetworkedPerson } from './network.js';
import { createRoom, messageTexts, newPerson, openChat, openRoom, openRoomChat, personEntry, receipts, send, statusOf, type Person } from './people.js';

const SOAK_MINUTES = Number(process.env.SOAK_MINUTES ?? 0);
const FIXED_SEED = 20261129;
const FAULTS_PER_ROUND = 8;
const DIST = join(import.meta.dirname, '../../dist');

type FaultKind = 'reload' | 'close-reopen' | 'network-drop' | 'path-lost' | 'both-reload' | 'cpu-starved' | 'server-restart' | 'written-while-closed';
const KINDS: FaultKind[] = ['reload', 'close-reopen', 'network-drop', 'path-lost', 'both-reload', 'cpu-starved', 'server-restart', 'written-while-closed'];

interface Extras {
  /** The person this one talks to one to one. */
  other: string;
  /** Problems of pages this person opened after the first one (a tab closed and opened again). */
  laterProblems: string[][];
}
/** Alice and Bob, whose networks the faults cut, are on networks of their own; Carol is in the test's browser. */
type Actor = (NetworkedPerson & Extras) | (Person & Extras & { device?: undefined });
type NetworkedActor = NetworkedPerson & Extras;

type Conversation = 'pair' | 'room';

class World {
  signal!: SignalProcess;
  port = 0;
  link = '';
  /** By writer, what they wrote one to one, and to the room, in order. */
  readonly sent = new Map<string, string[]>();
  readonly sentToRoom = new Map<string, string[]>();
  readonly recovery = new Map<FaultKind, number[]>();
  readonly files = new Map<string, TestFile & { from: Actor; to: Actor }>();
  carolAway = false;
  restarts = 0;
  #counter = 0;
  #turns = 0;

  constructor(readonly alice: NetworkedActor, readonly bob: NetworkedActor, readonly carol: Actor, readonly dir: string) {}

  /** The two who chat one to one, through the faults. */
  get people(): NetworkedActor[] {
    return [this.alice, this.bob];
  }

  get everyone(): Actor[] {
    return [this.alice, this.bob, this.carol];
  }

  /** A restart keeps what the server keeps on disk (its mailboxes), as a container's volume does. */
  async startSignal(): Promise<void> {
    const dataDir = join(this.dir, 'signal-data');
    await mkdir(dataDir, { recursive: true });
    this.signal = launchSignal({ STATIC_DIR: DIST, PORT: String(this.port), DATA_DIR: dataDir, ...REACHABLE_FROM_DEVICES });
    expect(await this.signal.listening).toBe(this.port);
  }

  /**
   * Writes a numbered message, one to one and to the room in turns; it must reach every other member
   * exactly once.
   */
  async write(person: Actor, where: Conversation = ++this.#turns % 2 === 1 ? 'pair' : 'room'): Promise<{ text: string; where: Conversation }> {
    const text = `${person.name} #${String(++this.#counter).padStart(4, '0')}`;
    await (where === 'pair' ? ensureChat(person) : ensureRoomChat(person));
    await send(person, text);
    const sent = where === 'pair' ? this.sent : this.sentToRoom;
    sent.set(person.name, [...(sent.get(person.name) ?? []), text]);
    return { text, where };
  }

  /**
   * Writes, and waits until the message is Delivered to whoever is there (in the room, everyone but Carol
   * while she is away): chat works again. Returns the ms it took from `since`.
   */
  async probe(person: Actor, since: number, where?: Conversation): Promise<number> {
    const { text, where: written } = await this.write(person, where);
    if (written === 'pair') await expect(statusOf(person, text)).toHaveAttribute('aria-label', /^(Delivered|Read)$/, { timeout: 90_000 });
    else await expect(receipts(person, text)).toHaveAccessibleName(new RegExp(`^Delivered to ${this.carolAway ? 1 : 2} of 2\\b`), { timeout: 90_000 });
    const ms = Date.now() - since;
    console.log(`  ${text} (${written === 'pair' ? 'one to one' : 'room'}) delivered after ${ms} ms`);
    return ms;
  }

  record(kind: FaultKind, ms: number): void {
    this.recovery.set(kind, [...(this.recovery.get(kind) ?? []), ms]);
  }
}

async function ensureChat(person: Actor): Promise<void> {
  const heading = person.page.getByRole('heading', { name: person.other });
  if (!(await heading.isVisible())) await openChat(person, person.other);
}

async function ensureRoomChat(person: Actor): Promise<void> {
  const heading = person.page.getByRole('heading', { name: 'Room', exact: true });
  if (!(await heading.isVisible())) await openRoomChat(person);
}

/** Carol writes in the room, waits until both have it, and closes her tab. */
async function carolLeaves(world: World): Promise<void> {
  await world.probe(world.carol, Date.now(), 'room');
  await world.carol.page.close();
  world.carolAway = true;
}

/** Carol opens the room again, in a new tab, and its conversation: what waits for her comes. */
async function carolReturns(world: World): Promise<void> {
  const { carol } = world;
  carol.page = await carol.context.newPage();
  carol.laterProblems.push(watchForProblems(carol.page));
  await openRoom(carol, world.link);
  await openRoomChat(carol);
  world.carolAway = false;
}

/** Whatever the app offers to move a file forward, a person presses: Accept, Resume, Pick the file again. */
async function tendTransfers(world: World, person: Actor): Promise<void> {
  await ensureChat(person);
  for (const [name, file] of world.files) {
    const entry = fileEntry(person, name);
    if ((await entry.count()) === 0) continue;
    for (const label of ['Accept', 'Resume']) {
      const button = entry.getByRole('button', { name: label });
      if (file.to === person && (await button.isVisible())) await clickUnlessGone(button);
    }
    const pick = entry.getByRole('button', { name: 'Pick the file again' });
    if (file.from === person && (await pick.isVisible())) {
      const chooser = person.page.waitForEvent('filechooser', { timeout: 10_000 });
      chooser.catch(() => undefined); // Not awaited when the button went first.
      if (await clickUnlessGone(pick)) await (await chooser).setFiles(file.path);
    }
  }
}

/**
 * Clicks a button seen a moment ago, or finds it gone: an entry redraws as its transfer moves on (a sender
 * back from a reload is asked for the file until the receiver says it has it all, and the button then goes).
 * A button still there that cannot be clicked fails the test.
 */
async function clickUnlessGone(button: Locator): Promise<boolean> {
  const clicked = await button.click({ timeout: 10_000 }).then(
    () => true,
    () => false,
  );
  if (!clicked) await expect(button, 'a button that stayed but could not be clicked').toBeHidden();
  return clicked;
}

/**
 * Reloads, and opens the conversation again once `online` are seen online: the people list puts whoever is
 * online first, so while people come back their entries move, and a click could land on the one that moved there.
 */
async function reload(person: Actor, where: Conversation = 'pair', online: Actor[] = []): Promise<void> {
  await person.page.reload();
  await expect(person.page.getByRole('button', { name: 'Share' })).toBeVisible();
  for (const other of online) await expect(personEntry(person, other.name)).toHaveAccessibleName(new RegExp(`^${other.name}, online`), { timeout: 30_000 });
  await (where === 'pair' ? ensureChat(person) : ensureRoomChat(person));
}

/**
 * Messages on their way as pages go: each writer's room message is stored before it is on screen, then
 * goes out, so the page may go before it left, before it arrived, or before its acknowledgement came
 * back. (Not one to one: there a page gone in the instant its own write commits may lose its copy.)
 * The other side's one-to-one message may likewise be cut on the way in.
 */
async function writeAsPagesGo(world: World, going: Actor[]): Promise<void> {
  const others = world.people.filter((p) => !going.includes(p));
  await Promise.all([
    ...going.map(async (person) => {
      const { text } = await world.write(person, 'room');
      await expect(messageTexts(person).filter({ hasText: text })).toHaveCount(1);
    }),
    ...others.map((person) => world.write(person)),
  ]);
}

async function inject(world: World, kind: FaultKind, random: () => number): Promise<void> {
  const person = random() < 0.5 ? world.alice : world.bob;
  // The recovery time runs from the fault, after what was written as it hit.
  if (kind === 'reload' || kind === 'close-reopen') await writeAsPagesGo(world, [person]);
  if (kind === 'both-reload') await writeAsPagesGo(world, world.people);
  const started = Date.now();
  switch (kind) {
    case 'reload':
      await reload(person);
      world.record(kind, await world.probe(person, started));
      return;
    case 'close-reopen': {
      await person.page.close();
      person.page = await person.context.newPage();
      person.laterProblems.push(watchForProblems(person.page));
      await openRoom(person, world.link);
      await ensureChat(person);
      world.record(kind, await world.probe(person, started));
      return;
    }
    case 'network-drop': {
      // The person's link goes down (a phone leaving Wi-Fi): the WebSocket and every WebRTC path die, and the
      // browser goes offline, which the app shows.
      await loseNetwork(person);
      const waiting = await writeWhileCut(world, person);
      // How long the network stays away is part of the seeded schedule, counted from when the app saw it go.
      await person.page.waitForTimeout(500 + Math.floor(random() * 4500));
      const back = Date.now();
      await regainNetwork(person);
      await expect(waiting, 'the message written while the network was gone').toHaveAttribute('aria-label', /^(Delivered|Read)$/, { timeout: 90_000 });
      world.record(kind, await world.probe(person, back));
      return;
    }
    case 'path-lost': {
      // Every UDP packet to the person's device is dropped until WebRTC noticed: each path dies, while the
      // WebSocket stays and the browser still counts itself online, so no event tells the app.
      const rule = await losePath(person);
      const waiting = await writeWhileCut(world, person);
      await person.page.waitForTimeout(500 + Math.floor(random() * 4500));
      const back = Date.now();
      await rule.remove();
      await expect(waiting, 'the message written while the path was lost').toHaveAttribute('aria-label', /^(Delivered|Read)$/, { timeout: 90_000 });
      world.record(kind, await world.probe(person, back));
      return;
    }
    case 'both-reload':
      await Promise.all([reload(world.alice), reload(world.bob)]);
      world.record(kind, Math.max(await world.probe(world.alice, started), await world.probe(world.bob, started)));
      return;
    case 'cpu-starved': {
      const cdp = await person.context.newCDPSession(person.page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 + Math.floor(random() * 4) });
      try {
        world.record(kind, await world.probe(person, started));
        await person.page.waitForTimeout(2000);
      } finally {
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
        await cdp.detach();
      }
      return;
    }
    case 'server-restart':
      world.record(kind, await restartServerMidCallAndTransfer(world, person));
      return;
    case 'written-while-closed': {
      // The other person's app is closed (the page goes, their browser stays) while this one writes: the
      // message waits sealed in their mailbox on the server, and is there, once, when they open the app.
      const other = person === world.alice ? world.bob : world.alice;
      await other.page.close();
      await expect(personEntry(person, other.name)).toHaveAccessibleName(new RegExp(`^${other.name}, offline`), { timeout: 30_000 });
      const { text } = await world.write(person, 'pair');
      await expect(statusOf(person, text)).toHaveAccessibleName(`Waiting in ${other.name}’s mailbox`, { timeout: 30_000 });
      const back = Date.now();
      other.page = await other.context.newPage();
      other.laterProblems.push(watchForProblems(other.page));
      await openRoom(other, world.link);
      await ensureChat(other);
      await expect(messageTexts(other).filter({ hasText: text })).toHaveCount(1);
      world.record(kind, await world.probe(other, back));
      return;
    }
  }
}

/**
 * The person writes one to one while their network or path is cut: the message waits on their device, not
 * delivered (it cannot be: nothing reaches the other side). Returns its status mark.
 */
async function writeWhileCut(world: World, person: NetworkedActor): Promise<Locator> {
  const { text } = await world.write(person, 'pair');
  const status = statusOf(person, text);
  await expect(status).toHaveAttribute('aria-label', /^(Queued|Sent)$/);
  return status;
}

async function startVideoCall(world: World): Promise<void> {
  const { alice, bob } = world;
  await ensureChat(alice);
  await call(alice, 'Video call');
  await expect(incomingCall(bob, 'Alice')).toBeVisible({ timeout: 30_000 });
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
}

async function hangUp(world: World): Promise<void> {
  await world.bob.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(world.alice, 'Bob')).toBeHidden();
}

async function videoCall(world: World): Promise<void> {
  await startVideoCall(world);
  await hangUp(world);
}

/**
 * The signal process restarts while Alice and Bob are in a video call and a file is on its way from Alice to
 * Bob (held by Bob's device a third of the way until the server is gone). With no server, the rest of the file
 * arrives and is verified, and the call's video flows both ways; after the restart the call is still on. Nobody
 * presses anything for the file. Returns the time from the new process's start until `person`'s message is
 * Delivered.
 */
async function restartServerMidCallAndTransfer(world: World, person: Actor): Promise<number> {
  const { alice, bob } = world;
  const name = `restart ${++world.restarts}.bin`;
  const file = await randomFile(world.dir, name, 24 * 1024 * 1024);
  await ensureChat(alice);
  await attach(alice, file.path);
  await ensureChat(bob);
  const entry = fileEntry(bob, name);
  const release = await holdStoring(bob, 8 * 1024 * 1024);
  await entry.getByRole('button', { name: 'Accept' }).click();
  await expect(entry.getByRole('progressbar')).toBeVisible();
  await startVideoCall(world);
  const toChat = (who: Actor, other: string) => callScreen(who, other).getByRole('button', { name: 'Chat' }).click();
  const toCall = (who: Actor) => who.page.getByRole('button', { name: 'Return to call' }).click();

  // The server goes; the call goes on as a bar above the chat, and the file moves on.
  const stopped = await world.signal.stop();
  expect(stopped.code).toBe(0);
  await toChat(alice, 'Bob');
  await toChat(bob, 'Alice');
  await expect(entry.getByRole('progressbar'), 'the file, on its way as the server went').toBeVisible();
  await release();
  await expect(entry, 'the file, while the server is down').toContainText('Received and verified.', { timeout: 90_000 });
  await toCall(alice);
  await toCall(bob);
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');

  const started = Date.now();
  await world.startSignal();
  await toChat(alice, 'Bob');
  await toChat(bob, 'Alice');
  const recovered = await world.probe(person, started);
  for (const [who, other] of [[alice, 'Bob'], [bob, 'Alice']] as const) {
    await toCall(who);
    await expect(callScreen(who, other), `${who.name}'s call after the restart`).toBeVisible();
    await expectRemoteVideoPlaying(who, other);
  }
  await hangUp(world);
  await ensureChat(alice);
  await ensureChat(bob);
  await expect(fileEntry(alice, name)).toContainText('Sent and verified.');
  // Once on each side, and byte-identical.
  await expect(fileEntry(alice, name)).toHaveCount(1);
  await expect(entry).toHaveCount(1);
  expect(await saved(bob, name), `${name} arrived byte-identical`).toBe(file.sha256);
  return recovered;
}

/** Several files at once, both ways; the first batch of a round holds one of 64 MiB. */
async function sendFiles(world: World, round: number, batch: 'a' | 'b'): Promise<void> {
  const { alice, bob, dir } = world;
  const prefix = `round ${round}${batch} `;
  const plan: Array<[Actor, Actor, string, number]> = [
    [alice, bob, `${prefix}big.bin`, (batch === 'a' ? 64 : 24) * 1024 * 1024],
    [alice, bob, `${prefix}photo.jpg`, 3 * 1024 * 1024 + 17],
    [bob, alice, `${prefix}notes.pdf`, 12 * 1024 * 1024 + 5],
  ];
  for (const [from, to, name, bytes] of plan) world.files.set(name, { ...(await randomFile(dir, name, bytes)), from, to });
  for (const sender of [alice, bob]) {
    const mine = [...world.files.entries()].filter(([name, f]) => f.from === sender && name.startsWith(prefix));
    await ensureChat(sender);
    await attach(sender, ...mine.map(([, f]) => f.path));
  }
  for (const person of [alice, bob]) await tendTransfers(world, person);
}

/** Lets everything settle, pressing what a person would, until every file of the round arrived verified. */
async function settle(world: World, round: number): Promise<void> {
  const names = [...world.files.keys()].filter((name) => name.startsWith(`round ${round}a `) || name.startsWith(`round ${round}b `));
  await expect
    .poll(
      async () => {
        for (const person of world.people) await tendTransfers(world, person);
        const states = await Promise.all(names.map(async (name) => {
          const f = world.files.get(name)!;
          const received = await fileEntry(f.to, name).getByText('Received and verified.').isVisible();
          const sent = await fileEntry(f.from, name).getByText('Sent and verified.').isVisible();
          return received && sent;
        }));
        return states.every(Boolean);
      },
      { timeout: 240_000, intervals: [2000] },
    )
    .toBe(true);
  for (const name of names) {
    const f = world.files.get(name)!;
    expect(await saved(f.to, name), `${name} arrived byte-identical`).toBe(f.sha256);
  }
}

/** Every message on both sides exactly once, each person's in the order written. */
async function expectConversationIntact(world: World): Promise<void> {
  for (const person of world.people) {
    await ensureChat(person);
    for (const author of world.people) {
      const written = world.sent.get(author.name) ?? [];
      await expect
        .poll(async () => (await messageTexts(person).allTextContents()).filter((text) => text.startsWith(`${author.name} #`)), { timeout: 60_000 })
        .toEqual(written);
    }
  }
}

/**
 * Each person's room history: every room message once, each writer's in the order written, under the
 * writer's name (an own message has none); and each one Delivered to both other members.
 */
async function expectRoomIntact(world: World): Promise<void> {
  const writers = world.everyone.map((p) => p.name);
  const expected = Object.fromEntries(writers.map((writer) => [writer, world.sentToRoom.get(writer) ?? []]));
  for (const person of world.everyone) {
    await ensureRoomChat(person);
    // A message from someone else is two paragraphs, its author's name and its text; an own one is its text.
    const byWriter = async () => {
      const paragraphs = await messageTexts(person).allTextContents();
      const found: Record<string, string[]> = Object.fromEntries(writers.map((writer) => [writer, []]));
      paragraphs.forEach((text, i) => {
        const writer = /^(\w+) #\d+$/.exec(text)?.[1];
        if (!writer) return;
        const author = i > 0 && writers.includes(paragraphs[i - 1]!) ? paragraphs[i - 1]! : person.name;
        found[writer]?.push(author === writer ? text : `${text} (shown as ${author}'s)`);
      });
      return found;
    };
    await expect.poll(byWriter, { message: `${person.name}'s room history`, timeout: 60_000 }).toEqual(expected);
    for (const text of expected[person.name]!) await expect(receipts(person, text)).toHaveAccessibleName(/^Delivered to 2 of 2\b/, { timeout: 60_000 });
  }
}

async function expectNoKeyChange(world: World): Promise<void> {
  for (const person of world.everyone.filter((p) => !p.page.isClosed())) {
    await expect(person.page.getByText('Key changed')).toHaveCount(0);
    await expect(person.page.getByText(/is not the one you know/)).toHaveCount(0);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(world: World, seeds: number[], minutes: number): void {
  const lines = [`Fault injection: ${minutes.toFixed(1)} min, seeds ${seeds.join(', ')}`, 'fault kind       survived   recovery p50 / p95 / max (ms)'];
  let total = 0;
  for (const kind of KINDS) {
    const times = [...(world.recovery.get(kind) ?? [])].sort((a, b) => a - b);
    total += times.length;
    const figures = times.length ? `${percentile(times, 50)} / ${percentile(times, 95)} / ${times.at(-1)}` : '-';
    lines.push(`${kind.padEnd(16)} ${String(times.length).padStart(8)}   ${figures}`);
  }
  lines.push(`faults survived: ${total}`);
  const count = (sent: Map<string, string[]>) => [...sent.values()].reduce((sum, texts) => sum + texts.length, 0);
  lines.push(`messages checked: ${count(world.sent)} one to one, ${count(world.sentToRoom)} in the room`);
  console.log(lines.join('\n'));
}

let dir = '';
let world: World | null = null;
test.beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'whisper-faults-'));
});
/** People on networks of their own, closed after each test with their networks; the others, and servers. */
const networked: NetworkedPerson[] = [];
const others: Person[] = [];
const servers: SignalProcess[] = [];
test.afterEach(async () => {
  if (world) {
    await world.carol.context.close();
    await world.signal.stop();
  }
  world = null;
  for (const person of others.splice(0)) await person.context.close();
  for (const person of networked.splice(0)) await closeNetworked(person);
  for (const signal of servers.splice(0)) await signal.stop();
  await rm(dir, { recursive: true, force: true });
});

async function networkedPerson(name: string): Promise<NetworkedPerson> {
  const person = await newNetworkedPerson(name);
  networked.push(person);
  return person;
}

test('chat one to one and in the room, files both ways and a call survive reloads, closed tabs, lost networks and paths, a starved CPU and a server restart mid-call and mid-transfer', async ({ browser }) => {
  test.setTimeout(SOAK_MINUTES > 0 ? (SOAK_MINUTES + 10) * 60_000 : 900_000);
  const extras = (other: string): Extras => ({ other, laterProblems: [] });
  world = new World(
    { ...(await networkedPerson('Alice')), ...extras('Bob') },
    { ...(await networkedPerson('Bob')), ...extras('Alice') },
    { ...(await newPerson(browser, 'Carol')), ...extras('Alice') },
    dir,
  );
  world.port = await portForRestarts();
  await world.startSignal();
  world.link = await createRoom(world.alice, `http://localhost:${world.port}`);
  await openRoom(world.bob, world.link);
  await openRoom(world.carol, world.link);
  await world.probe(world.alice, Date.now());
  await world.probe(world.bob, Date.now());
  // Their connections stay inside the machine, across the bridge between their networks.
  for (const person of world.people) await expectPathsInside(person);

  const began = Date.now();
  const seeds: number[] = [];
  for (let round = 1; ; round++) {
    const seed = SOAK_MINUTES > 0 && !process.env.FAULT_SEED ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FAULT_SEED ?? FIXED_SEED) + round - 1;
    seeds.push(seed);
    console.log(`fault round ${round}: seed ${seed}`);
    // Seeded (mulberry32), so a schedule can be replayed from its seed.
    const random = seededRandom(seed);
    // Every kind once in each round, in a seeded order, then seeded picks.
    const order = KINDS.map((kind) => ({ kind, key: random() })).sort((a, b) => a.key - b.key).map(({ kind }) => kind);
    while (order.length < FAULTS_PER_ROUND) order.push(KINDS[Math.floor(random() * KINDS.length)]!);
    await carolLeaves(world);
    await sendFiles(world, round, 'a');
    for (const [i, kind] of order.entries()) {
      console.log(`fault ${i + 1}: ${kind}`);
      await inject(world, kind, random);
      // Halfway: a call, and a second batch of files for the faults that follow to cut.
      if (i === Math.floor(FAULTS_PER_ROUND / 2)) {
        await videoCall(world);
        await sendFiles(world, round, 'b');
      }
      for (const person of world.people) await tendTransfers(world, person);
      await expectNoKeyChange(world);
    }
    await settle(world, round);
    await expectConversationIntact(world);
    await carolReturns(world);
    await expectRoomIntact(world);
    await expectNoKeyChange(world);
    if (SOAK_MINUTES <= 0 || Date.now() - began > SOAK_MINUTES * 60_000) break;
  }
  const { everyone, carol } = world;
  await Promise.all(everyone.map((person) => reload(person, person === carol ? 'room' : 'pair', everyone.filter((p) => p !== person))));
  await expectConversationIntact(world);
  await expectRoomIntact(world);
  await expectNoKeyChange(world);
  report(world, seeds, (Date.now() - began) / 60_000);

  // While the server or their network was away, pages reported their failed WebSocket connections; nothing else may be wrong.
  for (const person of world.everyone) expectNoProblemsButLostConnections(person, ...person.laterProblems);
});

/** Alice on a network of her own, Bob in the test's browser, in a new room, each with the other's chat open. */
async function aliceOnHerOwnNetwork(browser: Browser): Promise<{ alice: NetworkedPerson; bob: Person }> {
  const { url, signal } = await signalForDevices();
  servers.push(signal);
  const alice = await networkedPerson('Alice');
  const bob = await newPerson(browser, 'Bob');
  others.push(bob);
  await keepPeerConnections(bob);
  await openRoom(bob, await createRoom(alice, url));
  await openChat(alice, 'Bob');
  await openChat(bob, 'Alice');
  return { alice, bob };
}

const delivered = /^(Delivered|Read)$/;

test('messages written on both sides while one person’s network is gone (her page reloaded meanwhile) wait, and arrive once and in order when it is back', async ({ browser }) => {
  test.setTimeout(120_000);
  const { alice, bob } = await aliceOnHerOwnNetwork(browser);
  await send(alice, 'Alice, before');
  await expect(statusOf(alice, 'Alice, before')).toHaveAttribute('aria-label', delivered);
  await expectPathsInside(alice);

  // Alice's link goes down, as when a phone leaves Wi-Fi: what either writes now cannot reach the other. Her
  // first message goes to a channel that is already dead; then her page reloads (from the app's cache) and has
  // no channel at all: the next two wait in her device's queue.
  // The app is in her browser's cache: its service worker controls the page, and will load it offline.
  await alice.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await loseNetwork(alice);
  const written = { Alice: ['Alice, away 1', 'Alice, away 2', 'Alice, away 3'], Bob: ['Bob, meanwhile 1', 'Bob, meanwhile 2'] };
  await send(alice, written.Alice[0]!);
  await expect(statusOf(alice, written.Alice[0]!)).toHaveAttribute('aria-label', /^(Queued|Sent)$/);
  await alice.page.reload();
  await expect(alice.page.getByRole('status').filter({ hasText: 'You are offline' })).toBeVisible();
  await openChat(alice, 'Bob');
  for (const text of written.Alice.slice(1)) {
    await send(alice, text);
    await expect(statusOf(alice, text)).toHaveAttribute('aria-label', 'Queued');
  }
  for (const text of written.Bob) {
    await send(bob, text);
    await expect(statusOf(bob, text)).toHaveAttribute('aria-label', /^(Queued|Sent)$/);
  }
  await regainNetwork(alice);
  for (const [person, texts] of [[alice, written.Alice], [bob, written.Bob]] as const) {
    for (const text of texts) await expect(statusOf(person, text), text).toHaveAttribute('aria-label', delivered, { timeout: 90_000 });
  }
  for (const person of [alice, bob]) {
    const texts = await messageTexts(person).allTextContents();
    expect(texts.filter((text) => text.startsWith('Alice, ')), `Alice's messages on ${person.name}'s screen`).toEqual(['Alice, before', ...written.Alice]);
    expect(texts.filter((text) => text.startsWith('Bob, ')), `Bob's messages on ${person.name}'s screen`).toEqual(written.Bob);
  }
  expectNoProblemsButLostConnections(alice);
  expectNoProblemsButLostConnections(bob);
});

test('a video call goes on after its WebRTC path was lost until ICE gave up: the video comes back both ways, and the call never ended', async ({ browser }) => {
  test.setTimeout(180_000);
  const { alice, bob } = await aliceOnHerOwnNetwork(browser);
  await call(bob, 'Video call');
  await expect(incomingCall(alice, 'Bob')).toBeVisible({ timeout: 30_000 });
  await alice.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');

  // Every UDP packet to Alice's device is dropped (her WebSocket stays): no media reaches her, until her
  // connection fails (ICE gave up on it).
  const rule = await losePath(alice, 'failed');
  await rule.remove();
  await expectRemoteVideoPlaying(alice, 'Bob');
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expect(callScreen(alice, 'Bob')).toBeVisible();
  await expect(callScreen(bob, 'Alice')).toBeVisible();
  await expectPathsInside(alice);

  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(bob, 'Alice')).toBeHidden();
  // One call in each history: it never ended and started again.
  await expect(callEntry(alice, 'Video call')).toHaveCount(1);
  await expect(callEntry(bob, 'Video call')).toHaveCount(1);
  expectNoProblemsButLostConnections(alice);
  expectNoProblemsButLostConnections(bob);
});

test('a video call made once a person’s network is back connects both ways (its ICE restart waits for the server, not a WebSocket that died unnoticed)', async ({ browser }) => {
  test.setTimeout(120_000);
  const { alice, bob } = await aliceOnHerOwnNetwork(browser);
  await send(alice, 'Alice, before');
  await expect(statusOf(alice, 'Alice, before')).toHaveAttribute('aria-label', delivered);
  // While her link was down, an ICE restart's offer would have gone into her WebSocket, dead but not yet noticed.
  await loseNetwork(alice);
  await regainNetwork(alice);
  await send(alice, 'Alice, back');
  await expect(statusOf(alice, 'Alice, back')).toHaveAttribute('aria-label', delivered, { timeout: 60_000 });
  // The call's media is negotiated on the same connection: behind a lost offer, it would wait for ever.
  await call(alice, 'Video call');
  await expect(incomingCall(bob, 'Alice')).toBeVisible({ timeout: 30_000 });
  await bob.page.getByRole('button', { name: 'Accept' }).click();
  await expectRemoteVideoPlaying(bob, 'Alice');
  await expectRemoteVideoPlaying(alice, 'Bob');
  await alice.page.getByRole('button', { name: 'Hang up' }).click();
  await expect(callScreen(bob, 'Alice')).toBeHidden();
  expectNoProblemsButLostConnections(alice);
  expectNoProblemsButLostConnections(bob);
});
