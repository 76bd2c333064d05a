import type { AgentView } from "@swarmlink/core/internal";
import { nearArg, parse, SERVER_OPTIONS } from "../args.js";
import { UsageError } from "../errors.js";
import { age, json, table } from "../format.js";
import type { Io } from "../io.js";
import { interrupted, sleep, withRemote } from "./common.js";

/** How often `swarm agents --watch` refreshes, in ms. */
export const WATCH_INTERVAL_MS = 1000;

/** `swarm agents [--watch] [--capability c] [--near x,y,r] [--status s]`. */
export async function agents(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("agents", argv, {
    ...SERVER_OPTIONS,
    watch: { type: "boolean", short: "w" },
    capability: { type: "string", multiple: true },
    near: { type: "string" },
    status: { type: "string" },
  });
  if (values.help) return io.help("agents");
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`, "agents");
  const status = values.status?.split(",");
  if (status?.some((s) => !["online", "suspect", "offline"].includes(s)))
    throw new UsageError("--status must be online, suspect or offline (comma-separated)", "agents");
  const near = nearArg("agents", values.near);
  const query = {
    ...(values.capability ? { capabilities: values.capability.flatMap((c) => c.split(",")) } : {}),
    ...(near ? { near } : {}),
    ...(status ? { status: status as ("online" | "suspect" | "offline")[] } : {}),
  };
  return withRemote("agents", values, io, async (remote) => {
    const show = (list: AgentView[]) => io.out(values.json ? json(list) : agentTable(list));
    if (!values.watch) {
      show(await remote.agents(query));
      return 0;
    }
    const signal = interrupted();
    while (!signal.aborted) {
      const list = await remote.agents(query);
      if (!values.json)
        io.out(`\x1b[2J\x1b[H${new Date().toISOString()}  ${remote.url}  (Ctrl-C to stop)\n\n`);
      show(list);
      await sleep(WATCH_INTERVAL_MS, signal);
    }
    return 0;
  });
}

export function agentTable(list: AgentView[]): string {
  if (list.length === 0) return "no agents\n";
  const rows = list.map((a) => [
    a.id,
    a.kind,
    a.status,
    a.capabilities.join(",") || "-",
    a.position ? `${round(a.position.x)},${round(a.position.y)}` : "-",
    `${a.inFlight}/${a.credits}`,
    age(a.lastSeenMs),
  ]);
  return table(["ID", "KIND", "STATUS", "CAPABILITIES", "POSITION", "LOAD", "LAST SEEN"], rows);
}

const round = (n: number) => String(Math.round(n * 10) / 10);
