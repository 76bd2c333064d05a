import assert from "node:assert/strict";
import { isSwarmError, systemClock } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import {
  DEFAULT_LEASE_MS,
  DEFAULT_RENEW_MS,
  defaultElectOptions,
  type ElectOptions,
  elect,
  parseElectOptions,
} from "../../src/election/mod.js";

describe("election options", () => {
  it("default to a 2 s lease renewed every 0.5 s, a 10% margin and the system clock", () => {
    const o = defaultElectOptions();
    assert.equal(DEFAULT_LEASE_MS, 2000);
    assert.equal(DEFAULT_RENEW_MS, 500);
    assert.deepEqual(o, {
      leaseMs: 2000,
      renewMs: 500,
      safetyMarginMs: 200,
      clock: systemClock,
      signal: undefined,
      liveness: undefined,
    });
    assert.equal(parseElectOptions({ leaseMs: 1001, renewMs: 100 }).safetyMarginMs, 101);
    const bus = new MemoryBus();
    assert.deepEqual(parseElectOptions({ renewMs: 300, liveness: { bus } }).liveness, { bus, probeMs: 150 });
  });

  const bad: [ElectOptions, string][] = [
    [{ leaseMs: 0 }, "leaseMs"],
    [{ leaseMs: 1.5 }, "leaseMs"],
    [{ leaseMs: 2 ** 32 }, "leaseMs"],
    [{ leaseMs: "2000" as unknown as number }, "leaseMs"],
    [{ renewMs: 0 }, "renewMs"],
    [{ renewMs: 1000 }, "renewMs"],
    [{ leaseMs: 1000, renewMs: 600 }, "renewMs"],
    [{ safetyMarginMs: -1 }, "safetyMarginMs"],
    [{ leaseMs: 1000, renewMs: 400, safetyMarginMs: 600 }, "safetyMarginMs"],
    [{ clock: {} as ElectOptions["clock"] }, "clock"],
    [{ signal: {} as AbortSignal }, "signal"],
    [{ liveness: {} as ElectOptions["liveness"] }, "liveness"],
    [{ liveness: { bus: new MemoryBus(), probeMs: 0 } }, "liveness.probeMs"],
  ];
  for (const [opts, field] of bad) {
    it(`refuses ${JSON.stringify(opts)} with E_CONFIG naming ${field}`, () => {
      assert.throws(
        () => parseElectOptions(opts),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === field,
      );
    });
  }

  it("are checked by elect before it touches the store", async () => {
    const store = new MemoryStore();
    assert.throws(
      () => elect(store, "g", "a", { renewMs: 1500 }),
      (e) => isSwarmError(e, "E_CONFIG"),
    );
    assert.deepEqual(await store.keys(), []);
    await store.close();
  });
});
