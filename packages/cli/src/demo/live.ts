import { taskView } from "@swarmlink/core/internal";
import { decodeEnvelope, subjectPatterns, unwrapAs } from "@swarmlink/protocol";
import type { RunningSwarm } from "../swarm.js";

/** A live log: `line` prints one timestamped line; `stop` unsubscribes. */
export interface LiveLog {
  line(s: string): void;
  stop(): void;
}

type Lead = { group: string; holder: string | undefined; token: number | undefined };

/** Prints what happens in the swarm (leader, presence, awards, results), one readable line per event. */
export function liveLog(swarm: RunningSwarm, write: (s: string) => void): LiveLog {
  const t0 = Date.now();
  const line = (s: string) => write(`${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s  ${s}\n`);
  const { node } = swarm;
  const leader = (s: Lead) =>
    line(
      s.holder
        ? `★ leader of '${s.group}': ${s.holder} (fencing token ${s.token})`
        : `★ '${s.group}' has no leader`,
    );
  const offLead = node.leadership.onChange(leader);
  if (node.leadership.state().holder) leader(node.leadership.state());
  const offPresence = node.registry.directory.onPresence((e) => {
    const a = node.registry.directory.get(e.agentId);
    const what = a ? `${a.kind}, ${a.capabilities.join("+")}` : "";
    if (e.status === "online") line(`+ ${e.agentId} joined (${what}, epoch ${e.epoch})`);
    else line(`- ${e.agentId} ${e.status}${e.reason ? ` (${e.reason})` : ""}`);
  });
  const started = new Map<string, number>();
  const sub = swarm.bus.subscribe(subjectPatterns.taskEvents, {
    callback: (err, m) => {
      if (err) return;
      let v: ReturnType<typeof taskView>;
      try {
        v = taskView(unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskInfo"));
      } catch {
        return;
      }
      const id = v.id.slice(-6);
      if (v.state === "offered") line(`  task …${id} ${v.kind}: auction open`);
      else if (v.state === "assigned") {
        started.set(v.id, Date.now());
        line(
          `→ task …${id} ${v.kind} (${v.strategy}) awarded to ${v.assignee}${v.attempts > 1 ? `, attempt ${v.attempts}` : ""}`,
        );
      } else if (v.state === "succeeded") {
        const ms = Date.now() - (started.get(v.id) ?? Date.now());
        started.delete(v.id);
        line(`✓ task …${id} done by ${v.assignee} in ${ms} ms: ${JSON.stringify(v.result)}`);
      } else if (["timed_out", "cancelled", "dead_lettered"].includes(v.state))
        line(`✗ task …${id} ${v.state}${v.reason ? `: ${v.reason}` : ""}`);
    },
  });
  return {
    line,
    stop: () => {
      offLead();
      offPresence();
      sub.unsubscribe();
    },
  };
}
