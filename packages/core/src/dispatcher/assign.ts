import { type Task, TaskState, TaskStrategy } from "@swarmlink/protocol";
import type { AgentRecord } from "../types.js";
import {
  byId,
  byUrgency,
  capableAgents,
  hasFreeCredit,
  nearestIdle,
  pickLeastLoaded,
  taskPoint,
} from "./allocate.js";
import { type AuctionEntry, Auctioneer } from "./auctioneer.js";
import { Awarder } from "./awards.js";
import type { TermContext } from "./context.js";
import { accept, award, awardFailed } from "./lifecycle.js";
import type { TaskRecord } from "./record.js";

/**
 * Allocates waiting tasks and runs their awards, for one term. `pump()` walks the waiting tasks in
 * urgency order and, for each, picks an agent and takes one of its credits synchronously, before
 * anything is awaited: two tasks can never both take an agent's last credit. The award is then
 * written (AWARDED, attempt + 1) and only then sent, so every award an agent can receive is in the
 * Store first.
 *
 * `auction` tasks take no credit when the pass starts them: they are marked busy at once and take
 * their credit when the auction is decided, in the same synchronous step as the check that the
 * winner is still online with a free credit. Two or more auction tasks of one pass on the same
 * attempt are auctioned as one batch (`batchAuction`, unless turned off), whose awards all take
 * their credits in one synchronous step, so a batch never gives an agent more than its free credits.
 */
export class Assigner {
  #ctx: TermContext;
  /** Tasks this term is allocating or awarding right now. */
  #busy = new Set<string>();
  #scheduled = false;
  /** Agents each task failed on, this term. */
  #avoid = new Map<string, Set<string>>();
  #auctions: Auctioneer;
  #awarder: Awarder;
  /**
   * Capable agents by requirement (see `#capable`), as of directory generation `#capableAt` (the
   * roster generation, for a directory that has one).
   */
  #capableOf = new Map<string, AgentRecord[]>();
  #capableAt = -1;
  /**
   * The directory's `generation` when a list's records were last brought up to date (see
   * `#currentPositions`): lists kept at the roster generation, which moves ignore, and the pass's
   * lists drawn from them hold the positions of when they were made.
   */
  #positionsAt = new WeakMap<AgentRecord[], number>();
  #load = (agentId: string) => this.#ctx.credits.load(agentId);

  constructor(ctx: TermContext) {
    this.#ctx = ctx;
    this.#awarder = new Awarder(ctx);
    this.#auctions = new Auctioneer(ctx, {
      pick: (id, agents, r) => this.#pick(id, agents, r, false),
      award: (id, agentId, waited) => this.#award(id, agentId, waited),
      done: (id) => this.#done(id),
    });
  }

  /** Whether the task's award (or auction) is in flight here. */
  busy(taskId: string): boolean {
    return this.#busy.has(taskId);
  }

  /** Allocates soon: several calls in one turn make one pass. */
  pump(): void {
    if (this.#scheduled || this.#ctx.signal.aborted) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pass();
    });
  }

  #pass(): void {
    const { o, table, credits, signal } = this.#ctx;
    if (signal.aborted) return;
    const now = o.clock.now();
    const load = this.#load;
    const waiting: TaskRecord[] = [];
    for (const r of table.waiting()) {
      const due = !this.#busy.has(r.task.id) && r.notBeforeMs <= now;
      if (due && !(r.task.deadlineMs > 0 && r.task.deadlineMs <= now)) waiting.push(r);
    }
    if (waiting.length === 0) return;
    waiting.sort(byUrgency);
    // The capable agents with a free credit, per requirement, found once per pass rather than once
    // per waiting task: with a backlog, most tasks of a pass find every agent busy, and asking all
    // of them again for each task made a pass cost (waiting tasks × agents). A pass only takes
    // credits, so these lists only shrink: the agent a pick fills is dropped from its list (one
    // filled through another requirement's list stays, and picks pass over it), and a list whose
    // agents are all full is emptied, so the tasks after it cost a lookup.
    const free = new Map<string, AgentRecord[]>();
    /** This pass's auction tasks, by the attempt their award would be. */
    const auctions = new Map<number, AuctionEntry[]>();
    for (const r of waiting) {
      const agents = this.#freeFor(r.task, free);
      if (agents.length === 0) continue;
      const id = r.task.id;
      if (r.task.strategy === TaskStrategy.TASK_STRATEGY_AUCTION && o.auction) {
        const candidates = agents.filter((a) => hasFreeCredit(a, load)).map((a) => a.id);
        if (candidates.length === 0) {
          agents.length = 0;
          continue;
        }
        this.#busy.add(id);
        const round = r.attempts + 1;
        const group = auctions.get(round) ?? [];
        group.push({ id, candidates });
        auctions.set(round, group);
        continue;
      }
      const chosen = this.#pick(id, agents, r);
      if (!chosen) {
        agents.length = 0; // every agent of the list is full, and stays so for this pass
        continue;
      }
      credits.hold(chosen.id, id);
      if (!hasFreeCredit(chosen, load)) {
        // A pick from the directory (`nearestIdle`) may be another record of the agent: it stays
        // in the list, full, and later picks pass over it.
        const i = agents.indexOf(chosen);
        if (i !== -1) agents.splice(i, 1);
      }
      this.#busy.add(id);
      void this.#award(id, chosen.id, r).finally(() => this.#done(id));
    }
    for (const [round, entries] of auctions) {
      if (entries.length > 1 && o.batchAuction) void this.#auctions.batch(round, entries);
      else for (const e of entries) void this.#auctions.single(e.id, e.candidates);
    }
  }

  /**
   * For a task being taken in (not stored yet) while no other task waits: the agent a pass would
   * award it to right now, with that agent's credit held and the task marked busy; undefined when it
   * must wait like any other (something waits already — it must not jump the queue —, it is an
   * auction, or no capable agent has a free credit). The caller stores the task AWARDED to that
   * agent (attempt 1), then calls {@link Assigner.claimed} with the record, or with undefined when
   * it was not stored so.
   */
  claim(r: TaskRecord): string | undefined {
    const { o, table, credits } = this.#ctx;
    const t = r.task;
    if (table.waitingCount > 0 || (t.strategy === TaskStrategy.TASK_STRATEGY_AUCTION && o.auction)) return;
    // A known task (a duplicate submission) keeps the credit it holds; claiming would move it.
    if (table.get(t.id) || this.#busy.has(t.id)) return;
    const chosen = this.#pick(t.id, this.#capable(t), r);
    if (!chosen) return;
    credits.hold(chosen.id, t.id);
    this.#busy.add(t.id);
    return chosen.id;
  }

  /** The end of a {@link Assigner.claim}: sends the stored award, or gives the credit back. */
  claimed(id: string, rec: TaskRecord | undefined): void {
    if (!rec || rec.state !== TaskState.TASK_STATE_AWARDED) {
      this.#done(id);
      return;
    }
    this.#ctx.stats.awards++;
    this.#ctx.stats.latency(0);
    void this.#settle(rec).finally(() => this.#done(id));
  }

  /**
   * Remembers that an attempt of the task failed on `agentId`: later attempts go elsewhere when
   * another agent can take them (an agent that refuses, say, because its fence has seen a newer
   * leader, would otherwise be chosen again and again).
   */
  avoid(taskId: string, agentId: string): void {
    const set = this.#avoid.get(taskId) ?? new Set<string>();
    set.add(agentId);
    this.#avoid.set(taskId, set);
  }

  /** Forgets what `avoid` remembered of a finished task. */
  forget(taskId: string): void {
    this.#avoid.delete(taskId);
  }

  /**
   * The task's capable agents with a free credit, from this pass's lists (`free`, by requirement;
   * see `#pass`). A `direct` task's one agent is looked up each time.
   */
  #freeFor(t: Task, free: Map<string, AgentRecord[]>): AgentRecord[] {
    const load = this.#load;
    if (t.strategy === TaskStrategy.TASK_STRATEGY_DIRECT) {
      return this.#capable(t).filter((a) => hasFreeCredit(a, load));
    }
    const key = requirementKeyOf(t);
    let agents = free.get(key);
    if (!agents) {
      agents = this.#capable(t).filter((a) => hasFreeCredit(a, load));
      free.set(key, agents);
    }
    return agents;
  }

  /**
   * The queue choice, preferring agents the task has not failed on. `whole`: `agents` are the
   * task's capable agents (all of those with a free credit at least), in id order, drawn from the
   * kept lists (`#capable`); the pick may then stop at the first idle agent, and for a task with a
   * position on a large fleet it asks the directory for the nearest idle agent instead of measuring
   * the distance to each (`nearestIdle`: a pick cost O(agents) there, every task of a fleet's
   * backlog and every submission).
   */
  #pick(id: string, agents: AgentRecord[], r: TaskRecord, whole = true): AgentRecord | undefined {
    const load = this.#load;
    const at = taskPoint(r.task);
    const avoid = this.#avoid.get(id);
    if (at && whole && !avoid && this.#likelyIdle(agents.length)) {
      const near = nearestIdle(r.task, at, this.#ctx.o.directory, load);
      if (near) return near;
    }
    if (at && whole) this.#currentPositions(agents);
    const fresh = avoid ? agents.filter((a) => !avoid.has(a.id)) : agents;
    const first = pickLeastLoaded(fresh, load, at, whole);
    return first ?? (avoid ? pickLeastLoaded(agents, load, at, whole) : undefined);
  }

  /**
   * Whether a walk outward from a task is likely to meet an idle agent soon among `capable` agents:
   * there are enough of them for a scan to cost more, and at least one in {@link NEAREST_IDLE_SHARE}
   * is idle whoever the busy ones are.
   */
  #likelyIdle(capable: number): boolean {
    return (
      capable >= NEAREST_FROM && (capable - this.#ctx.credits.busyAgents) * NEAREST_IDLE_SHARE >= capable
    );
  }

  /**
   * Capable agents of the task's requirement, asked of the directory once per requirement while its
   * roster generation (else its generation) holds: every submission is claimed, and a query each
   * would cost more than the rest of the claim. `direct` asks for its one agent each time. In id
   * order (see `#pick`).
   */
  #capable(t: Task): AgentRecord[] {
    const { directory } = this.#ctx.o;
    // Kept across moves when the directory can say so: a fleet that reports its poses would
    // otherwise leave nothing to keep. Their positions are then brought up to date for tasks that
    // have one (`#currentPositions`).
    const roster = directory.rosterGeneration;
    const byRoster = Number.isSafeInteger(roster);
    const generation = byRoster ? roster! : directory.generation;
    // A directory without a generation (one written before it, in plain JS) is asked every time.
    if (t.strategy === TaskStrategy.TASK_STRATEGY_DIRECT || !Number.isSafeInteger(generation)) {
      return capableAgents(t, directory).sort(byId);
    }
    if (generation !== this.#capableAt || this.#capableOf.size >= CAPABLE_CACHE_LIMIT) {
      this.#capableOf.clear();
      this.#capableAt = generation;
    }
    const key = requirementKeyOf(t);
    let agents = this.#capableOf.get(key);
    if (!agents) {
      agents = capableAgents(t, directory).sort(byId);
      this.#capableOf.set(key, agents);
    }
    return agents;
  }

  /**
   * Brings a list's records up to date (in place, in its id order) if agents moved since it was:
   * before a scan that weighs distance. A lookup per agent of the list, once per move seen, where
   * asking the directory again would run its query.
   */
  #currentPositions(list: AgentRecord[]): void {
    const { directory } = this.#ctx.o;
    const at = directory.generation;
    if (!Number.isSafeInteger(directory.rosterGeneration) || this.#positionsAt.get(list) === at) return;
    for (let i = 0; i < list.length; i++) list[i] = directory.get(list[i]!.id) ?? list[i]!;
    this.#positionsAt.set(list, at);
  }

  /**
   * Sends an award this term inherited (AWARDED by an earlier term, unanswered as far as the records
   * go) to its agent again, as the same attempt under this term's token: an agent that has it
   * answers ACCEPTED without running it again, one that never got it starts it now. Its answer then
   * counts as for any award: accepted → RUNNING; refused, or silent while no report of the attempt
   * came → the attempt failed.
   */
  resend(id: string): void {
    const r = this.#ctx.table.get(id);
    if (!r || r.state !== TaskState.TASK_STATE_AWARDED || this.#busy.has(id)) return;
    this.#busy.add(id);
    void this.#settle(r).finally(() => this.#done(id));
  }

  #done(id: string): void {
    this.#busy.delete(id);
    const { table, credits } = this.#ctx;
    const cur = table.get(id);
    if (cur) credits.sync(cur);
    else credits.drop(id);
    this.#ctx.arm(id);
    this.#ctx.pump();
  }

  /** Writes the award, sends it, and records the answer. Never rejects. */
  async #award(id: string, agentId: string, waited: TaskRecord): Promise<void> {
    const { o, table, stats, signal } = this.#ctx;
    let rec: TaskRecord | undefined;
    try {
      rec = await table.apply(id, (r) => award(r, agentId, o.clock.now()));
    } catch (err) {
      this.#ctx.failed(err, "award not written", { taskId: id, agentId });
      return;
    }
    if (!rec || signal.aborted) return;
    stats.awards++;
    stats.latency(Math.max(0, rec.updatedMs - Math.max(waited.createdMs, waited.notBeforeMs)));
    o.log.debug({ taskId: id, agentId, attempt: rec.attempts }, "task awarded");
    await this.#settle(rec);
  }

  /** Sends the award of `rec`'s attempt and records the answer. Never rejects. */
  async #settle(rec: TaskRecord): Promise<void> {
    const { o, table, signal } = this.#ctx;
    const id = rec.task.id;
    const agentId = rec.assignee;
    const answer = await this.#awarder.ask(rec);
    if (signal.aborted) return;
    const attempt = rec.attempts;
    try {
      if (answer.accepted) {
        await table.apply(id, (r) => accept(r, attempt, o.clock.now()));
        return;
      }
      const failedRec = await table.apply(id, (r) =>
        awardFailed(
          r,
          attempt,
          { reason: answer.reason, error: answer.error, lost: answer.silent },
          o.clock.now(),
          this.#ctx.policy,
        ),
      );
      if (failedRec && answer.silent) this.#ctx.cancelOn(agentId, id, answer.reason);
    } catch (err) {
      this.#ctx.failed(err, "award answer not recorded", { taskId: id, agentId });
    }
  }
}

/** Fewest capable agents for which a pick asks the directory for the nearest (below, a scan is cheap). */
const NEAREST_FROM = 256;
/** A pick asks the directory for the nearest while at least one capable agent in this many is idle. */
const NEAREST_IDLE_SHARE = 8;

/** Requirements kept at once by `Assigner.#capable`; past it the map starts over. */
const CAPABLE_CACHE_LIMIT = 1024;

/** {@link requirementKey}s of the tasks held (a task's spec never changes once decoded). */
const requirementKeys = new WeakMap<Task, string>();

/** The task's requirement key, made once per task: a pass asks it of every waiting task. */
function requirementKeyOf(t: Task): string {
  let key = requirementKeys.get(t);
  if (key === undefined) {
    key = requirementKey(t);
    requirementKeys.set(t, key);
  }
  return key;
}

/** One string per requirement: the capabilities as given, then the attributes when there are any. */
function requirementKey(t: Task): string {
  for (const _ in t.attributes) return JSON.stringify([t.capabilities, Object.entries(t.attributes)]);
  return JSON.stringify(t.capabilities);
}
