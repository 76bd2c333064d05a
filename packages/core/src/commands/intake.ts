import {
  type Command,
  type CommandReceipt,
  CommandReceiptState,
  isSwarmError,
  isUlid,
  MAX_SHORT_TEXT_BYTES,
  SwarmError,
  ulid,
  validateId,
} from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import { forward } from "./forward.js";
import { commandIdFor } from "./ids.js";
import { DEFAULT_ANSWER_WITHIN_MS } from "./options.js";
import { enqueue, type RouterParts, settle } from "./parts.js";
import { CONFLATE_HEADER, decodeMsg, encodeError, encodeMsg } from "./wire.js";

/** A checked `commandSend` request. */
export interface SendRequest {
  cmd: Command;
  conflate: boolean;
  /** How long the caller waits for the receipt, in ms (the request envelope's TTL). */
  answerWithinMs: number;
}

const S = CommandReceiptState;

/**
 * Reads and checks a `commandSend` request: ids, the id (derived from the idempotency key, a
 * client's ULID, or a new one), the deadline (0: `maxTtlMs` from now).
 * @throws SwarmError `E_DECODE`, `E_INVALID` naming the field, … — all bad input.
 */
export async function readSendRequest(parts: RouterParts, msg: Msg): Promise<SendRequest> {
  const { ttlMs, payload: cmd } = decodeMsg(msg.data, "swarmlink.v1.Command");
  validateId("agentId", cmd.agentId);
  validateId("name", cmd.name);
  const now = parts.wire.clock.now();
  if (cmd.idempotencyKey !== "") {
    const derived = await commandIdFor(cmd.agentId, cmd.idempotencyKey);
    if (cmd.id !== "" && cmd.id !== derived) invalid("id", "must be commandIdFor(agentId, idempotencyKey)");
    cmd.id = derived;
  } else if (cmd.id === "") {
    cmd.id = ulid(now);
  } else if (!isUlid(cmd.id)) {
    invalid("id", "must be a ULID (or empty)");
  }
  const { maxTtlMs } = parts.opts;
  if (cmd.deadlineMs === 0) cmd.deadlineMs = now + maxTtlMs;
  else if (!Number.isSafeInteger(cmd.deadlineMs) || cmd.deadlineMs <= now)
    invalid("deadlineMs", "has passed");
  else if (cmd.deadlineMs - now > maxTtlMs)
    invalid("deadlineMs", `is more than maxTtlMs (${maxTtlMs} ms) away`);
  if (cmd.issuer.length > MAX_SHORT_TEXT_BYTES)
    invalid("issuer", `must be at most ${MAX_SHORT_TEXT_BYTES} characters`);
  const answerWithinMs = ttlMs > 0 ? ttlMs : DEFAULT_ANSWER_WITHIN_MS;
  return { cmd, conflate: msg.headers?.[CONFLATE_HEADER] === "1", answerWithinMs };
}

/**
 * Handles a checked send: an existing receipt is answered as it stands; a command to an online
 * agent with nothing queued is forwarded at once; anything else is queued. `answer` is called once
 * with the bytes for the caller; the handler may go on after it (a reply after the caller's wait).
 */
export async function handleSend(
  parts: RouterParts,
  req: SendRequest,
  answer: (data: Uint8Array) => void,
  signal: AbortSignal,
): Promise<void> {
  const { cmd } = req;
  const { directory } = parts.opts;
  const existing = await parts.receipts.read(cmd.id);
  if (existing) return answerExisting(parts, req, existing.receipt, answer);
  const online = directory.get(cmd.agentId)?.status === "online";
  // Commands still waiting for this agent go first: a new one joins the queue behind them.
  if (online && (await parts.index.entries(cmd.agentId)).length === 0) {
    return sendNow(parts, req, answer, signal);
  }
  await queueNew(parts, req, answer);
}

async function sendNow(
  parts: RouterParts,
  req: SendRequest,
  answer: (data: Uint8Array) => void,
  signal: AbortSignal,
): Promise<void> {
  const { cmd } = req;
  const { clock } = parts.wire;
  const receipt = await create(parts, req, S.COMMAND_RECEIPT_STATE_DELIVERED, answer);
  if (!receipt) return;
  // The caller stops listening at the end of its wait: answer DELIVERED a little before, if need be.
  const marginMs = Math.min(250, Math.floor(req.answerWithinMs / 10));
  const early = clock.setTimeout(() => answer(receiptBytes(parts, receipt)), req.answerWithinMs - marginMs);
  const outcome = await forward(parts.opts.bus, parts.wire, cmd, {
    timeoutMs: parts.opts.deliveryTimeoutMs,
    signal,
  });
  clock.clearTimeout(early);
  if (outcome.kind === "unreachable" || (outcome.kind === "failed" && !signal.aborted)) {
    // Not there after all (or the Bus hiccuped): the command waits in the queue instead.
    await parts.receipts.move(cmd.id, cmd.deadlineMs, [S.COMMAND_RECEIPT_STATE_DELIVERED], () => ({
      state: S.COMMAND_RECEIPT_STATE_QUEUED,
    }));
    return enqueueAndAnswer(parts, req, answer);
  }
  if (outcome.kind === "failed") {
    answer(
      encodeError(
        parts.wire,
        new SwarmError("E_UNAVAILABLE", "command router stopped", { commandId: cmd.id }),
      ),
    );
    return;
  }
  if (outcome.kind === "unanswered") {
    // Let the sweeper settle it at the deadline, as it does for drained commands.
    await parts.index.add(cmd.agentId, { id: cmd.id, name: cmd.name, deadlineMs: cmd.deadlineMs }, false);
  }
  const settled = await settle(parts, cmd, outcome);
  answer(receiptBytes(parts, settled ?? receipt));
}

async function queueNew(
  parts: RouterParts,
  req: SendRequest,
  answer: (data: Uint8Array) => void,
): Promise<void> {
  if (await create(parts, req, S.COMMAND_RECEIPT_STATE_QUEUED, answer))
    await enqueueAndAnswer(parts, req, answer);
}

async function enqueueAndAnswer(parts: RouterParts, req: SendRequest, answer: (data: Uint8Array) => void) {
  const { cmd } = req;
  try {
    await enqueue(parts, cmd, req.conflate);
  } catch (err) {
    // Nothing half-done may look like a queued command: a retry with the same key starts afresh.
    await parts.receipts.remove(cmd.id);
    throw err;
  }
  parts.stats.queued++;
  const cur = await parts.receipts.read(cmd.id);
  answer(receiptBytes(parts, cur?.receipt ?? queuedReceipt(cmd)));
}

/** Creates the receipt; when another request got there first, answers with its receipt instead. */
async function create(
  parts: RouterParts,
  req: SendRequest,
  state: CommandReceiptState,
  answer: (data: Uint8Array) => void,
): Promise<CommandReceipt | undefined> {
  const { cmd } = req;
  try {
    return await parts.receipts.create(
      { commandId: cmd.id, agentId: cmd.agentId, name: cmd.name, state },
      cmd.deadlineMs,
    );
  } catch (err) {
    if (!isSwarmError(err, "E_EXISTS")) throw err;
    const existing = await parts.receipts.read(cmd.id);
    if (!existing) throw err;
    await answerExisting(parts, req, existing.receipt, answer);
    return undefined;
  }
}

async function answerExisting(
  parts: RouterParts,
  req: SendRequest,
  receipt: CommandReceipt,
  answer: (data: Uint8Array) => void,
): Promise<void> {
  const { cmd } = req;
  if (receipt.agentId !== cmd.agentId || receipt.name !== cmd.name) {
    parts.stats.badInputs++;
    const err = new SwarmError("E_CONFLICT", "this idempotency key was used for another command", {
      field: "idempotencyKey",
      commandId: cmd.id,
    });
    answer(encodeError(parts.wire, err));
    return;
  }
  parts.stats.duplicates++;
  // A crash may have stopped the first attempt between receipt and queue: finish the job (idempotent).
  if (receipt.state === S.COMMAND_RECEIPT_STATE_QUEUED) await enqueue(parts, cmd, req.conflate);
  answer(receiptBytes(parts, receipt));
}

function queuedReceipt(cmd: Command): Pick<CommandReceipt, "commandId" | "agentId" | "name" | "state"> {
  return { commandId: cmd.id, agentId: cmd.agentId, name: cmd.name, state: S.COMMAND_RECEIPT_STATE_QUEUED };
}

function receiptBytes(parts: RouterParts, r: Partial<CommandReceipt>): Uint8Array {
  return encodeMsg(parts.wire, "swarmlink.v1.CommandReceipt", r);
}

function invalid(field: string, why: string): never {
  throw new SwarmError("E_INVALID", `${field} ${why}`, { field });
}
