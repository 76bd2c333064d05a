/**
 * @swarmlink/cli: the `swarm` command. `main(argv, io)` runs it; `startSwarm(config)` is what
 * `swarm up` runs, for embedding.
 *
 * @module
 */
export type { UpConfig } from "./config.js";
export { AUTO_PORT, DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT, resolveConfig } from "./config.js";
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
export type { Io } from "./io.js";
export { main, processIo } from "./main.js";
export type { Endpoints, RunningSwarm } from "./swarm.js";
export { startSwarm } from "./swarm.js";
