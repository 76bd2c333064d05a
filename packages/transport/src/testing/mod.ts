export type { BusFixture } from "./conformance.js";
export { busConformance } from "./conformance.js";
export { bytes, rejectsWith, sleep, take, text, unique, until } from "./helpers.js";
