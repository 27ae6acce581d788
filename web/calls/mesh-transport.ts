/**
 * The room's call as a mesh: this device's media goes to each participant directly, on the connection the
 * room already has with them, so it sends one copy per peer and no server sees or mixes it. Each pair's
 * media goes in the audio and video transceivers one-to-one calls use, added by the member with the smaller
 * device key when the connection has none yet, and reused otherwise (`replaceTrack`, no renegotiation).
 */
import type { PeerLink } from '../peers/peer-link.js';
import type { GroupCallTransport, GroupCallTransportHost } from './group-call-transport.js';
import { attachTracks, detachTracks, mediaTransceiver, receivedTracks, replaceTrack, type OwnMedia } from './own-media.js';
import type { VideoBudget } from './video-budget.js';

/** What the mesh uses of the room: its connections with the members. */
export interface MeshLinks {
  /** This device's key. */
  readonly self: string;
  /** The member's open, verified connection, if any. */
  link(device: string): PeerLink | null;
  /** Asks for a connection to the member. */
  want(device: string): void;
}

export class MeshTransport implements GroupCallTransport {
  readonly #links: MeshLinks;
  readonly #media: OwnMedia;
  readonly #host: GroupCallTransportHost;
  /** The participants media goes to, with the audio energy received from each so far. */
  readonly #peers = new Map<string, AudioEnergy | null>();

  constructor(links: MeshLinks, media: OwnMedia, host: GroupCallTransportHost) {
    this.#links = links;
    this.#media = media;
    this.#host = host;
  }

  connect(device: string): void {
    if (!this.#peers.has(device)) this.#peers.set(device, null);
    const link = this.#links.link(device);
    if (!link) return this.#links.want(device);
    // Of each pair, the member with the smaller key adds the transceivers: never both at once.
    this.#attach(link, device, this.#links.self < device);
  }

  /** Nothing more goes to the member, and the connection's video is back to no budget (a one-to-one call has none). */
  disconnect(device: string): void {
    this.#peers.delete(device);
    const link = this.#links.link(device);
    if (!link) return;
    detachTracks(link.pc);
    void setVideoBudget(link.pc, null);
  }

  async sendTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    await Promise.all([...this.#peers.keys()].map((device) => replaceTrack(this.#links.link(device)?.pc, kind, track)));
  }

  async audioLevel(device: string): Promise<number | null> {
    const link = this.#links.link(device);
    if (!link) return null;
    const heard = await audioHeard(link.pc, this.#peers.get(device) ?? null);
    if (this.#peers.has(device)) this.#peers.set(device, heard.energy);
    return heard.level;
  }

  async setBudget(budget: VideoBudget): Promise<void> {
    for (const device of this.#peers.keys()) {
      const link = this.#links.link(device);
      if (link) await setVideoBudget(link.pc, budget);
    }
  }

  /** Our tracks go into the transceivers the member offered, before the answer. */
  remoteOffer(device: string): void {
    const link = this.#links.link(device);
    if (link) this.#attach(link, device, false);
  }

  remoteTrack(device: string): void {
    const link = this.#links.link(device);
    if (link) this.#host.received(device, receivedTracks(link.pc, ['audio', 'video']));
  }

  close(): void {
    this.#peers.clear();
  }

  #attach(link: PeerLink, device: string, create: boolean): void {
    attachTracks(link.pc, this.#media, create);
    this.#host.received(device, receivedTracks(link.pc, ['audio', 'video']));
  }
}

/** The audio energy a receiver has decoded so far, and over how long (`getStats`, inbound-rtp). */
interface AudioEnergy {
  energy: number;
  duration: number;
}

/**
 * How loud (0–1, linear) what the connection received since the last poll was: the root mean square of
 * the audio energy decoded in between, so a word between two polls counts as much as one at a poll. Where
 * the totals are missing, the level of the last packet heard (synchronization sources) stands in.
 */
async function audioHeard(pc: RTCPeerConnection, before: AudioEnergy | null): Promise<{ level: number; energy: AudioEnergy | null }> {
  const receiver = mediaTransceiver(pc, 'audio')?.receiver;
  if (!receiver) return { level: 0, energy: null };
  let now: AudioEnergy | null = null;
  for (const stats of (await receiver.getStats().catch(() => new Map())).values()) {
    const { type, totalAudioEnergy, totalSamplesDuration } = stats as { type: string; totalAudioEnergy?: number; totalSamplesDuration?: number };
    if (type === 'inbound-rtp' && totalAudioEnergy !== undefined && totalSamplesDuration !== undefined) now = { energy: totalAudioEnergy, duration: totalSamplesDuration };
  }
  if (!now) {
    const recent = receiver.getSynchronizationSources?.().filter((source) => performance.timeOrigin + performance.now() - source.timestamp < 1000) ?? [];
    return { level: Math.max(0, ...recent.map((source) => source.audioLevel ?? 0)), energy: null };
  }
  const duration = before ? now.duration - before.duration : 0;
  const level = duration > 0 ? Math.sqrt(Math.max(0, now.energy - before!.energy) / duration) : 0;
  return { level, energy: now };
}

/**
 * Sets the connection's video sender to a budget (a shared screen keeps its resolution), or back to none;
 * only when it differs, so that it can be checked at every poll.
 */
async function setVideoBudget(pc: RTCPeerConnection, budget: VideoBudget | null): Promise<void> {
  const sender = mediaTransceiver(pc, 'video')?.sender;
  const parameters = sender?.getParameters();
  const encoding = parameters?.encodings?.[0];
  if (!sender || !parameters || !encoding) return;
  if (encoding.maxBitrate === budget?.maxBitrate && (encoding.scaleResolutionDownBy ?? 1) === (budget?.scaleResolutionDownBy ?? 1)) return;
  if (budget) encoding.maxBitrate = budget.maxBitrate;
  else delete encoding.maxBitrate;
  encoding.scaleResolutionDownBy = budget?.scaleResolutionDownBy ?? 1;
  await sender.setParameters(parameters).catch((error: unknown) => console.warn('whisper: could not set the video budget', error));
}
