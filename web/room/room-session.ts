/**
 * Being in a room: the room's parts wired together. Presence through the signal server and one peer
 * connection per person, opened when needed (room-links.ts); which proven connections may carry anything
 * (room-trust.ts); and the services that use them, each registered once with the frame router
 * (frame-router.ts), which hands every frame to the service that owns it. People met before stay in the
 * list (offline) with their history; a person is their device key, which their DTLS certificate proves once
 * connected. In a browser without WebRTC (`canConnect` false) it is presence and history only.
 */
import type { RoomId } from '../../signal/protocol/messages.js';
import { CallService } from '../calls/call-service.js';
import { parseCallFrame } from '../calls/call-wire.js';
import { GroupCallService } from '../calls/group-call.js';
import { parseGroupCallFrame } from '../calls/group-call-wire.js';
import { ChatService } from '../chat/chat-service.js';
import { RoomChat } from '../chat/room-chat.js';
import { parseRoomFrame } from '../chat/room-wire.js';
import { TypedEventTarget } from '../events/typed-event-target.js';
import type { DeviceIdentity } from '../identity/device-identity.js';
import type { PeerLink } from '../peers/peer-link.js';
import { AwayNotifier } from '../push/away-notifier.js';
import { parsePushSubFrame } from '../push/push-wire.js';
import { SignalingClient, type ServerRefusal, type SignalingState, type WebSocketConstructor } from '../signaling/signaling-client.js';
import { contactName, isVerifiedContact as isVerified, type ContactStore } from '../storage/contact-store.js';
import type { WhisperDatabase } from '../storage/database.js';
import type { MessageStore } from '../storage/message-store.js';
import type { SettingsStore } from '../storage/settings-store.js';
import { TransferService } from '../transfer/transfer-service.js';
import { MailboxService } from '../mailbox/mailbox-service.js';
import { FrameRouter } from './frame-router.js';
import { RelayPolicy } from './relay-policy.js';
import { RoomLinks } from './room-links.js';
import { RoomPeople, type Person } from './room-people.js';
import { RoomTrust } from './room-trust.js';

export type { LinkState, Person } from './room-people.js';

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
  /** The end-to-end encrypted mailbox: messages for people whose app is closed, and this device's own. */
  readonly mailbox: MailboxService;
  /** Every service of the room registers here: its frames, and what it hears of each person's connection. */
  readonly router = new FrameRouter();
  readonly #options: RoomSessionOptions;
  readonly #signaling: SignalingClient;
  readonly #people = new RoomPeople(() => this.emit('wh-people', undefined));
  readonly #relay: RelayPolicy;
  readonly #links: RoomLinks;
  readonly #trust: RoomTrust;
  #active: string | null = null;
  #onNetworkBack = () => {
    this.#links.networkBack();
    void this.mailbox.collect();
  };
  /** Back in front: the server connection is checked at once (SignalingClient.checkNow). */
  #onBackInFront = () => {
    if (document.visibilityState !== 'visible') return;
    this.#signaling.checkNow();
    void this.mailbox.collect();
  };

  constructor(options: RoomSessionOptions) {
    super();
    this.#options = options;
    this.room = options.room;
    const warn = (text: string) => this.emit('wh-warning', text);
    const send = (device: string, frame: unknown) => this.#links.send(device, frame);
    const link = (device: string) => this.#links.openLink(device);
    const want = (device: string) => this.connect(device);
    const name = (device: string) => this.#people.nameOf(device);
    this.#signaling = new SignalingClient({
      url: options.signalingUrl,
      room: options.room,
      name: options.name,
      device: options.identity.device,
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    });
    // They are not in the room: their app is closed. What waits goes to their mailbox, or they are told once that something waits.
    const waiting = (device: string) => {
      this.connect(device);
      if (!this.#people.get(device)?.online) void this.#leaveFor(device);
    };
    // Read receipts for someone away go to their mailbox too ("Read" while their app is closed).
    const receiptsWaiting = (device: string) => {
      if (!this.#people.get(device)?.online) void this.mailbox.receiptsFor(device);
    };
    this.chat = new ChatService(options.messages, { send, want: waiting, receiptsWaiting });
    this.roomChat = new RoomChat(options.room, options.messages, {
      send,
      want: waiting,
      receiptsWaiting,
      // Everyone this room knows, but not a device that cannot take a message (no WebRTC, a key that does
      // not match) nor a new key no one has accepted yet.
      members: () => this.#people.all().filter((person) => this.#people.canTakeMessages(person)).map((person) => person.device),
    });
    this.transfers = new TransferService(options.db, this.chat, {
      channel: (device) => this.#links.filesChannel(device),
      maxMessageSize: (device) => this.#links.link(device)?.pc.sctp?.maxMessageSize ?? null,
      // An offer to someone away goes to their mailbox ("Alice wants to send you…"), as a message does.
      want: waiting,
    }, { room: this.roomChat });
    this.calls = new CallService({
      send,
      link,
      want,
      name,
      record: (message) => this.chat.record(message),
      ringAway: (call) => this.away.ring(call),
      ringEnded: (call) => void this.away.callEnded(call),
      optIn: () => this.away.optInFromCall(),
      busy: () => this.groupCalls.current !== null,
    });
    this.groupCalls = new GroupCallService({
      self: options.identity.device,
      send,
      link,
      want,
      name,
      online: () => this.#people.callable(),
      busy: () => this.calls.current !== null,
      record: (entry) => this.roomChat.record({ ...entry, conversation: this.roomChat.conversation }),
      // Per tab: another tab of the same browser is another page, not in the call.
      remember: (call) => (call ? sessionStorage.setItem(`whisper-call:${options.room}`, call) : sessionStorage.removeItem(`whisper-call:${options.room}`)),
      remembered: () => sessionStorage.getItem(`whisper-call:${options.room}`),
    });
    this.away = new AwayNotifier({
      room: options.room,
      device: options.identity.device,
      name: options.name,
      onlyVerified: () => this.#trust.onlyVerified,
      contacts: options.contacts,
      settings: options.settings,
      server: this.#signaling,
      send,
      connected: () => this.#links.connected(),
    });
    this.mailbox = new MailboxService({
      db: options.db,
      room: options.room,
      device: options.identity.device,
      name: options.name,
      messages: options.messages,
      chat: this.chat,
      roomChat: this.roomChat,
      send,
      mayWrite: async (device) => {
        const contact = await options.contacts.get(device);
        return !!contact && !contact.pushWithdrawn && (!this.#trust.onlyVerified || isVerified(contact));
      },
      nameOf: name,
    });
    this.mailbox.addEventListener('wh-mailbox-notice', (event) => warn(event.detail));
    this.#registerServices();
    this.#relay = new RelayPolicy(options.relayOnly, warn);
    this.#trust = new RoomTrust({
      self: options.identity.device,
      contacts: options.contacts,
      people: this.#people,
      chat: this.chat,
      links: () => this.#links,
      onlyVerified: options.onlyVerified ?? false,
      warn,
      keyReplaced: (from, to) => {
        void this.mailbox.forget(from);
        this.emit('wh-key-replaced', { from, to });
      },
    });
    this.#links = new RoomLinks({
      room: options.room,
      identity: options.identity,
      contacts: options.contacts,
      people: this.#people,
      signaling: this.#signaling,
      router: this.router,
      relay: this.#relay,
      held: (device) => this.#trust.isHeld(device),
      newKey: (device, announced) => this.#trust.newKey(device, announced),
      wanted: (device) => this.#wanted(device),
      inCall: (device) => this.calls.involves(device) || this.groupCalls.involves(device),
      load: (device) => this.#load(device),
      warn,
    });
    this.#signaling.addEventListener('wh-welcome', (event) => {
      this.away.welcomed();
      // Then what waits for anyone away (written while this device was offline or closed) goes to their mailbox.
      void this.#links.welcome(event.detail.peers, event.detail.resumed, event.detail.iceServers).then(() => this.mailbox.waitingForAll(this.#people.all().filter((p) => !p.online && this.#people.canTakeMessages(p)).map((p) => p.device)));
      // The server keeps its relay from addresses that took too many credentials: whoever needs it is told why it fails.
      if (event.detail.relayRefused) {
        warn(`No relay (TURN) for now: the server gave this network all the relay credentials it allows for the hour. Direct connections still work; where only the relay gets through, connecting fails until later.`);
      }
    });
    this.#signaling.addEventListener('wh-refusal', () => this.emit('wh-signaling', this.#signaling.state));
    this.#signaling.addEventListener('wh-call-declined', (event) => this.calls.declinedAway(event.detail.call));
    this.away.addEventListener('wh-away-contact', (event) => {
      if (this.#people.has(event.detail.device)) this.#people.set(event.detail.device, { pushable: event.detail.pushable });
    });
    this.#signaling.addEventListener('wh-peer-joined', (event) => void this.#links.arrived(event.detail));
    this.#signaling.addEventListener('wh-peer-left', (event) => this.#links.departed(event.detail.id));
    this.#signaling.addEventListener('wh-signal', (event) => this.#links.signal(event.detail.from, event.detail.data));
    this.#signaling.addEventListener('wh-ice-servers', (event) => this.#links.setIceServers(event.detail.iceServers));
    this.#signaling.addEventListener('wh-state', (event) => this.emit('wh-signaling', event.detail));
  }

  /** The room's services, in the order they hear a connection open or close. */
  #registerServices(): void {
    const { router, chat, roomChat, transfers, calls, groupCalls, away, mailbox } = this;
    router.register<string>({
      name: 'chat',
      takesTheRest: true,
      receive: (device, text) => chat.receive(device, text),
      opened: (device) => chat.channelOpened(device),
      closed: (device) => chat.channelClosed(device),
      wants: (device) => chat.hasPending(device),
    });
    router.register({
      name: 'room chat',
      parse: parseRoomFrame,
      receive: (device, frame) => roomChat.receive(device, frame),
      opened: (device) => roomChat.channelOpened(device),
      closed: (device) => roomChat.channelClosed(device),
      wants: (device) => roomChat.hasPending(device),
    });
    router.register({
      name: 'transfers',
      receiveFile: (device, data, channel) => transfers.receive(device, data, channel),
      opened: (device) => transfers.channelOpened(device),
      closed: (device) => transfers.channelClosed(device),
      wants: (device) => transfers.hasPending(device),
    });
    router.register({
      name: 'calls',
      parse: parseCallFrame,
      receive: (device, frame) => calls.receive(device, frame),
      opened: (device) => calls.channelOpened(device),
      closed: (device) => calls.channelClosed(device),
      left: (device) => calls.peerLeft(device),
      remoteOffer: (device) => calls.remoteOffer(device),
      remoteTrack: (device) => calls.remoteTrack(device),
      wants: (device) => calls.involves(device),
    });
    router.register({
      name: 'group call',
      parse: parseGroupCallFrame,
      receive: (device, frame) => groupCalls.receive(device, frame),
      opened: (device) => groupCalls.channelOpened(device),
      closed: (device) => groupCalls.channelClosed(device),
      left: (device) => groupCalls.peerLeft(device),
      remoteOffer: (device) => groupCalls.remoteOffer(device),
      remoteTrack: (device) => groupCalls.remoteTrack(device),
      wants: (device) => groupCalls.involves(device),
    });
    router.register({ name: 'push', parse: parsePushSubFrame, receive: (device, frame) => away.received(device, frame), opened: (device) => away.connected(device) });
    router.register({
      name: 'mailbox',
      parse: (text) => mailbox.parse(text),
      receive: (device, frame) => mailbox.receive(device, frame),
      opened: (device) => mailbox.opened(device),
      // Gone with something still waiting for them (a channel that broke under a message).
      left: (device) =>
        void this.router.wanted(device).then((wants) => {
          if (wants) return this.#leaveFor(device);
        }),
    });
  }

  /** Something waits for the person, whose app is closed: into their mailbox, or else a plain push that something waits. */
  async #leaveFor(device: string): Promise<void> {
    if (!(await this.mailbox.waiting(device))) await this.away.messageWaiting(device);
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
    return this.#relay.relayOnly;
  }

  get onlyVerified(): boolean {
    return this.#trust.onlyVerified;
  }

  get people(): Person[] {
    return this.#people.sorted();
  }

  person(device: string): Person | undefined {
    return this.#people.get(device);
  }

  link(device: string): PeerLink | undefined {
    return this.#links.link(device);
  }

  /** The safety number with the person; null while no open connection proves their key. */
  safetyNumber(device: string): Promise<string | null> {
    return this.#trust.safetyNumber(device);
  }

  /** The safety numbers matched: the person is verified for this key ("Verify again" for a contact's new key). */
  markVerified(device: string): Promise<void> {
    return this.#trust.markVerified(device);
  }

  /** "Accept new key": the verified contact's new key becomes theirs, unverified, and their conversation moves to it. */
  acceptNewKey(device: string): Promise<void> {
    return this.#trust.acceptNewKey(device);
  }

  /** The new key of a verified contact who changed devices, when one waits for the person's decision. */
  keyChangeOf(oldDevice: string): string | null {
    return this.#trust.keyChangeOf(oldDevice);
  }

  /** "Only connect to verified contacts": links to others are held from now on, or released. */
  setOnlyVerified(on: boolean): void {
    this.#trust.setOnlyVerified(on);
  }

  /**
   * Whether the person may ring this device, and announce messages, while Whisper is closed (Web Push). Taken
   * back, this device's subscription is replaced; call from the switch's change handler.
   */
  async allowNotifications(device: string, allowed: boolean): Promise<void> {
    this.#people.set(device, { pushWithdrawn: !allowed });
    await this.away.withdraw(device, !allowed);
  }

  /** Sends everything through TURN from now on (closing the current connections). */
  setRelayOnly(on: boolean): void {
    if (on !== this.#relay.relayOnly) this.#links.setRelayOnly(on);
  }

  async start(): Promise<void> {
    for (const contact of await this.#options.contacts.inRoom(this.room)) {
      if (contact.reached) this.#links.reachedBefore(contact.device);
      this.#people.put({
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
    this.#trust.markLookalikes();
    await this.roomChat.load();
    this.emit('wh-people', undefined);
    addEventListener('online', this.#onNetworkBack);
    addEventListener('pageshow', this.#onBackInFront);
    document.addEventListener('visibilitychange', this.#onBackInFront);
    this.#signaling.start();
    if (this.canConnect) void this.mailbox.collect();
    void this.mailbox.readSettings();
  }

  /** "Hold my messages on the server while I'm away": off, every contact connected now is told at once. */
  holdMessages(on: boolean): Promise<void> {
    return this.mailbox.setHolding(on, this.#links.connected());
  }

  stop(): void {
    this.calls.stop();
    this.groupCalls.stop();
    this.transfers.stop();
    this.mailbox.stop();
    removeEventListener('online', this.#onNetworkBack);
    removeEventListener('pageshow', this.#onBackInFront);
    document.removeEventListener('visibilitychange', this.#onBackInFront);
    this.#links.stop();
    this.#signaling.stop();
  }

  /** The conversation on screen, and whether the page is visible (for read receipts and eager connecting). */
  async setActive(device: string | null, visible: boolean): Promise<void> {
    this.#active = device;
    const room = device === this.roomChat.conversation;
    // The room's conversation is open: everyone online is connected (their messages, receipts and typing).
    if (room) for (const person of this.#people.all()) if (person.online) this.connect(person.device);
    if (device && !room) this.connect(device);
    await Promise.all([this.chat.setActive(room ? null : device, visible), this.roomChat.setActive(room, visible)]);
  }

  /** Opens a connection to the person, if they are online and none is open or opening. */
  connect(device: string): void {
    this.#links.connect(device);
  }

  /** A connection to the person is needed: their chat is open, or something waits to go to them. */
  async #wanted(device: string): Promise<boolean> {
    if (device === this.#active || (this.#active === this.roomChat.conversation && this.#people.get(device)?.online)) return true;
    return this.router.wanted(device);
  }

  /** Transfers first: the history shows each file by its transfer, which must be known when the entry appears. */
  async #load(device: string): Promise<void> {
    await this.transfers.load(device);
    await this.chat.load(device);
  }
}
