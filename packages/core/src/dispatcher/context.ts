import type { FencedStore } from "../election/mod.js";
import type { Credits } from "./credits.js";
import type { TermEnvelopes } from "./envelopes.js";
import type { RetryPolicy } from "./lifecycle.js";
import type { ParsedDispatcherOptions } from "./options.js";
import type { StatsCollector } from "./stats.js";
import type { TaskTable } from "./table.js";

/** What the parts of one leadership term share. Private to the dispatcher. */
export interface TermContext {
  readonly o: ParsedDispatcherOptions;
  /** The term's fencing token. */
  readonly token: number;
  /** Aborted when the term ends. */
  readonly signal: AbortSignal;
  readonly fenced: FencedStore;
  readonly table: TaskTable;
  readonly credits: Credits;
  readonly stats: StatsCollector;
  readonly policy: RetryPolicy;
  readonly envelopes: TermEnvelopes;
  /** Allocates waiting tasks soon (coalesced). */
  pump(): void;
  /** Re-arms the task's timer from its record as it is now. */
  arm(taskId: string): void;
  /** Tells an agent to stop a task (`subjects.agentTaskCancel`). */
  cancelOn(agentId: string, taskId: string, reason: string): void;
  /** Handles a failure of background work: E_FENCED ends the term, anything else is logged. */
  failed(err: unknown, what: string, fields?: object): void;
}
