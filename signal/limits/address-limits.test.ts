import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalAddressLimits, type AddressKeys, type AddressLimitSettings, type ConnectOutcome } from './address-limits.js';

const WIDE = { connections: 1000, connectionsPerMinute: 1000, turnCredentialsPerHour: 1000 };
const LOOSE: AddressLimitSettings = { connectionsPerAddress: 1000, connectionsPerMinute: 1000, joinsPerMinute: 1000, turnCredentialsPerHour: 1000, mailboxDepositsPerMinute: 1000, mailboxFetchesPerMinute: 1000, maxAddresses: 1000, per56: WIDE, per48: WIDE };

let clock = 0;
let made: LocalAddressLimits[] = [];

/** A table on a clock the test moves (ms). */
function limitsOf(settings: Partial<AddressLimitSettings>): LocalAddressLimits {
  const limits = new LocalAddressLimits({ ...LOOSE, ...settings }, () => clock);
  made.push(limits);
  return limits;
}

/** Whether a TURN credential was handed out. */
const granted = (limits: LocalAddressLimits, keys: AddressKeys) => limits.turnCredential(keys) === null;

function admitted(outcome: ConnectOutcome) {
  if (!outcome.ok) throw new Error(`refused: ${outcome.refusal.message}`);
  return outcome.admission;
}

afterEach(async () => {
  for (const limits of made) await limits.close();
  made = [];
  clock = 0;
  vi.useRealTimers();
});

describe('connections open at once', () => {
  it('refuses the one over the cap with too-many-connections, and lets one in when another closes', () => {
    const limits = limitsOf({ connectionsPerAddress: 3 });
    const open = [1, 2, 3].map(() => admitted(limits.connect(['198.51.100.1'])));
    const refused = limits.connect(['198.51.100.1']);
    expect(refused).toEqual({
      ok: false,
      refusal: { code: 'too-many-connections', message: 'at most 3 connections at once from one address', retryAfterMs: 30_000 },
    });
    expect(limits.connect(['198.51.100.2']).ok).toBe(true);
    open[0]!.release();
    const again = admitted(limits.connect(['198.51.100.1']));
    expect(limits.connect(['198.51.100.1']).ok).toBe(false);
    again.release();
    expect(limits.connect(['198.51.100.1']).ok).toBe(true);
  });

  it('counts a connection released twice once', () => {
    const limits = limitsOf({ connectionsPerAddress: 2 });
    const first = admitted(limits.connect(['198.51.100.1']));
    admitted(limits.connect(['198.51.100.1']));
    first.release();
    first.release();
    expect(limits.connect(['198.51.100.1']).ok).toBe(true);
    expect(limits.connect(['198.51.100.1']).ok).toBe(false);
  });
});

describe('rates', () => {
  it('refills the new-connection bucket over a minute and says how long to wait', () => {
    // 6 a minute: one more every 10 s.
    const limits = limitsOf({ connectionsPerMinute: 6 });
    for (let i = 0; i < 6; i++) admitted(limits.connect(['198.51.100.1'])).release();
    const refused = limits.connect(['198.51.100.1']);
    expect(refused).toEqual({
      ok: false,
      refusal: { code: 'rate-limited', message: 'at most 6 new connections a minute from one address; try again in 10 s', retryAfterMs: 10_000 },
    });
    expect(limits.connect(['198.51.100.2']).ok).toBe(true);
    clock += 7_500;
    const sooner = limits.connect(['198.51.100.1']);
    expect(!sooner.ok && sooner.refusal.retryAfterMs).toBe(2_500);
    expect(!sooner.ok && sooner.refusal.message).toContain('try again in 3 s');
    clock += 2_500;
    admitted(limits.connect(['198.51.100.1']));
    expect(limits.connect(['198.51.100.1']).ok).toBe(false);
    // A whole minute idle fills the bucket again, never beyond its size.
    clock += 600_000;
    for (let i = 0; i < 6; i++) admitted(limits.connect(['198.51.100.1'])).release();
    expect(limits.connect(['198.51.100.1']).ok).toBe(false);
  });

  it('refuses joins over the rate with retryAfterMs, per address', () => {
    const limits = limitsOf({ joinsPerMinute: 2 });
    expect(limits.join(['198.51.100.1'])).toBeNull();
    expect(limits.join(['198.51.100.1'])).toBeNull();
    expect(limits.join(['198.51.100.1'])).toEqual({ code: 'rate-limited', message: 'at most 2 joins a minute from one address; try again in 30 s', retryAfterMs: 30_000 });
    expect(limits.join(['198.51.100.2'])).toBeNull();
    clock += 29_999;
    expect(limits.join(['198.51.100.1'])?.retryAfterMs).toBe(1);
    clock += 1;
    expect(limits.join(['198.51.100.1'])).toBeNull();
    expect(limits.join(['198.51.100.1'])?.retryAfterMs).toBe(30_000);
  });

  it('counts mailbox deposits and the owner\'s requests per address, each in its own bucket', () => {
    const limits = limitsOf({ mailboxDepositsPerMinute: 2, mailboxFetchesPerMinute: 3 });
    expect(limits.mailbox(['198.51.100.1'], 'deposit')).toBeNull();
    expect(limits.mailbox(['198.51.100.1'], 'deposit')).toBeNull();
    expect(limits.mailbox(['198.51.100.1'], 'deposit')).toEqual({ code: 'rate-limited', message: 'at most 2 mailbox deposits a minute from one address; try again in 30 s', retryAfterMs: 30_000 });
    for (let i = 0; i < 3; i++) expect(limits.mailbox(['198.51.100.1'], 'fetch')).toBeNull();
    expect(limits.mailbox(['198.51.100.1'], 'fetch')).toEqual({ code: 'rate-limited', message: 'at most 3 mailbox requests a minute from one address; try again in 20 s', retryAfterMs: 20_000 });
    expect(limits.mailbox(['198.51.100.2'], 'deposit')).toBeNull();
    expect(limits.join(['198.51.100.1'])).toBeNull();
    clock += 30_000;
    expect(limits.mailbox(['198.51.100.1'], 'deposit')).toBeNull();
    expect(limits.mailbox(['198.51.100.1'], 'deposit')).not.toBeNull();
    // Forgotten once every bucket is full again.
    clock += 60_000;
    limits.sweep();
    expect(limits.trackedAddresses).toBe(0);
  });

  it('hands out TURN credentials per hour', () => {
    const limits = limitsOf({ turnCredentialsPerHour: 3 });
    expect([1, 2, 3, 4].map(() => granted(limits, ['198.51.100.1']))).toEqual([true, true, true, false]);
    expect(granted(limits, ['198.51.100.2'])).toBe(true);
    // A minute is not enough for one more; a third of the hour is.
    clock += 60_000;
    expect(granted(limits, ['198.51.100.1'])).toBe(false);
    clock += 1_140_000;
    expect(granted(limits, ['198.51.100.1'])).toBe(true);
    expect(granted(limits, ['198.51.100.1'])).toBe(false);
  });
});

describe('a TURN credential given back', () => {
  it('is there again for the address and the networks holding it, never beyond what they may have', () => {
    const limits = limitsOf({ turnCredentialsPerHour: 2, per56: { ...WIDE, turnCredentialsPerHour: 2 } });
    const keys = ['2001:db8:1:1::/64', '2001:db8:1:0::/56', '2001:db8:1::/48'] as const;
    expect([granted(limits, keys), granted(limits, keys), granted(limits, keys)]).toEqual([true, true, false]);
    limits.returnTurnCredential(keys);
    expect([granted(limits, keys), granted(limits, keys)]).toEqual([true, false]);
    for (let i = 0; i < 5; i++) limits.returnTurnCredential(keys);
    expect([granted(limits, keys), granted(limits, keys), granted(limits, keys)]).toEqual([true, true, false]);
    // An address the table has forgotten (or never saw) has all its credentials anyway.
    limits.returnTurnCredential(['198.51.100.9']);
    expect(limits.trackedAddresses).toBe(3);
  });
});

describe('the table of addresses', () => {
  it('forgets, at a sweep, addresses with nothing open whose buckets are full again, and keeps the others', () => {
    const limits = limitsOf({ connectionsPerAddress: 1, joinsPerMinute: 1, turnCredentialsPerHour: 1 });
    admitted(limits.connect(['198.51.100.1'])); // stays open
    admitted(limits.connect(['198.51.100.2'])).release();
    expect(limits.join(['198.51.100.3'])).toBeNull();
    expect(granted(limits, ['198.51.100.4'])).toBe(true);
    expect(limits.trackedAddresses).toBe(4);

    clock += 60_000;
    limits.sweep();
    // .2's bucket is full after a minute and .3's join is back: forgotten. .1 has a connection open, .4 waits an hour for its credential.
    expect(limits.trackedAddresses).toBe(2);
    expect(limits.connect(['198.51.100.1']).ok).toBe(false);
    expect(granted(limits, ['198.51.100.4'])).toBe(false);

    clock += 3_600_000;
    limits.sweep();
    expect(limits.trackedAddresses).toBe(1);
    expect(limits.connect(['198.51.100.1']).ok).toBe(false);
  });

  it('keeps an address whose bucket is still filling', () => {
    const limits = limitsOf({ joinsPerMinute: 2 });
    expect(limits.join(['198.51.100.3'])).toBeNull();
    clock += 29_999;
    limits.sweep();
    expect(limits.trackedAddresses).toBe(1);
    clock += 1;
    limits.sweep();
    expect(limits.trackedAddresses).toBe(0);
  });

  it('sweeps by itself every 15 s', () => {
    vi.useFakeTimers();
    const limits = limitsOf({});
    admitted(limits.connect(['198.51.100.2'])).release();
    clock += 60_000;
    expect(limits.trackedAddresses).toBe(1);
    vi.advanceTimersByTime(15_000);
    expect(limits.trackedAddresses).toBe(0);
  });

  it('never holds more than maxAddresses, however many addresses come', () => {
    const limits = limitsOf({ maxAddresses: 100 });
    let most = 0;
    for (let i = 0; i < 5_000; i++) {
      const address = `10.0.${i >> 8}.${i & 255}`;
      admitted(limits.connect([address])).release();
      limits.join([address]);
      most = Math.max(most, limits.trackedAddresses);
    }
    expect(most).toBe(100);
  });

  it('makes room by forgetting the address unused the longest among those with nothing open', () => {
    const limits = limitsOf({ connectionsPerAddress: 1, joinsPerMinute: 1, maxAddresses: 10 });
    // Five addresses with a connection open, then idle ones that used their one join (so being remembered shows).
    for (let i = 0; i < 5; i++) admitted(limits.connect([`198.51.100.${i}`]));
    for (let i = 0; i < 5; i++) expect(limits.join([`203.0.113.${i}`])).toBeNull();
    // Touching 203.0.113.0 makes 203.0.113.1 the one unused the longest.
    expect(limits.join(['203.0.113.0'])).not.toBeNull();
    expect(limits.join(['192.0.2.1'])).toBeNull();
    expect(limits.trackedAddresses).toBe(10);
    expect(limits.join(['203.0.113.0'])).not.toBeNull();
    expect(limits.join(['203.0.113.1'])).toBeNull();

    // A flood of new addresses pushes out every idle one, never one with a connection open.
    for (let i = 0; i < 1000; i++) admitted(limits.connect([`10.0.${i >> 8}.${i & 255}`])).release();
    expect(limits.trackedAddresses).toBe(10);
    for (let i = 0; i < 5; i++) expect(limits.connect([`198.51.100.${i}`])).toMatchObject({ ok: false, refusal: { code: 'too-many-connections' } });
  });

  it('stays bounded even when every address it holds has a connection open', () => {
    const limits = limitsOf({ maxAddresses: 3 });
    for (let i = 0; i < 10; i++) admitted(limits.connect([`198.51.100.${i}`]));
    expect(limits.trackedAddresses).toBe(3);
  });
});

describe('IPv6 networks: each /64 counted again in its /56 and its /48', () => {
  const NETWORKS = {
    per56: { connections: 3, connectionsPerMinute: 4, turnCredentialsPerHour: 3 },
    per48: { connections: 5, connectionsPerMinute: 6, turnCredentialsPerHour: 4 },
  };
  /** The keys of a client in /64 number `sixtyFour` of /56 number `fiftySix` of one /48, as client-address.ts writes them. */
  const client = (fiftySix: number, sixtyFour: number) => [`2001:db8:1:${fiftySix}${sixtyFour}::/64`, `2001:db8:1:${fiftySix}00::/56`, '2001:db8:1::/48'] as const;

  it('refuses a connection past a /56, then a /48, naming the network, and gives each place back when the connection closes', () => {
    const limits = limitsOf({ connectionsPerAddress: 2, ...NETWORKS });
    const open = [0, 1, 2].map((i) => admitted(limits.connect(client(1, i))));
    expect(limits.connect(client(1, 3))).toEqual({
      ok: false,
      refusal: { code: 'too-many-connections', message: 'at most 3 connections at once from one network (an IPv6 /56)', retryAfterMs: 30_000 },
    });
    open.push(admitted(limits.connect(client(2, 0))), admitted(limits.connect(client(2, 1))));
    expect(limits.connect(client(3, 0))).toMatchObject({ ok: false, refusal: { message: 'at most 5 connections at once from one network (an IPv6 /48)' } });
    expect(limits.connect(['2001:db8:2:100::/64', '2001:db8:2:100::/56', '2001:db8:2::/48']).ok).toBe(true);
    open[0]!.release();
    admitted(limits.connect(client(3, 0)));
    expect(limits.connect(client(1, 3)).ok).toBe(false);
  });

  it('takes no new-connection token from a client refused by a wider network', () => {
    const limits = limitsOf({ connectionsPerMinute: 2, ...NETWORKS });
    for (let i = 0; i < 4; i++) admitted(limits.connect(client(1, i))).release();
    expect(limits.connect(client(1, 4))).toEqual({
      ok: false,
      refusal: { code: 'rate-limited', message: 'at most 4 new connections a minute from one network (an IPv6 /56); try again in 15 s', retryAfterMs: 15_000 },
    });
    for (let i = 0; i < 2; i++) admitted(limits.connect(client(2, i))).release();
    expect(limits.connect(client(3, 0))).toMatchObject({ ok: false, refusal: { message: expect.stringContaining('at most 6 new connections a minute from one network (an IPv6 /48)') } });
    // The /64s refused above lost nothing: once the networks have tokens again, each still has its two.
    clock += 60_000;
    for (let i = 0; i < 2; i++) admitted(limits.connect(client(1, 4))).release();
    expect(limits.connect(client(1, 4))).toMatchObject({ ok: false, refusal: { message: expect.stringContaining('from one address') } });
  });

  it('hands out TURN credentials per /56 and per /48 too, and counts joins per address only', () => {
    const limits = limitsOf({ turnCredentialsPerHour: 2, joinsPerMinute: 1, ...NETWORKS });
    expect([0, 1, 2, 3].map((i) => granted(limits, client(1, i)))).toEqual([true, true, true, false]);
    expect(granted(limits, client(2, 0))).toBe(true);
    expect(granted(limits, client(3, 0))).toBe(false);
    expect(limits.turnCredential(client(1, 5))).toMatchObject({ kind: 'network (an IPv6 /56)', turnCredentialsPerHour: 3 });
    expect(limits.turnCredential(client(4, 0))).toMatchObject({ kind: 'network (an IPv6 /48)', turnCredentialsPerHour: 4 });
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => limits.join(client(1, i)))).toEqual(Array(7).fill(null));
  });

  it('never holds more than maxAddresses keys, however many /64s, /56s and /48s come', () => {
    const limits = limitsOf({ maxAddresses: 100 });
    let most = 0;
    for (let i = 0; i < 3_000; i++) {
      const fortyEight = `2001:db8:${(i >> 4).toString(16)}`;
      admitted(limits.connect([`${fortyEight}:${i & 15}::/64`, `${fortyEight}:0::/56`, `${fortyEight}::/48`])).release();
      most = Math.max(most, limits.trackedAddresses);
    }
    expect(most).toBe(100);
  });

  it('forgets a network at a sweep once it has nothing open and its buckets are full again', () => {
    const limits = limitsOf(NETWORKS);
    admitted(limits.connect(client(1, 0))).release();
    const open = admitted(limits.connect(client(1, 1)));
    expect(limits.trackedAddresses).toBe(4);
    clock += 60_000;
    limits.sweep();
    expect(limits.trackedAddresses).toBe(3);
    open.release();
    limits.sweep();
    expect(limits.trackedAddresses).toBe(0);
  });
});
