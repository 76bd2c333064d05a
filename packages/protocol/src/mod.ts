export type { Clock, TimerHandle } from "./clock.js";
export { SimulatedClock, systemClock } from "./clock.js";

export type { ErrorCode, ErrorContext } from "./errors.js";
export { abortError, ERROR_CODES, isSwarmError, SwarmError, toSwarmError } from "./errors.js";
