/**
 * Presence and the links' life cycle: who is in the room (from the server's welcome, joins and leaves, a
 * person's several sessions after a reload), and one PeerLink per person, made when needed, answered,
 * replaced by a newer session that proves the same key, and made again when it closes while still needed.
 * What a link carries is the services' business (frame-router.ts); whether a proven link may carry it is
 * trust's (room-trust.ts).
 */
import type { PeerId, PeerInfo, SignalData } from '../../signal/protocol/messages.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import { PeerLink } from '../peers/peer-link.js';
import { isOffer, parsePeerSignal } from '../peers/peer-signal.js';
import type { SignalingClient } from '../signaling/signaling-client.js';
import { contactName, isVerifiedContact as isVerified, type ContactStore } from '../storage/contact-store.js';
import type { FrameRouter } from './frame-router.js';
import type { RelayPolicy } from './relay-policy.js';
import { KEPT_WHEN_CLOSED, type RoomPeople } from './room-people.js';

/** Wait before reconnecting a link that closed while still needed. */
const RELINK_DELAY_MS = 1000;

export interface RoomLinksOptions {
  room: string;
  identity: DeviceIdentity;
  contacts: ContactStore;
  people: RoomPeople;
  signaling: SignalingClient;
  router: FrameRouter;
  relay: RelayPolicy;
  /** Whether nothing may go to or come from the person over a proven link (room-trust.ts). */
  held(device: string): boolean;
  /** A key never met before joined under a name: trust decides what that means (room-trust.ts). */
  newKey(device: string, name: string): Promise<void>;
  /** A connection to the person is needed now (their conversation is open, or something waits to go). */
  wanted(device: string): Promise<boolean>;
  /** A call with the person is under way: their connection is not replaced for a direct one meanwhile. */
  inCall(device: string): boolean;
  /** Reads the person's history (met for the first time in this session). */
  load(device: string): Promise<void>;
  warn(text: string): void;
}

export class RoomLinks {
  readonly #options: RoomLinksOptions;
  readonly #people: RoomPeople;
  /**
   * The peer each online person is reached at: server peer id -> device key, one peer per device.
   * A person who reloaded has two sessions in the room for a while (the old one within its grace
   * period, the new one); the newest is the first guess, and the one that speaks is the live one.
   */
  readonly #online = new Map<PeerId, string>();
  /** Every session present in the room with the device it claims, including a person's older ones. */
  readonly #present = new Map<PeerId, string>();
  /** The name each present session announced: saved for its device only once a connection proves the key. */
  readonly #announced = new Map<PeerId, string>();
  readonly #links = new Map<string, PeerLink>();
  /**
   * Connections to another session claiming a device that already has an open connection which proved its
   * key: a claim proves nothing, so such a connection takes over only once it proves the key too.
   */
  readonly #candidates = new Map<PeerId, PeerLink>();
  /** Devices this device chose to reach (Contact.reached): connections to anyone else are answered through the relay. */
  readonly #reached = new Set<string>();
  /** Connections answered through the relay because their device was not reached yet. */
  readonly #shielded = new WeakSet<PeerLink>();
  /** Sessions whose connection could not prove the device they claim: never taken for that device again. */
  readonly #unproven = new Set<PeerId>();
  /** Links on which DTLS proved the key the person was announced with. */
  readonly #proven = new WeakSet<PeerLink>();
  /** Proven links that carry chat, files and calls (not held). */
  readonly #inUse = new WeakSet<PeerLink>();
  /** The network came back: every link restarts ICE once the server is reached again. */
  #restartOnResume = false;

  constructor(options: RoomLinksOptions) {
    this.#options = options;
    this.#people = options.people;
  }

  /** A device this one reached before (kept with the contact): its connections may be direct. */
  reachedBefore(device: string): void {
    this.#reached.add(device);
  }

  link(device: string): PeerLink | undefined {
    return this.#links.get(device);
  }

  /** The person's open connection on which DTLS proved their key, held or not. */
  provenLink(device: string): PeerLink | null {
    const link = this.#links.get(device);
    return link && this.#proven.has(link) && link.isOpen ? link : null;
  }

  /** The device's open connection that carries chat, files and calls (proven and not held), if any. */
  openLink(device: string): PeerLink | null {
    const link = this.#links.get(device);
    return link && this.#inUse.has(link) && link.isOpen ? link : null;
  }

  /** The devices whose connection carries chat, files and calls now. */
  connected(): string[] {
    return [...this.#links].filter(([, link]) => this.#inUse.has(link) && link.isOpen).map(([device]) => device);
  }

  /** The files channel to the device, when its connection carries files and the channel is open. */
  filesChannel(device: string): RTCDataChannel | null {
    const link = this.#links.get(device);
    return link && this.#inUse.has(link) && link.files.readyState === 'open' ? link.files : null;
  }

  send(device: string, frame: unknown): boolean {
    const link = this.#links.get(device);
    return !!link && this.#inUse.has(link) && link.send(JSON.stringify(frame));
  }

  /** Trust let a proven link carry what waits (it was not held, or no longer is). */
  use(device: string, link: PeerLink): void {
    this.#inUse.add(link);
    this.#people.set(device, { link: 'connected' });
    this.#options.router.opened(device);
  }

  /** A proven link trust now holds: whatever was under way on it stops, and it is made again, held. */
  hold(device: string): void {
    const link = this.#links.get(device);
    if (link && this.#proven.has(link) && this.#inUse.has(link)) link.close();
  }

  /** A held person is no longer held: their open link starts carrying what waits. */
  release(device: string): void {
    const link = this.#links.get(device);
    if (!link || !link.isOpen || !this.#proven.has(link) || this.#inUse.has(link) || this.#options.held(device)) return;
    this.use(device, link);
  }

  /** Every device with a proven connection, open or not. */
  provenDevices(): string[] {
    return [...this.#links].filter(([, link]) => this.#proven.has(link)).map(([device]) => device);
  }

  close(device: string): void {
    this.#links.get(device)?.close();
  }

  closeAll(): void {
    for (const link of [...this.#links.values()]) link.close();
  }

  stop(): void {
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }

  /** Opens a connection to the person, if they are online and none is open or opening. */
  connect(device: string): void {
    const certificate = this.#options.identity.certificate;
    if (!certificate || this.#people.get(device)?.link === 'unsupported') return;
    this.#reach(device);
    const existing = this.#links.get(device);
    // Their connection was answered through the relay, as anyone's this device had not reached: now that it
    // reaches them, a direct one replaces it (not under a call, which would drop for the moment it takes).
    if (existing && this.#shielded.has(existing) && !this.#options.relay.relayOnly && !this.#options.inCall(device)) existing.close();
    if (this.#links.has(device)) return;
    const peerId = this.#peerIdOf(device);
    if (peerId) this.#createLink(device, peerId, certificate);
  }

  /** This device chose to reach the person: from now on their connections may be direct. */
  #reach(device: string): void {
    if (this.#reached.has(device)) return;
    this.#reached.add(device);
    void this.#options.contacts.update(device, { reached: true });
  }

  /**
   * A connection someone else starts is answered through the relay (so that they do not learn this device's
   * address) unless this device chose to reach them or verified them; without a relay it cannot be, and is not.
   */
  #shieldFrom(device: string): boolean {
    return this.#options.relay.hasTurn && !this.#reached.has(device) && !this.#people.get(device)?.verified;
  }

  /** Relay only without a relay: said when someone could be connected to. */
  warnIfNoRelay(onceForTheseServers = false): void {
    const someone = this.#people.all().some((person) => person.online);
    this.#options.relay.warnIfNoRelay(someone && this.#options.identity.certificate !== null && this.#options.signaling.state === 'open', onceForTheseServers);
  }

  async welcome(peers: PeerInfo[], resumed: boolean, iceServers: RTCIceServer[]): Promise<void> {
    this.setIceServers(iceServers);
    const present = new Map(peers.filter((p) => p.device).map((p) => [p.id, p]));
    this.#present.clear();
    this.#announced.clear();
    for (const [peerId, link] of [...this.#candidates]) if (!present.has(peerId)) link.close();
    for (const peerId of [...this.#unproven]) if (!present.has(peerId)) this.#unproven.delete(peerId);
    for (const [peerId, device] of [...this.#online]) {
      if (present.get(peerId)?.device === device) continue;
      this.#online.delete(peerId);
      this.#people.set(device, { online: false });
      this.#links.get(device)?.close();
    }
    for (const peer of present.values()) await this.arrived(peer);
    this.warnIfNoRelay();
    // Signals sent while the server was out of reach are lost: unfinished negotiations get a new start (every
    // link, after the network came back), and an open link's renegotiation (a call's media) whose offer or
    // answer was lost is offered again at once, not after its timer.
    const all = this.#restartOnResume;
    this.#restartOnResume = false;
    for (const link of this.#links.values()) {
      if (resumed && (all || !link.isOpen)) link.restartIce();
      else link.offerAgainIfPending();
    }
  }

  async arrived(peer: PeerInfo): Promise<void> {
    const device = peer.device;
    if (!device || device === this.#options.identity.device) return;
    this.#present.set(peer.id, device);
    this.#announced.set(peer.id, peer.name);
    // The server's word (or a peer's claim) proves nothing: it never cuts a connection that proved the key.
    if (!this.provenLink(device)) this.#reachAt(device, peer.id);
    const isNew = !this.#people.has(device);
    const known = await this.#options.contacts.get(device);
    if (known) {
      // A key met before keeps its name until a connection proves it (#proved): a claim renames no one.
      if (known.reached) this.#reached.add(device);
      this.#people.set(device, { name: contactName(known), online: true, verified: isVerified(known), pushWithdrawn: known.pushWithdrawn === true });
    } else {
      this.#people.set(device, { name: peer.name, online: true, verified: false });
      await this.#options.contacts.saw(device, peer.name, this.#options.room);
      await this.#options.newKey(device, peer.name);
    }
    if (isNew) await this.#options.load(device);
    if (await this.#options.wanted(device)) this.connect(device);
  }

  /**
   * A connection proved the device's key: the name its session announced is theirs now (a verified contact
   * keeps the one it was verified under), and this room is one they were seen in.
   */
  async #proved(device: string, peerId: PeerId): Promise<void> {
    const name = this.#announced.get(peerId);
    if (!name) return;
    const contact = await this.#options.contacts.saw(device, name, this.#options.room);
    this.#people.set(device, { name: contactName(contact) });
  }

  /** From now on the person is reached at `peerId`; a link to another of their sessions is closed. */
  #reachAt(device: string, peerId: PeerId): void {
    for (const [id, known] of this.#online) if (known === device && id !== peerId) this.#online.delete(id);
    this.#online.set(peerId, device);
    const existing = this.#links.get(device);
    if (existing && existing.remoteId !== peerId) existing.close();
  }

  departed(peerId: PeerId): void {
    const device = this.#present.get(peerId);
    this.#present.delete(peerId);
    this.#announced.delete(peerId);
    this.#unproven.delete(peerId);
    this.#candidates.get(peerId)?.close();
    if (!device || !this.#online.has(peerId)) return;
    // An older session of someone who reloaded ended: they are still here in their newer one.
    const other = this.#newestSessionOf(device);
    if (other) {
      this.#reachAt(device, other);
      return;
    }
    this.#online.delete(peerId);
    const link = this.#links.get(device);
    if (link?.remoteId === peerId) link.close();
    // Gone from that browser: next time they may come in one that has WebRTC.
    this.#people.set(device, { online: false, ...(this.#people.get(device)?.link === 'unsupported' ? { link: 'none' as const } : {}) });
    this.#options.router.left(device);
  }

  signal(from: PeerId, data: SignalData): void {
    const certificate = this.#options.identity.certificate;
    if (!certificate) {
      // Without WebRTC an offer is answered with why no connection can come, so that the other side stops trying.
      if (isOffer(data)) this.#options.signaling.sendSignal(from, { kind: 'no-webrtc' });
      return;
    }
    if (parsePeerSignal(data)?.kind === 'no-webrtc') {
      const device = this.#online.get(from);
      if (!device) return;
      this.#people.set(device, { link: 'unsupported' });
      this.#links.get(device)?.close();
      return;
    }
    if (this.#unproven.has(from)) return;
    let device = this.#online.get(from);
    if (!device) {
      device = this.#present.get(from);
      if (!device) return;
      const candidate = this.#candidates.get(from);
      if (candidate) {
        if (!candidate.handleSignal(data)) {
          candidate.close();
          this.#createLink(device, from, certificate, { answering: true, candidate: true }).handleSignal(data);
        }
        return;
      }
      // Another session of a person (they reloaded): it speaks, so it is the live one. Only an offer
      // starts a connection, so a late signal from a dead session changes nothing.
      if (!isOffer(data)) return;
      if (this.provenLink(device)) {
        // But a connection that proved their key is open: the new session must prove it too before it replaces it.
        this.#createLink(device, from, certificate, { answering: true, candidate: true }).handleSignal(data);
        return;
      }
      this.#reachAt(device, from);
    }
    let link = this.#links.get(device);
    if (link && link.remoteId !== from) {
      link.close();
      link = undefined;
    }
    if (!link) {
      if (!isOffer(data)) return;
      link = this.#createLink(device, from, certificate, { answering: true });
    }
    if (!link.handleSignal(data)) {
      // They started a new connection: follow them.
      link.close();
      this.#createLink(device, from, certificate, { answering: true }).handleSignal(data);
    }
  }

  /**
   * `answering`: made to answer their offer (see #shieldFrom). `candidate`: to another session claiming a
   * device whose open connection proved its key (see #candidates).
   */
  #createLink(device: string, peerId: PeerId, certificate: RTCCertificate, { answering = false, candidate = false } = {}): PeerLink {
    const { signaling, relay, router } = this.#options;
    const selfId = signaling.selfId ?? '';
    const shielded = answering && !relay.relayOnly && this.#shieldFrom(device);
    const link = new PeerLink({
      remoteId: peerId,
      device,
      polite: selfId > peerId,
      certificate,
      iceServers: relay.iceServers,
      relayOnly: relay.relayOnly || shielded,
      sendSignal: (data) => signaling.sendSignal(peerId, data),
    });
    if (shielded) this.#shielded.add(link);
    if (candidate) this.#candidates.set(peerId, link);
    else {
      this.#links.set(device, link);
      this.#people.set(device, { link: 'connecting' });
    }
    link.addEventListener('wh-impostor', () => {
      const name = this.#people.get(device)?.name || 'this person';
      this.#unproven.add(peerId);
      const other = this.#candidates.get(peerId) === link ? this.#links.get(device)?.remoteId : this.#newestSessionOf(device);
      if (other) {
        // Another session of the device is here (the one proven, or one to try): it is theirs, not this one.
        if (this.#links.get(device) === link) this.#reachAt(device, other);
        this.#options.warn(`Someone in the room claimed to be ${name}’s device and could not prove it. Nothing went to them.`);
        return;
      }
      // The server said this was `device`, but the peer cannot prove that key: never talk to it as them.
      this.#people.set(device, { link: 'mismatch' });
      this.#options.warn(`The device that answered as ${name} is not the one you know. Messages to them are held back.`);
    });
    link.addEventListener('wh-open', () => {
      if (this.#candidates.get(peerId) === link) this.#promote(device, peerId, link);
      this.#proven.add(link);
      void this.#proved(device, peerId);
      if (this.#options.held(device)) this.#people.set(device, { link: 'held' });
      else this.use(device, link);
    });
    link.addEventListener('wh-message', (event) => {
      if (this.#inUse.has(link)) router.route(device, event.detail);
    });
    link.addEventListener('wh-remote-offer', () => {
      if (this.#inUse.has(link)) router.remoteOffer(device);
    });
    link.addEventListener('wh-track', () => {
      if (this.#inUse.has(link)) router.remoteTrack(device);
    });
    link.addEventListener('wh-ice-error', (event) => relay.iceError(event.detail));
    link.addEventListener('wh-file-frame', (event) => {
      if (this.#inUse.has(link)) router.routeFile(device, event.detail, link.files);
    });
    link.addEventListener('wh-closed', () => {
      if (this.#candidates.get(peerId) === link) this.#candidates.delete(peerId);
      if (this.#links.get(device) !== link) return;
      this.#links.delete(device);
      // The session it reached may be gone (a reload): the newest other session of the device is the next guess.
      const newer = this.#newestSessionOf(device, peerId);
      if (newer) this.#reachAt(device, newer);
      router.closed(device);
      if (!KEPT_WHEN_CLOSED.has(this.#people.get(device)?.link ?? 'none')) this.#people.set(device, { link: 'none' });
      // Someone came after a welcome without TURN, and a relay-only connection to them could not be made.
      if (!this.#proven.has(link)) this.warnIfNoRelay(true);
      setTimeout(() => void this.#relinkIfNeeded(device), RELINK_DELAY_MS);
    });
    return link;
  }

  /** The newest session present that claims the device, other than `except`, and not one that failed to prove it. */
  #newestSessionOf(device: string, except?: PeerId): PeerId | null {
    return [...this.#present].findLast(([id, known]) => known === device && id !== except && !this.#unproven.has(id))?.[0] ?? null;
  }

  /** A session that proved the device's key takes over from the connection to its other session. */
  #promote(device: string, peerId: PeerId, link: PeerLink): void {
    this.#candidates.delete(peerId);
    // Closed while still the device's connection, so that everything on it hears it closed.
    this.#links.get(device)?.close();
    this.#links.set(device, link);
    this.#reachAt(device, peerId);
  }

  async #relinkIfNeeded(device: string): Promise<void> {
    if (this.#links.has(device) || KEPT_WHEN_CLOSED.has(this.#people.get(device)?.link ?? 'none')) return;
    if (await this.#options.wanted(device)) this.connect(device);
  }

  #peerIdOf(device: string): PeerId | null {
    for (const [peerId, known] of this.#online) if (known === device) return peerId;
    return null;
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.#options.relay.iceServers = iceServers;
    for (const link of this.#links.values()) link.setIceServers(iceServers);
  }

  /** Sends everything through TURN from now on (closing the current connections), or not. */
  setRelayOnly(on: boolean): void {
    this.#options.relay.relayOnly = on;
    this.closeAll();
    this.warnIfNoRelay();
  }

  /** The network came back: ICE restarts once the new connection to the server is there (an offer sent before it would be lost). */
  networkBack(): void {
    this.#restartOnResume = true;
    this.#options.signaling.reconnectNow();
  }
}
