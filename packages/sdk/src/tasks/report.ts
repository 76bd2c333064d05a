import { type ReportBatcher, reportAlone } from "@swarmlink/core";
import { type Clock, isSwarmError, type PayloadInit, type TaskInfo, TaskState } from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";

export type ResultInit = PayloadInit<"swarmlink.v1.TaskResult">;

/** What a reporter needs. */
export interface ReportDeps {
  bus: Bus;
  clock: Clock;
  agentId: string;
  timeoutMs: number;
  retryMs: number;
  /** Sends reports together (the agent's `batches`); absent: one request per report. */
  reports?: ReportBatcher | undefined;
}

/**
 * Sends one report; resolves with the leader's TaskInfo (the ack; without the task's spec when it
 * went in a batch). Throws the Bus's or the leader's error.
 */
export async function reportOnce(d: ReportDeps, r: ResultInit): Promise<TaskInfo> {
  if (d.reports) return d.reports.report(r);
  return reportAlone(
    { bus: d.bus, source: d.agentId, clock: d.clock, timeoutMs: d.timeoutMs },
    r.taskId ?? "",
    r,
  );
}

/**
 * Reports until a leader acknowledges: during a failover nobody answers (E_NO_RESPONDERS, E_TIMEOUT)
 * for up to a lease; after a NATS reconnect the request goes through again. Gives up only when
 * `signal` fires (the agent closing for good) — then resolves undefined.
 */
export async function reportUntilAcked(
  d: ReportDeps,
  r: ResultInit,
  signal: AbortSignal,
): Promise<TaskInfo | undefined> {
  while (!signal.aborted) {
    try {
      return await reportOnce(d, r);
    } catch (err) {
      if (isSwarmError(err, "E_CLOSED")) return undefined;
      await new Promise<void>((resolve) => {
        const t = d.clock.setTimeout(done, d.retryMs);
        function done() {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }
        function onAbort() {
          d.clock.clearTimeout(t);
          done();
        }
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
  return undefined;
}

/**
 * Whether the leader's record says this attempt is no longer ours: another agent or a later attempt
 * holds the task, or it was ended (cancelled, expired, dead-lettered) without us.
 */
export function superseded(info: TaskInfo, agentId: string, attempt: number): boolean {
  if (info.assignee && info.assignee !== agentId) return true;
  if ((info.attempts ?? 0) > attempt) return true;
  return (
    info.state === TaskState.TASK_STATE_CANCELLED ||
    info.state === TaskState.TASK_STATE_EXPIRED ||
    info.state === TaskState.TASK_STATE_DEAD_LETTERED ||
    info.state === TaskState.TASK_STATE_QUEUED
  );
}
