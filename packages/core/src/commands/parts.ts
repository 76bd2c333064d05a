import {
  type Command,
  type CommandReceipt,
  CommandReceiptState,
  STREAMS,
  subjects,
} from "@swarmlink/protocol";
import type { ForwardOutcome } from "./forward.js";
import type { ParsedRouterOptions } from "./options.js";
import type { QueueEntry, QueueIndex } from "./queue-index.js";
import type { ReceiptBook } from "./receipts.js";
import { EXPIRY_REASONS, encodeMsg, type WireContext } from "./wire.js";

/** Counters of one router since it was built. */
export interface CommandRouterStats {
  /** Well-formed send requests accepted (repeats included). */
  sent: number;
  /** Commands put in the durable queue. */
  queued: number;
  /** Deliveries that reached an agent (a redelivery counts again). */
  delivered: number;
  /** Receipts settled REPLIED. */
  replied: number;
  /** Receipts settled EXPIRED by their deadline (conflation counts apart). */
  expired: number;
  /** Receipts settled EXPIRED because a newer command of the same name superseded them. */
  conflated: number;
  /** Sends that found the command's receipt already there (idempotency keys, retries). */
  duplicates: number;
  /** Requests refused as malformed (undecodable, bad ids, bad deadline), and unreadable agent replies. */
  badInputs: number;
  /** Requests refused because `maxInFlight` were being handled (`E_OVERFLOW`). */
  overflows: number;
  /** Requests that failed for another reason (Store or Bus errors). */
  failures: number;
}

/** {@link CommandRouterStats} and the router's current load. */
export interface CommandRouterSnapshot extends CommandRouterStats {
  /** Requests being handled now (bounded by `maxInFlight`). */
  inFlight: number;
  /** Agents whose queue this router drains now (0 unless it is the authority). */
  draining: number;
  /** Whether this router holds the leader's duties (drains and the sweeper) now. */
  authority: boolean;
}

/** A new zeroed {@link CommandRouterStats}. */
export function zeroStats(): CommandRouterStats {
  return {
    sent: 0,
    queued: 0,
    delivered: 0,
    replied: 0,
    expired: 0,
    conflated: 0,
    duplicates: 0,
    badInputs: 0,
    overflows: 0,
    failures: 0,
  };
}

/** What the router's pieces share. */
export interface RouterParts {
  opts: ParsedRouterOptions;
  wire: WireContext;
  receipts: ReceiptBook;
  index: QueueIndex;
  stats: CommandRouterStats;
}

const S = CommandReceiptState;

/**
 * Puts `cmd` in the durable queue: the `SWARM_CMDS` stream (msgId = command id, so a repeat is
 * stored once) and the agent's index; with `conflate`, the older queued commands of the same name
 * are expired. Every step is idempotent, so a retry after a crash half-way completes the job.
 */
export async function enqueue(parts: RouterParts, cmd: Command, conflate: boolean): Promise<void> {
  const { bus } = parts.opts;
  const data = encodeMsg(parts.wire, "swarmlink.v1.Command", cmd, { correlationId: cmd.id });
  await bus.streams.publish(subjects.commandQueue(cmd.agentId), data, { msgId: cmd.id });
  const entry: QueueEntry = { id: cmd.id, name: cmd.name, deadlineMs: cmd.deadlineMs };
  const superseded = await parts.index.add(cmd.agentId, entry, conflate);
  for (const old of superseded) {
    const r = await parts.receipts.expire(old.id, old.deadlineMs, EXPIRY_REASONS.conflated, {
      supersededBy: cmd.id,
    });
    if (r?.moved) parts.stats.conflated++;
  }
}

/** The stream spec of the command queue, for `bus.streams.ensure`. */
export function queueStreamConfig(opts: ParsedRouterOptions) {
  const maxAgeMs = opts.maxTtlMs + opts.receiptGraceMs;
  return {
    name: STREAMS.commands.name,
    subjects: [...STREAMS.commands.subjects],
    // Acked commands leave the stream, so a fresh consumer finds only what is still unsettled.
    retention: "workqueue" as const,
    maxAgeMs,
    duplicateWindowMs: Math.min(120_000, maxAgeMs),
    replicas: opts.streamReplicas,
  };
}

/**
 * Records how a delivery ended on the receipt: REPLIED with the reply, EXPIRED at the deadline, or
 * left DELIVERED when the agent took longer than `deliveryTimeoutMs` (the sweeper settles it at the
 * deadline). Returns the receipt as it stands, or undefined if it is gone.
 */
export async function settle(
  parts: RouterParts,
  cmd: Command,
  outcome: Extract<ForwardOutcome, { kind: "replied" | "expired" | "unanswered" }>,
): Promise<CommandReceipt | undefined> {
  const { receipts, stats } = parts;
  parts.stats.delivered++;
  if (outcome.kind === "replied") {
    if (outcome.malformed) stats.badInputs++;
    const r = await receipts.move(
      cmd.id,
      cmd.deadlineMs,
      [S.COMMAND_RECEIPT_STATE_DELIVERED, S.COMMAND_RECEIPT_STATE_QUEUED],
      () => ({
        state: S.COMMAND_RECEIPT_STATE_REPLIED,
        reply: outcome.reply,
      }),
    );
    if (r?.moved) stats.replied++;
    return r?.receipt;
  }
  if (outcome.kind === "expired") {
    const r = await receipts.expire(cmd.id, cmd.deadlineMs, EXPIRY_REASONS.deadline);
    if (r?.moved) stats.expired++;
    return r?.receipt;
  }
  return (await receipts.read(cmd.id))?.receipt;
}
