import {
  isValidId,
  MAX_PRIORITY,
  MAX_SHORT_TEXT_BYTES,
  type PayloadInit,
  SwarmError,
  type Task,
  TaskStrategy,
} from "@swarmlink/protocol";
import type { Point } from "../types.js";

/** How the dispatcher allocates a task; see `Dispatcher`. */
export type StrategyName = "queue" | "auction" | "direct";

/** What `TaskClient.submit` takes: a task before it has an id. */
export interface TaskSpec {
  /** What the work is, e.g. `"pick"`; agents choose their handler by it. Non-empty, ≤ 256 bytes. */
  kind: string;
  /** Capabilities an agent must all have. @default [] (any agent) */
  capabilities?: string[];
  /** Attributes an agent must have with exactly these values. @default {} */
  attributes?: Record<string, string>;
  /** Where the work is, in the site frame (metres): the nearest of equally loaded agents wins. */
  position?: Point;
  /** 0 to 9; higher is served first. @default 0 */
  priority?: number;
  /** Not finished by this instant (ms since the epoch) → `EXPIRED`. @default 0 (none) */
  deadlineMs?: number;
  /** Awards before the task is dead-lettered. @default 0 (the dispatcher's `maxAttempts`) */
  maxAttempts?: number;
  /** @default "queue" */
  strategy?: StrategyName;
  /** The agent, for `strategy: "direct"` (and only then). */
  targetAgentId?: string;
  /** Input of the work, as submitter and agent agree (JSON recommended). */
  payload?: Uint8Array;
  /**
   * Names the task for good: every submission with this key is the same task (same id), run once,
   * however late it is retried. See `taskIdForKey`.
   */
  idempotencyKey?: string;
  /** Who submits, for audit. */
  submitter?: string;
}

const STRATEGIES: Record<StrategyName, TaskStrategy> = {
  queue: TaskStrategy.TASK_STRATEGY_QUEUE,
  auction: TaskStrategy.TASK_STRATEGY_AUCTION,
  direct: TaskStrategy.TASK_STRATEGY_DIRECT,
};

/**
 * The `swarmlink.v1.Task` for `spec` under `id`.
 *
 * @throws SwarmError `E_INVALID` naming the field when the spec is malformed (see {@link taskProblem}).
 */
export function buildTask(spec: TaskSpec, id: string): PayloadInit<"swarmlink.v1.Task"> {
  if (typeof spec !== "object" || spec === null) throw invalid("spec", "must be an object");
  const strategyName = spec.strategy ?? "queue";
  if (!Object.hasOwn(STRATEGIES, strategyName)) throw invalid("strategy", "must be queue, auction or direct");
  const p = spec.position;
  if (p !== undefined && !(Number.isFinite(p?.x) && Number.isFinite(p?.y) && Number.isFinite(p?.z ?? 0))) {
    throw invalid("position", "must have finite x, y (and z)");
  }
  const task = {
    id,
    kind: spec.kind,
    capabilities: spec.capabilities ?? [],
    attributes: spec.attributes ?? {},
    position: p ? { cartesian: { x: p.x, y: p.y, z: p.z ?? 0 } } : undefined,
    priority: spec.priority ?? 0,
    deadlineMs: spec.deadlineMs ?? 0,
    maxAttempts: spec.maxAttempts ?? 0,
    strategy: STRATEGIES[strategyName],
    targetAgentId: spec.targetAgentId ?? "",
    payload: spec.payload ?? new Uint8Array(0),
    idempotencyKey: spec.idempotencyKey ?? "",
    attempt: 0,
    submitter: spec.submitter ?? "",
  };
  const problem = taskProblem(task);
  if (problem) throw invalid(problem.field, problem.reason);
  return task;
}

/** A reason a task cannot be dispatched. */
export interface TaskProblem {
  field: string;
  reason: string;
}

/**
 * Why `task` cannot be dispatched, or undefined when it can. The dispatcher runs this on every
 * submission (a malformed one is dead-lettered with the reason); the client runs it before sending.
 */
export function taskProblem(
  task: Pick<
    Task,
    "id" | "kind" | "capabilities" | "attributes" | "priority" | "deadlineMs" | "maxAttempts" | "strategy"
  > & { targetAgentId: string },
): TaskProblem | undefined {
  if (!isValidId(task.id)) return { field: "id", reason: "must be a valid id" };
  if (typeof task.kind !== "string" || task.kind.length === 0) {
    return { field: "kind", reason: "must be a non-empty string" };
  }
  // A UTF-16 unit takes one to three bytes of UTF-8: measure only when the length cannot tell.
  const kindLength = task.kind.length;
  if (
    kindLength > MAX_SHORT_TEXT_BYTES ||
    (kindLength * 3 > MAX_SHORT_TEXT_BYTES && Buffer.byteLength(task.kind, "utf8") > MAX_SHORT_TEXT_BYTES)
  ) {
    return { field: "kind", reason: `must be at most ${MAX_SHORT_TEXT_BYTES} bytes` };
  }
  if (!Array.isArray(task.capabilities) || task.capabilities.some((c) => typeof c !== "string" || c === "")) {
    return { field: "capabilities", reason: "must be non-empty strings" };
  }
  const attrs = task.attributes;
  if (
    typeof attrs !== "object" ||
    attrs === null ||
    Object.values(attrs).some((v) => typeof v !== "string")
  ) {
    return { field: "attributes", reason: "must map strings to strings" };
  }
  if (!Number.isInteger(task.priority) || task.priority < 0 || task.priority > MAX_PRIORITY) {
    return { field: "priority", reason: `must be a whole number from 0 to ${MAX_PRIORITY}` };
  }
  if (!Number.isSafeInteger(task.deadlineMs) || task.deadlineMs < 0) {
    return { field: "deadlineMs", reason: "must be a whole number of ms since the epoch, or 0" };
  }
  if (!Number.isInteger(task.maxAttempts) || task.maxAttempts < 0 || task.maxAttempts > 0xffff_ffff) {
    return { field: "maxAttempts", reason: "must be a whole number ≥ 0" };
  }
  const direct = task.strategy === TaskStrategy.TASK_STRATEGY_DIRECT;
  if (direct && !isValidId(task.targetAgentId)) {
    return { field: "targetAgentId", reason: "must name the agent of a direct task" };
  }
  if (!direct && task.targetAgentId) {
    return { field: "targetAgentId", reason: "is only for strategy direct" };
  }
  const known = [
    TaskStrategy.TASK_STRATEGY_QUEUE,
    TaskStrategy.TASK_STRATEGY_AUCTION,
    TaskStrategy.TASK_STRATEGY_DIRECT,
  ];
  if (task.strategy !== TaskStrategy.TASK_STRATEGY_UNSPECIFIED && !known.includes(task.strategy)) {
    return { field: "strategy", reason: "is not a strategy this dispatcher knows" };
  }
  return undefined;
}

function invalid(field: string, reason: string): SwarmError {
  return new SwarmError("E_INVALID", `${field} ${reason}`, { field, reason });
}
