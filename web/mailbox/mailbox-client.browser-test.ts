/**
 * MailboxClient against the server stand-in the mailbox's other tests use: each refusal comes back as the
 * server's code and words (and a body that is not the server's as a failure to reach it), so that what those
 * tests prove through the stand-in holds for the server's answers.
 */
import { expect } from 'chai';
import { MailboxClient } from './mailbox-client.js';
import { MailboxServerStandIn } from './mailbox-server-test-support.js';
import { ALICE, BOB, device, handOver } from './mailbox-test-support.js';
import { seal } from './sealed-entry.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: () => Promise<void>) => void;

describe('MailboxClient, on the server stand-in', () => {
  it('gets each refusal as the server’s code (a wrong secret or capability, no such mailbox, a full one), and a page not the server’s as unreached', async () => {
    const server = new MailboxServerStandIn();
    const [alice, bob] = await Promise.all([device(server, ALICE, 'Alice'), device(server, BOB, 'Bob')]);
    const bobs = await bob.keys.address();
    const target = await bob.keys.targetFor(ALICE);
    const sealed = await seal({ kind: 'message', id: 'bWVzc2FnZS0wMDAwMDAwMQ', sentAt: Date.now(), text: 'hello' }, target, { macKey: target.macKey, sender: ALICE, recipient: BOB });
    if (!sealed.ok) throw new Error(sealed.reason);
    const entry = sealed.entry as Uint8Array<ArrayBuffer>;
    const code = (outcome: { ok: boolean; code?: string }) => (outcome.ok ? 'ok' : outcome.code);

    expect(code(await bob.client.entries(bobs)), 'before Bob made it').to.equal('unknown-mailbox');
    expect(code(await alice.client.deposit(bob.mailbox, target.capability, entry)), 'before Bob made it').to.equal('unknown-mailbox');
    await handOver(bob, alice);
    expect(code(await alice.client.deposit(bob.mailbox, target.capability, entry))).to.equal('ok');
    expect(code(await alice.client.deposit(bob.mailbox, (await alice.keys.address()).readSecret, entry)), 'not a writer').to.equal('forbidden');
    expect(code(await bob.client.entries({ ...bobs, readSecret: target.capability })), 'a capability is no read secret').to.equal('forbidden');
    expect(code(await bob.client.putWriters({ ...bobs, readSecret: target.macKey }, [])), 'another read secret').to.equal('forbidden');
    const anonymous = await server.fetch(`https://whisper.test/mailbox/${bob.mailbox}/entries`);
    expect([anonymous.status, (await anonymous.json()) as unknown]).to.deep.equal([401, { error: 'no-credential', message: 'send the secret as Authorization: Bearer <secret>' }]);
    server.capacity = 1;
    const full = await alice.client.deposit(bob.mailbox, target.capability, entry);
    expect(full.ok === false && full.code).to.equal('mailbox-full');
    expect(full.ok === false && full.message).to.match(/full/);

    const waiting = await bob.client.entries(bobs);
    if (!waiting.ok) throw new Error(waiting.message);
    expect(waiting.value).to.have.length(1);
    expect(code(await bob.client.delete(bobs, waiting.value[0]!.entry))).to.equal('ok');
    expect(code(await bob.client.delete(bobs, waiting.value[0]!.entry)), 'deleted again').to.equal('ok');
    expect(server.entries(bob.mailbox)).to.deep.equal([]);

    // A proxy's page instead of the server's answer: the server was not reached.
    const proxied = await new MailboxClient('https://whisper.test', () => Promise.resolve(new Response('<h1>Bad gateway</h1>', { status: 502 }))).entries(bobs);
    expect(proxied).to.deep.equal({ ok: false, code: 'network', message: 'the server answered 502' });
  });
});
