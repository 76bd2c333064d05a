/**
 * Every condition a caller may need to act on has a stable code. Callers switch on `code`, never on
 * the message text; the table below is the documentation, and a test checks that every code has it.
 */
export const ERROR_CODES = {
  E_DECODE: "bytes could not be decoded into the expected message",
  E_ENCODE: "a value could not be encoded into the expected message",
  E_TOO_LARGE: "a frame, payload or value is larger than the configured maximum",
  E_INVALID: "an argument or field is malformed (bad id, bad subject, missing field, wrong type)",
  E_UNKNOWN_TYPE: "an envelope names a payload type this build does not know",
  E_FORBIDDEN: "the sender is not allowed to publish or subscribe there",
  E_TIMEOUT: "a deadline passed before the operation completed",
  E_NO_RESPONDERS: "a request found nobody subscribed to answer it",
  E_FENCED: "a write or award carried a fencing token older than one already seen",
  E_CONFLICT: "a compare-and-set found another revision than the expected one",
  E_EXISTS: "create found the key already present",
  E_NOT_FOUND: "the key, stream, consumer or agent does not exist",
  E_OVERFLOW: "a bounded buffer was full and its policy refuses the item",
  E_CLOSED: "the connection, subscription or queue is closed",
  E_ABORTED: "the caller's AbortSignal fired",
  E_UNAVAILABLE: "the server cannot be reached right now",
  E_CONFIG: "an option is invalid or options contradict each other",
  E_UNSUPPORTED: "the implementation cannot honour this guarantee (see its capabilities)",
  E_INTERNAL: "an unexpected failure inside Swarmlink or a dependency",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Context carried beside the message: ids, tokens, sizes — whatever the caller may need. */
export type ErrorContext = Record<string, unknown>;

/**
 * The one error type Swarmlink throws.
 *
 * @example
 * ```ts
 * try { await store.update(key, value, rev); }
 * catch (err) { if (isSwarmError(err, "E_CONFLICT")) retry(); else throw err; }
 * ```
 */
export class SwarmError extends Error {
  override readonly name = "SwarmError";
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }

  /** A plain object for logs and error frames; `cause` is summarised, never serialised whole. */
  toJSON(): { code: ErrorCode; message: string; context: ErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/** True when `err` is a SwarmError, and (if given) of one of the codes. */
export function isSwarmError(err: unknown, ...codes: ErrorCode[]): err is SwarmError {
  return err instanceof SwarmError && (codes.length === 0 || codes.includes(err.code));
}

/** Wraps a foreign error once, at the boundary where it entered; a SwarmError passes through. */
export function toSwarmError(
  err: unknown,
  code: ErrorCode = "E_INTERNAL",
  context: ErrorContext = {},
): SwarmError {
  if (err instanceof SwarmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SwarmError(code, message, context, { cause: err });
}

/** The reason to reject with when `signal` fired: its own reason if it is a SwarmError, else E_ABORTED. */
export function abortError(signal: AbortSignal): SwarmError {
  const reason: unknown = signal.reason;
  if (reason instanceof SwarmError) return reason;
  return new SwarmError("E_ABORTED", "operation aborted", {}, { cause: reason });
}
