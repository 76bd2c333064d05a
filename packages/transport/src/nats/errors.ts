import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { errors } from "@nats-io/transport-node";
import { type ErrorContext, SwarmError } from "@swarmlink/protocol";

/** Translates a nats.js error once, where it enters Swarmlink; the original stays as `cause`. */
export function fromNats(err: unknown, context: ErrorContext = {}): SwarmError {
  if (err instanceof SwarmError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = classify(e);
  return new SwarmError(code, e.message, context, { cause: e });
}

function classify(e: Error): SwarmError["code"] {
  if (e instanceof errors.RequestError) {
    if (e.isNoResponders()) return "E_NO_RESPONDERS";
    if (e.cause instanceof Error) return classify(e.cause);
    return "E_INTERNAL";
  }
  if (e instanceof errors.NoRespondersError) return "E_NO_RESPONDERS";
  if (e instanceof errors.TimeoutError) return "E_TIMEOUT";
  if (e instanceof errors.ClosedConnectionError || e instanceof errors.DrainingConnectionError)
    return "E_CLOSED";
  if (e instanceof errors.InvalidSubjectError || e instanceof errors.InvalidArgumentError) return "E_INVALID";
  if (e instanceof errors.PermissionViolationError || e instanceof errors.AuthorizationError)
    return "E_FORBIDDEN";
  if (e instanceof errors.ConnectionError) return "E_UNAVAILABLE";
  if (e instanceof JetStreamApiError) return jetStreamCode(e.code);
  // nats.js wraps the condition that matters (e.g. JetStreamNotEnabled around "no responders").
  if (e.cause instanceof Error) return classify(e.cause);
  return "E_INTERNAL";
}

/** The SwarmError code of a JetStream API error code (`err_code` in the server's answer). */
export function jetStreamCode(errCode: number): SwarmError["code"] {
  switch (errCode) {
    case JetStreamApiCodes.StreamNotFound:
    case JetStreamApiCodes.ConsumerNotFound:
    case JetStreamApiCodes.NoMessageFound:
      return "E_NOT_FOUND";
    case JetStreamApiCodes.StreamWrongLastSequence:
      return "E_CONFLICT";
    default:
      return "E_INTERNAL";
  }
}
