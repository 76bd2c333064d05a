import {
  type Clock,
  encodeEnvelope,
  type PayloadInit,
  SwarmError,
  subjects,
  validateId,
  wrap,
} from "@swarmlink/protocol";
import { BoundedQueue, type Bus, type QueueStats } from "@swarmlink/transport";
import { toJsonBytes } from "./json.js";

/** A pose in the site frame (metres, degrees, metres per second). */
export interface PoseSample {
  x: number;
  y: number;
  z?: number;
  headingDeg?: number;
  speedMps?: number;
}

/** Options of `agent.telemetry`. */
export interface TelemetryOptions {
  /** Keep only the newest unsent sample of this stream (a pose); else every sample queues, oldest dropped first. @default false */
  conflate?: boolean;
}

/** What the telemetry buffers did so far. */
export interface TelemetryStats {
  /** Samples published. */
  sent: number;
  /** The conflating buffer (one slot per stream). */
  conflated: QueueStats;
  /** The drop-oldest buffer. */
  queued: QueueStats;
  /** Samples the Bus refused (E_OVERFLOW while disconnected, E_TOO_LARGE). */
  refused: number;
}

interface Sample {
  stream: string;
  data: Uint8Array;
}

type TelemetryInit = PayloadInit<"swarmlink.v1.Telemetry">;

/**
 * Telemetry through two bounded buffers: `conflate` samples keep the newest per stream, others queue
 * with drop-oldest. A pump publishes up to `batch` samples, then waits for the Bus to flush (the link's
 * round trip), so a slow or stalled link fills the buffers — whose size never exceeds their capacity —
 * instead of the client's socket buffer.
 */
export class TelemetryPublisher {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #agentId: string;
  readonly #batch: number;
  readonly #conflated: BoundedQueue<Sample>;
  readonly #queued: BoundedQueue<Sample>;
  #sent = 0;
  #refused = 0;
  #pumping: Promise<void> | undefined;
  #closed = false;

  constructor(bus: Bus, clock: Clock, agentId: string, capacity: number, batch: number) {
    this.#bus = bus;
    this.#clock = clock;
    this.#agentId = agentId;
    this.#batch = batch;
    this.#conflated = new BoundedQueue({ capacity, policy: "conflate", key: (s) => s.stream });
    this.#queued = new BoundedQueue({ capacity, policy: "drop-oldest" });
  }

  /** Queues one sample; never waits. @throws SwarmError `E_INVALID` for a bad stream or value, `E_CLOSED` after close. */
  publish(stream: string, value: unknown, opts: TelemetryOptions = {}): void {
    if (this.#closed) throw new SwarmError("E_CLOSED", "agent closed", { stream });
    const sample = { stream, data: this.#encode(validateId("stream", stream), value) };
    (opts.conflate ? this.#conflated : this.#queued).offer(sample);
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  stats(): TelemetryStats {
    return {
      sent: this.#sent,
      conflated: this.#conflated.stats(),
      queued: this.#queued.stats(),
      refused: this.#refused,
    };
  }

  /** Sends what is buffered (waiting at most `timeoutMs` for a stalled link), then refuses more. */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#pumping) {
      let timer: ReturnType<Clock["setTimeout"]> | undefined;
      const late = new Promise<void>((r) => {
        timer = this.#clock.setTimeout(r, timeoutMs);
      });
      await Promise.race([this.#pumping, late]);
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    this.#conflated.close();
    this.#queued.close();
  }

  async #pump(): Promise<void> {
    for (;;) {
      let n = 0;
      for (let s = this.#next(); s; s = n < this.#batch && !this.#closedQueues() ? this.#next() : undefined) {
        n++;
        try {
          this.#bus.publish(subjects.agentTelemetry(this.#agentId, s.stream), s.data);
          this.#sent++;
        } catch {
          this.#refused++;
        }
      }
      if (n === 0) return;
      try {
        await this.#bus.flush();
      } catch {
        if (this.#closed) return;
      }
      if (this.#queued.closed) return;
    }
  }

  #closedQueues(): boolean {
    return this.#queued.closed;
  }

  /** Alternates the buffers so neither starves the other. */
  #next(): Sample | undefined {
    const first = this.#sent % 2 === 0 ? this.#conflated : this.#queued;
    const second = first === this.#conflated ? this.#queued : this.#conflated;
    return first.poll() ?? second.poll();
  }

  #encode(stream: string, value: unknown): Uint8Array {
    const base = { agentId: this.#agentId, stream, sampleTimeMs: this.#clock.now() };
    let body: TelemetryInit;
    if (stream === "pose" && isPose(value)) {
      const { x, y, z = 0, headingDeg = 0, speedMps = 0 } = value;
      body = { ...base, pose: { position: { cartesian: { x, y, z } }, headingDeg, speedMps } };
    } else if (stream === "battery" && isObject(value) && typeof value.percent === "number") {
      body = { ...base, battery: value };
    } else if (stream === "status" && isObject(value) && typeof value.state === "number") {
      body = { ...base, status: value };
    } else {
      body = { ...base, json: toJsonBytes(value, "value") };
    }
    return encodeEnvelope(
      wrap("swarmlink.v1.Telemetry", body, { source: this.#agentId }, { clock: this.#clock }),
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !(v instanceof Uint8Array);
}

function isPose(v: unknown): v is PoseSample {
  return isObject(v) && typeof v.x === "number" && typeof v.y === "number";
}
