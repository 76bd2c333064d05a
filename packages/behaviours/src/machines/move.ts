import { fromPromise } from "xstate";
import type { Point } from "../events.js";

/** What the `move` actor of `patrol` and `follower` gets: where it is and where to go, in metres. */
export interface MoveInput {
  from: Point;
  to: Point;
}

/**
 * The default `move` actor: arrives at once (its output, the point reached, is `to`). Replace it with
 * the robot's motion through `machine.provide({ actors: { move: fromPromise(async ({ input, signal }) => …) } })`,
 * resolving with the point actually reached; `signal` aborts when the machine stops moving (a task,
 * a new leader).
 */
export const defaultMove = fromPromise<Point, MoveInput>(async ({ input }) => ({
  x: input.to.x,
  y: input.to.y,
}));

/** The point a move ended at: the actor's output when it is one, else where it was going. */
export function reached(output: unknown, to: Point): Point {
  const p = output as Partial<Point> | undefined;
  return typeof p?.x === "number" && typeof p.y === "number" ? { x: p.x, y: p.y } : { x: to.x, y: to.y };
}
