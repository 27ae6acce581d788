/**
 * A renegotiation whose offer or answer is lost on the way (a signal server restarting, a WebSocket that died
 * unnoticed) must not leave the connection waiting for ever: two real PeerLinks in Chromium, open to each
 * other, over a relay of signals that the test can cut or hold. The media section added stands for a call's
 * video: when its negotiation stalls, the call has no picture.
 */
import { expect } from 'chai';
import type { SignalData } from '../../signal/protocol/messages.js';
import { normalizeFingerprint } from '../identity/device-identity.js';
import { ANSWER_TIMEOUT_MS, PeerLink } from './peer-link.js';
import { until } from '../test-support/until.test-support.js';

declare const describe: (title: string, body: () => void) => void;
declare const it: (title: string, body: (this: { timeout(ms: number): void }) => void | Promise<void>) => void;

type Kind = 'offer' | 'answer' | 'candidate' | 'other';

/** One direction of the relay: passes signals on, drops them while cut, or keeps them while held. */
class Wire {
  cut = false;
  held: SignalData[] | null = null;
  readonly seen: Kind[] = [];
  to: PeerLink | null = null;
  /** Signals sent before the receiving link exists (its first offer makes it). */
  readonly early: SignalData[] = [];

  send(data: SignalData): void {
    this.seen.push(kindOf(data));
    if (this.cut) return;
    if (this.held) this.held.push(data);
    else if (this.to) {
      const to = this.to;
      setTimeout(() => to.handleSignal(data));
    } else this.early.push(data);
  }

  deliver(data: SignalData): void {
    this.to!.handleSignal(data);
  }
}

function kindOf(data: SignalData): Kind {
  const signal = data as { kind?: string; description?: { type?: string } };
  if (signal.kind === 'candidate') return 'candidate';
  if (signal.kind === 'description') return signal.description?.type === 'answer' ? 'answer' : 'offer';
  return 'other';
}

async function certificate(): Promise<{ certificate: RTCCertificate; device: string }> {
  const made = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
  return { certificate: made, device: normalizeFingerprint(made.getFingerprints()[0]!.value!) };
}

/** Alice (impolite) and Bob (polite), open to each other. */
async function openPair(beforeOpen?: (alice: PeerLink, bob: PeerLink) => void): Promise<{ alice: PeerLink; bob: PeerLink; toBob: Wire; toAlice: Wire; close(): void }> {
  const [a, b] = await Promise.all([certificate(), certificate()]);
  const toBob = new Wire();
  const toAlice = new Wire();
  const common = { iceServers: [], relayOnly: false };
  const alice = new PeerLink({ ...common, remoteId: 'bob-peer-id', device: b.device, polite: false, certificate: a.certificate, sendSignal: (data) => toBob.send(data) });
  toAlice.to = alice;
  await until(() => toBob.early.some((data) => kindOf(data) === 'offer'), 'Alice’s first offer');
  const bob = new PeerLink({ ...common, remoteId: 'alice-peer-id', device: a.device, polite: true, certificate: b.certificate, sendSignal: (data) => toAlice.send(data) });
  toBob.to = bob;
  beforeOpen?.(alice, bob);
  for (const data of toBob.early.splice(0)) bob.handleSignal(data);
  await until(() => alice.isOpen && bob.isOpen, 'both links open');
  return {
    alice,
    bob,
    toBob,
    toAlice,
    close: () => {
      alice.close();
      bob.close();
    },
  };
}

/** Alice adds an audio section, as a call adds its media: the link renegotiates. Resolves when Bob has its track. */
function addMedia(alice: PeerLink, bob: PeerLink): Promise<void> {
  const track = new Promise<void>((resolve) => bob.addEventListener('wh-track', () => resolve(), { once: true }));
  alice.pc.addTransceiver('audio', { direction: 'sendrecv' });
  return track;
}

const stable = (link: PeerLink) => link.pc.signalingState === 'stable';
const offers = (wire: Wire) => wire.seen.filter((kind) => kind === 'offer').length;

describe('PeerLink: a renegotiation whose signals are lost', () => {
  it('makes an offer that got no answer again, and the media it adds reaches the other side', async function () {
    this.timeout(ANSWER_TIMEOUT_MS + 40_000);
    const { alice, bob, toBob, close } = await openPair();
    const before = offers(toBob);
    toBob.cut = true;
    const track = addMedia(alice, bob);
    await until(() => offers(toBob) === before + 1, 'Alice’s offer, lost');
    // Nothing answers it: the link waits (the state a call without video was left in for ever).
    expect(alice.pc.signalingState).to.equal('have-local-offer');
    toBob.cut = false;
    await track;
    await until(() => stable(alice), 'Alice stable');
    expect(offers(toBob)).to.equal(before + 2);
    expect(bob.pc.getTransceivers().some((t) => t.receiver.track.kind === 'audio')).to.equal(true);
    close();
  });

  it('makes the offer again when its answer was lost', async function () {
    this.timeout(ANSWER_TIMEOUT_MS + 40_000);
    const { alice, bob, toBob, toAlice, close } = await openPair();
    const before = offers(toBob);
    toAlice.cut = true;
    const track = addMedia(alice, bob);
    await track;
    await until(() => toAlice.seen.includes('answer') && stable(bob), 'Bob’s answer, lost');
    expect(alice.pc.signalingState).to.equal('have-local-offer');
    toAlice.cut = false;
    await until(() => stable(alice), 'Alice stable', ANSWER_TIMEOUT_MS + 4000);
    expect(offers(toBob)).to.equal(before + 2);
    close();
  });

  it('makes a pending offer again at once when asked (the signal server is reached again)', async () => {
    const { alice, bob, toBob, close } = await openPair();
    toBob.cut = true;
    const track = addMedia(alice, bob);
    await until(() => alice.pc.signalingState === 'have-local-offer' && toBob.seen.at(-1) === 'offer', 'Alice’s offer, lost');
    toBob.cut = false;
    alice.offerAgainIfPending();
    await track;
    await until(() => stable(alice), 'Alice stable', ANSWER_TIMEOUT_MS / 2);
    close();
  });

  it('does not apply a late answer to an earlier offer to the one pending now', async () => {
    const { alice, bob, toAlice, close } = await openPair();
    toAlice.held = [];
    const track = addMedia(alice, bob);
    await track;
    await until(() => toAlice.held!.some((data) => kindOf(data) === 'answer'), 'Bob’s first answer, held');
    const first = toAlice.held!.filter((data) => kindOf(data) === 'answer');
    toAlice.held.length = 0;
    alice.offerAgainIfPending();
    await until(() => toAlice.held!.some((data) => kindOf(data) === 'answer'), 'Bob’s second answer, held');
    const second = toAlice.held!.filter((data) => kindOf(data) === 'answer');
    toAlice.held = null;
    // Both arrive, the late one first: the link applies them in order, so the one applied is the one kept.
    for (const data of [...first, ...second]) toAlice.deliver(data);
    await until(() => stable(alice), 'Alice stable');
    const applied = alice.pc.currentRemoteDescription?.sdp;
    const sdp = (data: SignalData) => (data as { description: { sdp: string } }).description.sdp;
    expect(sdp(first[0]!), 'the two answers differ').to.not.equal(sdp(second[0]!));
    expect(applied, 'the late answer was applied').to.equal(sdp(second[0]!));
    close();
  });
});

describe('PeerLink: opening', () => {
  it('passes on a frame that arrived while the handshake’s certificate was read after wh-open, not before (its owner drops frames of a link not yet open)', async () => {
    // The certificate's check (a SHA-256 in WebCrypto) lasts until Alice's first frame has reached Bob's channel.
    const subtle = crypto.subtle;
    const digest = subtle.digest.bind(subtle);
    let arrived = () => {};
    const frameArrived = new Promise<void>((resolve) => (arrived = resolve));
    subtle.digest = async (...args: Parameters<SubtleCrypto['digest']>) => {
      await frameArrived;
      return digest(...args);
    };
    const seen: string[] = [];
    try {
      const { bob, close } = await openPair((alice, bob) => {
        alice.channel.addEventListener('open', () => alice.send('first frame'));
        bob.channel.addEventListener('message', () => arrived());
        bob.addEventListener('wh-open', () => seen.push('wh-open'));
        bob.addEventListener('wh-message', (event) => seen.push(event.detail));
      });
      await until(() => seen.includes('first frame'), 'Bob’s frame');
      expect(seen).to.deep.equal(['wh-open', 'first frame']);
      expect(bob.isOpen).to.equal(true);
      close();
    } finally {
      subtle.digest = digest;
    }
  });
});
