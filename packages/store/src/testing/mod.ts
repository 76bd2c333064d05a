export { storeConformance } from "./conformance.js";
export type { StoreFactory, StoreFixture } from "./context.js";
export { SuiteContext } from "./context.js";
export { bytes, eventually, Reader, read, rejectsWith, show, sleep, text } from "./helpers.js";
