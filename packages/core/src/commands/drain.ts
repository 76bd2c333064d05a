import { type Command, CommandReceiptState, isSwarmError, STREAMS, subjects } from "@swarmlink/protocol";
import type { Consumer, StreamMsg } from "@swarmlink/transport";
import { forward } from "./forward.js";
import { consumerNameFor } from "./ids.js";
import { type RouterParts, settle } from "./parts.js";
import { decodeMsg, EXPIRY_REASONS, isSettled } from "./wire.js";

/** Fetches in a row that may come back empty while the consumer still reports pending messages. */
const MAX_EMPTY_FETCHES = 3;
/** How long one fetch waits for its message, in ms (JetStream's minimum). */
const FETCH_EXPIRES_MS = 1000;

const S = CommandReceiptState;

/** What delivering one queued message led to: go on with the next, or stop draining for now. */
type Step = "next" | "stop";

/** How a drain ended: all delivered (or the agent went offline), or stopped by an unreachable agent or a Bus error. */
export type DrainResult = "done" | "retry";

/**
 * Delivers the commands queued for `agentId`, oldest first, one at a time (each waits for its reply
 * or timeout before the next goes), through a durable consumer on `SWARM_CMDS` filtered to the
 * agent's queue subject. Each message is acked once its receipt is settled, or skipped (acked) when
 * the receipt is settled already, expired, superseded or gone. The consumer is deleted at the end,
 * so no consumer outlives a drain; unacked messages stay in the (work-queue) stream for the next.
 *
 * A consumer found with unacknowledged messages belongs to a drain that died (a crashed or deposed
 * leader): it is replaced, so its messages come again at once — at least once; the agent
 * de-duplicates by command id.
 *
 * Resolves `"retry"` when a delivery found nobody serving the agent's subjects (the directory may
 * call it online before it subscribes) or the Bus failed: the caller tries again later.
 */
export async function drainAgent(
  parts: RouterParts,
  agentId: string,
  signal: AbortSignal,
  isOnline: () => boolean,
): Promise<DrainResult> {
  const { streams } = parts.opts.bus;
  const name = await consumerNameFor(agentId);
  const config = {
    name,
    filterSubject: subjects.commandQueue(agentId),
    ackWaitMs: parts.opts.ackWaitMs,
    maxInFlight: 1,
  };
  let consumer: Consumer = await streams.consumer(STREAMS.commands.name, config);
  try {
    if ((await consumer.info()).ackPending > 0) {
      await streams.deleteConsumer(STREAMS.commands.name, name);
      consumer = await streams.consumer(STREAMS.commands.name, config);
    }
    let empty = 0;
    while (!signal.aborted && isOnline() && empty < MAX_EMPTY_FETCHES) {
      if ((await consumer.info()).pending === 0) break;
      const [msg] = await consumer.fetch({ batch: 1, expiresMs: FETCH_EXPIRES_MS, signal });
      if (!msg) {
        empty++;
        continue;
      }
      empty = 0;
      if ((await deliverQueued(parts, agentId, msg, signal)) === "stop") return "retry";
    }
    return "done";
  } finally {
    await parts.opts.bus.flush().catch(() => {});
    await streams.deleteConsumer(STREAMS.commands.name, name).catch((err: unknown) => {
      if (!isSwarmError(err, "E_NOT_FOUND"))
        parts.opts.log.warn({ agentId, err }, "could not delete a drain consumer");
    });
  }
}

/** Delivers one queued message, or skips it; acks it unless the agent turned out to be unreachable. */
async function deliverQueued(
  parts: RouterParts,
  agentId: string,
  msg: StreamMsg,
  signal: AbortSignal,
): Promise<Step> {
  const { receipts, index, stats, opts } = parts;
  let cmd: Command;
  try {
    cmd = decodeMsg(msg.data, "swarmlink.v1.Command").payload;
    if (cmd.agentId !== agentId) throw new Error("queued under another agent");
  } catch (err) {
    stats.badInputs++;
    opts.log.warn({ agentId, seq: msg.seq, err }, "unreadable queued command dropped");
    msg.term("unreadable");
    return "next";
  }
  const done = async () => {
    msg.ack();
    await index.remove(agentId, [cmd.id]);
  };
  const cur = await receipts.read(cmd.id);
  if (!cur || isSettled(cur.receipt.state)) {
    // Superseded, swept, answered before a crash, or forgotten: nothing to deliver.
    await done();
    return "next";
  }
  if (parts.wire.clock.now() >= cmd.deadlineMs) {
    const r = await receipts.expire(cmd.id, cmd.deadlineMs, EXPIRY_REASONS.deadline);
    if (r?.moved) stats.expired++;
    await done();
    return "next";
  }
  const moved = await receipts.move(cmd.id, cmd.deadlineMs, [S.COMMAND_RECEIPT_STATE_QUEUED], () => ({
    state: S.COMMAND_RECEIPT_STATE_DELIVERED,
  }));
  // Settled meanwhile (conflated, swept): skip. DELIVERED already: a redelivery after a crash.
  if (!moved || isSettled(moved.receipt.state)) {
    await done();
    return "next";
  }
  const outcome = await forward(opts.bus, parts.wire, cmd, { timeoutMs: opts.deliveryTimeoutMs, signal });
  if (outcome.kind === "unreachable" || outcome.kind === "failed") {
    await receipts.move(cmd.id, cmd.deadlineMs, [S.COMMAND_RECEIPT_STATE_DELIVERED], () => ({
      state: S.COMMAND_RECEIPT_STATE_QUEUED,
    }));
    return "stop";
  }
  await settle(parts, cmd, outcome);
  // An unanswered command stays in the index: the sweeper expires it at its deadline.
  msg.ack();
  if (outcome.kind !== "unanswered") await index.remove(agentId, [cmd.id]);
  return "next";
}
