import {
  type CommandReceipt,
  CommandReceiptState,
  CommandStatus,
  type TaskInfo,
  TaskStrategy,
} from "@swarmlink/protocol";
import { agentFromInfo } from "../registry/agent.js";
import type { AgentInfoInit } from "../registry/mod.js";
import { lifecycleName, taskStateName } from "../tasks/states.js";

/** An agent as the operator API (`GET /v1/agents`, `swarm agents --json`) shows it. */
export interface AgentView {
  id: string;
  kind: string;
  capabilities: string[];
  status: string;
  attributes: Record<string, string>;
  position: { x: number; y: number } | null;
  credits: number;
  inFlight: number;
  epoch: number;
  lastSeenMs: number;
  displayName: string;
  softwareVersion: string;
}

/** A task as the operator API shows it; `state` is the life-cycle name (`pending`, `running`, …). */
export interface TaskView {
  id: string;
  kind: string;
  state: string;
  /** The wire state's short name, e.g. `QUEUED`, `ACCEPTED`. */
  wireState: string;
  assignee: string;
  attempts: number;
  strategy: string;
  capabilities: string[];
  priority: number;
  createdMs: number;
  updatedMs: number;
  reason: string;
  result: unknown;
  error: { code: string; message: string } | null;
}

/** `GET /v1/leader`, `swarm leader --json`. */
export interface LeaderView {
  group: string;
  holder: string | null;
  token: number | null;
  /** When the holder won its term, ms since the epoch. */
  since: number | null;
}

/** A command's receipt as the operator API shows it. */
export interface ReceiptView {
  commandId: string;
  agentId: string;
  name: string;
  state: string;
  reply: { status: string; result: unknown; error: { code: string; message: string } | null } | null;
}

const decoder = new TextDecoder();

/** Bytes as JSON when they parse, else as text; empty → null. */
export function bytesView(b: Uint8Array | null | undefined): unknown {
  if (!b || b.length === 0) return null;
  const text = decoder.decode(b);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function agentView(info: AgentInfoInit): AgentView | undefined {
  const a = agentFromInfo(info, undefined);
  if (!a) return undefined;
  return {
    id: a.id,
    kind: a.kind,
    capabilities: [...a.capabilities],
    status: a.status,
    attributes: { ...a.attributes },
    position: a.position ? { x: a.position.x, y: a.position.y } : null,
    credits: a.credits,
    inFlight: a.inFlight,
    epoch: a.epoch,
    lastSeenMs: a.lastSeenMs,
    displayName: a.displayName,
    softwareVersion: a.softwareVersion,
  };
}

const STRATEGY_NAMES: Record<number, string> = {
  [TaskStrategy.TASK_STRATEGY_QUEUE]: "queue",
  [TaskStrategy.TASK_STRATEGY_AUCTION]: "auction",
  [TaskStrategy.TASK_STRATEGY_DIRECT]: "direct",
};

export function taskView(info: TaskInfo): TaskView {
  const t = info.task;
  return {
    id: t?.id ?? "",
    kind: t?.kind ?? "",
    state: lifecycleName(info.state),
    wireState: taskStateName(info.state),
    assignee: info.assignee ?? "",
    attempts: info.attempts ?? 0,
    strategy: STRATEGY_NAMES[t?.strategy ?? 0] ?? "queue",
    capabilities: [...(t?.capabilities ?? [])],
    priority: t?.priority ?? 0,
    createdMs: Number(info.createdMs ?? 0),
    updatedMs: Number(info.updatedMs ?? 0),
    reason: info.reason ?? "",
    result: bytesView(info.result),
    error: info.error?.code ? { code: info.error.code, message: info.error.message ?? "" } : null,
  };
}

export function receiptView(r: CommandReceipt): ReceiptView {
  const reply = r.reply;
  return {
    commandId: r.commandId,
    agentId: r.agentId,
    name: r.name,
    state: (CommandReceiptState[r.state] ?? String(r.state)).replace("COMMAND_RECEIPT_STATE_", ""),
    reply: reply
      ? {
          status: (CommandStatus[reply.status ?? 0] ?? String(reply.status)).replace("COMMAND_STATUS_", ""),
          result: bytesView(reply.result),
          error: reply.error?.code ? { code: reply.error.code, message: reply.error.message ?? "" } : null,
        }
      : null,
  };
}
