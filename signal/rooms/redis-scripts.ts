/**
 * The room directory's changes, as Lua scripts that Redis runs atomically: each
 * changes the directory and, in the same step, publishes what happened to the
 * processes concerned, so that every process hears the changes in the order
 * they were made. Published messages start with one letter:
 *   a  the answer to this process's own join (JSON: ticket, kind, ...)
 *   j  a member joined; l  a member left; m  a member's session moved to another process
 *   z  everyone in a room (asked for by this process after it may have missed changes)
 *
 * Keys (prefix `whisper:`): `room:<key>` id -> member info (JSON), `room-node:<key>` id -> process,
 * `room-token:<key>` id -> token hash, `token:<hash>` -> "<room key> <id>", `node-rooms:<process>` the
 * rooms a process has members in, `nodes` (sorted set) each process's last heartbeat in ms.
 * Room keys, peer ids and process names are base64url, so they go into JSON as they are.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A script run with EVALSHA, loaded again by EVAL when Redis has forgotten it (a restart). */
export class RedisScript {
  readonly #sha: string;

  constructor(readonly lua: string) {
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: Array<string | number | Buffer>): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /** The same, with the answer's strings as Buffers: for bytes that are not text (the mailbox's entries). */
  async runForBytes(redis: Redis, keys: string[], args: Array<string | number | Buffer>): Promise<unknown> {
    try {
      return await redis.callBuffer('EVALSHA', this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.callBuffer('EVAL', this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** Helpers shared by the scripts. */
const COMMON = `
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function publish(prefix, node, message)
  redis.call('PUBLISH', prefix .. 'node:' .. node, message)
end
-- The members of a room but one, as '[{"info":...,"node":"..."},...]', and the other processes they are on.
local function membersExcept(infoKey, nodeKey, me, except)
  local pairs_ = redis.call('HGETALL', nodeKey)
  local list, others, seen = {}, {}, {}
  for i = 1, #pairs_, 2 do
    local id, node = pairs_[i], pairs_[i + 1]
    if id ~= except then
      list[#list + 1] = '{"info":' .. redis.call('HGET', infoKey, id) .. ',"node":"' .. node .. '"}'
      if node ~= me and not seen[node] then
        seen[node] = true
        others[#others + 1] = node
      end
    end
  end
  return '[' .. table.concat(list, ',') .. ']', others, seen
end
local function forget(prefix, infoKey, nodeKey, tokenKey, id)
  local token = redis.call('HGET', tokenKey, id)
  if token then redis.call('DEL', prefix .. 'token:' .. token) end
  redis.call('HDEL', infoKey, id)
  redis.call('HDEL', nodeKey, id)
  redis.call('HDEL', tokenKey, id)
end
`;

/**
 * Join or resume. KEYS: room info, room nodes, room tokens, presented token, new token, my rooms, nodes.
 * ARGV: me, ticket, room key, new id, info JSON, room size limit, new token hash, prefix, dead-after ms, has token (1/0).
 */
export const JOIN = new RedisScript(`${COMMON}
local me, ticket, rk, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[8]
local function answer(body)
  publish(prefix, me, 'a{"ticket":' .. ticket .. ',' .. body .. '}')
end
if ARGV[10] == '1' then
  local at = redis.call('GET', KEYS[4])
  if at then
    local space = string.find(at, ' ', 1, true)
    local id = string.sub(at, space + 1)
    local previous = redis.call('HGET', KEYS[2], id)
    if string.sub(at, 1, space - 1) == rk and previous then
      redis.call('HSET', KEYS[2], id, me)
      redis.call('HSET', KEYS[3], id, ARGV[7])
      redis.call('DEL', KEYS[4])
      redis.call('SET', KEYS[5], at)
      redis.call('SADD', KEYS[6], rk)
      local beat = redis.call('ZSCORE', KEYS[7], previous)
      local alive = previous == me or (beat and tonumber(beat) >= now() - tonumber(ARGV[9]))
      local peers, others, seen = membersExcept(KEYS[1], KEYS[2], me, id)
      if previous ~= me and not seen[previous] then
        others[#others + 1] = previous
        redis.call('SREM', prefix .. 'node-rooms:' .. previous, rk)
      end
      for _, node in ipairs(others) do
        publish(prefix, node, 'm{"room":"' .. rk .. '","id":"' .. id .. '","node":"' .. me .. '"}')
      end
      answer('"kind":"resumed","room":"' .. rk .. '","info":' .. redis.call('HGET', KEYS[1], id) ..
        ',"previous":"' .. previous .. '","alive":' .. (alive and 'true' or 'false') .. ',"peers":' .. peers)
      return 1
    end
  end
end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[6]) then
  answer('"kind":"full"')
  return 0
end
local id = ARGV[4]
local peers, others = membersExcept(KEYS[1], KEYS[2], me, id)
redis.call('HSET', KEYS[1], id, ARGV[5])
redis.call('HSET', KEYS[2], id, me)
redis.call('HSET', KEYS[3], id, ARGV[7])
redis.call('SET', KEYS[5], rk .. ' ' .. id)
redis.call('SADD', KEYS[6], rk)
for _, node in ipairs(others) do
  publish(prefix, node, 'j{"room":"' .. rk .. '","node":"' .. me .. '","info":' .. ARGV[5] .. '}')
end
answer('"kind":"joined","room":"' .. rk .. '","id":"' .. id .. '","peers":' .. peers)
return 1
`);

/**
 * A member of this process left. Nothing happens when its session has moved to another process.
 * KEYS: room info, room nodes, room tokens, my rooms. ARGV: me, room key, id, prefix.
 */
export const LEAVE = new RedisScript(`${COMMON}
local me, rk, id, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('HGET', KEYS[2], id) ~= me then return 0 end
forget(prefix, KEYS[1], KEYS[2], KEYS[3], id)
local seen, mine = {}, false
for _, node in ipairs(redis.call('HVALS', KEYS[2])) do
  if node == me then
    mine = true
  elseif not seen[node] then
    seen[node] = true
    publish(prefix, node, 'l{"room":"' .. rk .. '","id":"' .. id .. '"}')
  end
end
if not mine then redis.call('SREM', KEYS[4], rk) end
return 1
`);

/**
 * Records this process's heartbeat (Redis's clock, so hosts need not agree on the time).
 * Returns 1 when the process was not recorded: Redis lost its data, or the process was given up for dead.
 * KEYS: nodes. ARGV: me, offset ms (negative on shutdown: the others treat the process as dead at once).
 */
export const HEARTBEAT = new RedisScript(`${COMMON}
return redis.call('ZADD', KEYS[1], now() + tonumber(ARGV[2]), ARGV[1])
`);

/**
 * Removes the members of processes silent for longer than `silence ms` (dead, and their clients'
 * grace period over) and tells the processes that remain in each room. Any process may run it; the
 * first to do so does the work. KEYS: nodes. ARGV: prefix, silence ms.
 */
export const REAP = new RedisScript(`${COMMON}
local prefix = ARGV[1]
local reaped = 0
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now() - tonumber(ARGV[2]))) do
  local roomsKey = prefix .. 'node-rooms:' .. dead
  for _, rk in ipairs(redis.call('SMEMBERS', roomsKey)) do
    local infoKey, nodeKey, tokenKey = prefix .. 'room:' .. rk, prefix .. 'room-node:' .. rk, prefix .. 'room-token:' .. rk
    local pairs_ = redis.call('HGETALL', nodeKey)
    local gone, stay = {}, {}
    for i = 1, #pairs_, 2 do
      if pairs_[i + 1] == dead then gone[#gone + 1] = pairs_[i] else stay[pairs_[i + 1]] = true end
    end
    for _, id in ipairs(gone) do
      forget(prefix, infoKey, nodeKey, tokenKey, id)
      for node in pairs(stay) do publish(prefix, node, 'l{"room":"' .. rk .. '","id":"' .. id .. '"}') end
      reaped = reaped + 1
    end
  end
  redis.call('DEL', roomsKey)
  redis.call('ZREM', KEYS[1], dead)
end
return reaped
`);

/**
 * Makes the directory agree with this process's sessions in one room, after Redis lost them or
 * this process lost writes: adds the missing ones (telling the other processes), removes those
 * recorded here that this process no longer holds. Sessions that moved to another process are left
 * alone (the snapshot that follows tells this process). KEYS: room info, room nodes, room tokens, my rooms.
 * ARGV: me, room key, prefix, then per session: id, info JSON, token hash.
 */
export const RESTORE = new RedisScript(`${COMMON}
local me, rk, prefix = ARGV[1], ARGV[2], ARGV[3]
local mine = {}
for i = 4, #ARGV, 3 do mine[ARGV[i]] = i end
local present = {}
local current = redis.call('HGETALL', KEYS[2])
for i = 1, #current, 2 do present[current[i]] = current[i + 1] end
local left, joined = {}, {}
for id, node in pairs(present) do
  if node == me and not mine[id] then left[#left + 1] = id end
end
for _, id in ipairs(left) do
  forget(prefix, KEYS[1], KEYS[2], KEYS[3], id)
  present[id] = nil
end
for id, i in pairs(mine) do
  local node = present[id]
  if not node then
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    redis.call('HSET', KEYS[2], id, me)
    redis.call('HSET', KEYS[3], id, ARGV[i + 2])
    redis.call('SET', prefix .. 'token:' .. ARGV[i + 2], rk .. ' ' .. id)
    joined[#joined + 1] = id
    present[id] = me
  elseif node == me then
    redis.call('SET', prefix .. 'token:' .. ARGV[i + 2], rk .. ' ' .. id)
  end
end
local others, anyMine = {}, false
for _, node in pairs(present) do
  if node == me then anyMine = true else others[node] = true end
end
for node in pairs(others) do
  for _, id in ipairs(left) do publish(prefix, node, 'l{"room":"' .. rk .. '","id":"' .. id .. '"}') end
  for _, id in ipairs(joined) do
    publish(prefix, node, 'j{"room":"' .. rk .. '","node":"' .. me .. '","info":' .. ARGV[mine[id] + 1] .. '}')
  end
end
if anyMine then redis.call('SADD', KEYS[4], rk) else redis.call('SREM', KEYS[4], rk) end
return #joined
`);

/**
 * Publishes everyone in a room to this process, in order with its other messages, with the processes
 * that are alive (a process writes its members back before its first heartbeat after Redis lost them,
 * so a live process's members are all there). KEYS: room info, room nodes, nodes. ARGV: me, room key,
 * prefix, dead-after ms, settled (true/false).
 */
export const SNAPSHOT = new RedisScript(`${COMMON}
local me, rk, prefix = ARGV[1], ARGV[2], ARGV[3]
local members = membersExcept(KEYS[1], KEYS[2], me, '')
local live = redis.call('ZRANGEBYSCORE', KEYS[3], now() - tonumber(ARGV[4]), '+inf')
local quoted = {}
for i, node in ipairs(live) do quoted[i] = '"' .. node .. '"' end
publish(prefix, me, 'z{"room":"' .. rk .. '","peers":' .. members .. ',"live":[' .. table.concat(quoted, ',') .. '],"settled":' .. ARGV[5] .. '}')
return 1
`);
