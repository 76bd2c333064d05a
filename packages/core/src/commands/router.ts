import { setMaxListeners } from "node:events";
import { parseSubject, SwarmError, subjectPatterns, subjects, type TimerHandle } from "@swarmlink/protocol";
import type { Msg, Subscription } from "@swarmlink/transport";
import { handleSend, readSendRequest } from "./intake.js";
import { LeaderDuties } from "./leader.js";
import { type CommandRouterOptions, type ParsedRouterOptions, parseRouterOptions } from "./options.js";
import { type CommandRouterSnapshot, queueStreamConfig, type RouterParts, zeroStats } from "./parts.js";
import { QueueIndex } from "./queue-index.js";
import { ReceiptBook } from "./receipts.js";
import { COMMAND_QUEUE_GROUP, encodeError, encodeMsg } from "./wire.js";

type Handler = (msg: Msg, answer: (data: Uint8Array) => void) => Promise<void>;

/**
 * The swarm side of commands, one per node. Every router serves `subjects.commandSend()` and
 * `subjects.commandGet(id)` in the queue group `"swarm-commands"`; the one whose `isAuthority()`
 * holds (the leader) also drains queues when agents come online and sweeps deadlines.
 *
 * Wire contract:
 * - `commandSend`: request `Command` (Envelope; its `ttlMs` is how long the caller waits, header
 *   `swarm-conflate: 1` asks for conflation) → `CommandReceipt`, or `swarmlink.v1.Error` for bad
 *   input (`E_DECODE`, `E_INVALID` naming the field, `E_CONFLICT` for a reused idempotency key,
 *   `E_OVERFLOW` when busy or the agent's queue is full). The id is `commandIdFor(agentId, key)` when
 *   an idempotency key is given, else the caller's ULID, else a new ULID. A known id is answered
 *   with its receipt as it stands: nothing is sent twice.
 * - Online agent (per the directory) with nothing queued: the `Command` goes to
 *   `subjects.agentCommand(agentId, name)` as a request; its `CommandReply` settles the receipt
 *   REPLIED (UNKNOWN_COMMAND, REJECTED… pass through). No reply by the deadline: EXPIRED. No reply
 *   within the caller's wait: the caller gets DELIVERED, the receipt moves on later. No responders:
 *   the command is queued instead.
 * - Otherwise: QUEUED, in the `SWARM_CMDS` stream on `subjects.commandQueue(agentId)` (msgId = id)
 *   and in the agent's index `kvKeys.commandQueue(agentId)`. With conflation, older queued commands of
 *   the same agent and name are settled EXPIRED (`reply.error.context.reason = "conflated"`).
 * - Receipts: `kvKeys.command(id)` (TTL = time to deadline + `receiptGraceMs`); every change is
 *   published on `subjects.commandReceipt(id)`. EXPIRED receipts carry a TIMEOUT reply with
 *   `error.code = "E_TIMEOUT"` and `context.reason` `"deadline"` or `"conflated"`.
 * - `commandGet`: any request → the `CommandReceipt`, or Error `E_NOT_FOUND`.
 *
 * @example
 * ```ts
 * const router = new CommandRouter({ bus, store, directory: registry, isAuthority: () => leadership.isLeader });
 * await router.start();
 * // … later
 * log.info(router.stats(), "commands");
 * await router.stop();
 * ```
 */
export class CommandRouter {
  readonly #opts: ParsedRouterOptions;
  readonly #parts: RouterParts;
  readonly #ctl = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stopping = new Set<Promise<void>>();
  #subs: Subscription[] = [];
  #duties: LeaderDuties | undefined;
  #authTimer: TimerHandle | undefined;
  #state: "new" | "started" | "stopped" = "new";

  /** @throws SwarmError `E_CONFIG` naming the offending option. */
  constructor(opts: CommandRouterOptions) {
    this.#opts = parseRouterOptions(opts);
    // Every delivery in flight listens for the stop: as many listeners as requests, by design.
    setMaxListeners(this.#opts.maxInFlight + 16, this.#ctl.signal);
    const { store, bus, clock, log } = this.#opts;
    const wire = { source: this.#opts.nodeId, clock };
    const graceMs = this.#opts.receiptGraceMs;
    this.#parts = {
      opts: this.#opts,
      wire,
      receipts: new ReceiptBook({ store, bus, wire, graceMs, log }),
      index: new QueueIndex({ store, clock, graceMs, maxEntries: this.#opts.maxQueuedPerAgent }),
      stats: zeroStats(),
    };
  }

  /** Creates (or updates) the `SWARM_CMDS` stream, subscribes, and checks authority. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new SwarmError("E_CLOSED", "a router starts once");
    this.#state = "started";
    const { bus } = this.#opts;
    await bus.streams.ensure(queueStreamConfig(this.#opts));
    this.#subs = [
      this.#serve(subjects.commandSend(), (m, answer) => this.#send(m, answer)),
      this.#serve(subjectPatterns.commandGets, (m, answer) => this.#get(m, answer)),
    ];
    this.#checkAuthority();
  }

  /** Stops serving, aborts drains and deliveries in progress, and waits for its handlers to end. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    for (const s of this.#subs) s.unsubscribe();
    this.#opts.clock.clearTimeout(this.#authTimer);
    this.#ctl.abort();
    if (this.#duties) this.#stopping.add(this.#duties.stop());
    this.#duties = undefined;
    await Promise.allSettled([...this.#inFlight, ...this.#stopping]);
  }

  /** Counters since construction, and the current load. */
  stats(): CommandRouterSnapshot {
    return {
      ...this.#parts.stats,
      inFlight: this.#inFlight.size,
      draining: this.#duties?.draining ?? 0,
      authority: this.#duties !== undefined,
    };
  }

  #serve(subject: string, handler: Handler): Subscription {
    return this.#opts.bus.subscribe(subject, {
      queue: COMMAND_QUEUE_GROUP,
      callback: (err, msg) => {
        if (!err) this.#admit(msg, handler);
      },
    });
  }

  /** Runs a handler unless `maxInFlight` run already (then `E_OVERFLOW`); answers once, never throws. */
  #admit(msg: Msg, handler: Handler): void {
    const { stats, wire } = this.#parts;
    let answered = false;
    const answer = (data: Uint8Array) => {
      if (answered) return;
      answered = true;
      try {
        msg.respond(data);
      } catch (err) {
        this.#opts.log.debug({ err }, "could not answer a command request");
      }
    };
    if (this.#inFlight.size >= this.#opts.maxInFlight) {
      stats.overflows++;
      answer(
        encodeError(
          wire,
          new SwarmError("E_OVERFLOW", "command router busy", { maxInFlight: this.#opts.maxInFlight }),
        ),
      );
      return;
    }
    const run = handler(msg, answer).catch((err: unknown) => {
      stats.failures++;
      this.#opts.log.warn({ subject: msg.subject, err }, "command request failed");
      answer(encodeError(wire, err));
    });
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #send(msg: Msg, answer: (data: Uint8Array) => void): Promise<void> {
    let req: Awaited<ReturnType<typeof readSendRequest>>;
    try {
      req = await readSendRequest(this.#parts, msg);
    } catch (err) {
      this.#parts.stats.badInputs++;
      answer(encodeError(this.#parts.wire, err));
      return;
    }
    this.#parts.stats.sent++;
    await handleSend(this.#parts, req, answer, this.#ctl.signal);
  }

  async #get(msg: Msg, answer: (data: Uint8Array) => void): Promise<void> {
    let commandId: string;
    try {
      const route = parseSubject(msg.subject);
      if (route.kind !== "commandGet") throw new SwarmError("E_INVALID", "not a receipt request");
      commandId = route.commandId;
    } catch (err) {
      this.#parts.stats.badInputs++;
      answer(encodeError(this.#parts.wire, err));
      return;
    }
    const cur = await this.#parts.receipts.read(commandId);
    const { wire } = this.#parts;
    if (cur) answer(encodeMsg(wire, "swarmlink.v1.CommandReceipt", cur.receipt));
    else
      answer(encodeError(wire, new SwarmError("E_NOT_FOUND", "no receipt for this command", { commandId })));
  }

  #checkAuthority(): void {
    if (this.#state !== "started") return;
    let authority = false;
    try {
      authority = this.#opts.isAuthority() === true;
    } catch (err) {
      this.#opts.log.warn({ err }, "isAuthority threw; acting as a follower");
    }
    if (authority && !this.#duties) {
      this.#duties = new LeaderDuties(this.#parts);
      this.#opts.log.info({ nodeId: this.#opts.nodeId }, "command router took the leader's duties");
    } else if (!authority && this.#duties) {
      const stopped = this.#duties.stop();
      this.#duties = undefined;
      this.#stopping.add(stopped);
      void stopped.finally(() => this.#stopping.delete(stopped));
      this.#opts.log.info({ nodeId: this.#opts.nodeId }, "command router gave up the leader's duties");
    }
    this.#authTimer = this.#opts.clock.setTimeout(() => this.#checkAuthority(), this.#opts.authorityCheckMs);
  }
}
