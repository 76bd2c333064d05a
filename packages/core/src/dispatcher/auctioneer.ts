import { type Task, TaskState } from "@swarmlink/protocol";
import type { AgentRecord } from "../types.js";
import { capableAgents, hasFreeCredit } from "./allocate.js";
import type { AuctionOutcome, BatchAuctionOutcome } from "./auction-port.js";
import type { TermContext } from "./context.js";
import { offer, unoffer } from "./lifecycle.js";
import { type TaskRecord, taskForAttempt } from "./record.js";

/** What the auctions need of the Assigner. Private to the dispatcher. */
export interface AwardHooks {
  /** The `queue` choice among `agents` (the fallback when no bidder can take the task). */
  pick(id: string, agents: AgentRecord[], r: TaskRecord): AgentRecord | undefined;
  /** Writes and sends the award of a task that already holds the agent's credit. Never rejects. */
  award(id: string, agentId: string, waited: TaskRecord): Promise<void>;
  /** The task is no longer allocated or awarded here. */
  done(id: string): void;
}

/** An auction task of one allocation pass and the agents invited to bid for it. */
export interface AuctionEntry {
  id: string;
  candidates: string[];
}

type Bids = AuctionOutcome["bids"];

/**
 * Runs the auctions of one term: `single` for a task alone, `batch` for several on the same attempt.
 * Both mark the task OFFERED, collect bids, then take the chosen agents' credits synchronously (the
 * whole batch in one step), each after checking the agent is still online with a free credit; a
 * task no bidder can take falls back to `queue`, and one nobody can take goes back to QUEUED.
 */
export class Auctioneer {
  readonly #ctx: TermContext;
  readonly #hooks: AwardHooks;

  constructor(ctx: TermContext, hooks: AwardHooks) {
    this.#ctx = ctx;
    this.#hooks = hooks;
  }

  /** Contract net: offer, collect bids, award the cheapest; queue if nobody bids. Never rejects. */
  async single(id: string, candidates: string[]): Promise<void> {
    const { o, table, credits, stats, signal } = this.#ctx;
    let awarded = false;
    try {
      const rec = (await table.apply(id, (r) => offer(r, o.clock.now()))) ?? table.get(id);
      if (!rec || rec.state !== TaskState.TASK_STATE_OFFERED || signal.aborted) return;
      stats.auctions++;
      const outcome = await o.auction!({
        bus: o.bus,
        task: taskForAttempt(rec.task, rec.attempts + 1),
        candidates,
        ...(o.bidWindowMs === undefined ? {} : { windowMs: o.bidWindowMs }),
        coordinatorId: o.coordinatorId,
        round: rec.attempts + 1,
        clock: o.clock,
        signal,
      });
      if (signal.aborted) return;
      const chosen = this.#choose(rec, [outcome.winner, ...outcome.bids.map((b) => b.agentId)]);
      if (!chosen) return;
      credits.hold(chosen.id, id);
      awarded = true;
      o.log.debug({ taskId: id, agentId: chosen.id, cost: outcome.cost }, "auction decided");
      await this.#hooks.award(id, chosen.id, rec);
    } catch (err) {
      this.#ctx.failed(err, "auction failed", { taskId: id });
    } finally {
      if (!awarded) await this.#release(id);
      else this.#hooks.done(id);
    }
  }

  /**
   * Contract net for several tasks of attempt `round` at once (`batchAuction`): offers them all,
   * collects bids in one window, and awards each task to the agent the batch allocation gave it.
   * Never rejects.
   */
  async batch(round: number, entries: readonly AuctionEntry[]): Promise<void> {
    const { o, stats, signal } = this.#ctx;
    const offered: TaskRecord[] = [];
    const awarded = new Set<string>();
    try {
      const recs = await Promise.all(entries.map((e) => this.#offer(e.id)));
      for (const r of recs) if (r && r.attempts + 1 === round) offered.push(r);
      if (signal.aborted || offered.length === 0) return;
      stats.auctions += offered.length;
      stats.batchAuctions++;
      const invited = new Map(entries.map((e) => [e.id, e.candidates]));
      const outcome = await o.batchAuction!({
        bus: o.bus,
        tasks: offered.map((r) => taskForAttempt(r.task, round)),
        candidates: (task: Task) => invited.get(task.id) ?? [],
        credits: (agentId) => this.#free(agentId),
        ...(o.bidWindowMs === undefined ? {} : { windowMs: o.bidWindowMs }),
        coordinatorId: o.coordinatorId,
        round,
        clock: o.clock,
        signal,
      });
      if (signal.aborted) return;
      const plan = this.#place(offered, outcome);
      for (const [id, { agentId, rec }] of plan) {
        awarded.add(id);
        const allocated = outcome.awards.get(id);
        const cost = allocated?.agentId === agentId ? allocated.cost : undefined;
        o.log.debug({ taskId: id, agentId, cost, batch: offered.length }, "batch auction decided");
        void this.#hooks.award(id, agentId, rec).finally(() => this.#hooks.done(id));
      }
    } catch (err) {
      this.#ctx.failed(err, "batch auction failed", { taskIds: entries.map((e) => e.id) });
    } finally {
      await Promise.all(entries.filter((e) => !awarded.has(e.id)).map((e) => this.#release(e.id)));
    }
  }

  /**
   * Takes the credits of a batch's awards in one synchronous step: first every task whose allocated
   * agent is still online with a free credit, then, in urgency order, the others: to their cheapest
   * bidder that can still take them, else to the `queue` choice.
   */
  #place(recs: readonly TaskRecord[], outcome: BatchAuctionOutcome) {
    const { credits } = this.#ctx;
    const plan = new Map<string, { agentId: string; rec: TaskRecord }>();
    const rest: TaskRecord[] = [];
    for (const rec of recs) {
      const agent = this.#usable(outcome.awards.get(rec.task.id)?.agentId);
      if (!agent) rest.push(rec);
      else {
        credits.hold(agent.id, rec.task.id);
        plan.set(rec.task.id, { agentId: agent.id, rec });
      }
    }
    for (const rec of rest) {
      const bids: Bids = outcome.auctions?.get(rec.task.id)?.bids ?? [];
      const chosen = this.#choose(
        rec,
        bids.map((b) => b.agentId),
      );
      if (!chosen) continue;
      credits.hold(chosen.id, rec.task.id);
      plan.set(rec.task.id, { agentId: chosen.id, rec });
    }
    return plan;
  }

  /** The first of `bidders` still online with a free credit, else (a fallback) the `queue` choice. */
  #choose(rec: TaskRecord, bidders: readonly (string | undefined)[]): AgentRecord | undefined {
    const { o, stats } = this.#ctx;
    for (const id of bidders) {
      const agent = this.#usable(id);
      if (agent) return agent;
    }
    stats.auctionFallbacks++;
    return this.#hooks.pick(rec.task.id, capableAgents(rec.task, o.directory), rec);
  }

  #usable(agentId: string | undefined): AgentRecord | undefined {
    if (agentId === undefined) return undefined;
    const agent = this.#ctx.o.directory.get(agentId);
    const load = (a: string) => this.#ctx.credits.load(a);
    return agent && agent.status === "online" && hasFreeCredit(agent, load) ? agent : undefined;
  }

  /** Free credits of an agent now: credits − tasks holding one; 0 unless online. */
  #free(agentId: string): number {
    const agent = this.#ctx.o.directory.get(agentId);
    if (agent?.status !== "online") return 0;
    return Math.max(0, Math.floor(agent.credits) - this.#ctx.credits.load(agentId));
  }

  /** QUEUED → OFFERED; the record if it is OFFERED now, else undefined. */
  async #offer(id: string): Promise<TaskRecord | undefined> {
    const { o, table } = this.#ctx;
    try {
      const rec = (await table.apply(id, (r) => offer(r, o.clock.now()))) ?? table.get(id);
      return rec?.state === TaskState.TASK_STATE_OFFERED ? rec : undefined;
    } catch (err) {
      this.#ctx.failed(err, "offer not written", { taskId: id });
      return undefined;
    }
  }

  /** OFFERED → QUEUED (unless the term is over), then the task is free again. */
  async #release(id: string): Promise<void> {
    const { o, table, signal } = this.#ctx;
    if (!signal.aborted) {
      await table
        .apply(id, (r) => unoffer(r, o.clock.now()))
        .catch((err) => this.#ctx.failed(err, "unoffer"));
    }
    this.#hooks.done(id);
  }
}
