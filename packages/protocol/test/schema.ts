/**
 * Test helpers driven by the .proto sources themselves (protobufjs reflection), so that every
 * message and every field, including ones added later, is exercised without listing it here.
 */
import { readdirSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import protobuf from "protobufjs";

export const SCHEMAS_DIR = fileURLToPath(new URL("../../../schemas/", import.meta.url));

/** The swarmlink.v1 schema, parsed from source. */
export function loadSchema(dir = SCHEMAS_DIR): protobuf.Namespace {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(dir, target));
  const files = readdirSync(join(dir, "swarmlink/v1")).filter((f) => f.endsWith(".proto"));
  root.loadSync(files.map((f) => `swarmlink/v1/${f}`));
  root.resolveAll();
  return root.lookup("swarmlink.v1") as protobuf.Namespace;
}

/** Every message type declared directly in swarmlink.v1. */
export function messageTypes(ns: protobuf.Namespace): protobuf.Type[] {
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

type Plain = Record<string, unknown>;

const text = fc.string({ unit: "binary", maxLength: 12 });

function scalar(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case "double":
      return fc.double();
    case "float":
      return fc.float();
    case "int32":
    case "sint32":
    case "sfixed32":
      return fc.integer();
    case "uint32":
    case "fixed32":
      return fc.integer({ min: 0, max: 0xffffffff });
    case "int64":
    case "sint64":
    case "sfixed64":
      return fc.maxSafeInteger();
    case "uint64":
    case "fixed64":
      return fc.maxSafeNat();
    case "bool":
      return fc.boolean();
    case "string":
      return text;
    case "bytes":
      return fc.uint8Array({ maxLength: 24 });
    default:
      throw new Error(`no arbitrary for scalar ${type}`);
  }
}

function elementOf(field: protobuf.FieldBase): fc.Arbitrary<unknown> {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return fc.constantFrom(...Object.values(resolved.values));
  if (resolved instanceof protobuf.Type) return arbitraryMessage(resolved);
  return scalar(field.type);
}

function fieldArbitrary(field: protobuf.FieldBase): fc.Arbitrary<unknown> {
  if (field instanceof protobuf.MapField) return fc.dictionary(text, elementOf(field), { maxKeys: 4 });
  if (field.repeated) return fc.array(elementOf(field), { maxLength: 4 });
  return elementOf(field);
}

/** Plain objects of the message's fields (camelCase), any subset set, at most one per oneof. */
export function arbitraryMessage(type: protobuf.Type): fc.Arbitrary<Plain> {
  const plain = type.fieldsArray.filter((f) => !f.partOf);
  const record = fc.record(Object.fromEntries(plain.map((f) => [f.name, fieldArbitrary(f)])), {
    requiredKeys: [],
  });
  const oneofs = type.oneofsArray.map((o) =>
    fc.oneof(fc.constant({}), ...o.fieldsArray.map((f) => fieldArbitrary(f).map((v) => ({ [f.name]: v })))),
  );
  return fc.tuple(record, ...oneofs).map((parts) => Object.assign({}, ...parts) as Plain);
}

/**
 * The value every field has after a decode, as a comparable plain object: absent scalars become
 * their defaults, absent messages null, bytes hex, and maps sorted.
 */
export function normalize(type: protobuf.Type, value: unknown): Plain {
  const v = (value ?? {}) as Plain;
  const out: Plain = {};
  for (const f of type.fieldsArray) {
    const x = v[f.name];
    if (f instanceof protobuf.MapField) {
      const entries = Object.entries((x ?? {}) as Plain).map(([k, e]) => [k, one(f, e)] as const);
      out[f.name] = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    } else if (f.repeated) {
      out[f.name] = ((x ?? []) as unknown[]).map((e) => one(f, e));
    } else if (f.partOf) {
      out[f.name] = x == null ? null : one(f, x);
    } else {
      out[f.name] = one(f, x);
    }
  }
  return out;
}

function one(field: protobuf.FieldBase, x: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return x == null ? null : normalize(resolved, x);
  if (resolved instanceof protobuf.Enum) return x ?? 0;
  switch (field.type) {
    case "string":
      return x ?? "";
    case "bool":
      return x ?? false;
    case "bytes":
      return Buffer.from((x ?? new Uint8Array(0)) as Uint8Array).toString("hex");
    default:
      return x ?? 0;
  }
}
