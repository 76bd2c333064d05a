import { intArg, jsonArg, parse, SERVER_OPTIONS } from "../args.js";
import { UsageError } from "../errors.js";
import { json, short } from "../format.js";
import type { Io } from "../io.js";
import { interrupted, sleep, withRemote } from "./common.js";

/** `swarm command AGENT NAME [ARGS-JSON]`: exit 0 when the agent replied OK. */
export async function command(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse("command", argv, {
    ...SERVER_OPTIONS,
    ttl: { type: "string" },
    key: { type: "string" },
  });
  if (v.help) return io.help("command");
  const [agentId, name, args, ...extra] = positionals;
  if (!agentId || !name) throw new UsageError("command needs AGENT and NAME", "command");
  if (extra.length)
    throw new UsageError(`unexpected argument '${extra[0]}' (quote the JSON args)`, "command");
  const body = {
    agentId,
    name,
    args: jsonArg("command", "ARGS", args),
    ...(v["timeout-ms"] ? { timeoutMs: intArg("command", "--timeout-ms", v["timeout-ms"], 1) } : {}),
    ...(v.ttl ? { ttlMs: intArg("command", "--ttl", v.ttl, 1) } : {}),
    ...(v.key ? { idempotencyKey: v.key } : {}),
  };
  return withRemote("command", { ...v, "timeout-ms": undefined }, io, async (r) => {
    const receipt = await r.command(body);
    if (v.json) io.out(json(receipt));
    else {
      const reply = receipt.reply;
      io.out(`${receipt.commandId}: ${receipt.state}`);
      io.out(
        reply
          ? ` ${reply.status} ${reply.error ? `${reply.error.code}: ${reply.error.message}` : short(reply.result, 200)}\n`
          : "\n",
      );
    }
    return receipt.reply?.status === "OK" || (!receipt.reply && receipt.state !== "EXPIRED") ? 0 : 1;
  });
}

/** `swarm leader [GROUP]` → holder, fencing token, since. */
export async function leader(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse("leader", argv, SERVER_OPTIONS);
  if (v.help) return io.help("leader");
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, "leader");
  const group = positionals[0] ?? "coordinator";
  return withRemote("leader", v, io, async (r) => {
    const l = await r.leader(group);
    if (v.json) io.out(json(l));
    else if (!l.holder) io.out(`${group}: no leader\n`);
    else
      io.out(
        `${group}: ${l.holder}  token ${l.token}  since ${l.since ? new Date(l.since).toISOString() : "-"}\n`,
      );
    return l.holder ? 0 : 1;
  });
}

/** `swarm top`: the node's status, refreshed every second (`--once` prints it once). */
export async function top(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse("top", argv, { ...SERVER_OPTIONS, once: { type: "boolean" } });
  if (v.help) return io.help("top");
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`, "top");
  return withRemote("top", v, io, async (r) => {
    const signal = interrupted();
    let prev: { at: number; done: number } | undefined;
    do {
      const s = (await r.status()) as Status;
      const done = Object.values(s.tasks?.finished ?? {}).reduce((a, b) => a + b, 0);
      const now = Date.now();
      const rate = prev ? ((done - prev.done) * 1000) / Math.max(1, now - prev.at) : undefined;
      prev = { at: now, done };
      if (v.json) io.out(`${JSON.stringify({ ...s, tasksPerSec: rate ?? null })}\n`);
      else io.out(`${v.once ? "" : "\x1b[2J\x1b[H"}${render(r.url, s, rate)}`);
      if (!v.once) await sleep(1000, signal);
    } while (!v.once && !signal.aborted);
    return 0;
  });
}

interface Status {
  nodeId?: string;
  leader?: { holder: string | null; token: number | null };
  agents?: Record<string, number>;
  tasks?: {
    byState?: Record<string, number>;
    finished?: Record<string, number>;
    awards?: number;
    retries?: number;
  };
  commands?: Record<string, unknown>;
  gateway?: {
    connected?: number;
    registered?: number;
    held?: number;
    heldHighWater?: number;
    rateFactor?: number;
    refused?: Record<string, number>;
  };
}

function render(url: string, s: Status, rate: number | undefined): string {
  const kv = (o: Record<string, unknown> | undefined) =>
    Object.entries(o ?? {})
      .filter(([, n]) => typeof n === "number")
      .map(([k, n]) => `${k} ${n}`)
      .join("  ") || "-";
  return [
    `swarm top  ${url}  ${new Date().toISOString()}`,
    "",
    `node       ${s.nodeId ?? "-"}   leader ${s.leader?.holder ?? "none"} (token ${s.leader?.token ?? "-"})`,
    `agents     ${kv(s.agents)}`,
    `tasks      ${kv(s.tasks?.byState)}`,
    `finished   ${kv(s.tasks?.finished)}   ${rate === undefined ? "" : `${rate.toFixed(1)} tasks/s`}`,
    `dispatch   awards ${s.tasks?.awards ?? "-"}  retries ${s.tasks?.retries ?? "-"}`,
    `queues     pending ${s.tasks?.byState?.QUEUED ?? 0}  awarded ${s.tasks?.byState?.AWARDED ?? 0}  running ${(s.tasks?.byState?.ACCEPTED ?? 0) + (s.tasks?.byState?.PROGRESS ?? 0)}`,
    `commands   ${kv(s.commands)}`,
    s.gateway
      ? `mqtt       devices ${s.gateway.connected ?? 0} (registered ${s.gateway.registered ?? 0})  PUBACKs held ${s.gateway.held ?? 0} (high ${s.gateway.heldHighWater ?? 0})  rate ×${(s.gateway.rateFactor ?? 1).toFixed(2)}`
      : "mqtt       -",
    s.gateway ? `drops      ${kv(s.gateway.refused)}` : "drops      -",
    "",
  ].join("\n");
}
