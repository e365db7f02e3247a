import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GaitError } from "../../src/contract/errors.ts";
import {
  EPOCH_1980,
  formatGoDuration,
  formatGoTime,
  normalizeGoTimestamp,
  parseGoDuration,
  Timestamp,
  ZERO_TIME,
} from "../../src/contract/time.ts";

describe("Go-style timestamps", () => {
  it("trims trailing fractional zeros and keeps nanoseconds", () => {
    assert.equal(normalizeGoTimestamp("2026-02-05T00:00:00.000Z"), "2026-02-05T00:00:00Z");
    assert.equal(normalizeGoTimestamp("2026-02-24T12:42:58.228785000Z"), "2026-02-24T12:42:58.228785Z");
    assert.equal(normalizeGoTimestamp("2026-02-24T12:42:58.123456789Z"), "2026-02-24T12:42:58.123456789Z");
  });

  it("renders a zero offset as Z and keeps other offsets", () => {
    assert.equal(normalizeGoTimestamp("2026-02-05T01:00:00+00:00"), "2026-02-05T01:00:00Z");
    assert.equal(normalizeGoTimestamp("2026-02-05T01:00:00+05:30"), "2026-02-05T01:00:00+05:30");
    assert.equal(Timestamp.parse("2026-02-05T01:00:00+05:30").utc().toString(), "2026-02-04T19:30:00Z");
  });

  it("never renders .000Z for JS dates", () => {
    assert.equal(formatGoTime(new Date("2026-02-05T00:00:00.000Z")), "2026-02-05T00:00:00Z");
    assert.equal(formatGoTime(new Date("2026-02-05T00:00:00.120Z")), "2026-02-05T00:00:00.12Z");
  });

  it("handles Go's zero time and the 1980 epoch", () => {
    assert.equal(ZERO_TIME.toString(), "0001-01-01T00:00:00Z");
    assert.equal(EPOCH_1980.seconds, 315532800);
    assert.ok(ZERO_TIME.isZero());
  });

  it("adds durations with nanosecond precision", () => {
    const created = Timestamp.parse("2026-02-24T12:42:58.274138Z");
    assert.equal(created.addNanos(parseGoDuration("1s")).toString(), "2026-02-24T12:42:59.274138Z");
    assert.equal(created.addNanos(parseGoDuration("1h30m")).toString(), "2026-02-24T14:12:58.274138Z");
  });

  it("rejects malformed or out-of-range text with a coded error", () => {
    for (const text of [
      "",
      "2026-02-30T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "yesterday",
      "2026-02-05 00:00:00",
    ]) {
      assert.throws(
        () => Timestamp.parse(text),
        (e: unknown) => e instanceof GaitError && e.code === "invalid_timestamp",
      );
    }
  });

  it("compares instants across offsets", () => {
    const a = Timestamp.parse("2026-02-05T01:00:00+01:00");
    const b = Timestamp.parse("2026-02-05T00:00:00Z");
    assert.equal(a.compare(b), 0);
  });
});

describe("Go durations", () => {
  it("parses and renders like time.ParseDuration / Duration.String", () => {
    assert.equal(parseGoDuration("1h"), 3_600_000_000_000n);
    assert.equal(parseGoDuration("1.5s"), 1_500_000_000n);
    assert.equal(parseGoDuration("250ms"), 250_000_000n);
    assert.equal(formatGoDuration(parseGoDuration("24h")), "24h0m0s");
    assert.equal(formatGoDuration(parseGoDuration("90s")), "1m30s");
    assert.equal(formatGoDuration(1_500_000_000n), "1.5s");
    assert.equal(formatGoDuration(0n), "0s");
  });

  it("rejects junk", () => {
    for (const text of ["", "1d", "h", "1h-3m", "abc"]) {
      assert.throws(
        () => parseGoDuration(text),
        (e: unknown) => e instanceof GaitError && e.code === "invalid_duration",
      );
    }
  });
});
