import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";
import { type ErrorCode, type ErrorContext, SwarmError } from "@swarmlink/protocol";

/** True when JetStream refused a write because the key is at another revision. */
export function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Translates a nats.js error once, where it enters: the connection's troubles are `E_UNAVAILABLE`, a
 * request without an answer in time is `E_TIMEOUT` (a write may or may not have happened), a missing
 * bucket is `E_NOT_FOUND`. A SwarmError passes through.
 */
export function fromNats(err: unknown, context: ErrorContext = {}): SwarmError {
  if (err instanceof SwarmError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new SwarmError(classify(e), `nats: ${e.message}`, context, { cause: e });
}

function classify(e: Error): ErrorCode {
  if (e instanceof errors.TimeoutError) return "E_TIMEOUT";
  if (
    e instanceof errors.ConnectionError ||
    e instanceof errors.ClosedConnectionError ||
    e instanceof errors.DrainingConnectionError ||
    e instanceof errors.NoRespondersError
  ) {
    return "E_UNAVAILABLE";
  }
  if (e instanceof errors.RequestError && e.isNoResponders()) return "E_UNAVAILABLE";
  if (e instanceof JetStreamApiError) {
    if (e.code === JetStreamApiCodes.StreamNotFound) return "E_NOT_FOUND";
    if (isWrongLastSequence(e)) return "E_CONFLICT";
    return "E_INTERNAL";
  }
  if (e.cause instanceof Error) return classify(e.cause);
  return "E_INTERNAL";
}
