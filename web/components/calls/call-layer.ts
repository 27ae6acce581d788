/**
 * What of a call shows above the page: the incoming call (one to one or the room's), or the call screen, full
 * or in a bar. Its elements load with the first call (`loadCallScreens`), not with the app.
 */
import { html } from 'lit';
import type { RoomSession } from '../../room/room-session.js';

export interface CallLayerOptions {
  selfName: string;
  /** The call goes on in a bar at the top while the person looks at the chat. */
  minimized: boolean;
  /** "Chat" in a call: the conversation with that person (or the room's), the call in a bar above it. */
  showChat(conversation: string): void;
  /** Back from the bar to the full call screen. */
  restore(): void;
}

export function callLayer(session: RoomSession, options: CallLayerOptions) {
  const group = session.groupCalls.current;
  if (group?.phase === 'incoming') {
    return html`<wh-incoming-call
      .name=${session.person(group.ringer ?? '')?.name ?? ''}
      .video=${true}
      room
      @wh-accept=${() => void session.groupCalls.join()}
      @wh-decline=${() => session.groupCalls.decline()}
    ></wh-incoming-call>`;
  }
  if (group) {
    return html`<wh-group-call-view
      .call=${group}
      .service=${session.groupCalls}
      .names=${(device: string) => session.person(device)?.name ?? ''}
      .links=${(device: string) => session.link(device) ?? null}
      .selfName=${options.selfName}
      .minimized=${options.minimized}
      @wh-minimize=${() => options.showChat(session.roomChat.conversation)}
      @wh-restore=${options.restore}
    ></wh-group-call-view>`;
  }
  const call = session.calls.current;
  if (!call) return null;
  const name = session.person(call.device)?.name ?? '';
  if (call.phase === 'incoming') {
    return html`<wh-incoming-call
      .name=${name}
      .video=${call.video}
      @wh-accept=${() => void session.calls.accept()}
      @wh-decline=${() => void session.calls.decline()}
    ></wh-incoming-call>`;
  }
  return html`<wh-call-view
    .call=${call}
    .service=${session.calls}
    .link=${session.link(call.device) ?? null}
    .name=${name}
    .minimized=${options.minimized}
    @wh-minimize=${() => options.showChat(call.device)}
    @wh-restore=${options.restore}
  ></wh-call-view>`;
}

let callScreens: Promise<unknown> | null = null;

/** The call screens load with the first call, not with the app (once). */
export function loadCallScreens(): void {
  callScreens ??= Promise.all([import('./wh-incoming-call.js'), import('./wh-call-view.js'), import('./wh-group-call-view.js')]);
}
