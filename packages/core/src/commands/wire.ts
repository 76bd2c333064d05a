import {
  type Clock,
  CommandReceiptState,
  decodeEnvelope,
  ERROR_CODES,
  type ErrorCode,
  type ErrorPayload,
  encodeEnvelope,
  type PayloadInit,
  type PayloadMap,
  type PayloadType,
  SwarmError,
  toSwarmError,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";

/**
 * Header of a `commandSend` request asking for conflation ("1"): the command supersedes the queued
 * commands of the same agent and name. (The Command message has no field for it; see the README.)
 */
export const CONFLATE_HEADER = "swarm-conflate";
/** Queue group of the routers' `commandSend` and `commandGet` subscriptions. */
export const COMMAND_QUEUE_GROUP = "swarm-commands";

/**
 * Why a receipt is EXPIRED, in `receipt.reply.error.context.reason`: its deadline passed, or a
 * newer command of the same name superseded it (`context.supersededBy` names that one).
 */
export const EXPIRY_REASONS = { deadline: "deadline", conflated: "conflated" } as const;
export type ExpiryReason = (typeof EXPIRY_REASONS)[keyof typeof EXPIRY_REASONS];

/** Who signs what a router or client sends, and with which clock. */
export interface WireContext {
  source: string;
  clock: Clock;
}

/** Wraps a payload in an Envelope from `ctx.source` and encodes it. */
export function encodeMsg<K extends PayloadType>(
  ctx: WireContext,
  type: K,
  payload: PayloadInit<K>,
  meta: { ttlMs?: number; correlationId?: string } = {},
): Uint8Array {
  return encodeEnvelope(wrap(type, payload, { source: ctx.source, ...meta }, { clock: ctx.clock }));
}

/**
 * Decodes an Envelope that must carry `type`.
 * @throws SwarmError `E_DECODE`, `E_TOO_LARGE`, `E_INVALID`, `E_UNKNOWN_TYPE` (see `decodeEnvelope`, `unwrapAs`).
 */
export function decodeMsg<K extends PayloadType>(
  data: Uint8Array,
  type: K,
): { ttlMs: number; timeMs: number; payload: PayloadMap[K] } {
  const env = decodeEnvelope(data);
  return { ttlMs: env.ttlMs, timeMs: env.timeMs, payload: unwrapAs(env, type) };
}

/**
 * Decodes an answer that is either `type` or a `swarmlink.v1.Error`.
 * @throws SwarmError the error the answer carries, with its code (unknown codes become `E_INTERNAL`).
 */
export function decodeAnswer<K extends PayloadType>(data: Uint8Array, type: K): PayloadMap[K] {
  const env = decodeEnvelope(data);
  if (env.type === "swarmlink.v1.Error") throw fromErrorPayload(unwrapAs(env, "swarmlink.v1.Error"));
  return unwrapAs(env, type);
}

/** A `swarmlink.v1.Error` payload for `err`; context values become strings. */
export function toErrorPayload(err: unknown): PayloadInit<"swarmlink.v1.Error"> {
  const e = toSwarmError(err);
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.context)) {
    if (v !== undefined) context[k] = String(typeof v === "object" ? JSON.stringify(v) : v).slice(0, 256);
  }
  return { code: e.code, message: e.message.slice(0, 1024), context };
}

/** Encodes `err` as an Error envelope, the answer to a bad or failed request. */
export function encodeError(ctx: WireContext, err: unknown): Uint8Array {
  return encodeMsg(ctx, "swarmlink.v1.Error", toErrorPayload(err));
}

/** The SwarmError an Error payload describes. */
export function fromErrorPayload(p: Pick<ErrorPayload, "code" | "message" | "context">): SwarmError {
  const known = Object.hasOwn(ERROR_CODES, p.code);
  const context: Record<string, unknown> = { ...p.context };
  if (!known) context.remoteCode = p.code;
  return new SwarmError(known ? (p.code as ErrorCode) : "E_INTERNAL", p.message || p.code, context);
}

const S = CommandReceiptState;

/** True for REPLIED and EXPIRED: the receipt will not change again. */
export function isSettled(state: CommandReceiptState): boolean {
  return state === S.COMMAND_RECEIPT_STATE_REPLIED || state === S.COMMAND_RECEIPT_STATE_EXPIRED;
}

/** Order of receipt states: a watcher only moves forward (QUEUED < DELIVERED < REPLIED = EXPIRED). */
export function stateRank(state: CommandReceiptState): number {
  if (isSettled(state)) return 3;
  if (state === S.COMMAND_RECEIPT_STATE_DELIVERED) return 2;
  return state === S.COMMAND_RECEIPT_STATE_QUEUED ? 1 : 0;
}

/** `"QUEUED"`, `"DELIVERED"`, … for logs. */
export function stateName(state: CommandReceiptState): string {
  return (S[state] ?? String(state)).replace("COMMAND_RECEIPT_STATE_", "");
}
