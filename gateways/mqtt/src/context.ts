import type { LagGovernor } from "./lag.js";
import type { ParsedGatewayOptions } from "./options.js";
import type { StatsCounter } from "./stats.js";

/** What a device session and the handlers need from the gateway. */
export interface GatewayContext {
  readonly o: ParsedGatewayOptions;
  readonly stats: StatsCounter;
  /** Told the latency of the gateway's Bus requests, to adapt device rates; absent: no adaptation. */
  readonly lag?: LagGovernor;
  /**
   * Publishes `payload` to the device `agentId` on `topic` (QoS 1 unless said), through the broker.
   * A device whose connection holds more than `maxOutboundBytes` unsent is disconnected instead.
   */
  sendToDevice(agentId: string, topic: string, payload: Uint8Array, qos?: 0 | 1): void;
}
