/**
 * Reading one Kafka record value as JSON against a zod schema, the same way for every topic contract
 * (queue-events here; the loader's data and ledger records in workloads/ledger/). Parsing never throws:
 * a bad value comes back with a reason that consumers count and skip.
 */
import type { z } from "zod";

export type InvalidReason = "empty" | "oversized" | "not-json" | "schema";

/** A parsed value under the contract's own name for it (`event`, `record`), or why the value was rejected. */
export type RecordParseResult<Name extends string, T> =
  | ({ ok: true } & { [key in Name]: T })
  | { ok: false; reason: InvalidReason; detail: string };

/**
 * Parses one record value. The size is checked before JSON.parse, so a huge value costs a length
 * check, not a parse. Never throws.
 */
export function parseJsonRecord<Name extends string, T>(
  value: Buffer | string | null | undefined,
  maxBytes: number,
  schema: z.ZodType<T>,
  name: Name,
): RecordParseResult<Name, T> {
  if (value === null || value === undefined || value.length === 0) {
    return { ok: false, reason: "empty", detail: "record has no value" };
  }
  const byteLength = typeof value === "string" ? Buffer.byteLength(value) : value.length;
  if (byteLength > maxBytes) {
    return { ok: false, reason: "oversized", detail: `${byteLength} bytes > ${maxBytes}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
  } catch (error) {
    return { ok: false, reason: "not-json", detail: (error as Error).message };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: "schema", detail: `${first?.path.join(".") || "(root)"}: ${first?.message}` };
  }
  return { ok: true, [name]: parsed.data } as RecordParseResult<Name, T>;
}
