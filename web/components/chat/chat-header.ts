/**
 * A conversation's header. A person's: Back, their name, Verified, presence and the connection's badge, then
 * Ping, Connection stats, Verify and the two calls. The room's: how many are in it and online, and "Call the
 * room" or "Join call", with why not in words below it when the room is the size of a call.
 */
import { html } from 'lit';
import { listOf, peopleCount } from '../../format/amounts.js';
import type { Person, RoomSession } from '../../room/room-session.js';
import type { ConnectionSummary } from '../../stats/connection-stats.js';
import { backIcon, boltIcon, phoneIcon, shieldIcon, statsIcon, verifiedIcon, videoIcon } from '../shared/icons.js';

export interface HeaderContext {
  session: RoomSession;
  /** Where the header's events go (its element). */
  host: HTMLElement;
  summary: ConnectionSummary | null;
  pingResult: string;
  ping(): void;
  openStats(): void;
  openVerify(device: string): void;
}

export interface PersonHeaderState {
  device: string;
  person: Person | undefined;
  name: string;
  /** Offline, they can still be rung when their device gave a push subscription and the server sends pushes. */
  reachable: boolean;
  canCall: boolean;
}

/** Back to the people list (shown on a phone only). */
function backButton(host: HTMLElement) {
  return html`<button class="icon back" aria-label="Back" @click=${() => host.dispatchEvent(new CustomEvent('wh-back', { bubbles: true, composed: true }))}>
    ${backIcon}
  </button>`;
}

export function personHeader(ctx: HeaderContext, { device, person, name, reachable, canCall }: PersonHeaderState) {
  const { session } = ctx;
  const connected = person?.link === 'connected';
  const callTitle = (kind: string) => (person?.online ? kind : reachable ? `${kind} (rings their phone while Whisper is closed)` : `${name} is offline`);
  return html`<header>
    ${backButton(ctx.host)}
    <div class="title">
      <h1>${name}</h1>
      <span class="presence">
        ${person?.verified ? html`<span class="verified">${verifiedIcon} Verified</span>` : null}
        <span>${person?.online ? 'Online' : 'Offline'}</span>
        ${badge(person?.link, ctx.summary)}
      </span>
    </div>
    ${session.canConnect
      ? html`<button class="icon" aria-label="Ping" title="Measure the round-trip time over the direct connection" ?disabled=${!connected} @click=${ctx.ping}>
            ${boltIcon}
          </button>
          <output aria-label="Round-trip time" aria-live="polite">${ctx.pingResult}</output>
          <button class="icon" aria-label="Connection stats" ?disabled=${!connected} @click=${ctx.openStats}>${statsIcon}</button>
          <button class="icon" aria-label="Verify" title=${person?.verified ? `${name} is verified: show the safety number` : `Check that no one is in the middle of your connection to ${name}`} ?disabled=${!connected && person?.link !== 'held'} @click=${() => ctx.openVerify(device)}>
            ${person?.verified ? verifiedIcon : shieldIcon}
          </button>
          <button class="icon" aria-label="Audio call" title=${callTitle('Audio call')} ?disabled=${!canCall} @click=${() => void session.calls.start(device, false)}>
            ${phoneIcon}
          </button>
          <button class="icon" aria-label="Video call" title=${callTitle('Video call')} ?disabled=${!canCall} @click=${() => void session.calls.start(device, true)}>
            ${videoIcon}
          </button>`
      : null}
  </header>`;
}

export function roomHeader(ctx: HeaderContext) {
  const { session } = ctx;
  const others = session.people;
  const online = others.filter((p) => p.online).length;
  return html`<header>
      ${backButton(ctx.host)}
      <div class="title">
        <h1>Room</h1>
        <span class="presence">${others.length === 0 ? 'No one else yet' : `${peopleCount(others.length + 1)}, ${online + 1} online`}</span>
      </div>
      ${session.canConnect ? roomCallButton(session) : null}
    </header>
    ${roomCallLimit(session)}`;
}

/** "Call the room", or "Join call" while one is under way without this device; disabled with the reason as its title. */
function roomCallButton(session: RoomSession) {
  const calls = session.groupCalls;
  if (calls.current?.phase === 'joined') return null;
  const refusal = calls.refusal();
  const underWay = calls.underWay;
  if (underWay) {
    const inCall = listOf(underWay.devices.map((device) => session.person(device)?.name || 'Someone'));
    return html`<button class="join-call" title=${refusal ?? `${inCall} ${underWay.devices.length === 1 ? 'is' : 'are'} in the call`} ?disabled=${!!refusal} aria-describedby="call-limit" @click=${() => void calls.join()}>
      ${videoIcon} Join call
    </button>`;
  }
  return html`<button class="icon" aria-label="Call the room" title=${refusal ?? 'Call everyone online in the room'} ?disabled=${!!refusal} aria-describedby="call-limit" @click=${() => void calls.start()}>
    ${videoIcon}
  </button>`;
}

/** Why the room cannot have a call now, in words, when it is the size of the call (a disabled button says nothing on a phone). */
function roomCallLimit(session: RoomSession) {
  const refusal = session.canConnect ? session.groupCalls.limit() : null;
  return refusal ? html`<p class="call-limit" id="call-limit">${refusal}</p>` : null;
}

/** The connection's state, and once connected whether it goes device to device or through a relay. */
function badge(link: string | undefined, summary: ConnectionSummary | null) {
  if (link === 'mismatch') return html`<span class="badge warning">Key changed</span>`;
  if (link === 'held') return html`<span class="badge warning">Held back</span>`;
  if (link === 'unsupported') return html`<span class="badge warning">No WebRTC there</span>`;
  if (link === 'connecting') return html`<span class="badge">Connecting…</span>`;
  if (link !== 'connected' || !summary?.path) return null;
  return summary.path === 'relay'
    ? html`<span class="badge" title="Through a TURN relay">Relay (TURN)</span>`
    : html`<span class="badge" title="Device to device">Direct (P2P)</span>`;
}
