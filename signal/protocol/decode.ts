/**
 * The boundary: text frame in, validated message (or a reason) out. Used by the
 * server for client frames and by the app for server frames.
 */
import * as v from 'valibot';
import { ClientMessageSchema, ServerMessageSchema, type ClientMessage, type ServerMessage } from './messages.js';

export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

type MessageVariant<T> = v.VariantSchema<'type', v.VariantOptions<'type'>, undefined> & v.GenericSchema<unknown, T>;

/**
 * Each message type's own schema, taken from the variant: a frame is checked
 * against the schema its `type` names, rather than tried against every type in
 * turn (which costs the most on `signal`, the message sent most often).
 */
function schemasByType<T>(variant: MessageVariant<T>): Map<unknown, v.GenericSchema<unknown, T>> {
  return new Map(variant.options.map((option) => [(option as v.ObjectSchema<{ type: v.LiteralSchema<string, undefined> }, undefined>).entries.type.literal, option as v.GenericSchema<unknown, T>]));
}

function decodeWith<T>(variant: MessageVariant<T>, byType: Map<unknown, v.GenericSchema<unknown, T>>, text: string): Decoded<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'a message must be a JSON object' };
  }
  const result = v.safeParse(byType.get((raw as { type?: unknown }).type) ?? variant, raw);
  if (result.success) return { ok: true, message: result.output };
  return { ok: false, reason: describeIssue(result.issues[0]) };
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  if (path === 'type' || (issue.kind === 'schema' && issue.type === 'variant' && !path)) {
    return 'unknown or missing message type';
  }
  return path ? `${path}: ${issue.message}` : issue.message;
}

const CLIENT_SCHEMAS = schemasByType<ClientMessage>(ClientMessageSchema);
const SERVER_SCHEMAS = schemasByType<ServerMessage>(ServerMessageSchema);

export function decodeClientMessage(text: string): Decoded<ClientMessage> {
  return decodeWith(ClientMessageSchema, CLIENT_SCHEMAS, text);
}

export function decodeServerMessage(text: string): Decoded<ServerMessage> {
  return decodeWith(ServerMessageSchema, SERVER_SCHEMAS, text);
}
