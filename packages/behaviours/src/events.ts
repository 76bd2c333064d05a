import type { Task } from "@swarmlink/protocol";

/** A point in the site frame, in metres. */
export interface Point {
  x: number;
  y: number;
}

/**
 * What a bound machine receives from Swarmlink (`bindBehaviour` sends these). Machines handle the
 * ones they care about and ignore the rest.
 */
export type SwarmEvent =
  /** An auction offers a task: answer with a `swarm.bid` effect in the same step, or stay silent. */
  | { type: "swarm.task.offered"; task: Task }
  /** A task was awarded and accepted by the agent: answer `swarm.accept` (then `swarm.complete` / `swarm.fail`) or `swarm.refuse`. */
  | { type: "swarm.task.awarded"; task: Task; attempt: number }
  /** The running task was cancelled, timed out or lost (`code` is the SwarmError code of the abort). */
  | { type: "swarm.task.cancelled"; taskId: string; code: string }
  /** The handler's result went out (after `swarm.complete` / `swarm.fail`). */
  | { type: "swarm.task.reported"; taskId: string }
  /** A command the binding serves (`commands` option). */
  | { type: "swarm.command"; name: string; args: unknown; commandId: string }
  /** A peer's presence changed. */
  | { type: "swarm.presence"; agentId: string; status: string; epoch: number }
  /** The holder of an election the binding joined changed. */
  | {
      type: "swarm.leader";
      group: string;
      holder: string | undefined;
      isLeader: boolean;
      token: number | undefined;
    }
  /** A tracked peer (the leader, for `follower`) published a pose. */
  | { type: "swarm.peer.pose"; agentId: string; x: number; y: number }
  /** A battery reading (from the robot, or a simulation). `level` is a fraction in [0, 1]. */
  | { type: "swarm.battery"; level: number }
  /** The actor was restored from a persisted snapshot after a restart: work in flight is gone. */
  | { type: "swarm.restored" };

/** What a bound machine asks of Swarmlink: emit these with XState's `emit` action. */
export type SwarmEffect =
  /** Bid `cost` (lower wins) for the task of the `swarm.task.offered` being processed. */
  | { type: "swarm.bid"; taskId: string; cost: number }
  /** Take the awarded task. */
  | { type: "swarm.accept"; taskId: string }
  /** Do not run the awarded task: it fails with `code` and the dispatcher retries it elsewhere. */
  | { type: "swarm.refuse"; taskId: string; code: string }
  /** Report progress of the running task, a fraction in [0, 1]. */
  | { type: "swarm.progress"; taskId: string; fraction: number }
  /** The task succeeded with `result` (JSON). */
  | { type: "swarm.complete"; taskId: string; result: unknown }
  /** The task failed with `code`. */
  | { type: "swarm.fail"; taskId: string; code: string; message: string }
  /** Publish a telemetry sample on `stream` (conflated when `conflate`). */
  | { type: "swarm.telemetry"; stream: string; value: unknown; conflate?: boolean }
  /** Take awards and bid (true) or refuse every award and bid nothing (false): "dropping credits". */
  | { type: "swarm.accepting"; accepting: boolean }
  /** Reply to the `swarm.command` being processed. */
  | { type: "swarm.reply"; commandId: string; result: unknown };

/** The task's id, or "" for none. */
export function taskIdOf(task: Task | undefined): string {
  return task?.id ?? "";
}
