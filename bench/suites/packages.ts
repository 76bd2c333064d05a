import { run as mqttCommand } from "../../gateways/mqtt/bench/command-rtt.bench.js";
import { run as mqttConnections } from "../../gateways/mqtt/bench/connections.bench.js";
import { run as mqttThroughput } from "../../gateways/mqtt/bench/throughput.bench.js";
import { run as allocation } from "../../packages/core/bench/allocation.bench.js";
import { run as auction } from "../../packages/core/bench/auction.bench.js";
import { run as dispatch } from "../../packages/core/bench/dispatch.bench.js";
import { run as failover } from "../../packages/core/bench/failover.bench.js";
import { run as registry } from "../../packages/core/bench/registry.bench.js";
import { run as storeCas } from "../../packages/store/bench/cas.bench.js";
import type { Suite } from "../lib/types.js";

/** Suites that live beside the package they measure; the runner only lists them. */
export const storeSuite: Suite = {
  name: "store",
  description:
    "Store compare-and-set ops/s per implementation against the raw client (ioredis Lua, @nats-io/kv)",
  run: () => storeCas(),
};

export const auctionSuite: Suite = {
  name: "auction",
  description: "contract-net award latency with 1,000 simulated agents against a raw nats.js scatter-gather",
  run: (progress) => auction(progress),
};

export const allocationSuite: Suite = {
  name: "allocation",
  description: "allocation quality: auction total cost against the optimal assignment (Hungarian), 100×100",
  run: (progress) => allocation(progress),
};

export const registrySuite: Suite = {
  name: "registry",
  description: "registry index at 10,000 agents: build, capability + radius and k-nearest query latency",
  run: () => registry(),
};

export const dispatchSuite: Suite = {
  name: "dispatch",
  description:
    "queue dispatch tasks/s end to end (memory; NATS + Redis / NATS KV against a raw JetStream work queue), dispatch latency",
  run: (progress) => dispatch(progress),
};

export const failoverSuite: Suite = {
  name: "failover",
  description:
    "SIGKILL of the leader among 3 node processes (NATS + Redis, 1 s lease): to new leader, to first award",
  run: (progress) => failover(progress),
};

export const mqttThroughputSuite: Suite = {
  name: "mqtt-throughput",
  description:
    "device → MQTT gateway → Bus subscriber msg/s, QoS 0 and 1, against plain aedes pub→sub and Mosquitto; device → Mosquitto → bridge → Bus against Mosquitto pub→sub",
  run: (progress) => mqttThroughput(progress),
};

export const mqttCommandSuite: Suite = {
  name: "mqtt-command",
  description: "command round trip swarm → device → reply over QoS 1 (listener, bridge) against raw mqtt.js",
  run: (progress) => mqttCommand(progress),
};

export const mqttConnectionsSuite: Suite = {
  name: "mqtt-connections",
  description:
    "10,000 devices, idle and registered: connect time and RSS per device, gateway (+ node) vs aedes vs Mosquitto, median of 3",
  run: (progress) => mqttConnections(progress),
};
