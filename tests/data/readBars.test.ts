/**
 * readBars(): formats, line numbers, and HistData time zones around the 2018 US DST switches
 * (synthetic cases by hand, then the real HistData excerpts against the converted fx-m1 file).
 */
import pl from "nodejs-polars";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { DataError, parseBars, readBars, sniffFormat } from "../../lib/data/readBars.ts";
import { validate } from "../../lib/data/validate.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const isoList = (df: pl.DataFrame) =>
  (df.getColumn("ts_utc").toArray() as unknown as Date[]).map((d) =>
    d.toISOString().replace(".000Z", "Z")
  );

const SHARED = new URL("../../../shared/data/", import.meta.url).pathname;
function sharedAvailable(): boolean {
  try {
    Deno.statSync(`${SHARED}histdata-raw/DAT_ASCII_EURUSD_M1_201803.csv.gz`);
    Deno.statSync(`${SHARED}fx-m1/EURUSD.csv.gz`);
    return true;
  } catch {
    console.log(`skipped: ${SHARED} is absent (real HistData excerpts not available)`);
    return false;
  }
}

Deno.test("readBars() converts New York stamps to UTC across the spring-forward switch", () => {
  const text = [
    "20180311 015800;1.2300;1.2310;1.2290;1.2305;0",
    "20180311 015900;1.2305;1.2310;1.2300;1.2301;0",
    "20180311 030000;1.2301;1.2320;1.2300;1.2310;0", // 02:00-02:59 does not exist that night
    "20180312 080000;1.2310;1.2320;1.2300;1.2315;0",
  ].join("\n");
  const { bars, issues, format } = parseBars(enc(text), "EURUSD.txt");
  assert.equal(format, "histdata");
  assert.equal(issues.height, 0);
  assert.deepEqual(isoList(bars), [
    "2018-03-11T06:58:00Z",
    "2018-03-11T06:59:00Z",
    "2018-03-11T07:00:00Z",
    "2018-03-12T12:00:00Z",
  ]);
  assert.deepEqual(bars.getColumn("line").toArray(), [1, 2, 3, 4]);
  assert.deepEqual(bars.getColumn("close").toArray(), [1.2305, 1.2301, 1.231, 1.2315]);
});

Deno.test("readBars() reports a stamp inside the skipped spring-forward hour with file and line", () => {
  const text = "20180311 015900;1.2;1.3;1.1;1.25;0\n20180311 023000;1.2;1.3;1.1;1.25;0\n";
  const read = parseBars(enc(text), "EURUSD.txt");
  assert.equal(read.issues.height, 1);
  assert.throws(() => validate(read), {
    name: "DataError",
    message:
      'Nonexistent local time at EURUSD.txt:2: ts_utc = "20180311 023000", expected a local time that exists in America/New_York (the spring-forward hour is skipped)',
  });
});

Deno.test("readBars() resolves the repeated fall-back hour by row order (EDT first, then EST)", () => {
  const text = [
    "20181104 003000;1;1;1;1;0", // EDT: 04:30Z
    "20181104 013000;1;1;1;1;0", // first pass of 01:xx: EDT, 05:30Z
    "20181104 015900;1;1;1;1;0", // EDT, 05:59Z
    "20181104 010000;1;1;1;1;0", // clock went back: EST, 06:00Z
    "20181104 013000;1;1;1;1;0", // EST, 06:30Z
    "20181104 020000;1;1;1;1;0", // EST, 07:00Z
    "20181105 083000;1;1;1;1;0", // EST, 13:30Z
  ].join("\n");
  const read = parseBars(enc(text), "EURUSD.txt");
  assert.equal(read.issues.height, 0);
  assert.deepEqual(isoList(read.bars), [
    "2018-11-04T04:30:00Z",
    "2018-11-04T05:30:00Z",
    "2018-11-04T05:59:00Z",
    "2018-11-04T06:00:00Z",
    "2018-11-04T06:30:00Z",
    "2018-11-04T07:00:00Z",
    "2018-11-05T13:30:00Z",
  ]);
  assert.equal(validate(read).bars.height, 7);
});

Deno.test("readBars() reads a lone fall-back stamp as EDT (its first occurrence)", () => {
  const read = parseBars(
    enc("20181104 013000;1;1;1;1;0\n20181104 020000;1;1;1;1;0\n"),
    "EURUSD.txt",
  );
  assert.deepEqual(isoList(read.bars), ["2018-11-04T05:30:00Z", "2018-11-04T07:00:00Z"]);
});

Deno.test("readBars() with ambiguous: raise reports every fall-back stamp", () => {
  const text = "20181104 005900;1;1;1;1;0\n20181104 013000;1;1;1;1;0\n";
  const read = parseBars(enc(text), "EURUSD.txt", { ambiguous: "raise" });
  assert.deepEqual(read.issues.getColumn("reason").toArray(), ["ambiguous_time"]);
  assert.throws(() => validate(read), {
    message:
      'Ambiguous local time at EURUSD.txt:2: ts_utc = "20181104 013000", expected a local time that occurs once in America/New_York (the fall-back hour repeats)',
  });
});

Deno.test("readBars() with tz utc-5 adds 5 hours all year", () => {
  const text = "20180311 015900;1;1;1;1;0\n20180311 030000;1;1;1;1;0\n20180706 083000;1;1;1;1;0\n";
  const read = parseBars(enc(text), "EURUSD.txt", { tz: "utc-5" });
  assert.deepEqual(isoList(read.bars), [
    "2018-03-11T06:59:00Z",
    "2018-03-11T08:00:00Z",
    "2018-07-06T13:30:00Z",
  ]);
});

Deno.test("readBars() reads CSV with both stamp forms, keeps line numbers past blank lines, reads gzip", () => {
  const text = [
    "ts_utc,open,high,low,close,volume",
    "2018-01-01T22:00:00Z,1.2,1.3,1.1,1.25,3",
    "",
    "2018-01-01 22:01:00,1.25,1.3,1.2,1.3,0",
    "2018-01-01T22:02:00.000Z,1.3,1.3,1.3,1.3,0",
  ].join("\r\n") + "\r\n";
  const read = parseBars(gzipSync(enc(text)), "EURUSD.csv.gz");
  assert.equal(read.format, "csv");
  assert.equal(read.issues.height, 0);
  assert.deepEqual(isoList(read.bars), [
    "2018-01-01T22:00:00Z",
    "2018-01-01T22:01:00Z",
    "2018-01-01T22:02:00Z",
  ]);
  assert.deepEqual(read.bars.getColumn("line").toArray(), [2, 4, 5]);
  assert.deepEqual(read.bars.getColumn("volume").toArray(), [3, 0, 0]);
  assert.deepEqual(read.bars.dtypes.map(String), [
    "DataType(UInt32)",
    "DataType(Datetime(ms,UTC))",
    ...Array(5).fill("DataType(Float64)"),
  ]);
});

Deno.test("readBars() turns unparsable fields into issues with the raw value", () => {
  const text = [
    "ts_utc,open,high,low,close,volume",
    "2018-01-01T22:00:00Zjunk,1,1,1,1,0",
    "2018-02-30T22:01:00Z,1,1,1,1,0",
    "2018-01-01T22:02:00Z,1,x,1,1,",
  ].join("\n");
  const { issues, bars } = parseBars(enc(text), "EURUSD.csv");
  assert.equal(bars.height, 3);
  assert.deepEqual(issues.select("line", "field", "value", "reason").toRecords(), [
    { line: 2, field: "ts_utc", value: "2018-01-01T22:00:00Zjunk", reason: "unparsable_timestamp" },
    { line: 3, field: "ts_utc", value: "2018-02-30T22:01:00Z", reason: "unparsable_timestamp" },
    { line: 4, field: "high", value: "x", reason: "unparsable_number" },
    { line: 4, field: "volume", value: "", reason: "unparsable_number" },
  ]);
});

Deno.test("readBars() reads Parquet with a datetime or a string ts_utc", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = {
      open: [1.2, 1.25],
      high: [1.3, 1.3],
      low: [1.1, 1.2],
      close: [1.25, 1.3],
      volume: [0, 1],
    };
    const asDate = pl.DataFrame({
      ts_utc: [Date.UTC(2018, 0, 2), Date.UTC(2018, 0, 2, 0, 1)],
      ...base,
    })
      .withColumns(pl.col("ts_utc").cast(pl.Datetime("ms")));
    const asText = pl.DataFrame({
      ts_utc: ["2018-01-02T00:00:00Z", "2018-01-02T00:01:00Z"],
      ...base,
    });
    asDate.writeParquet(`${dir}/a.parquet`);
    asText.writeParquet(`${dir}/b.parquet`);
    for (const f of ["a", "b"]) {
      const read = readBars(`${dir}/${f}.parquet`);
      assert.equal(read.format, "parquet");
      assert.deepEqual(isoList(read.bars), ["2018-01-02T00:00:00Z", "2018-01-02T00:01:00Z"]);
      assert.deepEqual(read.bars.getColumn("line").toArray(), [1, 2]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBars() names the missing column, file and expected header", () => {
  const text = "ts_utc,open,high,low,volume\n2018-01-01T22:00:00Z,1,1,1,0\n";
  assert.throws(() => parseBars(enc(text), "EURUSD.csv"), {
    name: "DataError",
    message:
      'Missing column "close" in EURUSD.csv:1: found header "ts_utc,open,high,low,volume", expected header ts_utc,open,high,low,close,volume',
  });
  assert.throws(() => parseBars(enc("20180101 220000;1;1;1\n"), "EURUSD.txt"), {
    message:
      'Missing column "close" in EURUSD.txt:1: found 4 field(s), expected YYYYMMDD HHMMSS;open;high;low;close;volume',
  });
});

Deno.test("readBars() rejects an empty file and reads a header-only CSV as zero rows", () => {
  assert.throws(() => parseBars(enc("\n\n"), "EURUSD.csv"), {
    message:
      "Empty file EURUSD.csv: expected YYYYMMDD HHMMSS;open;high;low;close;volume lines or a CSV header ts_utc,open,high,low,close,volume and rows",
  });
  const read = parseBars(enc("ts_utc,open,high,low,close,volume\n"), "EURUSD.csv");
  assert.equal(read.bars.height, 0);
  assert.equal(validate(read).bars.height, 0);
});

Deno.test("sniffFormat() rejects an unknown first line", () => {
  assert.equal(sniffFormat(enc("20180101 220000;1;1;1;1;0"), "x"), "histdata");
  assert.equal(sniffFormat(enc("TS_UTC,open"), "x"), "csv");
  assert.throws(() => sniffFormat(enc("time;o;h;l;c\n"), "x.txt"), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /^Unknown format of x\.txt:1: first line "time;o;h;l;c", expected/);
    return true;
  });
});

Deno.test("readBars() converts the real March and November 2018 HistData files to the fx-m1 bars", () => {
  if (!sharedAvailable()) return;
  const ref = readBars(`${SHARED}fx-m1/EURUSD.csv.gz`).bars;
  for (const month of ["201803", "201811"]) {
    const read = readBars(`${SHARED}histdata-raw/DAT_ASCII_EURUSD_M1_${month}.csv.gz`);
    assert.equal(read.format, "histdata");
    const { bars } = validate(read); // rejects on any bad row
    const ms = bars.getColumn("ts_utc").cast(pl.Int64).cast(pl.Float64);
    const first = ms.get(0) as number, last = ms.get(bars.height - 1) as number;
    const span = ref.filter(
      pl.col("ts_utc").cast(pl.Int64).gtEq(first).and(pl.col("ts_utc").cast(pl.Int64).ltEq(last)),
    );
    assert.equal(bars.height, span.height, `${month}: same row count over the span`);
    const joined = bars.join(span, { on: "ts_utc", how: "inner" });
    assert.equal(joined.height, bars.height, `${month}: every converted stamp exists in fx-m1`);
    const mismatch = joined.filter(pl.anyHorizontal(
      ["open", "high", "low", "close"].map((c) => pl.col(c).neq(pl.col(`${c}_right`))),
    ));
    assert.equal(mismatch.height, 0, `${month}: every OHLC equal`);
  }
});

Deno.test("readBars() with tz utc-5 shifts the real summer bars one hour later", () => {
  if (!sharedAvailable()) return;
  const file = `${SHARED}histdata-raw/DAT_ASCII_EURUSD_M1_201803.csv.gz`;
  const ny = readBars(file).bars;
  const fixed = readBars(file, { tz: "utc-5" }).bars;
  assert.equal(ny.height, fixed.height);
  const diff = pl.DataFrame({
    ny: ny.getColumn("ts_utc").cast(pl.Int64),
    fixed: fixed.getColumn("ts_utc").cast(pl.Int64),
  }).withColumns(pl.col("fixed").sub(pl.col("ny")).alias("d"));
  const switchMs = Date.UTC(2018, 2, 11, 7); // 2018-03-11 03:00 EDT
  const winter = diff.filter(pl.col("ny").lt(switchMs));
  const summer = diff.filter(pl.col("ny").gtEq(switchMs));
  assert.ok(winter.height > 0 && summer.height > 0);
  assert.deepEqual([...new Set(winter.getColumn("d").toArray())], [0]);
  assert.deepEqual([...new Set(summer.getColumn("d").toArray())], [3_600_000]);
});
