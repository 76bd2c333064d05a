import { Gauge, Registry } from "prom-client";
import type { SwarmNode } from "./node.js";

/**
 * Prometheus metrics of one node. Gauges are read from the parts' own counters when scraped, so
 * the hot paths pay nothing for them.
 */
export function nodeMetrics(node: SwarmNode): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: node.nodeId });
  new Gauge({
    name: "swarm_agents",
    help: "Agents known to this node, by presence state",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const a = node.registry.stats().agents;
      this.set({ state: "online" }, a.online);
      this.set({ state: "suspect" }, a.suspect);
      this.set({ state: "offline" }, a.offline);
    },
  });
  new Gauge({
    name: "swarm_tasks",
    help: "Unfinished tasks held by the leader's dispatcher, by state (0 on standbys)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, n] of Object.entries(node.dispatcher.stats().tasksByState)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: "swarm_tasks_finished",
    help: "Tasks finished under this node's leadership, by final state",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      for (const [state, n] of Object.entries(node.dispatcher.stats().finished)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: "swarm_leader",
    help: "1 while this node leads the coordinator group",
    registers: [registry],
    collect() {
      this.set(node.leadership.isLeader ? 1 : 0);
    },
  });
  new Gauge({
    name: "swarm_leader_term",
    help: "Fencing token of the coordinator term this node knows of",
    registers: [registry],
    collect() {
      this.set(node.leadership.state().token ?? 0);
    },
  });
  new Gauge({
    name: "swarm_commands",
    help: "Command router counters (sent, queued, delivered, replied, expired, conflated, bad inputs, overflows)",
    labelNames: ["counter"],
    registers: [registry],
    collect() {
      for (const [k, v] of Object.entries(node.commands.stats()))
        if (typeof v === "number") this.set({ counter: k }, v);
    },
  });
  new Gauge({
    name: "swarm_dispatcher",
    help: "Dispatcher counters (awards, retries, dead letters, auctions, fenced writes, malformed submissions and requests)",
    labelNames: ["counter"],
    registers: [registry],
    collect() {
      const s = node.dispatcher.stats();
      const counters = { ...s, tasksByState: undefined, finished: undefined, loads: undefined };
      for (const [k, v] of Object.entries(counters)) if (typeof v === "number") this.set({ counter: k }, v);
    },
  });
  new Gauge({
    name: "swarm_registry",
    help: "Registry counters (registrations, heartbeats, stale-epoch heartbeats, bad inputs, …)",
    labelNames: ["counter"],
    registers: [registry],
    collect() {
      const { agents: _agents, isAuthority: _authority, ...counters } = node.registry.stats();
      for (const [k, v] of Object.entries(counters)) if (typeof v === "number") this.set({ counter: k }, v);
    },
  });
  new Gauge({
    name: "swarm_dispatch_latency_ms",
    help: "Dispatch latency over the dispatcher's recent awards (from allocatable to awarded)",
    labelNames: ["quantile"],
    registers: [registry],
    collect() {
      const xs = [...node.dispatcher.stats().dispatchLatencyMs].sort((a, b) => a - b);
      if (xs.length === 0) return;
      for (const q of [0.5, 0.9, 0.99])
        this.set({ quantile: String(q) }, xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!);
    },
  });
  return registry;
}
