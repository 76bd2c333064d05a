import { decodeEnvelope, SwarmError, subjects, unwrapAs } from "@swarmlink/protocol";
import type { Agent, AgentLeadership } from "@swarmlink/sdk";
import type { Subscription } from "@swarmlink/transport";
import type { SwarmEvent } from "./events.js";
import type { ParsedBindOptions } from "./options.js";

/**
 * The agent's view of its peers: presence (`swarm.agents.watch`) as `swarm.presence`, the holders
 * of its elections as `swarm.leader`, and the pose telemetry of each holder as `swarm.peer.pose`.
 */
export class Peers {
  readonly #agent: Agent;
  readonly #o: ParsedBindOptions;
  readonly #send: (e: SwarmEvent) => void;
  readonly #ac = new AbortController();
  readonly #elections: AgentLeadership[] = [];
  readonly #offs: (() => void)[] = [];
  readonly #poses = new Map<string, { holder: string; sub: Subscription }>();
  #watching: Promise<void> | undefined;

  constructor(agent: Agent, o: ParsedBindOptions, send: (e: SwarmEvent) => void) {
    this.#agent = agent;
    this.#o = o;
    this.#send = send;
  }

  async start(): Promise<void> {
    if (this.#o.watchPresence && this.#o.swarm) this.#watching = this.#watch();
    for (const group of this.#o.elect) {
      const l = await this.#agent.elect(group);
      this.#elections.push(l);
      this.#offs.push(l.onChange((s) => this.#leader(group, s.holder, s.isLeader, s.token)));
      const s = l.state();
      this.#leader(group, s.holder, s.isLeader, s.token);
    }
  }

  async close(): Promise<void> {
    this.#ac.abort();
    for (const off of this.#offs.splice(0)) off();
    for (const { sub } of this.#poses.values()) sub.unsubscribe();
    this.#poses.clear();
    await Promise.all(this.#elections.splice(0).map((l) => l.resign().catch(() => {})));
    await this.#watching;
  }

  #leader(group: string, holder: string | undefined, isLeader: boolean, token: number | undefined): void {
    if (this.#ac.signal.aborted) return;
    this.#send({ type: "swarm.leader", group, holder, isLeader, token });
    if (this.#o.trackLeaderPose) this.#trackPose(group, isLeader ? undefined : holder);
  }

  #trackPose(group: string, holder: string | undefined): void {
    const held = this.#poses.get(group);
    if (held?.holder === holder) return;
    held?.sub.unsubscribe();
    this.#poses.delete(group);
    const bus = this.#o.swarm?.bus;
    if (!holder || !bus) return;
    const sub = bus.subscribe(subjects.agentTelemetry(holder, "pose"), {
      callback: (_err, m) => {
        try {
          const t = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.Telemetry");
          const c = t.pose?.position?.cartesian;
          if (c) this.#send({ type: "swarm.peer.pose", agentId: holder, x: c.x ?? 0, y: c.y ?? 0 });
        } catch {
          // not a pose: ignore
        }
      },
    });
    this.#poses.set(group, { holder, sub });
  }

  async #watch(): Promise<void> {
    const swarm = this.#o.swarm;
    if (!swarm) return;
    try {
      for await (const e of swarm.agents.watch({ signal: this.#ac.signal })) {
        if (e.agentId === this.#agent.id) continue;
        this.#send({ type: "swarm.presence", agentId: e.agentId, status: e.status, epoch: e.epoch });
      }
    } catch (err) {
      if (!this.#ac.signal.aborted)
        this.#o.onError(new SwarmError("E_UNAVAILABLE", "presence watch ended", {}, { cause: err }));
    }
  }
}
