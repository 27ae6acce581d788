/**
 * Being in a room: presence through the signal server, one peer connection per
 * person opened when needed, and the chat over it. People met before stay in
 * the list (offline) with their history; a person is their device key, which
 * their DTLS certificate proves once connected. In a browser without WebRTC
 * (`canConnect` false) it is presence and history only: no connection is made.
 */
import type { PeerId, PeerInfo, RoomId, SignalData } from '../../signal/protocol/messages.js';
import { CallService } from '../calls/call-service.js';
import { parseCallFrame, type CallFrame } from '../calls/call-wire.js';
import { GroupCallService } from '../calls/group-call.js';
import { parseGroupCallFrame, type GroupCallFrame } from '../calls/group-call-wire.js';
import { ChatService } from '../chat/chat-service.js';
import type { ChatFrame } from '../chat/chat-wire.js';
import { RoomChat } from '../chat/room-chat.js';
import { parseRoomFrame, type RoomFrame } from '../chat/room-wire.js';
import { TypedEventTarget } from '../events/typed-event-target.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import { randomId } from '../identity/random-id.js';
import { looksLike } from '../identity/name-skeleton.js';
import { safetyNumber } from '../identity/safety-number.js';
import { PeerLink } from '../peers/peer-link.js';
import { isOffer, parsePeerSignal } from '../peers/peer-signal.js';
import { AwayNotifier } from '../push/away-notifier.js';
import { parsePushSubFrame, type PushSubFrame } from '../push/push-wire.js';
import { SignalingClient, type ServerRefusal, type SignalingState, type WebSocketConstructor } from '../signaling/signaling-client.js';
import { contactName, isVerifiedContact as isVerified, type ContactStore } from '../storage/contact-store.js';
import type { WhisperDatabase } from '../storage/database.js';
import type { SettingsStore } from '../storage/settings-store.js';
import { TransferService } from '../transfer/transfer-service.js';
import type { MessageStore } from '../storage/message-store.js';

/**
 * `unsupported`: their browser has no WebRTC (they said so in answer to an offer): no connection is tried.
 * `held`: connected, and DTLS proved their key, but nothing goes either way until the person decides: the
 * key is a verified contact's new one, or only verified contacts may connect and this one is not.
 */
export type LinkState = 'none' | 'connecting' | 'connected' | 'held' | 'mismatch' | 'unsupported';
/** States a closed connection keeps: no new one is made by itself (the key changed, or they cannot connect). */
const HELD: ReadonlySet<LinkState> = new Set(['mismatch', 'unsupported']);

export interface Person {
  device: string;
  name: string;
  online: boolean;
  link: LinkState;
  /** Their device handed over a push subscription: a call rings it even while their app is closed. */
  pushable: boolean;
  /** This person's safety number was checked on this device, for this very key. */
  verified: boolean;
  /** The person took this device's push subscription back from them: they cannot ring it while Whisper is closed. */
  pushWithdrawn?: boolean;
  /** This key joined as the verified contact with that key, who was away: held until the person decides. */
  keyChangeFrom?: string;
  /** A key met for the first time whose name looks like that of someone met here before (this name): not them. */
  lookalike?: string;
}

export interface RoomSessionEventMap {
  'wh-people': CustomEvent<void>;
  'wh-signaling': CustomEvent<SignalingState>;
  /** Something the user must know, in words for them. */
  'wh-warning': CustomEvent<string>;
  /** The person took a new key for a contact: their conversation moved from the old key to the new one. */
  'wh-key-replaced': CustomEvent<{ from: string; to: string }>;
}

export interface RoomSessionOptions {
  db: WhisperDatabase;
  room: RoomId;
  name: string;
  identity: DeviceIdentity;
  messages: MessageStore;
  contacts: ContactStore;
  settings: SettingsStore;
  signalingUrl: string;
  relayOnly: boolean;
  /** "Only connect to verified contacts": links to anyone not verified here are held. */
  onlyVerified?: boolean;
  WebSocket?: WebSocketConstructor;
}

/** Wait before reconnecting a link that closed while still needed. */
const RELINK_DELAY_MS = 1000;

export class RoomSession extends TypedEventTarget<RoomSessionEventMap> {
  readonly room: RoomId;
  readonly chat: ChatService;
  /** The room's own conversation, with everyone in it. */
  readonly roomChat: RoomChat;
  readonly transfers: TransferService;
  readonly calls: CallService;
  /** The room's call: everyone in it, a mesh of up to four. */
  readonly groupCalls: GroupCallService;
  /** Web Push: this device's subscription handed to the others, and pushes to those who are away. */
  readonly away: AwayNotifier;
  readonly #options: RoomSessionOptions;
  readonly #signaling: SignalingClient;
  /** Everyone known in this room, online or not, by device key. */
  readonly #people = new Map<string, Person>();
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
  readonly #verified = new WeakSet<PeerLink>();
  /** The ICE servers (credentials) a TURN refusal was last reported for: reported once per set, not per connection attempt. */
  #turnErrorShownFor: RTCIceServer[] | null = null;
  /** The ICE servers (without TURN) that "no TURN relay" was last said for, when a connection failed. */
  #noRelayWarnedFor: RTCIceServer[] | null = null;
  #iceServers: RTCIceServer[] = [];
  #relayOnly: boolean;
  #onlyVerified: boolean;
  #active: string | null = null;
  #onNetworkBack = () => this.#networkBack();
  /** Back in front: the server connection is checked at once (SignalingClient.checkNow). */
  #onBackInFront = () => {
    if (document.visibilityState === 'visible') this.#signaling.checkNow();
  };
  /** The network came back: every link restarts ICE once the server is reached again. */
  #restartOnResume = false;

  constructor(options: RoomSessionOptions) {
    super();
    this.#options = options;
    this.room = options.room;
    this.#relayOnly = options.relayOnly;
    this.#onlyVerified = options.onlyVerified ?? false;
    this.chat = new ChatService(options.messages, {
      send: (device, frame) => this.#sendFrame(device, frame),
      want: (device) => {
        this.connect(device);
        // They are not in the room: their app is closed. Tell them once that something waits.
        if (!this.#people.get(device)?.online) void this.away.messageWaiting(device);
      },
    });
    this.roomChat = new RoomChat(options.room, options.messages, {
      send: (device, frame) => this.#sendFrame(device, frame),
      want: (device) => {
        this.connect(device);
        if (!this.#people.get(device)?.online) void this.away.messageWaiting(device);
      },
      // Everyone this room knows, but not a device that cannot take a message (no WebRTC, a key that does
      // not match) nor a new key no one has accepted yet.
      members: () => [...this.#people.values()].filter((p) => p.link !== 'unsupported' && p.link !== 'mismatch' && !p.keyChangeFrom).map((p) => p.device),
    });
    this.transfers = new TransferService(options.db, this.chat, {
      channel: (device) => {
        const link = this.#links.get(device);
        return link && this.#verified.has(link) && link.files.readyState === 'open' ? link.files : null;
      },
      maxMessageSize: (device) => this.#links.get(device)?.pc.sctp?.maxMessageSize ?? null,
      want: (device) => this.connect(device),
    }, { room: this.roomChat });
    this.calls = new CallService({
      send: (device, frame) => this.#sendFrame(device, frame),
      link: (device) => this.#openLink(device),
      want: (device) => this.connect(device),
      name: (device) => this.#nameOf(device),
      record: (message) => this.chat.record(message),
      ringAway: (call) => this.away.ring(call),
      ringEnded: (call) => void this.away.callEnded(call),
      optIn: () => this.away.optInFromCall(),
      busy: () => this.groupCalls.current !== null,
    });
    this.groupCalls = new GroupCallService({
      self: options.identity.device,
      send: (device, frame) => this.#sendFrame(device, frame),
      link: (device) => this.#openLink(device),
      want: (device) => this.connect(device),
      name: (device) => this.#nameOf(device),
      online: () => [...this.#people.values()].filter((p) => p.online && p.link !== 'unsupported' && p.link !== 'mismatch' && p.link !== 'held').map((p) => p.device),
      busy: () => this.calls.current !== null,
      record: (entry) => this.roomChat.record({ ...entry, conversation: this.roomChat.conversation }),
      // Per tab: another tab of the same browser is another page, not in the call.
      remember: (call) => (call ? sessionStorage.setItem(`whisper-call:${options.room}`, call) : sessionStorage.removeItem(`whisper-call:${options.room}`)),
      remembered: () => sessionStorage.getItem(`whisper-call:${options.room}`),
    });
    this.#signaling = new SignalingClient({
      url: options.signalingUrl,
      room: options.room,
      name: options.name,
      device: options.identity.device,
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    });
    this.away = new AwayNotifier({
      room: options.room,
      device: options.identity.device,
      name: options.name,
      onlyVerified: () => this.#onlyVerified,
      contacts: options.contacts,
      settings: options.settings,
      server: this.#signaling,
      send: (device, frame) => this.#sendFrame(device, frame),
      connected: () => [...this.#links].filter(([, link]) => this.#verified.has(link) && link.isOpen).map(([device]) => device),
    });
    this.#signaling.addEventListener('wh-welcome', (event) => {
      this.away.welcomed();
      void this.#welcome(event.detail.peers, event.detail.resumed, event.detail.iceServers);
      // The server keeps its relay from addresses that took too many credentials: whoever needs it is told why it fails.
      if (event.detail.relayRefused) {
        this.emit('wh-warning', `No relay (TURN) for now: the server gave this network all the relay credentials it allows for the hour. Direct connections still work; where only the relay gets through, connecting fails until later.`);
      }
    });
    this.#signaling.addEventListener('wh-refusal', () => this.emit('wh-signaling', this.#signaling.state));
    this.#signaling.addEventListener('wh-call-declined', (event) => this.calls.declinedAway(event.detail.call));
    this.away.addEventListener('wh-away-contact', (event) => {
      if (this.#people.has(event.detail.device)) this.#setPerson(event.detail.device, { pushable: event.detail.pushable });
    });
    this.#signaling.addEventListener('wh-peer-joined', (event) => void this.#arrived(event.detail));
    this.#signaling.addEventListener('wh-peer-left', (event) => this.#departed(event.detail.id));
    this.#signaling.addEventListener('wh-signal', (event) => this.#signal(event.detail.from, event.detail.data));
    this.#signaling.addEventListener('wh-ice-servers', (event) => this.#setIceServers(event.detail.iceServers));
    this.#signaling.addEventListener('wh-state', (event) => this.emit('wh-signaling', event.detail));
  }

  /** False in a browser without WebRTC: people are listed and history is read, but nothing can be sent. */
  get canConnect(): boolean {
    return this.#options.identity.certificate !== null;
  }

  get signalingState(): SignalingState {
    return this.#signaling.state;
  }

  /** Why the server turned this device away for now (its per-address limits), while it waits to try again. */
  get serverRefusal(): ServerRefusal | null {
    return this.#signaling.refusal;
  }

  /** Tries to reach the server now, instead of waiting out a refusal or a back-off. */
  connectNow(): void {
    this.#signaling.reconnectNow();
  }

  get relayOnly(): boolean {
    return this.#relayOnly;
  }

  get onlyVerified(): boolean {
    return this.#onlyVerified;
  }

  get people(): Person[] {
    return [...this.#people.values()].sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  }

  person(device: string): Person | undefined {
    return this.#people.get(device);
  }

  link(device: string): PeerLink | undefined {
    return this.#links.get(device);
  }

  /**
   * The safety number with the person, from this device's key and the key DTLS proved on the open
   * connection to them; null while no connection proves one.
   */
  async safetyNumber(device: string): Promise<string | null> {
    const link = this.#links.get(device);
    if (!link || !this.#proven.has(link) || !link.isOpen) return null;
    return safetyNumber(this.#options.identity.device, device);
  }

  /**
   * The person compared safety numbers and they matched: kept with the key they were made for. For a
   * verified contact's new key, that is "Verify again": the conversation moves to it.
   */
  async markVerified(device: string): Promise<void> {
    const verified = { key: device, at: Date.now(), name: this.#people.get(device)?.name ?? '' };
    if (this.#people.get(device)?.keyChangeFrom) {
      await this.#replaceKey(device, verified);
      return;
    }
    await this.#options.contacts.update(device, { verified });
    this.#setPerson(device, { verified: true, lookalike: undefined });
    this.#release(device);
  }

  /** "Accept new key": the verified contact's new key becomes theirs, unverified, and their conversation moves to it. */
  async acceptNewKey(device: string): Promise<void> {
    if (this.#people.get(device)?.keyChangeFrom) await this.#replaceKey(device, undefined);
  }

  /** The new key of a verified contact who changed devices, when one waits for the person's decision. */
  keyChangeOf(oldDevice: string): string | null {
    for (const person of this.#people.values()) if (person.keyChangeFrom === oldDevice) return person.device;
    return null;
  }

  /**
   * Whether the person may ring this device, and announce messages, while Whisper is closed (Web Push). Taken
   * back, this device's subscription is replaced; call from the switch's change handler.
   */
  async allowNotifications(device: string, allowed: boolean): Promise<void> {
    this.#setPerson(device, { pushWithdrawn: !allowed });
    await this.away.withdraw(device, !allowed);
  }

  /** "Only connect to verified contacts": links to others are held from now on, or released. */
  setOnlyVerified(on: boolean): void {
    if (on === this.#onlyVerified) return;
    this.#onlyVerified = on;
    for (const [device, link] of [...this.#links]) {
      if (!this.#proven.has(link)) continue;
      if (this.#isHeld(device)) {
        // Whatever was under way with them stops: the link is made again, held.
        if (this.#verified.has(link)) link.close();
      } else this.#release(device);
    }
  }

  async #replaceKey(device: string, verified: { key: string; at: number } | undefined): Promise<void> {
    const from = this.#people.get(device)?.keyChangeFrom;
    if (!from) return;
    const name = this.#people.get(device)?.name || this.#people.get(from)?.name || 'They';
    await this.#options.contacts.replaceKey(from, device, verified);
    this.#links.get(from)?.close();
    this.#people.delete(from);
    this.chat.forget(from);
    this.#setPerson(device, { keyChangeFrom: undefined, verified: !!verified, lookalike: undefined });
    await this.chat.load(device);
    await this.#note(
      device,
      verified
        ? `${name}’s safety number changed, and you verified the new one.`
        : `${name}’s safety number changed, and you accepted the new key. ${name} is no longer verified: verify the new number to mark them again.`,
    );
    this.emit('wh-key-replaced', { from, to: device });
    this.#release(device);
  }

  /** Whether nothing may go to or come from the person over a proven link. */
  #isHeld(device: string): boolean {
    const person = this.#people.get(device);
    return !!person?.keyChangeFrom || (this.#onlyVerified && !person?.verified);
  }

  /** A held person is no longer held: their open link starts carrying what waits. */
  #release(device: string): void {
    const link = this.#links.get(device);
    if (!link || !link.isOpen || !this.#proven.has(link) || this.#verified.has(link) || this.#isHeld(device)) return;
    this.#use(device, link);
  }

  #use(device: string, link: PeerLink): void {
    this.#verified.add(link);
    this.#setPerson(device, { link: 'connected' });
    void this.chat.channelOpened(device);
    void this.roomChat.channelOpened(device);
    void this.transfers.channelOpened(device);
    this.calls.channelOpened(device);
    this.groupCalls.channelOpened(device);
    void this.away.connected(device);
  }

  /** A line of this device's own in the conversation's history. */
  async #note(device: string, text: string): Promise<void> {
    const now = Date.now();
    await this.chat.record({ id: randomId(16), conversation: device, direction: 'in', text, sentAt: now, at: now, status: 'read', receiptSent: 1, notice: 'key-changed' });
  }

  async start(): Promise<void> {
    for (const contact of await this.#options.contacts.inRoom(this.room)) {
      if (contact.reached) this.#reached.add(contact.device);
      this.#people.set(contact.device, {
        device: contact.device,
        name: contactName(contact),
        online: false,
        link: 'none',
        pushable: contact.push !== undefined,
        verified: isVerified(contact),
        pushWithdrawn: contact.pushWithdrawn === true,
        ...(contact.keyChangeFrom ? { keyChangeFrom: contact.keyChangeFrom } : {}),
      });
      void this.#load(contact.device);
    }
    // After a reload too: an unverified key whose name looks like a verified contact's is not them.
    const verified = [...this.#people.values()].filter((person) => person.verified);
    for (const person of this.#people.values()) {
      const like = person.verified || person.keyChangeFrom ? undefined : verified.find((other) => looksLike(other.name, person.name));
      if (like) this.#people.set(person.device, { ...person, lookalike: like.name });
    }
    await this.roomChat.load();
    this.emit('wh-people', undefined);
    addEventListener('online', this.#onNetworkBack);
    addEventListener('pageshow', this.#onBackInFront);
    document.addEventListener('visibilitychange', this.#onBackInFront);
    this.#signaling.start();
  }

  stop(): void {
    this.calls.stop();
    this.groupCalls.stop();
    this.transfers.stop();
    removeEventListener('online', this.#onNetworkBack);
    removeEventListener('pageshow', this.#onBackInFront);
    document.removeEventListener('visibilitychange', this.#onBackInFront);
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    this.#signaling.stop();
  }

  /** The conversation on screen, and whether the page is visible (for read receipts and eager connecting). */
  async setActive(device: string | null, visible: boolean): Promise<void> {
    this.#active = device;
    const room = device === this.roomChat.conversation;
    // The room's conversation is open: everyone online is connected (their messages, receipts and typing).
    if (room) for (const person of this.#people.values()) if (person.online) this.connect(person.device);
    if (device && !room) this.connect(device);
    await Promise.all([this.chat.setActive(room ? null : device, visible), this.roomChat.setActive(room, visible)]);
  }

  /** Opens a connection to the person, if they are online and none is open or opening. */
  connect(device: string): void {
    const certificate = this.#options.identity.certificate;
    if (!certificate || this.#people.get(device)?.link === 'unsupported') return;
    this.#reach(device);
    const existing = this.#links.get(device);
    // Their connection was answered through the relay, as anyone's this device had not reached: now that it
    // reaches them, a direct one replaces it (not under a call, which would drop for the moment it takes).
    if (existing && this.#shielded.has(existing) && !this.#relayOnly && !this.calls.involves(device) && !this.groupCalls.involves(device)) existing.close();
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
    return this.#hasTurn && !this.#reached.has(device) && !this.#people.get(device)?.verified;
  }

  /** Sends everything through TURN from now on (closing the current connections). */
  setRelayOnly(on: boolean): void {
    if (on === this.#relayOnly) return;
    this.#relayOnly = on;
    for (const link of [...this.#links.values()]) link.close();
    this.#warnIfNoRelay();
  }

  /** Whether the server gave TURN credentials (it gives them only while someone else is in the room). */
  get #hasTurn(): boolean {
    return this.#iceServers.some((server) => [server.urls].flat().some((url) => /^turns?:/.test(url)));
  }

  /**
   * Relay only without a TURN server can connect to no one: say so instead of spinning. Alone in the room,
   * the server gives no credentials (there is no one to relay to): nothing to say then.
   */
  #warnIfNoRelay(onceForTheseServers = false): void {
    const someone = [...this.#people.values()].some((person) => person.online);
    if (onceForTheseServers && this.#noRelayWarnedFor === this.#iceServers) return;
    if (this.#relayOnly && someone && !this.#hasTurn && this.canConnect && this.#signaling.state === 'open') {
      this.#noRelayWarnedFor = this.#iceServers;
      this.emit('wh-warning', 'Relay only is on, but this server offers no TURN relay, so no connection can be made. Turn Relay only off, or ask the server’s owner to set up TURN.');
    }
  }

  async #welcome(peers: PeerInfo[], resumed: boolean, iceServers: RTCIceServer[]): Promise<void> {
    this.#setIceServers(iceServers);
    const present = new Map(peers.filter((p) => p.device).map((p) => [p.id, p]));
    this.#present.clear();
    this.#announced.clear();
    for (const [peerId, link] of [...this.#candidates]) if (!present.has(peerId)) link.close();
    for (const peerId of [...this.#unproven]) if (!present.has(peerId)) this.#unproven.delete(peerId);
    for (const [peerId, device] of [...this.#online]) {
      if (present.get(peerId)?.device === device) continue;
      this.#online.delete(peerId);
      this.#setPerson(device, { online: false });
      this.#links.get(device)?.close();
    }
    for (const peer of present.values()) await this.#arrived(peer);
    this.#warnIfNoRelay();
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

  async #arrived(peer: PeerInfo): Promise<void> {
    const device = peer.device;
    if (!device || device === this.#options.identity.device) return;
    this.#present.set(peer.id, device);
    this.#announced.set(peer.id, peer.name);
    // The server's word (or a peer's claim) proves nothing: it never cuts a connection that proved the key.
    if (!this.#provenOpen(device)) this.#reachAt(device, peer.id);
    const isNew = !this.#people.has(device);
    const known = await this.#options.contacts.get(device);
    if (known) {
      // A key met before keeps its name until a connection proves it (#proved): a claim renames no one.
      if (known.reached) this.#reached.add(device);
      this.#setPerson(device, { name: contactName(known), online: true, verified: isVerified(known), pushWithdrawn: known.pushWithdrawn === true });
    } else {
      this.#setPerson(device, { name: peer.name, online: true, verified: false });
      await this.#options.contacts.saw(device, peer.name, this.room);
      await this.#newKeyFor(device, peer.name);
    }
    if (isNew) await this.#load(device);
    if (await this.#wanted(device)) this.connect(device);
  }

  /** Whether the device has an open connection that proved its key. */
  #provenOpen(device: string): boolean {
    const link = this.#links.get(device);
    return !!link && link.isOpen && this.#proven.has(link);
  }

  /**
   * A connection proved the device's key: the name its session announced is theirs now (a verified contact
   * keeps the one it was verified under), and this room is one they were seen in.
   */
  async #proved(device: string, peerId: PeerId): Promise<void> {
    const name = this.#announced.get(peerId);
    if (!name) return;
    const contact = await this.#options.contacts.saw(device, name, this.room);
    this.#setPerson(device, { name: contactName(contact) });
  }

  /**
   * A key never met before joined under the name of someone met in this room who is away: a new phone, a
   * reinstall, or someone in the middle (a server can announce anyone under any name). A verified contact's
   * new key is held until the person verifies it again or accepts it; for anyone else it is said, and the
   * old conversation keeps a line about it. Names are compared by how they look (name-skeleton.ts): "Воb" with
   * a Cyrillic В is Bob. A look-alike of someone who is here too is marked, and said when that someone is
   * verified (two devices of one person online at once are not a change, but never the verified key).
   */
  async #newKeyFor(device: string, name: string): Promise<void> {
    const alike = [...this.#people.values()].filter((other) => other.device !== device && !other.lookalike && looksLike(other.name, name));
    const old = alike.find((person) => person.verified && !person.online) ?? alike.find((person) => !person.online) ?? alike.find((person) => person.verified) ?? alike[0];
    if (!old) return;
    this.#setPerson(device, { lookalike: old.name });
    if (old.online) {
      if (old.verified) this.emit('wh-warning', `Someone joined as ${name} with a key that is not the verified ${old.name}’s. They are listed apart, as not verified.`);
      return;
    }
    if (old.verified) {
      await this.#options.contacts.update(device, { keyChangeFrom: old.device });
      this.#setPerson(device, { keyChangeFrom: old.device });
      // Their offer may have opened a link during the awaits above, before it was to be held: it is made again, held.
      this.#links.get(device)?.close();
      await this.#note(old.device, `${name}’s safety number changed: a device with a new key joined as ${name}, perhaps a new phone, or a browser that cleared ${name}’s data (Safari does after 7 days without a visit). Nothing goes to it until you verify ${name} again or accept the new key.`);
      this.emit('wh-warning', `${name}’s safety number changed. Nothing is sent to ${name} until you verify them again or accept the new key.`);
      return;
    }
    await this.#note(old.device, `A device with a new key joined as ${name}: a new phone, a reinstall, a browser that cleared ${name}’s data (Safari does after 7 days without a visit), or someone else using the name. What you said here stays with the key you knew.`);
    this.emit('wh-warning', `A device with a new key joined as ${name}. It is listed apart from the ${old.name} you knew until you verify who it is.`);
  }

  /** From now on the person is reached at `peerId`; a link to another of their sessions is closed. */
  #reachAt(device: string, peerId: PeerId): void {
    for (const [id, known] of this.#online) if (known === device && id !== peerId) this.#online.delete(id);
    this.#online.set(peerId, device);
    const existing = this.#links.get(device);
    if (existing && existing.remoteId !== peerId) existing.close();
  }

  #departed(peerId: PeerId): void {
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
    this.#setPerson(device, { online: false, ...(this.#people.get(device)?.link === 'unsupported' ? { link: 'none' as const } : {}) });
    this.calls.peerLeft(device);
    this.groupCalls.peerLeft(device);
  }

  #signal(from: PeerId, data: SignalData): void {
    const certificate = this.#options.identity.certificate;
    if (!certificate) {
      // Without WebRTC an offer is answered with why no connection can come, so that the other side stops trying.
      if (isOffer(data)) this.#signaling.sendSignal(from, { kind: 'no-webrtc' });
      return;
    }
    if (parsePeerSignal(data)?.kind === 'no-webrtc') {
      const device = this.#online.get(from);
      if (!device) return;
      this.#setPerson(device, { link: 'unsupported' });
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
      if (this.#provenOpen(device)) {
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
    const selfId = this.#signaling.selfId ?? '';
    const shielded = answering && !this.#relayOnly && this.#shieldFrom(device);
    const link = new PeerLink({
      remoteId: peerId,
      device,
      polite: selfId > peerId,
      certificate,
      iceServers: this.#iceServers,
      relayOnly: this.#relayOnly || shielded,
      sendSignal: (data) => this.#signaling.sendSignal(peerId, data),
    });
    if (shielded) this.#shielded.add(link);
    if (candidate) this.#candidates.set(peerId, link);
    else {
      this.#links.set(device, link);
      this.#setPerson(device, { link: 'connecting' });
    }
    link.addEventListener('wh-impostor', () => {
      const name = this.#people.get(device)?.name || 'this person';
      this.#unproven.add(peerId);
      const other = this.#candidates.get(peerId) === link ? this.#links.get(device)?.remoteId : this.#newestSessionOf(device);
      if (other) {
        // Another session of the device is here (the one proven, or one to try): it is theirs, not this one.
        if (this.#links.get(device) === link) this.#reachAt(device, other);
        this.emit('wh-warning', `Someone in the room claimed to be ${name}’s device and could not prove it. Nothing went to them.`);
        return;
      }
      // The server said this was `device`, but the peer cannot prove that key: never talk to it as them.
      this.#setPerson(device, { link: 'mismatch' });
      this.emit('wh-warning', `The device that answered as ${name} is not the one you know. Messages to them are held back.`);
    });
    link.addEventListener('wh-open', () => {
      if (this.#candidates.get(peerId) === link) this.#promote(device, peerId, link);
      this.#proven.add(link);
      void this.#proved(device, peerId);
      if (this.#isHeld(device)) this.#setPerson(device, { link: 'held' });
      else this.#use(device, link);
    });
    link.addEventListener('wh-message', (event) => {
      if (!this.#verified.has(link)) return;
      const call = parseCallFrame(event.detail);
      if (call) {
        this.calls.receive(device, call);
        return;
      }
      const groupCall = parseGroupCallFrame(event.detail);
      if (groupCall) {
        this.groupCalls.receive(device, groupCall);
        return;
      }
      const roomFrame = parseRoomFrame(event.detail);
      if (roomFrame) {
        void this.roomChat.receive(device, roomFrame);
        return;
      }
      const subscription = parsePushSubFrame(event.detail);
      if (subscription) void this.away.received(device, subscription);
      else void this.chat.receive(device, event.detail);
    });
    link.addEventListener('wh-remote-offer', () => {
      if (!this.#verified.has(link)) return;
      this.calls.remoteOffer(device);
      this.groupCalls.remoteOffer(device);
    });
    link.addEventListener('wh-track', () => {
      if (!this.#verified.has(link)) return;
      this.calls.remoteTrack(device);
      this.groupCalls.remoteTrack(device);
    });
    link.addEventListener('wh-ice-error', (event) => this.#iceError(event.detail));
    link.addEventListener('wh-file-frame', (event) => {
      if (this.#verified.has(link)) void this.transfers.receive(device, event.detail, link.files);
    });
    link.addEventListener('wh-closed', () => {
      if (this.#candidates.get(peerId) === link) this.#candidates.delete(peerId);
      if (this.#links.get(device) !== link) return;
      this.#links.delete(device);
      // The session it reached may be gone (a reload): the newest other session of the device is the next guess.
      const newer = this.#newestSessionOf(device, peerId);
      if (newer) this.#reachAt(device, newer);
      this.chat.channelClosed(device);
      this.roomChat.channelClosed(device);
      this.transfers.channelClosed(device);
      this.calls.channelClosed(device);
      this.groupCalls.channelClosed(device);
      if (!HELD.has(this.#people.get(device)?.link ?? 'none')) this.#setPerson(device, { link: 'none' });
      // Someone came after a welcome without TURN, and a relay-only connection to them could not be made.
      if (!this.#proven.has(link)) this.#warnIfNoRelay(true);
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
    if (this.#links.has(device) || HELD.has(this.#people.get(device)?.link ?? 'none')) return;
    if (await this.#wanted(device)) this.connect(device);
  }

  /** A connection to the person is needed: their chat is open, or something waits to go to them. */
  async #wanted(device: string): Promise<boolean> {
    if (device === this.#active || (this.#active === this.roomChat.conversation && this.#people.get(device)?.online)) return true;
    return this.calls.involves(device) || this.groupCalls.involves(device) || this.transfers.hasPending(device) || (await this.chat.hasPending(device)) || (await this.roomChat.hasPending(device));
  }

  /** Transfers first: the history shows each file by its transfer, which must be known when the entry appears. */
  async #load(device: string): Promise<void> {
    await this.transfers.load(device);
    await this.chat.load(device);
  }

  /**
   * A TURN server refused us (wrong or expired credentials, quota): with Relay
   * only on, nothing else can connect, so the person is told why: once for the credentials in use, not
   * again for every new connection attempt (which would also push aside whatever was said since).
   */
  #iceError(error: { code: number; text: string; url: string }): void {
    if (!/^turns?:/.test(error.url) || this.#turnErrorShownFor === this.#iceServers) return;
    if (error.code !== 401 && error.code !== 403 && error.code !== 437 && error.code !== 486) return;
    this.#turnErrorShownFor = this.#iceServers;
    const why =
      error.code === 401
        ? 'it refused the credentials this server gave (they are wrong or expired: the server’s TURN secret may not match the relay’s)'
        : error.code === 486
          ? 'it has no room for more connections (quota reached)'
          : `it said “${error.code} ${error.text}”`;
    this.emit('wh-warning', `The TURN relay could not be used: ${why}.${this.#relayOnly ? ' With Relay only on, no connection can be made.' : ''}`);
  }

  #sendFrame(device: string, frame: ChatFrame | RoomFrame | CallFrame | GroupCallFrame | PushSubFrame): boolean {
    const link = this.#links.get(device);
    return !!link && this.#verified.has(link) && link.send(JSON.stringify(frame));
  }

  /** The device's open connection that carries calls (proven and not held), if any. */
  #openLink(device: string): PeerLink | null {
    const link = this.#links.get(device);
    return link && this.#verified.has(link) && link.isOpen ? link : null;
  }

  #nameOf(device: string): string {
    return this.#people.get(device)?.name || 'They';
  }

  #peerIdOf(device: string): PeerId | null {
    for (const [peerId, known] of this.#online) if (known === device) return peerId;
    return null;
  }

  #setIceServers(iceServers: RTCIceServer[]): void {
    this.#iceServers = iceServers;
    for (const link of this.#links.values()) link.setIceServers(iceServers);
  }

  #networkBack(): void {
    // ICE restarts once the new connection to the server is there: an offer sent before it would be lost.
    this.#restartOnResume = true;
    this.#signaling.reconnectNow();
  }

  #setPerson(device: string, change: Partial<Person>): void {
    const person = this.#people.get(device) ?? { device, name: '', online: false, link: 'none' as const, pushable: false, verified: false };
    this.#people.set(device, { ...person, ...change });
    this.emit('wh-people', undefined);
  }
}

