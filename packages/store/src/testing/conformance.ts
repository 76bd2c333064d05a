import { casTests } from "./cas.js";
import { type StoreFactory, SuiteContext } from "./context.js";
import { crudTests } from "./crud.js";
import { distributedTests } from "./distributed.js";
import { limitTests } from "./limits.js";
import { ttlTests } from "./ttl.js";
import { watchTests } from "./watch.js";

/**
 * The Store conformance suite: one set of mocha tests that every implementation passes, each test
 * on a fresh store from `factory` (in the style of aedes-persistence's abstract tests). Capability
 * flags decide which guarantees are checked; time-based tests use real time with small TTLs.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@swarmlink/store";
 * import { storeConformance } from "@swarmlink/store/testing";
 *
 * storeConformance("memory", async () => ({ store: new MemoryStore() }));
 * ```
 */
export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    const ctx = new SuiteContext(factory);
    beforeEach(() => ctx.setup());
    afterEach(() => ctx.teardown());

    describe("get, put, create, delete, keys", () => crudTests(ctx));
    describe("compare-and-set", () => casTests(ctx));
    describe("TTL leases", () => ttlTests(ctx));
    describe("watch", () => watchTests(ctx));
    describe("bad input and closing", () => limitTests(ctx));
    describe("several instances", () => distributedTests(ctx));
  });
}
