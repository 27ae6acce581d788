/**
 * The boundary: text frame in, validated message (or a reason) out. Used by the
 * server for client frames and by the app for server frames.
 */
import * as v from 'valibot';
import { ClientMessageSchema, ServerMessageSchema, type ClientMessage, type ServerMessage } from './messages.js';

export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

function decodeWith<T>(schema: v.GenericSchema<unknown, T>, text: string): Decoded<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'a message must be a JSON object' };
  }
  const result = v.safeParse(schema, raw);
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

export function decodeClientMessage(text: string): Decoded<ClientMessage> {
  return decodeWith(ClientMessageSchema, text);
}

export function decodeServerMessage(text: string): Decoded<ServerMessage> {
  return decodeWith(ServerMessageSchema, text);
}
