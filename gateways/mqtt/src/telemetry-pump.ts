import { type Clock, subjects } from "@swarmlink/protocol";
import { BoundedQueue, type Bus } from "@swarmlink/transport";
import type { TelemetryInit } from "./codec/inbound.js";
import type { GatewayLogger } from "./log.js";
import { isPushBack } from "./pressure.js";
import type { StatsCounter } from "./stats.js";
import { envelope } from "./wire.js";

/**
 * Telemetry on its way to the Bus. While the Bus takes it, a sample is published at once. Once the
 * Bus pushes back (E_OVERFLOW), samples wait in a `BoundedQueue` with policy `conflate` (newest
 * sample per device and stream; `capacity` distinct keys, the oldest key dropped beyond) that the
 * pump retries after `retryMs` and drains on later turns of the event loop: telemetry is conflated
 * under overload instead of queueing, never holds a device, and is not thinned when nothing is
 * overloaded.
 */
export class TelemetryPump {
  #queue: BoundedQueue<TelemetryInit>;
  #o: { bus: Bus; clock: Clock; log: GatewayLogger; retryMs: number; onPushBack?: () => void };
  #stats: StatsCounter;
  #scheduled = false;
  #closed = false;

  constructor(
    o: {
      bus: Bus;
      clock: Clock;
      log: GatewayLogger;
      retryMs: number;
      capacity: number;
      /** Told of each refusal of the Bus (the lag governor cuts device rates). */
      onPushBack?: () => void;
    },
    stats: StatsCounter,
  ) {
    this.#o = o;
    this.#stats = stats;
    this.#queue = new BoundedQueue({
      capacity: o.capacity,
      policy: "conflate",
      key: (t) => `${t.agentId}/${t.stream}`,
    });
  }

  /** Queues a sample; false if it replaced an older one of its key or pushed out another key's. */
  offer(t: TelemetryInit): boolean {
    if (this.#closed) return false;
    // Nothing waiting: the Bus has kept up so far, so this one goes straight out.
    if (!this.#scheduled && this.#queue.size === 0 && this.#send(t)) return true;
    const before = this.#queue.stats().dropped;
    this.#queue.offer(t);
    this.#schedule(0);
    return this.#queue.stats().dropped === before;
  }

  /** Samples waiting now. */
  get size(): number {
    return this.#queue.size;
  }

  close(): void {
    this.#closed = true;
    this.#queue.close();
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    if (delayMs === 0) setImmediate(() => this.#pump());
    else this.#o.clock.setTimeout(() => this.#pump(), delayMs);
  }

  #pump(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    for (let t = this.#queue.poll(); t !== undefined; t = this.#queue.poll()) {
      if (!this.#send(t)) return;
    }
  }

  /** Publishes one sample; false when the Bus pushed back (the sample is queued, a retry scheduled). */
  #send(t: TelemetryInit): boolean {
    const agentId = t.agentId as string;
    try {
      const data = envelope("swarmlink.v1.Telemetry", t, agentId, this.#o.clock);
      this.#o.bus.publish(subjects.agentTelemetry(agentId, t.stream as string), data);
      this.#stats.telemetryPublished++;
      return true;
    } catch (err) {
      if (isPushBack(err)) {
        this.#stats.refuse("bus-pressure");
        this.#o.onPushBack?.();
        // refused in this same turn: no newer sample of its key can have arrived meanwhile
        this.#queue.offer(t);
        this.#schedule(this.#o.retryMs);
        return false;
      }
      this.#stats.refuse("telemetry-failed");
      this.#o.log.warn({ agentId, err }, "telemetry not published");
      return true;
    }
  }
}
