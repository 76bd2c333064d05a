/**
 * Size and range limits of the canonical protocol. Every decoder checks them before it trusts a
 * byte, so that a hostile frame costs at most one bounded allocation.
 *
 * @module
 */

/**
 * Largest encoded Envelope accepted or produced, in bytes: 1 MiB, NATS's default `max_payload`.
 * Pass `maxBytes` to the codec to change it; there is no off switch, by design.
 */
export const DEFAULT_MAX_ENVELOPE_BYTES = 1024 * 1024;

/** Largest encoded payload `decodePayload` accepts by default, in bytes (the envelope's limit). */
export const DEFAULT_MAX_PAYLOAD_BYTES = DEFAULT_MAX_ENVELOPE_BYTES;

/** Longest id (agent, task, stream, command name, group), in UTF-8 bytes. */
export const MAX_ID_BYTES = 128;

/** Longest payload type name in an Envelope, in UTF-8 bytes. */
export const MAX_TYPE_NAME_BYTES = 256;

/** Longest subject accepted as an Envelope's `replyTo`, in UTF-8 bytes. */
export const MAX_SUBJECT_BYTES = 1024;

/** Longest `contentType` and `correlationId` in an Envelope, in UTF-8 bytes. */
export const MAX_SHORT_TEXT_BYTES = 256;

/** Longest W3C `tracestate` carried, in bytes (W3C asks vendors to propagate at least 512). */
export const MAX_TRACESTATE_BYTES = 512;

/** Highest Envelope and Task priority; 0 is the default and the lowest. */
export const MAX_PRIORITY = 9;
