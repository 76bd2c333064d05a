import type { Store, Watch, WatchOptions } from "../types.js";
import { Reader } from "./helpers.js";

/** What a factory hands the suite: a fresh, empty store and how to clean up after it. */
export interface StoreFixture {
  store: Store;
  /** Runs after the store (and any peer) is closed: drop the namespace, the bucket… */
  cleanup?: () => Promise<void>;
  /**
   * Opens another instance on the same backend and namespace as `store` (required when
   * `capabilities.distributed` is true; the suite closes it).
   */
  peer?: () => Promise<Store>;
}

export type StoreFactory = () => Promise<StoreFixture>;

/** Per-test state shared by the suite's groups: the fixture, and everything to close afterwards. */
export class SuiteContext {
  #factory: StoreFactory;
  #fixture: StoreFixture | undefined;
  #stores: Store[] = [];
  #watches: Watch[] = [];

  constructor(factory: StoreFactory) {
    this.#factory = factory;
  }

  get store(): Store {
    if (!this.#fixture) throw new Error("no store: setup() has not run");
    return this.#fixture.store;
  }

  get fixture(): StoreFixture {
    if (!this.#fixture) throw new Error("no store: setup() has not run");
    return this.#fixture;
  }

  async setup(): Promise<void> {
    this.#fixture = await this.#factory();
    this.#stores.push(this.#fixture.store);
  }

  async teardown(): Promise<void> {
    for (const w of this.#watches.splice(0)) w.stop();
    const stores = this.#stores.splice(0);
    await Promise.all(stores.map((s) => s.close()));
    await this.#fixture?.cleanup?.();
    this.#fixture = undefined;
  }

  /** A second instance on the same backend; fails when the fixture has none. */
  async peer(): Promise<Store> {
    const open = this.fixture.peer;
    if (!open) throw new Error("a distributed store's fixture must provide peer()");
    const s = await open();
    this.#stores.push(s);
    return s;
  }

  /** A live watch on `store` (default: the fixture's), stopped after the test. */
  async watch(prefix = "", opts: WatchOptions = {}, store: Store = this.store): Promise<Reader> {
    const w = store.watch(prefix, opts);
    this.#watches.push(w);
    await w.initialized;
    return new Reader(w);
  }
}
