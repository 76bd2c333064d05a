import { subjects } from "@swarmlink/protocol";
import { BoundedQueue } from "@swarmlink/transport";
import type { TelemetryInit } from "./codec/inbound.js";
import type { ParsedGatewayOptions } from "./options.js";
import type { StatsCounter } from "./stats.js";
import { envelope } from "./wire.js";

/**
 * Device telemetry on its way to the Bus: a `BoundedQueue` with policy `conflate` (newest per
 * device and stream beyond `telemetryQueue`), drained on the next turn of the event loop. Shared by
 * the listener and the bridge.
 */
export class TelemetryPump {
  #o: ParsedGatewayOptions;
  #stats: StatsCounter;
  #queue: BoundedQueue<TelemetryInit>;
  #pumping = false;

  constructor(o: ParsedGatewayOptions, stats: StatsCounter) {
    this.#o = o;
    this.#stats = stats;
    this.#queue = new BoundedQueue({
      capacity: o.telemetryQueue,
      policy: "conflate",
      key: (t) => `${t.agentId}/${t.stream}`,
    });
  }

  /** Queues a sample; false if it replaced or dropped one (conflated). */
  enqueue(t: TelemetryInit): boolean {
    const before = this.#queue.stats().dropped;
    this.#queue.offer(t);
    if (!this.#pumping) {
      this.#pumping = true;
      setImmediate(() => this.#pump());
    }
    return this.#queue.stats().dropped === before;
  }

  close(): void {
    this.#queue.close();
  }

  #pump(): void {
    this.#pumping = false;
    for (let t = this.#queue.poll(); t !== undefined; t = this.#queue.poll()) {
      try {
        const agentId = t.agentId as string;
        const data = envelope("swarmlink.v1.Telemetry", t, agentId, this.#o.clock);
        this.#o.bus.publish(subjects.agentTelemetry(agentId, t.stream as string), data);
      } catch (err) {
        this.#stats.refuse("bus-pressure");
        this.#o.log.warn({ agentId: t.agentId, err }, "telemetry not published");
      }
    }
  }
}
