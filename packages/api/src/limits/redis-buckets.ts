import type { Redis } from 'ioredis';
import type { BucketOutcome, BucketSpec, BucketStore, TakeResult } from './gcra.ts';

/**
 * The GCRA buckets in Redis: one Lua script checks and charges every bucket of a request (per key, per
 * tenant, orders) atomically, in ONE round trip, with Redis's clock, so every engine instance shares the
 * same buckets and the limit does not multiply by the number of instances.
 *
 * Why a script of our own rather than `rate-limiter-flexible` (which the auth attempt limiter uses): its
 * limiters are fixed windows (up to 2x the limit passes around a window boundary) or, for a bucket with
 * burst, two calls; and one request here must charge two or three buckets all-or-nothing, which would be
 * two or three round trips there. The script is loaded once: ioredis's `defineCommand` sends EVALSHA and
 * falls back to EVAL (which caches it again) only after a NOSCRIPT, e.g. after a Redis restart.
 *
 * Arithmetic in integer microseconds (exact in a double up to 2^53 us, ~285 years since 1970), the same
 * as `takeAll` in gcra.ts. A bucket's key expires when it would be full again, so idle callers cost nothing.
 *
 * The script can also read more keys in the same round trip (`alsoRead`): what authenticating the call
 * reads anyway, the credential-attempt count of the caller's address and the credential cache's
 * generation. The limiter's call then replaces those reads instead of adding commands: an authenticated
 * call with a warm credential makes this ONE command and nothing else (on a loaded host each command's
 * socket write costs more CPU than the script itself: see the rate-limit benchmark notes). With no
 * bucket at all (`read`), the script is a plain read of several keys in one command.
 */
const SCRIPT = `
-- Redis < 7: replicate the writes, not the script (it reads TIME).
if redis.replicate_commands then pcall(redis.replicate_commands) end
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Three ARGV per bucket after the clock; keys beyond the buckets are only read (see RedisBuckets.take):
-- each one's value ('' when absent) and its PTTL are returned last.
local n = (#ARGV - 1) / 3
local tats = {}
local refused = false
for i = 1, n do
  local T = tonumber(ARGV[i * 3 - 1])
  local tol = tonumber(ARGV[i * 3])
  local cost = tonumber(ARGV[i * 3 + 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tats[i] = tat
  if tat + T * cost - tol > now then refused = true end
end
local out = { refused and 0 or 1, string.format('%.0f', now) }
for i = 1, n do
  local T = tonumber(ARGV[i * 3 - 1])
  local tol = tonumber(ARGV[i * 3])
  local cost = tonumber(ARGV[i * 3 + 1])
  local tat = tats[i]
  local newTat = tat + T * cost
  if not refused then
    redis.call('SET', KEYS[i], string.format('%.0f', newTat), 'PX', math.max(1, math.ceil((newTat - now) / 1000)))
  end
  out[#out + 1] = string.format('%.0f', tat)
end
for j = n + 1, #KEYS do
  out[#out + 1] = redis.call('GET', KEYS[j]) or ''
  out[#out + 1] = redis.call('PTTL', KEYS[j])
end
return out
`;

/** A key read along with a charge: its value (null when absent) and its PTTL (negative: no expiry / absent). */
export interface StoredValue {
  value: string | null;
  pttlMs: number;
}

interface GcraRedis extends Redis {
  qtGcra(numKeys: number, ...args: (string | number)[]): Promise<(string | number)[]>;
}

export interface RedisBucketsOptions {
  /**
   * The time source, in ms. Default: Redis's own clock (TIME inside the script), so engines with skewed
   * clocks still agree. Tests pass an injected clock to run the same arithmetic cases as the memory store.
   */
  nowMs?: () => number;
}

export class RedisBuckets implements BucketStore {
  readonly #redis: GcraRedis;
  readonly #nowMs: (() => number) | undefined;
  /** Script calls made (one per request checked): the round trips the limiter adds. */
  calls = 0;

  constructor(redis: Redis, opts: RedisBucketsOptions = {}) {
    if (!('qtGcra' in redis)) redis.defineCommand('qtGcra', { lua: SCRIPT });
    this.#redis = redis as GcraRedis;
    this.#nowMs = opts.nowMs;
  }

  /** `alsoRead`: keys read in the same script, after the charge; their values are in `also`, in order. */
  async take(
    keys: readonly string[],
    specs: readonly BucketSpec[],
    alsoRead?: readonly string[],
  ): Promise<TakeResult & { also?: StoredValue[] }> {
    const extra = alsoRead?.length ?? 0;
    const args: (string | number)[] = [...keys];
    if (alsoRead) args.push(...alsoRead);
    args.push(this.#nowMs ? Math.round(this.#nowMs() * 1000) : -1);
    for (const s of specs) args.push(s.emissionUs, s.toleranceUs, s.cost);
    this.calls++;
    const reply = await this.#redis.qtGcra(keys.length + extra, ...args);
    const allowed = reply[0] === 1 || reply[0] === '1';
    const now = Number(reply[1]);
    const buckets: BucketOutcome[] = specs.map((spec, i) => {
      const tat = Number(reply[i + 2]);
      const newTat = tat + spec.emissionUs * spec.cost;
      const fits = newTat - spec.toleranceUs <= now;
      const charged = allowed ? newTat : tat;
      return {
        allowed: fits,
        remaining: Math.max(0, Math.floor((spec.toleranceUs - (charged - now)) / spec.emissionUs)),
        resetUs: charged - now,
        retryUs: fits ? 0 : newTat - spec.toleranceUs - now,
        newTat: charged,
      };
    });
    if (extra === 0) return { allowed, buckets };
    const also: StoredValue[] = [];
    for (let j = 0, at = specs.length + 2; j < extra; j++, at += 2) {
      const v = reply[at];
      also.push({
        value: v === '' || v === undefined || v === null ? null : String(v),
        pttlMs: Number(reply[at + 1] ?? -2),
      });
    }
    return { allowed, buckets, also };
  }

  /** Reads `keys` (value and PTTL each) in one command: the same script with no bucket to charge. */
  async read(keys: readonly string[]): Promise<StoredValue[]> {
    return (await this.take([], [], keys)).also ?? [];
  }
}
