export type { NodeHttp } from "./http.js";
export { serveHttp, status } from "./http.js";
export { nodeMetrics } from "./metrics.js";
export { SwarmNode } from "./node.js";
export type { ParsedNodeOptions, SwarmNodeOptions } from "./options.js";
export { DEFAULT_COORDINATOR_GROUP, parseNodeOptions } from "./options.js";
