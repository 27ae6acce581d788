/** A room as one process sees it: its own clients' sessions, and the members other processes serve. */
import type { PeerId, RoomId } from '../protocol/messages.js';
import type { PeerSession } from './peer-session.js';
import type { MemberRecord } from './room-bus.js';

export class RoomView {
  readonly roomId: RoomId;
  readonly local = new Map<PeerId, PeerSession>();
  /** Made on first use: a process alone never has any, and an empty Map on every room would cost memory. */
  remote: Map<PeerId, MemberRecord> | null = null;

  constructor(roomId: RoomId) {
    this.roomId = roomId;
  }

  /** Whether the room has more than one member (connected or away, here or on another process). */
  get shared(): boolean {
    return this.local.size > 1 || (this.remote?.size ?? 0) > 0;
  }

  /** Records `member` as served by another process. */
  addRemote(member: MemberRecord): void {
    (this.remote ??= new Map()).set(member.info.id, member);
  }

  /** Takes in the members the directory reported that process `node` (this one) does not serve. */
  learn(members: MemberRecord[], node: string): void {
    for (const member of members) {
      if (member.node !== node && !this.local.has(member.info.id)) this.addRemote(member);
    }
  }

  /** Sends `text` to this process's members of the room that are connected. */
  tell(text: string): void {
    for (const member of this.local.values()) member.link?.send(text);
  }
}
