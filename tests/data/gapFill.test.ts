/**
 * gapFill(): a hand-computed case (a 3-minute gap filled, a 5-minute gap kept), statistics by
 * bucket, weekend gaps, the maxFill option and the input guard.
 */
import pl from "nodejs-polars";
import assert from "node:assert/strict";
import { gapFill, gapStats } from "../../lib/data/gapFill.ts";
import { MAX_FILL_MINUTES } from "../../lib/data/schema.ts";

const T0 = Date.UTC(2018, 0, 2, 10, 0);
const min = (m: number) => T0 + m * 60_000;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

function bars(minutes: number[], closes: number[]): pl.DataFrame {
  return pl.DataFrame({
    ts_utc: minutes.map(min),
    open: closes.map((c) => c - 0.001),
    high: closes.map((c) => c + 0.002),
    low: closes.map((c) => c - 0.002),
    close: closes,
    volume: closes.map(() => 7),
  }).withColumns(pl.col("ts_utc").cast(pl.Datetime("ms", "UTC")));
}

Deno.test("gapFill() fills a 3-minute gap with the previous close and keeps a 5-minute gap", () => {
  // 10:00 10:01 | 10:02-10:04 missing (3) | 10:05 | 10:06-10:10 missing (5) | 10:11 10:12
  const input = bars([0, 1, 5, 11, 12], [1.1, 1.2, 1.3, 1.4, 1.5]);
  const { frame: out, stats } = gapFill(input);
  const ts = (out.getColumn("ts_utc").cast(pl.Int64).cast(pl.Float64).toArray() as number[]).map(
    hhmm,
  );
  assert.deepEqual(ts, ["10:00", "10:01", "10:02", "10:03", "10:04", "10:05", "10:11", "10:12"]);
  assert.deepEqual(out.getColumn("filled").toArray(), [
    false,
    false,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
  assert.deepEqual(out.getColumn("close").toArray(), [1.1, 1.2, 1.2, 1.2, 1.2, 1.3, 1.4, 1.5]);
  const filled = out.filter(pl.col("filled"));
  for (const c of ["open", "high", "low", "close"]) {
    assert.deepEqual(filled.getColumn(c).toArray(), [1.2, 1.2, 1.2], c);
  }
  assert.deepEqual(filled.getColumn("volume").toArray(), [0, 0, 0]);
  assert.deepEqual(out.filter(pl.col("filled").not()).getColumn("volume").toArray(), [
    7,
    7,
    7,
    7,
    7,
  ]);
  assert.deepEqual(out.columns, ["ts_utc", "open", "high", "low", "close", "volume", "filled"]);
  assert.equal(String(out.getColumn("ts_utc").dtype), "DataType(Datetime(ms,UTC))");
  assert.equal(stats.filledBars, 3);
  assert.deepEqual(stats.buckets.map((b) => [b.label, b.gaps, b.missingMinutes, b.filled]), [
    ["1-4 min", 1, 3, true],
    ["5-15 min", 1, 5, false],
    ["16-60 min", 0, 0, false],
    ["61 min-1 day", 0, 0, false],
    ["> 1 day", 0, 0, false],
  ]);
  assert.deepEqual(stats.largest, {
    after: "2018-01-02T10:05:00Z",
    before: "2018-01-02T10:11:00Z",
    missingMinutes: 5,
  });
});

Deno.test("gapFill() fills 1 and 4 missing minutes, never 5", () => {
  assert.equal(MAX_FILL_MINUTES, 4);
  const { frame: out } = gapFill(bars([0, 2, 7, 13], [1, 2, 3, 4]));
  assert.equal(out.height, 4 + 1 + 4);
  assert.equal(out.filter(pl.col("filled")).height, 5);
});

Deno.test("gapFill() leaves a weekend gap alone and counts it as > 1 day", () => {
  const fri = Date.UTC(2018, 0, 5, 21, 59), sun = Date.UTC(2018, 0, 7, 22, 0);
  const input = pl.DataFrame({
    ts_utc: [fri - 60_000, fri, sun, sun + 60_000],
    open: [1, 1, 1, 1],
    high: [1, 1, 1, 1],
    low: [1, 1, 1, 1],
    close: [1, 1, 1, 1],
    volume: [0, 0, 0, 0],
  }).withColumns(pl.col("ts_utc").cast(pl.Datetime("ms", "UTC")));
  const { frame: out, stats } = gapFill(input);
  assert.equal(out.height, 4);
  const week = stats.buckets.find((b) => b.label === "> 1 day")!;
  assert.equal(week.gaps, 1);
  assert.equal(week.missingMinutes, (sun - fri) / 60_000 - 1);
});

Deno.test("gapFill() with maxFill 0 fills nothing and gapStats() agrees", () => {
  const input = bars([0, 2, 3], [1, 2, 3]);
  const { frame: out, stats } = gapFill(input, { maxFill: 0 });
  assert.equal(out.height, 3);
  assert.equal(stats.filledBars, 0);
  assert.equal(gapStats(input).buckets[0].gaps, 1);
});

Deno.test("gapFill() refuses bars that are not strictly increasing", () => {
  assert.throws(() => gapFill(bars([0, 2, 1], [1, 2, 3])), {
    name: "RangeError",
    message:
      "Invalid bars for gapFill: 1 row(s) not strictly increasing on whole minutes, expected validated bars",
  });
});

Deno.test("gapFill() handles empty input and drops extra columns", () => {
  const empty = bars([], []);
  assert.equal(gapFill(empty).frame.height, 0);
  const withLine = bars([0, 2], [1, 2]).withColumns(pl.lit(1).alias("line"));
  assert.deepEqual(gapFill(withLine).frame.columns, [
    "ts_utc",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "filled",
  ]);
});
