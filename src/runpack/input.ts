/**
 * Small typed readers for untrusted JSON (record inputs and runpack documents). Each failure is
 * a coded invalid-input error naming the exact field, so a user can fix the input directly.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../contract/canonical.ts";
import type { ContractErrorCode } from "../contract/error-codes.ts";
import type { GaitError } from "../contract/errors.ts";
import { normalizeGoTimestamp, Timestamp } from "../contract/time.ts";
import { invalidInput, type RunpackErrorCode } from "./error-codes.ts";

export type ErrorFactory = (code: RunpackErrorCode | ContractErrorCode, message: string) => GaitError;

const inputError: ErrorFactory = (code, message) =>
  invalidInput(code, message, { hint: "fix the named field of the run record input and retry" });

/** Reads fields of one JSON object; `where` names it in errors (e.g. `intents[2]`). */
export class FieldReader {
  readonly object: JsonObject;
  readonly where: string;
  private readonly fail: ErrorFactory;

  constructor(object: JsonObject, where: string, fail: ErrorFactory = inputError) {
    this.object = object;
    this.where = where;
    this.fail = fail;
  }

  static of(value: unknown, where: string, fail: ErrorFactory = inputError): FieldReader {
    if (value === undefined || value === null) return new FieldReader({}, where, fail);
    if (!isJsonObject(value))
      throw fail("runpack_input_invalid", `${where || "input"}: expected a JSON object`);
    return new FieldReader(value, where, fail);
  }

  private name(key: string): string {
    return this.where === "" ? key : `${this.where}.${key}`;
  }

  /** A string member; absent or null reads as "". */
  string(key: string): string {
    const value = this.object[key];
    if (value === undefined || value === null) return "";
    if (typeof value !== "string")
      throw this.fail("runpack_input_invalid", `${this.name(key)}: expected a string`);
    return value;
  }

  /** A non-negative integer member; absent or null reads as 0. */
  count(key: string): number {
    const value = this.object[key];
    if (value === undefined || value === null) return 0;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
      throw this.fail("runpack_input_invalid", `${this.name(key)}: expected a non-negative integer`);
    return value;
  }

  /** An object member; absent or null reads as undefined. */
  obj(key: string): JsonObject | undefined {
    const value = this.object[key];
    if (value === undefined || value === null) return undefined;
    if (!isJsonObject(value))
      throw this.fail("runpack_input_invalid", `${this.name(key)}: expected a JSON object`);
    return value;
  }

  /** An array member; absent or null reads as []. */
  array(key: string): JsonValue[] {
    const value = this.object[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      throw this.fail("runpack_input_invalid", `${this.name(key)}: expected an array`);
    return value;
  }

  /**
   * A timestamp member rendered Go-style (sub-millisecond digits and offset kept). Absent, empty
   * or Go's zero time read as undefined so callers can apply their default.
   */
  time(key: string): Timestamp | undefined {
    const text = this.string(key);
    if (text === "") return undefined;
    let ts: Timestamp;
    try {
      ts = Timestamp.parse(text, this.name(key));
    } catch (error) {
      throw this.fail("invalid_timestamp", error instanceof Error ? error.message : String(error));
    }
    return ts.isZero() ? undefined : ts;
  }

  /** A timestamp that must stay textually faithful (normalized only), or "" when absent. */
  timeText(key: string): string {
    const text = this.string(key);
    if (text === "") return "";
    try {
      return normalizeGoTimestamp(text, this.name(key));
    } catch (error) {
      throw this.fail("invalid_timestamp", error instanceof Error ? error.message : String(error));
    }
  }

  child(key: string): FieldReader {
    return FieldReader.of(this.object[key], this.name(key), this.fail);
  }

  at(index: number, value: unknown, key: string): FieldReader {
    return FieldReader.of(value, `${this.name(key)}[${index}]`, this.fail);
  }

  error(code: RunpackErrorCode | ContractErrorCode, message: string): GaitError {
    return this.fail(code, `${this.where || "input"}: ${message}`);
  }
}
