import { holder } from "./lifecycle.js";
import type { TaskRecord } from "./record.js";

/**
 * Which agent each task holds a credit of, counted from the dispatcher's own records: a task holds
 * one from the moment it is chosen for an agent (before the award is even written) until its attempt
 * ends. `load(agent)` is therefore never below what the agent has been given, and the allocator
 * never gives an agent more than `credits - load`.
 */
export class Credits {
  #byTask = new Map<string, string>();
  #byAgent = new Map<string, number>();

  /** Tasks holding a credit of `agentId`. */
  load(agentId: string): number {
    return this.#byAgent.get(agentId) ?? 0;
  }

  /** Agents holding at least one task: every other agent is idle. */
  get busyAgents(): number {
    return this.#byAgent.size;
  }

  /** The agent whose credit `taskId` holds, if any. */
  holderOf(taskId: string): string | undefined {
    return this.#byTask.get(taskId);
  }

  /** `taskId` takes (or keeps) a credit of `agentId`, giving back any other it held. */
  hold(agentId: string, taskId: string): void {
    const had = this.#byTask.get(taskId);
    if (had === agentId) return;
    if (had !== undefined) this.drop(taskId);
    this.#byTask.set(taskId, agentId);
    this.#byAgent.set(agentId, this.load(agentId) + 1);
  }

  /** `taskId` gives its credit back; true when it held one. */
  drop(taskId: string): boolean {
    const agentId = this.#byTask.get(taskId);
    if (agentId === undefined) return false;
    this.#byTask.delete(taskId);
    const n = this.load(agentId) - 1;
    if (n > 0) this.#byAgent.set(agentId, n);
    else this.#byAgent.delete(agentId);
    return true;
  }

  /** Follows a record just written or loaded: it holds its assignee's credit exactly while it runs. */
  sync(r: TaskRecord): boolean {
    const agentId = holder(r);
    if (agentId === undefined) return this.drop(r.task.id);
    this.hold(agentId, r.task.id);
    return false;
  }

  /** Loads per agent, for stats. */
  loads(): Map<string, number> {
    return new Map(this.#byAgent);
  }
}
