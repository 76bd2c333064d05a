/** For sibling packages and benchmarks: pieces that are not the public API. */
export { hungarian } from "./allocation/hungarian.js";
