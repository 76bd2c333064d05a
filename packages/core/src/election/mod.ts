/**
 * Leader election with fencing: `elect()` for candidates, `TokenFence` for receivers of awards,
 * `FencedStore` for Store writes a deposed leader must not make.
 *
 * @module
 */
export { elect } from "./elect.js";
export { TokenFence } from "./fence.js";
export type { FencedValue } from "./fenced-record.js";
export { decodeFenced, encodeFenced, FENCED_HEADER_BYTES, FENCED_MAGIC } from "./fenced-record.js";
export type {
  FencedEntry,
  FencedReadOptions,
  FencedStoreOptions,
  FencedWriteOptions,
} from "./fenced-store.js";
export { DEFAULT_FENCED_WRITE_ATTEMPTS, FencedStore } from "./fenced-store.js";
export type { ElectOptions, ParsedElectOptions } from "./options.js";
export {
  DEFAULT_LEASE_MS,
  DEFAULT_RENEW_MS,
  DEFAULT_SAFETY_MARGIN_RATIO,
  defaultElectOptions,
  parseElectOptions,
} from "./options.js";
export type { ElectionRecord } from "./state.js";
export { encodeElection, readElection } from "./state.js";
