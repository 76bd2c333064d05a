export type { SimulatedWorkerOptions } from "./worker.js";
export { SimulatedWorker } from "./worker.js";
