import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * Every write is one Lua script, so the revision counter, the value, the lease and the change stream
 * move together. KEYS, in this order for every script:
 * 1 `{ns}:rev` (the store's revision counter), 2 `{ns}:changes` (the change stream, entry id =
 * `<revision>-0`; each change also goes to `{ns}:changes:<segment>`, its key's first segment), 3 `{ns}:index` (live key names, a lex-sorted ZSET), 4 `{ns}:leases` (ZSET of
 * deadlines in ms of server time), 5 `{ns}:v:<key>` (HASH v = value, r = revision) when the script
 * touches one key (the write script names one per write: 5, 6, …). The `{ns}` hash tag keeps a
 * store in one Redis Cluster slot; the reaper names value keys it finds in the lease ZSET, which
 * the tag keeps in that slot too.
 */
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Appends a change of key to the store's stream and to its first segment's (the part before the
-- first dot: "agents", "tasks"…), so that a watch of one segment reads only that segment's changes.
local function change(maxlen, key, ...)
  local rev = redis.call('INCR', KEYS[1])
  if rev == 1 then
    -- A missing counter is a new store, or one whose data was lost (a restart without
    -- persistence). Seeding from server time keeps revisions, and the fencing tokens made from
    -- them, above any this store handed out before, as long as it averaged < 1000 writes per ms.
    rev = now_ms() * 1000
    redis.call('SET', KEYS[1], rev)
  end
  local id = string.format('%d-0', rev)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, id, 'k', key, ...)
  local segment = string.match(key, '^([^.]+)%.')
  if segment then redis.call('XADD', KEYS[2] .. ':' .. segment, 'MAXLEN', '~', maxlen, id, 'k', key, ...) end
  return rev
end
-- Expires key if its lease has run out; returns its deadline if it still holds a lease.
local function reap(key, vkey, now, maxlen)
  local d = redis.call('ZSCORE', KEYS[4], key)
  if d and tonumber(d) <= now then
    redis.call('DEL', vkey)
    redis.call('ZREM', KEYS[3], key)
    redis.call('ZREM', KEYS[4], key)
    change(maxlen, key, 'o', 'expire')
    return nil
  end
  return d
end
local function live(key, now)
  local d = redis.call('ZSCORE', KEYS[4], key)
  return not d or tonumber(d) > now
end
local function range(prefix)
  if prefix == '' then return redis.call('ZRANGEBYLEX', KEYS[3], '-', '+') end
  return redis.call('ZRANGEBYLEX', KEYS[3], '[' .. prefix, '[' .. prefix .. '\\255')
end
`;

/**
 * A batch of writes, applied one after another in one script run (one round trip and one script
 * call for every write the store was asked for in the same turn). KEYS 5… are the value HASHes, one
 * per write, in order. ARGV: maxlen, then the writes packed in one string (one argument instead of
 * five per write, which the client and the server each pay for): per write a line
 * `<key> <mode> <ttlMs> <expected> <value bytes>\n` (mode put|create|update, ttlMs 0 = none), then
 * the value's bytes. Returns code, revision-or-message for each write: 0 written (the new
 * revision), 1 exists (create; the current revision), 2 conflict (update; the current revision), 3
 * refused by Redis (its error message: out of memory, a wrong type…). Each write runs under pcall,
 * so one refused write neither undoes nor stops the others — as if each had been a script of its
 * own.
 */
const WRITE = `
local maxlen = ARGV[1]
local batch = ARGV[2]
local now = now_ms()
local function write(key, vkey, value, ttl, mode, expected)
  local leased = reap(key, vkey, now, maxlen)
  local cur = tonumber(redis.call('HGET', vkey, 'r') or '0')
  if mode == 'create' and cur ~= 0 then return 1, cur end
  if mode == 'update' and cur ~= expected then return 2, cur end
  local rev = change(maxlen, key, 'o', 'put', 'v', value)
  redis.call('HSET', vkey, 'v', value, 'r', rev)
  if cur == 0 then redis.call('ZADD', KEYS[3], 0, key) end
  if ttl > 0 then
    redis.call('PEXPIREAT', vkey, now + ttl)
    redis.call('ZADD', KEYS[4], now + ttl, key)
  elseif leased then
    redis.call('PERSIST', vkey)
    redis.call('ZREM', KEYS[4], key)
  end
  return 0, rev
end
local out = {}
local pos = 1
for i = 1, #KEYS - 4 do
  local _, e, key, mode, ttl, expected, len = string.find(batch, '^(%S+) (%a+) (%d+) (%d+) (%d+)\\n', pos)
  if not e then return redis.error_reply('ERR malformed write batch at write ' .. i) end
  local value = string.sub(batch, e + 1, e + tonumber(len))
  pos = e + tonumber(len) + 1
  local ok, code, rev = pcall(write, key, KEYS[4 + i], value, tonumber(ttl), mode, tonumber(expected))
  if ok then
    out[#out + 1] = code
    out[#out + 1] = rev
  else
    out[#out + 1] = 3
    out[#out + 1] = type(code) == 'table' and (code.err or 'ERR') or tostring(code)
  end
end
return out
`;

/** ARGV: key, expected revision (0 = any), maxlen. */
const DELETE = `
local key, expected, maxlen = ARGV[1], tonumber(ARGV[2]), ARGV[3]
reap(key, KEYS[5], now_ms(), maxlen)
local cur = tonumber(redis.call('HGET', KEYS[5], 'r') or '0')
if expected > 0 and cur ~= expected then return {2, cur} end
if cur == 0 then return {0, 0} end
redis.call('DEL', KEYS[5])
redis.call('ZREM', KEYS[3], key)
redis.call('ZREM', KEYS[4], key)
return {0, change(maxlen, key, 'o', 'delete')}
`;

/** ARGV: prefix. Live key names under the prefix, sorted. */
const KEYS = `
local now, out = now_ms(), {}
for _, k in ipairs(range(ARGV[1])) do
  if live(k, now) then out[#out + 1] = k end
end
return out
`;

/** ARGV: prefix, value-key prefix. The revision, then key, value, revision for each live entry. */
const SNAPSHOT = `
local now = now_ms()
local out = { tonumber(redis.call('GET', KEYS[1]) or '0') }
for _, k in ipairs(range(ARGV[1])) do
  if live(k, now) then
    local e = redis.call('HMGET', ARGV[2] .. k, 'v', 'r')
    if e[1] then
      out[#out + 1] = k
      out[#out + 1] = e[1]
      out[#out + 1] = tonumber(e[2])
    end
  end
end
return out
`;

/** ARGV: value-key prefix, maxlen, batch. Expires up to `batch` due leases; returns how many. */
const REAP = `
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, k in ipairs(due) do reap(k, ARGV[1] .. k, now, ARGV[2]) end
return #due
`;

type Arg = string | Buffer | number;

/** A Lua script run by SHA, loaded on first use (`NOSCRIPT`) on whichever server answers. */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(body: string) {
    this.source = PRELUDE + body;
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  /** Runs with string replies; `buffers` keeps bulk replies as Buffers (binary values). */
  async run(client: Redis, keys: string[], args: Arg[], buffers = false): Promise<unknown> {
    const call = (cmd: string, head: string) =>
      buffers
        ? client.callBuffer(cmd, head, keys.length, ...keys, ...args)
        : client.call(cmd, head, keys.length, ...keys, ...args);
    try {
      return await call("EVALSHA", this.sha);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return call("EVAL", this.source);
    }
  }
}

export const scripts = {
  write: new LuaScript(WRITE),
  delete: new LuaScript(DELETE),
  keys: new LuaScript(KEYS),
  snapshot: new LuaScript(SNAPSHOT),
  reap: new LuaScript(REAP),
};
