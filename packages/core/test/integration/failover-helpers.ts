import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Award, decodeEnvelope, parseSubject, unwrapAs } from "@swarmlink/protocol";

const FIXTURE = fileURLToPath(new URL("../fixtures/swarm-node.ts", import.meta.url));

export interface NodeEvent {
  nodeId: string;
  atMs: number;
  event: "started" | "leader" | "follower" | "stopped" | "profiled";
  token?: number;
  holder?: string | null;
}

/**
 * The awards a message on an agent's task subjects carries, as the agent receives them: one for an
 * Award (`agentTaskAward`), each of an AwardBatch (`agentTaskAwards`), none for anything else.
 */
export function awardsIn(subject: string, data: Uint8Array): Award[] {
  const kind = parseSubject(subject).kind;
  const env = decodeEnvelope(data);
  if (kind === "agentTaskAward") return [unwrapAs(env, "swarmlink.v1.Award")];
  if (kind === "agentTaskAwards") return unwrapAs(env, "swarmlink.v1.AwardBatch").awards as Award[];
  return [];
}

/** A SwarmNode in a child process; its JSON event lines are collected in `events`. */
export class NodeProcess {
  readonly proc: ChildProcess;
  readonly events: NodeEvent[] = [];
  #listeners = new Set<() => void>();

  constructor(
    readonly nodeId: string,
    natsUrl: string,
    store: string,
    leaseMs: number,
    renewMs: number,
  ) {
    this.proc = spawn(
      process.execPath,
      ["--import", "tsx", FIXTURE, nodeId, natsUrl, store, String(leaseMs), String(renewMs)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as NodeEvent);
      } catch {
        return; // not one of ours (a stray log line)
      }
      for (const l of this.#listeners) l();
    });
  }

  /** Resolves with the first event (from now on or already seen) that matches. */
  waitFor(match: (e: NodeEvent) => boolean, ms = 20_000): Promise<NodeEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.find(match);
        if (!e) return false;
        this.#listeners.delete(check);
        clearTimeout(t);
        resolve(e);
        return true;
      };
      const t = setTimeout(() => {
        this.#listeners.delete(check);
        reject(
          new Error(`${this.nodeId}: no matching event within ${ms} ms; saw ${JSON.stringify(this.events)}`),
        );
      }, ms);
      if (!check()) this.#listeners.add(check);
    });
  }

  get leading(): boolean {
    const last = [...this.events].reverse().find((e) => e.event === "leader" || e.event === "follower");
    return last?.event === "leader";
  }

  signal(sig: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGCONT");
    this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await new Promise((r) => this.proc.once("exit", r));
    clearTimeout(t);
  }
}

/** The first node whose most recent leadership event says it leads. */
export async function currentLeader(
  nodes: NodeProcess[],
  except?: NodeProcess,
  ms = 20_000,
): Promise<NodeProcess> {
  const deadline = Date.now() + ms;
  for (;;) {
    const leader = nodes.find(
      (n) => n !== except && n.leading && n.proc.exitCode === null && n.proc.signalCode === null,
    );
    if (leader) return leader;
    if (Date.now() > deadline) throw new Error("no leader among the nodes");
    await new Promise((r) => setTimeout(r, 20));
  }
}
