/**
 * The network faults the browser tests use (network-faults.ts, network-device.ts) do what they say, with the
 * real nft and namespaces: the probe runs inside the private network namespace, where they may be used.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// Its type only: importing the probe would run it, here outside the namespace.
import type { ProbeResult } from './network-faults.probe.js';
import { runProbe } from './private-network-probe.js';


describe('network faults', () => {
  let result: ProbeResult;
  beforeAll(async () => {
    result = await runProbe<ProbeResult>(join(import.meta.dirname, 'network-faults.probe.ts'), 'nft comes with apt-get install -y nftables');
  }, 60_000);

  it('drops every UDP packet while the rule is there, and counts them; TCP still goes through', () => {
    expect(result.dropAll).toEqual({ arrived: 0, counted: 50, tcp: true });
  });

  it('lets everything through once the rule is removed', () => {
    expect(result.afterRemoval).toBe(50);
  });

  it('drops about 5 % at random with loseUdp(5), and counts what it dropped', () => {
    // 2000 packets at 5 %: 100 expected, with a standard deviation near 10.
    expect(result.loss5.arrived + result.loss5.counted).toBe(2000);
    expect(result.loss5.counted).toBeGreaterThan(40);
    expect(result.loss5.counted).toBeLessThan(200);
  });

  it('keeps each instance to its own table', () => {
    expect(result.otherTableUntouched).toBe(20);
  });

  it('gives a device its own address across the bridge, and its rules act on it alone', () => {
    expect(result.fromDevice.arrived).toBe(20);
    expect(result.fromDevice.from).toEqual([result.fromDevice.address]);
    expect(result.deviceRuleLeavesOthers).toBe(20);
  });
});
