/**
 * validate(): one test per violation class under the default `reject` (exact message with file,
 * line, field, value and expectation), then the counts of `drop` and `repair`.
 */
import pl from "nodejs-polars";
import assert from "node:assert/strict";
import { parseBars } from "../../lib/data/readBars.ts";
import { REASONS, resolvePolicies, validate } from "../../lib/data/validate.ts";

const HEADER = "ts_utc,open,high,low,close,volume";
const GOOD = [
  "2018-01-02T00:00:00Z,1.20,1.21,1.19,1.205,0",
  "2018-01-02T00:01:00Z,1.205,1.21,1.20,1.20,0",
  "2018-01-02T00:02:00Z,1.20,1.22,1.20,1.21,0",
  "2018-01-02T00:03:00Z,1.21,1.22,1.20,1.215,0",
];

/** A CSV whose data line `n` (1-based among data rows) is replaced; line = n + 1. */
function csv(replace: Record<number, string> = {}, extra: string[] = []): Uint8Array {
  const rows = GOOD.map((r, i) => replace[i + 1] ?? r);
  return new TextEncoder().encode([HEADER, ...rows, ...extra].join("\n") + "\n");
}

function rejects(bytes: Uint8Array, message: string) {
  assert.throws(() => validate(parseBars(bytes, "EURUSD.csv")), { name: "DataError", message });
}

Deno.test("validate() accepts valid bars unchanged", () => {
  const read = parseBars(csv(), "EURUSD.csv");
  const { bars, report } = validate(read);
  assert.equal(bars.height, 4);
  assert.deepEqual(report, {
    file: "EURUSD.csv",
    rowsIn: 4,
    rowsOut: 4,
    dropped: {},
    repaired: {},
    examples: {},
  });
});

Deno.test("validate() rejects an unparsable timestamp naming file, line, field and value", () => {
  rejects(
    csv({ 3: "2018-01-02T00:0x:00Z,1.20,1.22,1.20,1.21,0" }),
    'Unparsable timestamp at EURUSD.csv:4: ts_utc = "2018-01-02T00:0x:00Z", expected an ISO-8601 UTC timestamp like 2018-01-01T22:00:00Z',
  );
});

Deno.test("validate() rejects an unparsable number", () => {
  rejects(
    csv({ 3: "2018-01-02T00:02:00Z,1.20,1.22,1.20,1.2a,0" }),
    'Unparsable number at EURUSD.csv:4: close = "1.2a", expected a decimal number',
  );
});

Deno.test("validate() rejects a missing field as unparsable", () => {
  rejects(
    csv({ 2: "2018-01-02T00:01:00Z,1.205,1.21,1.20" }),
    'Unparsable number at EURUSD.csv:3: close = "", expected a decimal number',
  );
});

Deno.test("validate() rejects time going backwards", () => {
  rejects(
    csv({ 4: "2018-01-02T00:01:00Z,1.21,1.22,1.20,1.215,0" }),
    "Time going backwards at EURUSD.csv:5: ts_utc = 2018-01-02T00:01:00Z, expected a time after 2018-01-02T00:02:00Z (line 4)",
  );
});

Deno.test("validate() rejects a duplicated timestamp with different values", () => {
  rejects(
    csv({ 4: "2018-01-02T00:02:00Z,1.21,1.22,1.20,1.215,0" }),
    "Duplicated timestamp at EURUSD.csv:5: ts_utc = 2018-01-02T00:02:00Z, expected a time after 2018-01-02T00:02:00Z (line 4)",
  );
});

Deno.test("validate() rejects an exact duplicate row naming the row it repeats", () => {
  rejects(
    csv({}, [GOOD[1]]),
    "Duplicated timestamp at EURUSD.csv:6: ts_utc = 2018-01-02T00:01:00Z, expected a new minute (the row repeats line 3 exactly)",
  );
});

Deno.test("validate() rejects high below low", () => {
  rejects(
    csv({ 3: "2018-01-02T00:02:00Z,1.20,1.10,1.30,1.21,0" }),
    "High below low at EURUSD.csv:4: high = 1.1, expected >= low (1.3)",
  );
});

Deno.test("validate() rejects high below max(open, close) and low above min(open, close)", () => {
  rejects(
    csv({ 3: "2018-01-02T00:02:00Z,1.20,1.205,1.20,1.21,0" }),
    "Inconsistent OHLC at EURUSD.csv:4: high = 1.205, expected >= max(open, close) = 1.21",
  );
  rejects(
    csv({ 3: "2018-01-02T00:02:00Z,1.20,1.22,1.201,1.21,0" }),
    "Inconsistent OHLC at EURUSD.csv:4: low = 1.201, expected <= min(open, close) = 1.2",
  );
});

Deno.test("validate() rejects a non-positive price", () => {
  rejects(
    csv({ 2: "2018-01-02T00:01:00Z,0,1.21,1.20,1.20,0" }),
    "Non-positive price at EURUSD.csv:3: open = 0, expected a price > 0",
  );
});

Deno.test("validate() rejects a non-finite price and a negative volume", () => {
  rejects(
    csv({ 2: "2018-01-02T00:01:00Z,1.205,inf,1.20,1.20,0" }),
    "Non-finite price at EURUSD.csv:3: high = Infinity, expected a finite price > 0",
  );
  rejects(
    csv({ 2: "2018-01-02T00:01:00Z,1.205,1.21,1.20,1.20,-3" }),
    "Invalid volume at EURUSD.csv:3: volume = -3, expected a finite volume >= 0",
  );
});

Deno.test("validate() rejects a timestamp off the whole minute", () => {
  rejects(
    csv({ 2: "2018-01-02T00:01:30Z,1.205,1.21,1.20,1.20,0" }),
    "Timestamp not on a whole minute at EURUSD.csv:3: ts_utc = 2018-01-02T00:01:30Z, expected a whole minute (seconds and milliseconds 0)",
  );
});

Deno.test("validate() reports the earliest bad line when several classes occur", () => {
  rejects(
    csv({
      2: "2018-01-02T00:01:00Z,1.205,1.21,1.20,x,0",
      4: "2018-01-02T00:00:00Z,1.21,1.22,1.20,1.215,0",
    }),
    'Unparsable number at EURUSD.csv:3: close = "x", expected a decimal number',
  );
});

/** One row per class, plus a duplicate and a repairable row. */
const MESSY = new TextEncoder().encode([
  HEADER,
  "2018-01-02T00:00:00Z,1.20,1.21,1.19,1.205,0", // 2 ok
  "2018-01-02T00:01:00Z,1.205,1.21,1.20,1.20,0", // 3 ok
  "2018-01-02T00:01:00Z,1.205,1.21,1.20,1.20,0", // 4 exact duplicate of 3
  "2018-01-02T00:02:00Z,1.20,1.205,1.20,1.21,0", // 5 high < close: repairable
  "2018-01-02T00:03:00Z,1.20,1.10,1.30,1.21,0", // 6 high < low
  "2018-01-02T00:04:00Z,-1,1.22,1.20,1.21,0", // 7 non-positive
  "bad,1.20,1.22,1.20,1.21,0", // 8 unparsable ts
  "2018-01-02T00:05:00Z,1.20,1.22,1.20,1.2.1,0", // 9 unparsable number
  "2018-01-02T00:06:00Z,1.20,1.22,1.20,1.21,0", // 10 ok
  "2018-01-02T00:06:00Z,1.20,1.23,1.20,1.21,0", // 11 duplicate stamp, other values
  "2018-01-02T00:05:00Z,1.20,1.22,1.20,1.21,0", // 12 backwards
  "2018-01-02T00:07:00Z,1.20,1.22,1.20,1.21,0", // 13 ok
].join("\n"));

Deno.test("validate() with drop drops and counts every bad row by reason", () => {
  const { bars, report } = validate(parseBars(MESSY, "m.csv"), { onInvalid: "drop" });
  assert.deepEqual(bars.getColumn("line").toArray(), [2, 3, 10, 13]);
  assert.equal(report.rowsIn, 12);
  assert.equal(report.rowsOut, 4);
  assert.deepEqual(report.dropped, {
    unparsable_timestamp: 1,
    unparsable_number: 1,
    non_positive_price: 1,
    high_below_low: 1,
    ohlc_inconsistent: 1,
    duplicate_row: 1,
    duplicate_timestamp: 1,
    time_backwards: 1,
  });
  assert.deepEqual(report.repaired, {});
  assert.deepEqual(report.examples.high_below_low, ["m.csv:6: high = 1.1, expected >= low (1.3)"]);
  assert.deepEqual(report.examples.unparsable_timestamp, [
    'm.csv:8: ts_utc = "bad", expected an ISO-8601 UTC timestamp like 2018-01-01T22:00:00Z',
  ]);
});

Deno.test("validate() with repair widens OHLC, removes exact repeats and drops the rest", () => {
  const { bars, report } = validate(parseBars(MESSY, "m.csv"), { onInvalid: "repair" });
  assert.deepEqual(bars.getColumn("line").toArray(), [2, 3, 5, 10, 13]);
  const row5 = bars.filter(pl.col("line").eq(5)).toRecords()[0];
  assert.equal(row5.high, 1.21); // widened to the close
  assert.equal(row5.low, 1.2);
  assert.deepEqual(report.repaired, { ohlc_inconsistent: 1 });
  assert.deepEqual(report.dropped, {
    unparsable_timestamp: 1,
    unparsable_number: 1,
    non_positive_price: 1,
    high_below_low: 1,
    duplicate_row: 1,
    duplicate_timestamp: 1,
    time_backwards: 1,
  });
  assert.equal(report.rowsOut, report.rowsIn - 7);
  assert.deepEqual(report.examples.ohlc_inconsistent, [
    "m.csv:5: high = 1.205, expected >= max(open, close) = 1.21",
  ]);
});

Deno.test("validate() per-class policies override onInvalid", () => {
  const read = parseBars(MESSY, "m.csv");
  assert.throws(
    () => validate(read, { onInvalid: "drop", policies: { time_backwards: "reject" } }),
    {
      message:
        "Time going backwards at m.csv:12: ts_utc = 2018-01-02T00:05:00Z, expected a time after 2018-01-02T00:06:00Z (line 10)",
    },
  );
  const { report } = validate(read, {
    onInvalid: "drop",
    policies: { ohlc_inconsistent: "repair" },
  });
  assert.deepEqual(report.repaired, { ohlc_inconsistent: 1 });
});

Deno.test("validate() keeps at most maxExamples examples per reason", () => {
  const rows = Array.from({ length: 8 }, (_, i) => `2018-01-02T00:0${i}:00Z,1.20,1.10,1.30,1.21,0`);
  const bytes = new TextEncoder().encode([HEADER, ...rows].join("\n"));
  const { report } = validate(parseBars(bytes, "m.csv"), { onInvalid: "drop", maxExamples: 3 });
  assert.equal(report.dropped.high_below_low, 8);
  assert.equal(report.examples.high_below_low?.length, 3);
});

Deno.test("resolvePolicies() falls back to drop for what repair cannot fix and refuses impossible repairs", () => {
  const p = resolvePolicies("repair");
  assert.equal(p.ohlc_inconsistent, "repair");
  assert.equal(p.duplicate_row, "repair");
  assert.equal(p.non_positive_price, "drop");
  assert.equal(Object.keys(p).length, REASONS.length);
  assert.throws(() => resolvePolicies("reject", { high_below_low: "repair" }), {
    message:
      'Invalid policy "repair" for high_below_low: expected reject or drop (only ohlc_inconsistent, duplicate_row can be repaired)',
  });
  assert.throws(() => resolvePolicies("fix" as "drop"), {
    message: 'Invalid onInvalid "fix": expected reject, drop or repair',
  });
});
