import type { SubmitBody, TaskView } from "@swarmlink/core/internal";
import { intArg, jsonArg, parse, SERVER_OPTIONS } from "../args.js";
import { UsageError } from "../errors.js";
import { age, json, short, table } from "../format.js";
import type { Io } from "../io.js";
import { interrupted, sleep, withRemote } from "./common.js";

const FINAL = new Set(["succeeded", "timed_out", "cancelled", "dead_lettered"]);
/** How often `swarm tasks watch` reads the task, in ms. */
export const TASK_POLL_MS = 250;

const OPTIONS = {
  ...SERVER_OPTIONS,
  capability: { type: "string", multiple: true },
  kind: { type: "string" },
  payload: { type: "string" },
  strategy: { type: "string" },
  agent: { type: "string" },
  priority: { type: "string" },
  at: { type: "string" },
  key: { type: "string" },
  limit: { type: "string" },
  state: { type: "string" },
  reason: { type: "string" },
} as const;

/** `swarm tasks submit|ls|show|cancel|watch`. */
export async function tasks(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse("tasks", argv, OPTIONS);
  const [sub, id, ...extra] = positionals;
  if (v.help || sub === undefined) return io.help("tasks");
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`, "tasks");
  const needId = () => {
    if (!id) throw new UsageError(`tasks ${sub} needs a task id`, "tasks");
    return id;
  };
  switch (sub) {
    case "submit": {
      if (id) throw new UsageError(`unexpected argument '${id}'`, "tasks");
      const body = submitBody(v);
      return withRemote("tasks", v, io, async (r) => {
        const { id: taskId } = await r.submit(body);
        io.out(v.json ? json({ id: taskId }) : `submitted ${taskId}\n`);
        return 0;
      });
    }
    case "ls":
    case "list": {
      const limit = intArg("tasks", "--limit", v.limit, 1);
      return withRemote("tasks", v, io, async (r) => {
        let list = await r.tasks(limit ? { limit } : {});
        if (v.state) list = list.filter((t) => t.state === v.state || t.wireState === v.state?.toUpperCase());
        io.out(v.json ? json(list) : taskTable(list));
        return 0;
      });
    }
    case "show":
      return withRemote("tasks", v, io, async (r) => {
        const t = await r.task(needId());
        io.out(v.json ? json(t) : showTask(t));
        return 0;
      });
    case "cancel":
      return withRemote("tasks", v, io, async (r) => {
        const t = await r.cancel(needId(), v.reason ?? "cancelled by swarm CLI");
        io.out(v.json ? json(t) : `${t.id}: ${t.state}${t.reason ? ` (${t.reason})` : ""}\n`);
        return 0;
      });
    case "watch":
      return withRemote("tasks", v, io, async (r) => watch(r.task, needId(), v.json === true, io));
    default:
      throw new UsageError(`unknown tasks command '${sub}' (submit, ls, show, cancel, watch)`, "tasks");
  }
}

function submitBody(v: Record<string, string | string[] | boolean | undefined>): SubmitBody {
  const caps = (v.capability as string[] | undefined)?.flatMap((c) => c.split(",")) ?? [];
  if (caps.length === 0 && v.kind === undefined)
    throw new UsageError("tasks submit needs --capability C (or --kind K)", "tasks");
  const strategy = (v.strategy as string | undefined) ?? (v.agent ? "direct" : "queue");
  if (!["queue", "auction", "direct"].includes(strategy))
    throw new UsageError("--strategy must be queue, auction or direct", "tasks");
  if (strategy === "direct" && !v.agent) throw new UsageError("--strategy direct needs --agent ID", "tasks");
  const at = (v.at as string | undefined)?.split(",").map(Number);
  if (at && (at.length !== 2 || !at.every(Number.isFinite)))
    throw new UsageError("--at must be x,y (metres)", "tasks");
  const body: SubmitBody = { capabilities: caps, strategy: strategy as SubmitBody["strategy"] };
  if (v.kind) body.kind = v.kind as string;
  if (v.agent) body.targetAgentId = v.agent as string;
  const priority = intArg("tasks", "--priority", v.priority as string | undefined);
  if (priority !== undefined) body.priority = priority;
  if (at) body.position = { x: at[0]!, y: at[1]! };
  if (v.key) body.idempotencyKey = v.key as string;
  const payload = jsonArg("tasks", "--payload", v.payload as string | undefined);
  if (payload !== undefined) body.payload = payload;
  return body;
}

async function watch(get: (id: string) => Promise<TaskView>, id: string, asJson: boolean, io: Io) {
  const signal = interrupted();
  let last = "";
  while (!signal.aborted) {
    const t = await get(id).catch((err: { code?: string }) => {
      if (err.code === "E_NOT_FOUND") return undefined; // submitted, not yet picked up
      throw err;
    });
    const line = t ? `${t.state} ${t.assignee} ${t.attempts}` : "";
    if (t && line !== last) {
      last = line;
      io.out(
        asJson
          ? `${JSON.stringify(t)}\n`
          : `${new Date().toISOString()}  ${t.state.padEnd(13)} ${t.assignee || "-"}  attempt ${t.attempts}\n`,
      );
      if (FINAL.has(t.state)) return t.state === "succeeded" ? 0 : 1;
    }
    await sleep(TASK_POLL_MS, signal);
  }
  return 1;
}

export function taskTable(list: TaskView[]): string {
  if (list.length === 0) return "no tasks\n";
  const rows = list.map((t) => [
    t.id,
    t.kind,
    t.strategy,
    t.state,
    t.assignee || "-",
    t.attempts,
    age(t.updatedMs),
  ]);
  return table(["ID", "KIND", "STRATEGY", "STATE", "ASSIGNEE", "ATTEMPTS", "UPDATED"], rows);
}

function showTask(t: TaskView): string {
  const rows: [string, unknown][] = [
    ["id", t.id],
    ["kind", t.kind],
    ["state", `${t.state} (${t.wireState})`],
    ["assignee", t.assignee || "-"],
    ["attempts", t.attempts],
    ["strategy", t.strategy],
    ["capabilities", t.capabilities.join(",") || "-"],
    ["updated", age(t.updatedMs)],
    ["reason", t.reason || "-"],
    ["result", t.result],
    ["error", t.error ? `${t.error.code}: ${t.error.message}` : "-"],
  ];
  return rows.map(([k, val]) => `${k.padEnd(13)} ${short(val, 200)}\n`).join("");
}
