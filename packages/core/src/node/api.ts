import { kvKeys, SwarmError } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import { CommandClient } from "../commands/mod.js";
import { readElection } from "../election/mod.js";
import { queryAgents } from "../registry/mod.js";
import { TaskClient } from "../tasks/mod.js";
import type { TaskSpec } from "../tasks/spec.js";
import type { AgentQuery } from "../types.js";
import {
  type AgentView,
  agentView,
  type LeaderView,
  type ReceiptView,
  receiptView,
  type TaskView,
  taskView,
} from "./views.js";

/** What `POST /v1/tasks` takes (JSON); `capability` is a shorthand for one capability. */
export interface SubmitBody {
  kind?: string;
  capability?: string;
  capabilities?: string[];
  strategy?: "queue" | "auction" | "direct";
  targetAgentId?: string;
  priority?: number;
  position?: { x: number; y: number };
  /** Any JSON value; sent as its JSON bytes. */
  payload?: unknown;
  idempotencyKey?: string;
  deadlineMs?: number;
}

/** What `POST /v1/commands` takes (JSON). */
export interface CommandBody {
  agentId: string;
  name: string;
  args?: unknown;
  timeoutMs?: number;
  ttlMs?: number;
  idempotencyKey?: string;
}

/** The operator's calls, over any Bus and Store: served as JSON by `serveHttp`, used by `swarm` over NATS. */
export interface OperatorApi {
  agents(q: AgentQuery): Promise<AgentView[]>;
  tasks(opts?: { limit?: number }): Promise<TaskView[]>;
  task(id: string): Promise<TaskView>;
  submit(body: SubmitBody): Promise<{ id: string; duplicate: boolean }>;
  cancel(id: string, reason?: string): Promise<TaskView>;
  command(body: CommandBody): Promise<ReceiptView>;
  leader(group: string): Promise<LeaderView>;
}

/**
 * The operator API over a Bus (registry queries, the TaskClient, the CommandClient) and the Store
 * holding the elections (for `leader`; without one, `leader` fails `E_UNSUPPORTED`).
 *
 * @example
 * ```ts
 * const api = operatorApi({ bus, store });
 * const { id } = await api.submit({ capability: "lift", payload: { bin: 4 } });
 * console.log((await api.task(id)).state);
 * ```
 */
export function operatorApi(o: { bus: Bus; store?: Store; source?: string }): OperatorApi {
  const source = o.source ?? "operator";
  const tasks = new TaskClient({ bus: o.bus, source });
  const commands = new CommandClient({ bus: o.bus, issuer: source });
  return {
    agents: async (q) =>
      (await queryAgents(o.bus, q, { source })).flatMap((i) => agentView(i) ?? []).sort(byId),
    tasks: async (opts = {}) => (await tasks.list(opts.limit ? { limit: opts.limit } : {})).map(taskView),
    task: async (id) => taskView(await tasks.get(id)),
    submit: (body) => tasks.submit(specOf(body)),
    cancel: async (id, reason) => taskView(await tasks.cancel(id, reason ?? "")),
    command: async (b) => {
      if (typeof b?.agentId !== "string" || typeof b.name !== "string")
        throw new SwarmError("E_INVALID", "agentId and name are required", { field: "agentId" });
      const receipt = await commands.send(b.agentId, b.name, b.args, {
        ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}),
        ...(b.ttlMs !== undefined ? { ttlMs: b.ttlMs } : {}),
        ...(b.idempotencyKey !== undefined ? { idempotencyKey: b.idempotencyKey } : {}),
      });
      return receiptView(receipt);
    },
    leader: async (group) => {
      if (!o.store) throw new SwarmError("E_UNSUPPORTED", "no Store to read elections from", { group });
      const e = await o.store.get(kvKeys.election(group));
      const r = e ? readElection(e.value, e.revision) : undefined;
      return { group, holder: r?.holder ?? null, token: r?.token ?? null, since: r?.sinceMs ?? null };
    },
  };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A TaskSpec from a submit body. @throws SwarmError `E_INVALID` naming the field. */
export function specOf(b: SubmitBody): TaskSpec {
  if (typeof b !== "object" || b === null) throw new SwarmError("E_INVALID", "body must be a JSON object");
  const caps = b.capabilities ?? (b.capability !== undefined ? [b.capability] : []);
  if (!Array.isArray(caps))
    throw new SwarmError("E_INVALID", "capabilities must be an array", { field: "capabilities" });
  const spec: TaskSpec = { kind: b.kind ?? caps[0] ?? "task", capabilities: caps };
  if (b.strategy !== undefined) spec.strategy = b.strategy;
  if (b.targetAgentId !== undefined) spec.targetAgentId = b.targetAgentId;
  if (b.priority !== undefined) spec.priority = b.priority;
  if (b.position !== undefined) spec.position = b.position;
  if (b.deadlineMs !== undefined) spec.deadlineMs = b.deadlineMs;
  if (b.idempotencyKey !== undefined) spec.idempotencyKey = b.idempotencyKey;
  if (b.payload !== undefined) spec.payload = new TextEncoder().encode(JSON.stringify(b.payload));
  return spec;
}
