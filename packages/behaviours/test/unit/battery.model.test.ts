import assert from "node:assert/strict";
import type { AnyEventObject } from "xstate";
import { batteryAware } from "../../src/mod.js";
import { allPaths, type Oracle, pathName, runPath } from "../model.js";
import { workerEvents, workerOracle } from "./worker.model.test.js";

const input = {
  level: 0.5,
  threshold: 0.2,
  resumeLevel: 0.9,
  drainPerTask: 0.2,
  chargePerTick: 0.5,
  chargeTickMs: 100,
};

const events: AnyEventObject[] = [
  ...workerEvents.filter((e) => !e.type.startsWith("xstate.after")),
  { type: "xstate.after.bidTimeout.batteryAware.active.bidding" },
  { type: "xstate.after.chargeTick.batteryAware.charging.plugged" },
  { type: "swarm.battery", level: 0.1 },
  { type: "swarm.battery", level: 0.95 },
];

const CHARGING = { charging: "plugged" };

/** The spec: the worker's inside `active`; low after a report (or a low reading when idle) → charging; charged → active.idle. */
const oracle: Oracle = (state, ctx, e) => {
  const level = ctx.level as number;
  const after = (l: number) => (l < (ctx.threshold as number) ? CHARGING : { active: "idle" });
  if (typeof state === "object" && "charging" in state) {
    if (e.type === "swarm.task.awarded") return { state, effects: ["swarm.refuse"] };
    if (e.type === "swarm.restored") return { state, effects: ["swarm.accepting"] };
    if (e.type === "swarm.battery") {
      const l = e.level as number;
      return l >= 0.9 ? { state: { active: "idle" }, effects: ["swarm.accepting"] } : { state, effects: [] };
    }
    if (e.type.startsWith("xstate.after.chargeTick")) {
      const l = Math.min(1, level + 0.5);
      return l >= 0.9
        ? { state: { active: "idle" }, effects: ["swarm.telemetry", "swarm.accepting"] }
        : { state, effects: ["swarm.telemetry"] };
    }
    return undefined;
  }
  const inner = (state as { active: string }).active;
  if (e.type === "swarm.battery") {
    const l = e.level as number;
    if (inner === "idle" && l < 0.2)
      return { state: CHARGING, effects: ["swarm.accepting", "swarm.telemetry"] };
    return { state, effects: [] };
  }
  const type = e.type.replace("batteryAware.active.", "worker.");
  if (type.startsWith("xstate.after.chargeTick")) return undefined;
  const w = workerOracle(inner, ctx, { ...e, type });
  if (!w) return undefined;
  const effects = w.effects.flatMap((f) =>
    f === "swarm.complete" || f === "swarm.fail" ? ["swarm.telemetry", f] : [f],
  );
  if (w.state === "idle") {
    const next = after(level);
    return {
      state: next,
      effects: "charging" in next ? [...effects, "swarm.accepting", "swarm.telemetry"] : effects,
    };
  }
  return { state: { active: w.state }, effects };
};

describe("the batteryAware machine, model-based", () => {
  const model = {
    machine: batteryAware,
    events,
    oracle,
    input,
    simple: false,
    serialize: (s: { value: unknown; context: Record<string, unknown> }) =>
      JSON.stringify([s.value, s.context.taskId ?? null, Math.round((s.context.level as number) * 100)]),
  };
  const paths = allPaths(model);

  it("reaches, by shortest paths, every state (active.idle/bidding/executing/reporting, charging) and every transition", () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const s of ["idle", "bidding", "executing", "reporting"])
      assert.ok(reached.has(JSON.stringify({ active: s })), s);
    assert.ok(reached.has(JSON.stringify(CHARGING)));
  });

  for (const p of paths) {
    it(`follows the model along ${pathName(p.steps)}`, async () => {
      await runPath(model, p.steps);
    });
  }
});
