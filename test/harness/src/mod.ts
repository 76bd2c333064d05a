/**
 * `@swarmlink/harness` starts private nats-server, redis-server, mosquitto and RabbitMQ processes
 * for tests: on 127.0.0.1, on free ports, each in its own temp dir, never the machine's shared
 * services. Every handle can be stopped, killed, paused, resumed and restarted on the same port.
 *
 * @example
 * ```ts
 * import { startRedis } from "@swarmlink/harness";
 *
 * describe("the redis store", () => {
 *   let redis: ServerHandle;
 *   before(async () => { redis = await startRedis(); });
 *   after(() => redis.stop());
 *   it("survives a restart of the server", async () => { … await redis.restart(); … });
 * });
 * ```
 *
 * @module
 */

export type { BinarySpec } from "./binaries.js";
export { findBinary } from "./binaries.js";
export type { HarnessErrorCode, HarnessErrorContext } from "./errors.js";
export { HARNESS_ERROR_CODES, HarnessError, isHarnessError } from "./errors.js";
export type { MosquittoOptions } from "./mosquitto.js";
export {
  DEFAULT_MOSQUITTO_START_TIMEOUT_MS,
  MOSQUITTO_STOP_GRACE_MS,
  startMosquitto,
} from "./mosquitto.js";
export type { NatsOptions, NatsServer } from "./nats.js";
export { DEFAULT_NATS_START_TIMEOUT_MS, NATS_STOP_GRACE_MS, startNats } from "./nats.js";
export type { NatsCluster, NatsClusterOptions } from "./nats-cluster.js";
export {
  DEFAULT_NATS_CLUSTER_SIZE,
  DEFAULT_NATS_CLUSTER_START_TIMEOUT_MS,
  startNatsCluster,
} from "./nats-cluster.js";
export { freePort, HOST } from "./ports.js";
export type { ProbeOptions } from "./probe.js";
export {
  DEFAULT_PROBE_TIMEOUT_MS,
  getJson,
  probeAmqp,
  probeMqtt,
  probeNats,
  probeRedis,
} from "./probe.js";
export type { RabbitOptions } from "./rabbit.js";
export { DEFAULT_RABBIT_START_TIMEOUT_MS, RABBIT_STOP_GRACE_MS, startRabbit } from "./rabbit.js";
export type { RedisOptions } from "./redis.js";
export { DEFAULT_REDIS_START_TIMEOUT_MS, REDIS_STOP_GRACE_MS, startRedis } from "./redis.js";
export type { ServerHandle } from "./server.js";
