/** Counters of the gateway, for `gateway.stats()` and metrics. Every refusal is counted under its reason. */
export interface GatewayStats {
  /** Devices connected now. */
  connected: number;
  /** Devices registered in the swarm now. */
  registered: number;
  /** Publishes from devices delivered to the Bus. */
  delivered: number;
  /** Messages the gateway sent to devices. */
  sentToDevices: number;
  /** Refusals by reason: `auth`, `client-id`, `credential-limit`, `spoof`, `oversize`, `unknown-topic`, `bad-json`, `bad-payload`, `malformed`, `rate`, `conflated`, `bus-pressure`, `bus-pressure-gone`, `outbox-full`, `report-dropped`, `slow-subscriber`. */
  refused: Record<string, number>;
  /** Times a client's publish (and with it the reading of its socket) was held for back-pressure. */
  paused: number;
  /** Device publishes received and not yet answered (PUBACK withheld) now. */
  held: number;
  /** The most device publishes ever held at once. */
  heldHighWater: number;
  /** Telemetry samples published on the Bus. */
  telemetryPublished: number;
  /** Share of `ratePerSec` devices get now, adapted to the core's lag (1 = full rate). */
  rateFactor: number;
}

/** A mutable holder of the counters. */
export class StatsCounter {
  connected = 0;
  registered = 0;
  delivered = 0;
  sentToDevices = 0;
  paused = 0;
  held = 0;
  heldHighWater = 0;
  telemetryPublished = 0;
  #refused = new Map<string, number>();

  refuse(reason: string): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
  }

  snapshot(): GatewayStats {
    return {
      connected: this.connected,
      registered: this.registered,
      delivered: this.delivered,
      sentToDevices: this.sentToDevices,
      refused: Object.fromEntries(this.#refused),
      paused: this.paused,
      held: this.held,
      heldHighWater: this.heldHighWater,
      telemetryPublished: this.telemetryPublished,
      rateFactor: 1,
    };
  }
}
