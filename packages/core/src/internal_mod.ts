/** For sibling packages and benchmarks: pieces that are not the public API. */
export { hungarian } from "./allocation/hungarian.js";
// The operator API (JSON views over a Bus and Store) for the swarm CLI; serveHttp serves it
export type {
  AgentView,
  CommandBody,
  LeaderView,
  OperatorApi,
  ReceiptView,
  SubmitBody,
  TaskView,
} from "./node/mod.js";
export { agentQuery, operatorApi, taskView } from "./node/mod.js";
