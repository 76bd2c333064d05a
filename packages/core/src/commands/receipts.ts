import {
  type Clock,
  type CommandReceipt,
  CommandReceiptState,
  type CommandReply,
  CommandStatus,
  decodePayload,
  encodePayload,
  isSwarmError,
  kvKeys,
  SwarmError,
  subjects,
  swarmlink,
} from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import type { CommandLogger } from "./log.js";
import { type ExpiryReason, encodeMsg, type WireContext } from "./wire.js";

/** Compare-and-set attempts before a receipt write gives up with `E_CONFLICT`. */
const MAX_CAS_ATTEMPTS = 16;

/** A receipt and the Store revision it was read at. */
export interface StoredReceipt {
  receipt: CommandReceipt;
  revision: number;
}

/** What a move did: the receipt as it now stands, and whether this call changed it. */
export interface MoveResult {
  receipt: CommandReceipt;
  moved: boolean;
}

/** Fields of a new receipt. */
export type ReceiptInit = Pick<CommandReceipt, "commandId" | "agentId" | "name" | "state">;

/**
 * Receipts in the Store (`kvKeys.command(id)`, a `CommandReceipt`), written with compare-and-set and
 * published on `subjects.commandReceipt(id)` after every change. Each write sets the key's TTL to
 * the command's remaining time plus a grace, so a receipt can be watched until it settles and
 * storage stays bounded.
 */
export class ReceiptBook {
  readonly #store: Store;
  readonly #bus: Bus;
  readonly #wire: WireContext;
  readonly #graceMs: number;
  readonly #log: CommandLogger;

  constructor(opts: { store: Store; bus: Bus; wire: WireContext; graceMs: number; log: CommandLogger }) {
    this.#store = opts.store;
    this.#bus = opts.bus;
    this.#wire = opts.wire;
    this.#graceMs = opts.graceMs;
    this.#log = opts.log;
  }

  get #clock(): Clock {
    return this.#wire.clock;
  }

  /** The receipt of `commandId`, if the Store still holds it. @throws SwarmError `E_DECODE` for a corrupt one. */
  async read(commandId: string): Promise<StoredReceipt | undefined> {
    const entry = await this.#store.get(kvKeys.command(commandId));
    if (!entry) return undefined;
    return { receipt: decodePayload("swarmlink.v1.CommandReceipt", entry.value), revision: entry.revision };
  }

  /** Creates the receipt. @throws SwarmError `E_EXISTS` when the command already has one. */
  async create(init: ReceiptInit, deadlineMs: number): Promise<CommandReceipt> {
    const receipt = swarmlink.v1.CommandReceipt.create({ ...init, updatedMs: this.#clock.now() });
    await this.#store.create(kvKeys.command(init.commandId), this.#encode(receipt), this.#ttl(deadlineMs));
    this.publish(receipt);
    return receipt;
  }

  /**
   * Moves the receipt on with `change` if it is in one of the `from` states; returns it unchanged
   * (`moved: false`) otherwise, and undefined when it is gone.
   */
  async move(
    commandId: string,
    deadlineMs: number,
    from: readonly CommandReceiptState[],
    change: (r: CommandReceipt) => Partial<CommandReceipt>,
  ): Promise<MoveResult | undefined> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const cur = await this.read(commandId);
      if (!cur) return undefined;
      if (!from.includes(cur.receipt.state)) return { receipt: cur.receipt, moved: false };
      const next = swarmlink.v1.CommandReceipt.create({
        ...cur.receipt,
        ...change(cur.receipt),
        updatedMs: Math.max(this.#clock.now(), cur.receipt.updatedMs),
      });
      try {
        const key = kvKeys.command(commandId);
        await this.#store.update(key, this.#encode(next), cur.revision, this.#ttl(deadlineMs));
      } catch (err) {
        if (isSwarmError(err, "E_CONFLICT")) continue;
        throw err;
      }
      this.publish(next);
      return { receipt: next, moved: true };
    }
    throw new SwarmError("E_CONFLICT", "receipt kept changing under compare-and-set", { commandId });
  }

  /** Settles an unsettled receipt as EXPIRED with a synthesized TIMEOUT reply naming `reason`. */
  expire(
    commandId: string,
    deadlineMs: number,
    reason: ExpiryReason,
    context: Record<string, string> = {},
  ): Promise<MoveResult | undefined> {
    const S = CommandReceiptState;
    return this.move(
      commandId,
      deadlineMs,
      [S.COMMAND_RECEIPT_STATE_QUEUED, S.COMMAND_RECEIPT_STATE_DELIVERED],
      (r) => ({
        state: S.COMMAND_RECEIPT_STATE_EXPIRED,
        reply: expiredReply(r, reason, context),
      }),
    );
  }

  /** Removes a receipt (when queueing failed half-way, so that a retry starts afresh). */
  async remove(commandId: string): Promise<void> {
    await this.#store.delete(kvKeys.command(commandId)).catch((err: unknown) => {
      this.#log.warn({ commandId, err }, "could not remove a receipt");
    });
  }

  /** Publishes a receipt change; core publish is at most once, which watchers make up for by polling. */
  publish(receipt: CommandReceipt): void {
    try {
      this.#bus.publish(
        subjects.commandReceipt(receipt.commandId),
        encodeMsg(this.#wire, "swarmlink.v1.CommandReceipt", receipt),
      );
    } catch (err) {
      this.#log.warn({ commandId: receipt.commandId, err }, "could not publish a receipt change");
    }
  }

  #encode(receipt: CommandReceipt): Uint8Array {
    return encodePayload("swarmlink.v1.CommandReceipt", receipt);
  }

  #ttl(deadlineMs: number): { ttlMs: number } {
    return { ttlMs: Math.max(1, Math.ceil(deadlineMs - this.#clock.now())) + this.#graceMs };
  }
}

/** The reply an EXPIRED receipt carries: status TIMEOUT, error `E_TIMEOUT` with `context.reason`. */
export function expiredReply(
  r: Pick<CommandReceipt, "commandId" | "agentId">,
  reason: ExpiryReason,
  context: Record<string, string> = {},
): CommandReply {
  const message =
    reason === "conflated" ? "superseded by a newer command of the same name" : "deadline passed";
  return swarmlink.v1.CommandReply.create({
    id: r.commandId,
    agentId: r.agentId,
    status: CommandStatus.COMMAND_STATUS_TIMEOUT,
    error: { code: "E_TIMEOUT", message, context: { ...context, reason } },
  });
}
