import { type ErrorContext, SwarmError } from "@swarmlink/protocol";

// Server replies that mean "not now" rather than "wrong": failover, loading, a busy script.
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MOVED|ASK)\b/;

/**
 * Translates an ioredis error once, where it enters: a server's error reply is `E_INTERNAL` (unless
 * it is transient), anything about the connection is `E_UNAVAILABLE`. A SwarmError passes through.
 */
export function fromRedis(err: unknown, context: ErrorContext = {}): SwarmError {
  if (err instanceof SwarmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const reply = err instanceof Error && err.name === "ReplyError";
  const code = reply && !TRANSIENT_REPLY.test(message) ? "E_INTERNAL" : "E_UNAVAILABLE";
  return new SwarmError(code, `redis: ${message}`, context, { cause: err });
}
