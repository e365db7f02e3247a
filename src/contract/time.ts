/**
 * Go-style time: RFC 3339 with nanoseconds, trailing fractional zeros trimmed, `Z` for a zero
 * offset (CONTRACTS.md §1.3). JavaScript's `toISOString()` (always `.000Z`, milliseconds only)
 * is not compatible, so digest-bearing code uses `Timestamp` and an injected `Clock` instead.
 */
import { invalidInput } from "./errors.ts";
import { trimSpace } from "./text.ts";

const NANOS_PER_SECOND = 1_000_000_000;
const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export class Timestamp {
  /** Whole seconds since the Unix epoch (UTC), possibly negative. */
  readonly seconds: number;
  /** Nanoseconds within the second, 0..999_999_999. */
  readonly nanos: number;
  /** Offset of the rendered zone from UTC, in minutes (0 renders as `Z`). */
  readonly offsetMinutes: number;

  private constructor(seconds: number, nanos: number, offsetMinutes: number) {
    this.seconds = seconds;
    this.nanos = nanos;
    this.offsetMinutes = offsetMinutes;
  }

  static of(seconds: number, nanos = 0, offsetMinutes = 0): Timestamp {
    const carry = Math.floor(nanos / NANOS_PER_SECOND);
    return new Timestamp(seconds + carry, nanos - carry * NANOS_PER_SECOND, offsetMinutes);
  }

  static fromEpochMs(ms: number): Timestamp {
    const seconds = Math.floor(ms / 1000);
    return Timestamp.of(seconds, Math.round((ms - seconds * 1000) * 1_000_000));
  }

  static fromDate(date: Date): Timestamp {
    return Timestamp.fromEpochMs(date.getTime());
  }

  /** Parses RFC 3339 text (up to nanosecond precision); throws a coded `invalid_timestamp` error. */
  static parse(text: string, what = "timestamp"): Timestamp {
    const m = rfc3339.exec(trimSpace(text));
    if (!m) {
      throw invalidInput(
        "invalid_timestamp",
        `${what}: ${JSON.stringify(text)} is not an RFC 3339 timestamp`,
        {
          hint: "use a form like 2026-02-05T00:00:00Z",
        },
      );
    }
    const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = Number(s);
    if (
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth(Number(y), month) ||
      hour > 23 ||
      minute > 59
    ) {
      throw invalidInput("invalid_timestamp", `${what}: ${JSON.stringify(text)} is out of range`);
    }
    if (second > 59)
      throw invalidInput("invalid_timestamp", `${what}: ${JSON.stringify(text)} is out of range`);
    const offsetMinutes = z ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
    const localSeconds = utcSeconds(Number(y), month, day, hour, minute, second);
    const nanos = frac ? Number(frac.padEnd(9, "0")) : 0;
    return new Timestamp(localSeconds - offsetMinutes * 60, nanos, offsetMinutes);
  }

  /** The same instant rendered in UTC. */
  utc(): Timestamp {
    return this.offsetMinutes === 0 ? this : new Timestamp(this.seconds, this.nanos, 0);
  }

  addNanos(nanos: bigint): Timestamp {
    const total = this.totalNanos() + nanos;
    const seconds = total / 1_000_000_000n;
    let rest = total - seconds * 1_000_000_000n;
    let wholeSeconds = seconds;
    if (rest < 0n) {
      rest += 1_000_000_000n;
      wholeSeconds -= 1n;
    }
    return new Timestamp(Number(wholeSeconds), Number(rest), this.offsetMinutes);
  }

  totalNanos(): bigint {
    return BigInt(this.seconds) * 1_000_000_000n + BigInt(this.nanos);
  }

  compare(other: Timestamp): number {
    return this.seconds !== other.seconds ? this.seconds - other.seconds : this.nanos - other.nanos;
  }

  epochMs(): number {
    return this.seconds * 1000 + Math.floor(this.nanos / 1_000_000);
  }

  isZero(): boolean {
    return this.seconds === ZERO_TIME.seconds && this.nanos === 0;
  }

  /** Go's `time.RFC3339Nano` rendering in this timestamp's own offset. */
  toString(): string {
    const local = new Date((this.seconds + this.offsetMinutes * 60) * 1000);
    const year = local.getUTCFullYear();
    let text = `${pad(year, 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}T${pad(
      local.getUTCHours(),
      2,
    )}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}`;
    if (this.nanos > 0) text += `.${pad(this.nanos, 9).replace(/0+$/, "")}`;
    if (this.offsetMinutes === 0) return `${text}Z`;
    const abs = Math.abs(this.offsetMinutes);
    return `${text}${this.offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : monthDays[month - 1]!;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number) {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  return Math.floor(date.getTime() / 1000);
}

/** Go's zero `time.Time`, which `encoding/json` renders even under `omitempty`. */
export const ZERO_TIME = Timestamp.parse("0001-01-01T00:00:00Z");
/** The fixed epoch Gait uses when an input carries no time (deterministic output). */
export const EPOCH_1980 = Timestamp.parse("1980-01-01T00:00:00Z");

/** Re-renders a timestamp read from an artifact in Go form, keeping every sub-millisecond digit. */
export function normalizeGoTimestamp(text: string, what?: string): string {
  return Timestamp.parse(text, what).toString();
}

/** Renders a JS Date Go-style (UTC). */
export function formatGoTime(date: Date): string {
  return Timestamp.fromDate(date).toString();
}

/** An injected source of "now", so digest-bearing code stays deterministic under test. */
export type Clock = () => Timestamp;
export const systemClock: Clock = () => Timestamp.fromEpochMs(Date.now());
export function fixedClock(at: string | Timestamp): Clock {
  const ts = typeof at === "string" ? Timestamp.parse(at) : at;
  return () => ts;
}

const durationUnits: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Parses a Go duration ("90s", "1h30m", "1.5h", "250ms") into nanoseconds. */
export function parseGoDuration(text: string, what = "duration"): bigint {
  const trimmed = trimSpace(text);
  const fail = () =>
    invalidInput("invalid_duration", `${what}: ${JSON.stringify(text)} is not a duration`, {
      hint: "use Go duration syntax such as 30m, 1h or 1h30m",
    });
  if (trimmed === "0") return 0n;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let sign = 1n;
  let rest = trimmed;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1n : 1n;
    rest = rest.slice(1);
  }
  if (rest === "") throw fail();
  let total = 0n;
  re.lastIndex = 0;
  while (re.lastIndex < rest.length) {
    const m = re.exec(rest);
    if (!m) throw fail();
    const [, amount, unit] = m;
    const [whole, frac = ""] = amount!.split(".");
    const scale = durationUnits[unit!]!;
    total += BigInt(whole!) * scale;
    if (frac) total += (BigInt(frac.padEnd(18, "0").slice(0, 18)) * scale) / 10n ** 18n;
  }
  return sign * total;
}

/** Renders nanoseconds the way Go's `time.Duration.String()` does (e.g. `24h0m0s`, `1.5s`). */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const negative = nanos < 0n;
  let n = negative ? -nanos : nanos;
  const sign = negative ? "-" : "";
  if (n < 1_000_000_000n) {
    const [unit, scale] = n < 1_000n ? ["ns", 1n] : n < 1_000_000n ? ["µs", 1_000n] : ["ms", 1_000_000n];
    return `${sign}${fraction(n, scale as bigint)}${unit}`;
  }
  const hours = n / 3_600_000_000_000n;
  n -= hours * 3_600_000_000_000n;
  const minutes = n / 60_000_000_000n;
  n -= minutes * 60_000_000_000n;
  const seconds = fraction(n, 1_000_000_000n);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function fraction(n: bigint, scale: bigint): string {
  const whole = n / scale;
  const rest = n - whole * scale;
  if (rest === 0n) return String(whole);
  const digits = String(scale).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}

/**
 * Milliseconds on a monotonic clock, for measuring durations. The same clock as
 * `performance.now()`, without loading perf_hooks (a dozen modules, ~2 ms of a CLI call).
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
