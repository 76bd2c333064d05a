import {
  type Clock,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  type PayloadInit,
  type PayloadMap,
  type PayloadType,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";

/** An Envelope of `type` from `source`, encoded. */
export function envelope<K extends PayloadType>(
  type: K,
  payload: PayloadInit<K>,
  source: string,
  clock: Clock,
): Uint8Array {
  return encodeEnvelope(wrap(type, payload, { source }, { clock }));
}

/** Decodes an Envelope of `type`, or `undefined` for anything else. */
export function tryUnwrap<K extends PayloadType>(data: Uint8Array, type: K): PayloadMap[K] | undefined {
  try {
    return unwrapAs(decodeEnvelope(data), type);
  } catch {
    return undefined;
  }
}

/**
 * Requests until answered (the leader is gone for a while during a failover: E_NO_RESPONDERS,
 * E_TIMEOUT), pausing `retryMs` between tries; stops when `closed()` or the Bus closes.
 */
export async function requestUntilAnswered(
  bus: Bus,
  subject: string,
  data: Uint8Array,
  o: {
    timeoutMs: number;
    retryMs: number;
    clock: Clock;
    closed: () => boolean;
    /** Told how long the answered try took, ms. */
    onAnswered?: (latencyMs: number) => void;
  },
): Promise<boolean> {
  while (!o.closed()) {
    try {
      const t0 = o.clock.now();
      await bus.request(subject, data, { timeout: o.timeoutMs });
      o.onAnswered?.(o.clock.now() - t0);
      return true;
    } catch (err) {
      if (isSwarmError(err, "E_CLOSED")) return false;
      await new Promise<void>((r) => o.clock.setTimeout(r, o.retryMs));
    }
  }
  return false;
}
