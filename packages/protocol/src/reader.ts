import $protobuf from "protobufjs/minimal.js";
import { SwarmError } from "./errors.js";

/** The two halves of a 64-bit value, as protobufjs's Long and LongBits carry them. */
interface LongLike {
  low: number;
  high: number;
}

/** The part of protobufjs's Reader this module relies on, typed as it behaves at run time. */
interface Reader64 {
  int64(): LongLike | number;
  uint64(): LongLike | number;
  sint64(): LongLike | number;
  fixed64(): LongLike | number;
  sfixed64(): LongLike | number;
}

// protobufjs declares its 64-bit reads as returning Long, which a subclass cannot narrow to
// number; this one cast tells the type checker what the reads really return.
const Base = $protobuf.Reader as unknown as new (buffer: Uint8Array) => Reader64;

/**
 * Turns a 64-bit read into a JS number, refusing what a number cannot hold exactly. Times in ms
 * and fencing tokens stay far below 2^53; a larger value is a corrupt or hostile frame.
 */
function toSafeNumber(value: LongLike | number, unsigned: boolean): number {
  const n =
    typeof value === "number"
      ? value
      : (unsigned ? value.high >>> 0 : value.high) * 2 ** 32 + (value.low >>> 0);
  if (!Number.isSafeInteger(n)) {
    throw new SwarmError("E_DECODE", "64-bit integer beyond Number.MAX_SAFE_INTEGER", {
      reason: "unsafe integer",
    });
  }
  return n;
}

/**
 * A protobufjs Reader whose 64-bit reads return safe JS numbers instead of Long objects. The
 * generated code is built with `--force-number`, so its types already say `number`; this makes it
 * so at run time without reconfiguring the protobufjs instance every other user shares.
 *
 * @internal
 */
export class SafeNumberReader extends Base {
  override int64(): number {
    return toSafeNumber(super.int64(), false);
  }
  override uint64(): number {
    return toSafeNumber(super.uint64(), true);
  }
  override sint64(): number {
    return toSafeNumber(super.sint64(), false);
  }
  override fixed64(): number {
    return toSafeNumber(super.fixed64(), true);
  }
  override sfixed64(): number {
    return toSafeNumber(super.sfixed64(), false);
  }
}

/** A fresh reader over `bytes`, typed as the generated `decode` functions expect. */
export function safeReader(bytes: Uint8Array): $protobuf.Reader {
  return new SafeNumberReader(bytes) as unknown as $protobuf.Reader;
}
