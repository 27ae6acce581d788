/**
 * `decline-call`: "Decline" on a call notification of an app that is closed.
 * Its service worker opens a socket, sends this and closes: the caller hears
 * `call-declined` at once instead of ringing until the timeout. No join is
 * needed (the callee stays out of the room); the room id, the caller's peer id
 * and the call id, which only the push carried, are what it must know.
 */
import { encodeServerMessage } from '../protocol/encode.js';
import type { DeclineCallMessage } from '../protocol/messages.js';
import type { ClientConnection } from './client-connection.js';
import { reply, type HandlerContext } from './context.js';

export function handleDeclineCall(context: HandlerContext, connection: ClientConnection, message: DeclineCallMessage): void {
  const delivered = context.registry.deliverToMember(message.room, message.to, encodeServerMessage({ type: 'call-declined', call: message.call }));
  context.log.debug({ delivered }, 'call declined from a notification');
  reply(connection, { type: 'decline-result', call: message.call, delivered });
}
