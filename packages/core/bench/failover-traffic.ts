/**
 * The traffic of the failover benchmark, in the bench process: SimulatedWorkers, a tap on their award
 * subjects (every award as the agents receive it, with its fencing token), and a steady trickle of
 * submitted `queue` tasks.
 */
import { subjectPatterns } from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import { SimulatedWorker } from "../src/sim/mod.js";
import { TaskClient } from "../src/tasks/mod.js";
import { awardsIn } from "../test/integration/failover-helpers.js";

export interface AwardSeen {
  atMs: number;
  token: number;
}

export interface TrafficOptions {
  workers: number;
  credits: number;
  workMs: number;
  /** Between two submits, in ms. */
  submitEveryMs: number;
}

export class Traffic {
  readonly awards: AwardSeen[] = [];
  submitted = 0;
  submitErrors = 0;
  #bus: Bus;
  #o: TrafficOptions;
  #workers: SimulatedWorker[] = [];
  #taps: Subscription[] = [];
  #stopped = false;
  #trickle: Promise<void> | undefined;
  #listeners = new Set<() => void>();

  constructor(bus: Bus, o: TrafficOptions) {
    this.#bus = bus;
    this.#o = o;
  }

  async start(): Promise<void> {
    this.#taps.push(
      this.#bus.subscribe(subjectPatterns.agentTasks, {
        callback: (_e, m) => {
          for (const a of awardsIn(m.subject, m.data))
            this.awards.push({ atMs: Date.now(), token: a.fencingToken });
          for (const l of this.#listeners) l();
        },
      }),
    );
    for (let i = 0; i < this.#o.workers; i++) {
      const id = `bench-amr-${i}`;
      const w = new SimulatedWorker(
        this.#bus,
        { id, kind: 1, capabilities: ["pick"], credits: this.#o.credits },
        { workMs: this.#o.workMs, heartbeatIntervalMs: 300 },
      );
      await w.start();
      this.#workers.push(w);
    }
    this.#trickle = this.#submitLoop();
  }

  /** Resolves with the first award (already seen or to come) that matches; rejects after `ms`. */
  waitForAward(match: (a: AwardSeen) => boolean, ms: number): Promise<AwardSeen> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const a = this.awards.find(match);
        if (!a) return false;
        this.#listeners.delete(check);
        clearTimeout(t);
        resolve(a);
        return true;
      };
      const t = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`no matching award within ${ms} ms (${this.awards.length} seen)`));
      }, ms);
      if (!check()) this.#listeners.add(check);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#trickle;
    for (const w of this.#workers) w.close();
    for (const t of this.#taps) t.unsubscribe();
  }

  async #submitLoop(): Promise<void> {
    const client = new TaskClient({ bus: this.#bus, timeoutMs: 2000 });
    while (!this.#stopped) {
      try {
        await client.submit({ kind: "pick", capabilities: ["pick"] });
        this.submitted++;
      } catch {
        this.submitErrors++;
      }
      await new Promise((r) => setTimeout(r, this.#o.submitEveryMs));
    }
  }
}
