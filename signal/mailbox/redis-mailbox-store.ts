/**
 * Mailboxes in Redis, shared by every signal process of a scaled service (the same Redis as the rooms,
 * REDIS_URL), so that a deposit made through one process is fetched through any other. Every operation
 * is one Lua script, run atomically on Redis's clock: a credential check, the quotas and the change
 * happen in one step, so two deposits at once cannot both take a mailbox's last place.
 *
 * Keys (prefix `whisper:`), per mailbox: `mailbox:<id>` (read: the read secret's hash, touched: the
 * owner's last PUT, record: what its record counts against MAILBOX_MAX_BYTES, bytes: of its entries,
 * seq: entries deposited so far), `mailbox-writers:<id>` (selector -> a writer's hash),
 * `mailbox-order:<id>` (entry ids by deposit order), `mailbox-entries:<id>` (entry id -> "<at>:<expires>:"
 * and the ciphertext's bytes). Shared: `mailbox-due` ("<id>/<entry>" by expiry, for the sweep),
 * `mailbox-idle` (each mailbox by when it may go if empty) and `mailbox-totals` (bytes, entries).
 * The scripts name the keys themselves (the sweep finds them from `mailbox-due`), so the mailboxes live
 * on one Redis, as the rooms do, not across a Redis Cluster.
 *
 * Credentials are compared as hashes, in constant time, inside the scripts (`same`); a writer is looked
 * up by its selector first (mailbox-store.ts, `writerSelector`).
 */
import { Redis } from 'ioredis';
import { RedisScript } from '../rooms/redis-scripts.js';
import {
  mailboxRecordBytes,
  newEntryId,
  writerSelector,
  type DepositOutcome,
  type MailboxQuotas,
  type MailboxStore,
  type MailboxTotals,
  type OwnerOutcome,
  type PutOutcome,
  type SecretHash,
  type StoredEntry,
  type WriterCheck,
} from './mailbox-store.js';

const PREFIX = 'whisper:';
/** Entries and mailboxes one sweep removes at most; it goes on at once while there are more. */
const SWEEP_BATCH = 500;

/** ARGV[1] is always the prefix. */
const COMMON = `
local P = ARGV[1]
local TOTALS = P .. 'mailbox-totals'
local DUE = P .. 'mailbox-due'
local IDLE = P .. 'mailbox-idle'
local function k(kind, id) return P .. kind .. ':' .. id end
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Whether two hashes are equal, in a time that depends on their length only.
local function same(a, b)
  if not a or #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do diff = bit.bor(diff, bit.bxor(string.byte(a, i), string.byte(b, i))) end
  return diff == 0
end
-- A stored entry is "<at>:<expires>:<bytes>": where its bytes start, and when it expires.
local function parse(value)
  local first = string.find(value, ':', 1, true)
  local second = string.find(value, ':', first + 1, true)
  return second, tonumber(string.sub(value, first + 1, second - 1))
end
local function removeEntry(id, entry)
  local value = redis.call('HGET', k('mailbox-entries', id), entry)
  redis.call('ZREM', DUE, id .. '/' .. entry)
  if not value then return 0 end
  local size = #value - parse(value)
  redis.call('HDEL', k('mailbox-entries', id), entry)
  redis.call('ZREM', k('mailbox-order', id), entry)
  redis.call('HINCRBY', k('mailbox', id), 'bytes', -size)
  redis.call('HINCRBY', TOTALS, 'bytes', -size)
  redis.call('HINCRBY', TOTALS, 'entries', -1)
  return 1
end
-- Removes the mailbox's expired entries (the oldest come first, and expire first).
local function expireHead(id, t)
  while true do
    local head = redis.call('ZRANGE', k('mailbox-order', id), 0, 0)
    if #head == 0 then return end
    local value = redis.call('HGET', k('mailbox-entries', id), head[1])
    if value then
      local _, expires = parse(value)
      if expires > t then return end
      removeEntry(id, head[1])
    else
      redis.call('ZREM', k('mailbox-order', id), head[1])
    end
  end
end
local function dropMailbox(id)
  local entries = redis.call('ZRANGE', k('mailbox-order', id), 0, -1)
  for i = 1, #entries do removeEntry(id, entries[i]) end
  redis.call('HINCRBY', TOTALS, 'bytes', -tonumber(redis.call('HGET', k('mailbox', id), 'record') or '0'))
  redis.call('DEL', k('mailbox', id), k('mailbox-writers', id), k('mailbox-order', id), k('mailbox-entries', id))
  redis.call('ZREM', IDLE, id)
end
-- Nil for the owner; else why not.
local function refuseOwner(id, read)
  local stored = redis.call('HGET', k('mailbox', id), 'read')
  if not stored then return 'unknown-mailbox' end
  if not same(stored, read) then return 'forbidden' end
  return nil
end
`;

/** ARGV: prefix, id, read hash, record bytes, max bytes, idle ms, then selector and hash of each writer. */
const PUT = new RedisScript(`${COMMON}
local id, read = ARGV[2], ARGV[3]
local meta = k('mailbox', id)
local stored = redis.call('HGET', meta, 'read')
if stored and not same(stored, read) then return 'forbidden' end
local before = tonumber(redis.call('HGET', meta, 'record') or '0')
local after = tonumber(ARGV[4])
if after > before and tonumber(redis.call('HGET', TOTALS, 'bytes') or '0') + after - before > tonumber(ARGV[5]) then return 'server-full' end
local t = now()
redis.call('DEL', k('mailbox-writers', id))
for i = 7, #ARGV, 2 do redis.call('HSET', k('mailbox-writers', id), ARGV[i], ARGV[i + 1]) end
redis.call('HSET', meta, 'read', read, 'touched', t, 'record', after)
redis.call('HINCRBY', TOTALS, 'bytes', after - before)
redis.call('ZADD', IDLE, t + tonumber(ARGV[6]), id)
if stored then return 'updated' end
return 'created'
`);

/** ARGV: prefix, id, selector, writer hash, entry id, bytes, ttl ms, entries per mailbox, bytes per mailbox, max bytes. */
const DEPOSIT = new RedisScript(`${COMMON}
local id = ARGV[2]
local meta = k('mailbox', id)
if redis.call('EXISTS', meta) == 0 then return {'unknown-mailbox'} end
if not same(redis.call('HGET', k('mailbox-writers', id), ARGV[3]), ARGV[4]) then return {'forbidden'} end
local t = now()
expireHead(id, t)
local size = #ARGV[6]
if redis.call('ZCARD', k('mailbox-order', id)) >= tonumber(ARGV[8]) or tonumber(redis.call('HGET', meta, 'bytes') or '0') + size > tonumber(ARGV[9]) then
  return {'mailbox-full'}
end
if tonumber(redis.call('HGET', TOTALS, 'bytes') or '0') + size > tonumber(ARGV[10]) then return {'server-full'} end
local expires = t + tonumber(ARGV[7])
redis.call('ZADD', k('mailbox-order', id), redis.call('HINCRBY', meta, 'seq', 1), ARGV[5])
redis.call('HSET', k('mailbox-entries', id), ARGV[5], string.format('%d:%d:', t, expires) .. ARGV[6])
redis.call('ZADD', DUE, expires, id .. '/' .. ARGV[5])
redis.call('HINCRBY', meta, 'bytes', size)
redis.call('HINCRBY', TOTALS, 'bytes', size)
redis.call('HINCRBY', TOTALS, 'entries', 1)
return {'ok', string.format('%d', t), string.format('%d', expires)}
`);

/** ARGV: prefix, id, selector, writer hash. */
const IS_WRITER = new RedisScript(`${COMMON}
local id = ARGV[2]
if redis.call('EXISTS', k('mailbox', id)) == 0 then return 'unknown-mailbox' end
if not same(redis.call('HGET', k('mailbox-writers', id), ARGV[3]), ARGV[4]) then return 'forbidden' end
return 'ok'
`);

/** ARGV: prefix, id, read hash. Returns {'ok', entry, value, entry, value, ...} oldest first, or {reason}. */
const ENTRIES = new RedisScript(`${COMMON}
local id = ARGV[2]
local refused = refuseOwner(id, ARGV[3])
if refused then return {refused} end
expireHead(id, now())
local out = {'ok'}
local ids = redis.call('ZRANGE', k('mailbox-order', id), 0, -1)
for i = 1, #ids do
  local value = redis.call('HGET', k('mailbox-entries', id), ids[i])
  if value then
    out[#out + 1] = ids[i]
    out[#out + 1] = value
  end
end
return out
`);

/** ARGV: prefix, id, read hash, entry id. */
const DELETE_ENTRY = new RedisScript(`${COMMON}
local refused = refuseOwner(ARGV[2], ARGV[3])
if refused then return refused end
removeEntry(ARGV[2], ARGV[4])
return 'ok'
`);

/** ARGV: prefix, id, read hash. */
const DELETE_MAILBOX = new RedisScript(`${COMMON}
local refused = refuseOwner(ARGV[2], ARGV[3])
if refused then return refused end
dropMailbox(ARGV[2])
return 'ok'
`);

/** ARGV: prefix, batch, ttl ms. Returns {entries removed, mailboxes removed, entries looked at, mailboxes looked at}. */
const SWEEP = new RedisScript(`${COMMON}
local t = now()
local batch = tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', DUE, '-inf', t, 'LIMIT', 0, batch)
local entries = 0
for i = 1, #due do
  local slash = string.find(due[i], '/', 1, true)
  entries = entries + removeEntry(string.sub(due[i], 1, slash - 1), string.sub(due[i], slash + 1))
end
local idle = redis.call('ZRANGEBYSCORE', IDLE, '-inf', t, 'LIMIT', 0, batch)
local mailboxes = 0
for i = 1, #idle do
  if redis.call('ZCARD', k('mailbox-order', idle[i])) == 0 then
    dropMailbox(idle[i])
    mailboxes = mailboxes + 1
  else
    -- Still holding entries: looked at again once they have expired.
    redis.call('ZADD', IDLE, t + tonumber(ARGV[3]), idle[i])
  end
end
return {entries, mailboxes, #due, #idle}
`);

export interface RedisMailboxStoreOptions {
  url: string;
  quotas: MailboxQuotas;
}

export class RedisMailboxStore implements MailboxStore {
  readonly #redis: Redis;
  readonly #quotas: MailboxQuotas;

  constructor(options: RedisMailboxStoreOptions) {
    this.#quotas = options.quotas;
    // A request waits through one reconnection at most, then fails (the route answers 503): never a queue without end.
    this.#redis = new Redis(options.url, { maxRetriesPerRequest: 1 });
    this.#redis.on('error', () => undefined);
  }

  async put(id: string, read: SecretHash, writers: readonly SecretHash[]): Promise<PutOutcome> {
    const unique = new Map(writers.map((hash) => [writerSelector(hash), hash]));
    const { maxBytes, idleMs } = this.#quotas;
    return (await PUT.run(this.#redis, [], [PREFIX, id, read, mailboxRecordBytes(unique.size), maxBytes, idleMs, ...[...unique].flat()])) as PutOutcome;
  }

  async deposit(id: string, writer: SecretHash, data: Uint8Array): Promise<DepositOutcome> {
    const { ttlMs, entriesPerMailbox, bytesPerMailbox, maxBytes } = this.#quotas;
    const entry = newEntryId();
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const answer = (await DEPOSIT.run(this.#redis, [], [PREFIX, id, writerSelector(writer), writer, entry, bytes, ttlMs, entriesPerMailbox, bytesPerMailbox, maxBytes])) as string[];
    if (answer[0] !== 'ok') return { ok: false, reason: answer[0] as Exclude<DepositOutcome, { ok: true }>['reason'] };
    return { ok: true, entry, at: Number(answer[1]), expires: Number(answer[2]) };
  }

  async isWriter(id: string, writer: SecretHash): Promise<WriterCheck> {
    return (await IS_WRITER.run(this.#redis, [], [PREFIX, id, writerSelector(writer), writer])) as WriterCheck;
  }

  async entries(id: string, read: SecretHash): Promise<OwnerOutcome<StoredEntry[]>> {
    const answer = (await ENTRIES.runForBytes(this.#redis, [], [PREFIX, id, read])) as Buffer[];
    const status = answer[0]!.toString();
    if (status !== 'ok') return { ok: false, reason: status as 'unknown-mailbox' | 'forbidden' };
    const entries: StoredEntry[] = [];
    for (let i = 1; i < answer.length; i += 2) entries.push(parseEntry(answer[i]!.toString(), answer[i + 1]!));
    return { ok: true, value: entries };
  }

  async deleteEntry(id: string, read: SecretHash, entry: string): Promise<OwnerOutcome<void>> {
    return ownerOutcome(await DELETE_ENTRY.run(this.#redis, [], [PREFIX, id, read, entry]));
  }

  async deleteMailbox(id: string, read: SecretHash): Promise<OwnerOutcome<void>> {
    return ownerOutcome(await DELETE_MAILBOX.run(this.#redis, [], [PREFIX, id, read]));
  }

  async sweep(): Promise<{ entries: number; mailboxes: number }> {
    const removed = { entries: 0, mailboxes: 0 };
    for (;;) {
      const [entries, mailboxes, dueSeen, idleSeen] = (await SWEEP.run(this.#redis, [], [PREFIX, SWEEP_BATCH, this.#quotas.ttlMs])) as number[];
      removed.entries += entries!;
      removed.mailboxes += mailboxes!;
      if (dueSeen! < SWEEP_BATCH && idleSeen! < SWEEP_BATCH) return removed;
    }
  }

  async totals(): Promise<MailboxTotals> {
    const [[, totals], [, mailboxes]] = (await this.#redis.multi().hmget(`${PREFIX}mailbox-totals`, 'bytes', 'entries').zcard(`${PREFIX}mailbox-idle`).exec())! as [
      [unknown, Array<string | null>],
      [unknown, number],
    ];
    return { mailboxes, bytes: Number(totals[0] ?? 0), entries: Number(totals[1] ?? 0) };
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}

function ownerOutcome(answer: unknown): OwnerOutcome<void> {
  return answer === 'ok' ? { ok: true, value: undefined } : { ok: false, reason: answer as 'unknown-mailbox' | 'forbidden' };
}

/**
 * "<at>:<expires>:<bytes>" as the scripts store it. The data is a view of the reply, not a copy: ioredis
 * answers with slices of what it read from the socket, memory nothing writes to again.
 */
function parseEntry(entry: string, value: Buffer): StoredEntry {
  const first = value.indexOf(0x3a);
  const second = value.indexOf(0x3a, first + 1);
  return {
    entry,
    at: Number(value.subarray(0, first).toString()),
    expires: Number(value.subarray(first + 1, second).toString()),
    data: new Uint8Array(value.buffer, value.byteOffset + second + 1, value.length - second - 1),
  };
}
