/**
 * ingest() and its CLI: every bad-input class fails with the exact message, leaves a lake with
 * prior content byte-for-byte untouched and makes the CLI exit non-zero without a stack trace;
 * drop / repair counts; idempotent re-ingest; a month replaced wholesale; the real fx-m1 folder.
 */
import pl from "nodejs-polars";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ingest, type IngestOptions } from "../../lib/data/ingest.ts";
import { readTable } from "../../lib/data/lake.ts";

const REPO = new URL("../..", import.meta.url).pathname;
const CLI = `${REPO}lib/cli/ingest.ts`;
const SHARED_FX = new URL("../../../shared/data/fx-m1/", import.meta.url).pathname;
const HEADER = "ts_utc,open,high,low,close,volume";
const quiet = { progress: () => {} };

/** `n` valid CSV rows from `start` (ISO), one per minute, closes drifting by `step`. */
function rows(start: string, n: number, first = 1.2, step = 0.0001): string[] {
  const t0 = Date.parse(start);
  return Array.from({ length: n }, (_, i) => {
    const c = +(first + i * step).toFixed(5);
    const ts = new Date(t0 + i * 60_000).toISOString().replace(".000Z", "Z");
    return `${ts},${c},${+(c + 0.0005).toFixed(5)},${+(c - 0.0005).toFixed(5)},${c},${i % 3}`;
  });
}
const csv = (lines: string[]) => [HEADER, ...lines].join("\n") + "\n";

/** Relative path → SHA-256 of every file under `root`. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
      const p = `${dir}/${e.name}`, r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(p, r);
      else out[r] = createHash("sha256").update(Deno.readFileSync(p)).digest("hex");
    }
  };
  walk(root, "");
  return out;
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A temp dir with a lake that already holds EURUSD January 2018. */
async function lakeWithContent(): Promise<
  { dir: string; lake: string; before: Record<string, string> }
> {
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  const lake = `${dir}/lake`;
  await Deno.mkdir(`${dir}/seed`);
  await Deno.writeTextFile(`${dir}/seed/EURUSD.csv`, csv(rows("2018-01-02T00:00:00Z", 30)));
  await ingest({ from: `${dir}/seed/EURUSD.csv`, lake, ...quiet });
  return { dir, lake, before: snapshot(lake) };
}

interface BadCase {
  name: string;
  file: string;
  text: string;
  message: (path: string) => string;
}

const GOOD = rows("2018-02-01T00:00:00Z", 6);
const BAD_CASES: BadCase[] = [
  {
    name: "a missing column",
    file: "EURUSD_201802.csv",
    text: ["ts_utc,open,high,low,volume", "2018-02-01T00:00:00Z,1.2,1.2,1.2,0"].join("\n"),
    message: (f) =>
      `Missing column "close" in ${f}:1: found header "ts_utc,open,high,low,volume", expected header ts_utc,open,high,low,close,volume`,
  },
  {
    name: "an unparsable timestamp",
    file: "EURUSD_201802.csv",
    text: csv([
      ...GOOD.slice(0, 3),
      "2018-02-01T00:03:00+01:00,1.2,1.2,1.2,1.2,0",
      ...GOOD.slice(4),
    ]),
    message: (f) =>
      `Unparsable timestamp at ${f}:5: ts_utc = "2018-02-01T00:03:00+01:00", expected an ISO-8601 UTC timestamp like 2018-01-01T22:00:00Z`,
  },
  {
    name: "an unparsable number",
    file: "EURUSD_201802.csv",
    text: csv([...GOOD.slice(0, 2), "2018-02-01T00:02:00Z,1.2,1.2O,1.2,1.2,0", ...GOOD.slice(3)]),
    message: (f) => `Unparsable number at ${f}:4: high = "1.2O", expected a decimal number`,
  },
  {
    name: "time going backwards",
    file: "EURUSD_201802.csv",
    text: csv([...GOOD.slice(0, 4), "2018-02-01T00:01:00Z,1.3,1.3,1.3,1.3,0", ...GOOD.slice(5)]),
    message: (f) =>
      `Time going backwards at ${f}:6: ts_utc = 2018-02-01T00:01:00Z, expected a time after 2018-02-01T00:03:00Z (line 5)`,
  },
  {
    name: "a duplicated timestamp",
    file: "EURUSD_201802.csv",
    text: csv([...GOOD.slice(0, 3), "2018-02-01T00:02:00Z,1.3,1.3,1.3,1.3,0", ...GOOD.slice(3)]),
    message: (f) =>
      `Duplicated timestamp at ${f}:5: ts_utc = 2018-02-01T00:02:00Z, expected a time after 2018-02-01T00:02:00Z (line 4)`,
  },
  {
    name: "high below low",
    file: "EURUSD_201802.csv",
    text: csv([...GOOD.slice(0, 1), "2018-02-01T00:01:00Z,1.2,1.19,1.21,1.2,0", ...GOOD.slice(2)]),
    message: (f) => `High below low at ${f}:3: high = 1.19, expected >= low (1.21)`,
  },
  {
    name: "a non-positive price",
    file: "EURUSD_201802.csv",
    text: csv([...GOOD.slice(0, 5), "2018-02-01T00:05:00Z,1.2,1.2,-1.2,1.2,0"]),
    message: (f) => `Non-positive price at ${f}:7: low = -1.2, expected a price > 0`,
  },
  {
    name: "an unknown pair",
    file: "EURSEK.csv",
    text: csv(GOOD),
    message: (f) =>
      `Unknown pair for ${f}: file name "EURSEK.csv" names none of the 28 pairs, expected e.g. EURUSD.csv.gz or --pair`,
  },
];

for (const c of BAD_CASES) {
  Deno.test(`ingest() rejects ${c.name} with file and line, leaves the lake untouched, CLI exits 1`, async () => {
    const { dir, lake, before } = await lakeWithContent();
    try {
      // A valid file sorted first proves that nothing is written before every file has passed.
      const input = `${dir}/in`;
      await Deno.mkdir(input);
      await Deno.writeTextFile(`${input}/AUDUSD.csv`, csv(rows("2018-02-01T00:00:00Z", 5, 0.78)));
      const bad = `${input}/${c.file}`;
      await Deno.writeTextFile(bad, c.text);
      const message = c.message(bad);
      await assert.rejects(ingest({ from: input, lake, ...quiet }), { message });
      assert.deepEqual(snapshot(lake), before);

      const r = await runCli(["--from", input, "--lake", lake, "--reports", `${dir}/reports`]);
      assert.equal(r.code, 1);
      const errLines = r.stderr.trim().split("\n");
      assert.equal(errLines.at(-1), message);
      assert.ok(!/^\s+at /m.test(r.stderr), `no stack trace in:\n${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.deepEqual(snapshot(lake), before);
      assert.throws(() => Deno.statSync(`${dir}/reports`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("ingest() rejects a --pair outside the universe naming the file", async () => {
  const { dir, lake, before } = await lakeWithContent();
  try {
    const f = `${dir}/seed/EURUSD.csv`;
    await assert.rejects(ingest({ from: f, lake, pair: "eurxyz", ...quiet }), {
      message: `Unknown pair "eurxyz" for ${f}: expected one of the 28 pairs (eurusd, gbpusd, …)`,
    });
    assert.deepEqual(snapshot(lake), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest() rejects two files of one pair that overlap in time", async () => {
  const { dir, lake, before } = await lakeWithContent();
  try {
    await Deno.mkdir(`${dir}/in`);
    await Deno.writeTextFile(`${dir}/in/EURUSD_a.csv`, csv(rows("2018-02-01T00:00:00Z", 10)));
    await Deno.writeTextFile(`${dir}/in/EURUSD_b.csv`, csv(rows("2018-02-01T00:05:00Z", 10)));
    await assert.rejects(ingest({ from: `${dir}/in`, lake, ...quiet }), {
      message:
        `Overlapping files for eurusd at ${dir}/in/EURUSD_b.csv:2: ts_utc = 2018-02-01T00:05:00Z, expected a time after 2018-02-01T00:09:00Z (the last bar of ${dir}/in/EURUSD_a.csv)`,
    });
    assert.deepEqual(snapshot(lake), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const MESSY = csv([
  ...rows("2018-03-01T00:00:00Z", 3), // lines 2-4 ok (00:00-00:02)
  "2018-03-01T00:02:00Z,1.2002,1.2007,1.1997,1.2002,2", // 5 exact repeat of line 4
  "2018-03-01T00:03:00Z,1.2,1.199,1.198,1.2005,0", // 6 high below max(open, close): repairable
  "2018-03-01T00:04:00Z,1.2,1.19,1.21,1.2,0", // 7 high < low
  "2018-03-01T00:05:00Z,0,1.2,1.1,1.2,0", // 8 non-positive
  "2018-03-01T00:07:00Z,1.2,1.201,1.199,1.2,0", // 9 ok
]);

Deno.test("ingest() with drop counts dropped rows by reason and fills the gap they leave", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  try {
    await Deno.writeTextFile(`${dir}/EURUSD.csv`, MESSY);
    const lake = `${dir}/lake`;
    const [q] = await ingest({ from: `${dir}/EURUSD.csv`, lake, onInvalid: "drop", ...quiet });
    assert.equal(q.rowsIn, 8);
    assert.equal(q.rowsValid, 4);
    assert.deepEqual(q.dropped, {
      non_positive_price: 1,
      high_below_low: 1,
      ohlc_inconsistent: 1,
      duplicate_row: 1,
    });
    assert.deepEqual(q.repaired, {});
    assert.equal(q.filledBars, 4); // 00:03-00:06 after 00:02
    assert.equal(q.rowsOut, 8);
    assert.deepEqual(q.examples.non_positive_price, [
      `${dir}/EURUSD.csv:8: open = 0, expected a price > 0`,
    ]);
    const m1 = readTable(lake, "m1", "eurusd");
    assert.equal(m1.height, 8);
    assert.deepEqual(m1.getColumn("filled").toArray(), [
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest CLI with --on-invalid repair repairs, counts and writes the quality report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  try {
    await Deno.writeTextFile(`${dir}/EURUSD.csv`, MESSY);
    const r = await runCli([
      "--from",
      `${dir}/EURUSD.csv`,
      "--lake",
      `${dir}/lake`,
      "--on-invalid",
      "repair",
      "--reports",
      `${dir}/rep`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropped {4}non_positive_price 1, high_below_low 1, duplicate_row 1/);
    assert.match(r.stdout, /repaired {3}ohlc_inconsistent 1/);
    const q = JSON.parse(await Deno.readTextFile(`${dir}/rep/quality/eurusd.json`));
    assert.equal(q.rowsValid, 5);
    assert.equal(q.filledBars, 3); // 00:04-00:06 after the repaired 00:03
    assert.deepEqual(q.repaired, { ohlc_inconsistent: 1 });
    assert.match(
      await Deno.readTextFile(`${dir}/rep/quality/eurusd.md`),
      /\| ohlc_inconsistent \| 0 \| 1 \|/,
    );
    const m1 = readTable(`${dir}/lake`, "m1", "eurusd");
    const repaired =
      m1.filter(pl.col("ts_utc").cast(pl.Int64).eq(Date.parse("2018-03-01T00:03:00Z")))
        .toRecords()[0];
    assert.equal(repaired.high, 1.2005);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest CLI rejects an unknown flag and a bad value with exit code 2", async () => {
  const a = await runCli(["--from", "x", "--frobnicate", "1"]);
  assert.equal(a.code, 2);
  assert.match(a.stderr.trim(), /^Unknown flag --frobnicate: expected one of --from, --format, /);
  const b = await runCli(["--from", "x", "--tz", "est"]);
  assert.equal(b.code, 2);
  assert.equal(b.stderr.trim(), 'Invalid --tz "est": expected one of america/new_york, utc-5');
});

Deno.test("ingest() re-ingesting identical data changes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  try {
    const f = `${dir}/EURUSD.csv`;
    await Deno.writeTextFile(
      f,
      csv([...rows("2018-01-31T23:50:00Z", 20), ...rows("2018-02-01T01:00:00Z", 5)]),
    );
    const lake = `${dir}/lake`;
    const [first] = await ingest({ from: f, lake, ...quiet });
    assert.deepEqual(first.partitions?.map((p) => p.status), ["written", "written"]);
    const before = snapshot(lake);
    const mtimes = (await Array.fromAsync(Deno.readDir(`${lake}/m1/pair=eurusd`)))
      .map((e) => [e.name, Deno.statSync(`${lake}/m1/pair=eurusd/${e.name}`).mtime?.getTime()]);
    const [second] = await ingest({ from: f, lake, ...quiet });
    assert.deepEqual(second.partitions?.map((p) => p.status), ["unchanged", "unchanged"]);
    assert.deepEqual(snapshot(lake), before);
    for (const [name, t] of mtimes) {
      assert.equal(
        Deno.statSync(`${lake}/m1/pair=eurusd/${name}`).mtime?.getTime(),
        t,
        `${name} not rewritten`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest() replaces an overlapping month wholesale and keeps the stored base", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  try {
    const lake = `${dir}/lake`;
    await Deno.writeTextFile(
      `${dir}/EURUSD_2018.csv`,
      csv([...rows("2018-01-15T00:00:00Z", 10, 1.25), ...rows("2018-02-10T00:00:00Z", 10, 1.3)]),
    );
    await ingest({ from: `${dir}/EURUSD_2018.csv`, lake, ...quiet });
    const before = snapshot(lake);

    // New February: fewer rows, other prices. January stays; February is replaced, not merged.
    await Deno.writeTextFile(`${dir}/EURUSD_201802.csv`, csv(rows("2018-02-20T00:00:00Z", 4, 1.4)));
    const [q] = await ingest({ from: `${dir}/EURUSD_201802.csv`, lake, ...quiet });
    assert.deepEqual(q.partitions, [{ month: "2018-02", rows: 4, status: "written" }]);
    assert.deepEqual(q.rateIndexBase, {
      ts: "2018-01-15T00:00:00Z",
      close: 1.25,
      source: "stored",
    });
    const after = snapshot(lake);
    const jan = "m1/pair=eurusd/month=2018-01.parquet",
      feb = "m1/pair=eurusd/month=2018-02.parquet";
    assert.equal(after[jan], before[jan]);
    assert.notEqual(after[feb], before[feb]);
    const m1 = readTable(lake, "m1", "eurusd", { months: ["2018-02"] });
    assert.equal(m1.height, 4);
    assert.deepEqual(m1.getColumn("close").toArray(), [1.4, 1.4001, 1.4002, 1.4003]);
    const idx = m1.getColumn("rate_index").toArray() as number[];
    [1.4, 1.4001, 1.4002, 1.4003].forEach((c, i) =>
      assert.ok(
        Math.abs(idx[i] - (100 * c) / 1.25) <= 1e-13 * idx[i],
        `rate_index[${i}] = ${idx[i]}`,
      )
    );
    assert.equal(readTable(lake, "m1", "eurusd", { months: ["2018-01"] }).height, 10);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest() takes the base from new data that starts before the stored data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  try {
    const lake = `${dir}/lake`;
    await Deno.writeTextFile(`${dir}/EURUSD_03.csv`, csv(rows("2018-03-05T00:00:00Z", 5, 1.23)));
    await ingest({ from: `${dir}/EURUSD_03.csv`, lake, ...quiet });
    await Deno.writeTextFile(`${dir}/EURUSD_01.csv`, csv(rows("2018-01-05T00:00:00Z", 5, 1.2)));
    const notes: string[] = [];
    const [q] = await ingest({
      from: `${dir}/EURUSD_01.csv`,
      lake,
      progress: (l) => notes.push(l),
    });
    assert.deepEqual(q.rateIndexBase, { ts: "2018-01-05T00:00:00Z", close: 1.2, source: "input" });
    assert.ok(notes.includes(
      "note: eurusd rate_index base is now the new bar at 2018-01-05T00:00:00Z; the 1 stored month(s) not replaced keep their old base until build",
    ));
    const opts: IngestOptions = {
      from: `${dir}/EURUSD_01.csv`,
      lake,
      baseDate: "2018-03-01",
      ...quiet,
    };
    const [withDate] = await ingest(opts);
    assert.deepEqual(withDate.rateIndexBase, {
      ts: "2018-03-05T00:00:00Z",
      close: 1.23,
      source: "stored",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** SOURCE.md of fx-m1: rows, gaps < 1 day, minutes missing in them, flat bars. */
const FX_TABLE: Record<string, [number, number, number, number]> = {
  eurusd: [372606, 798, 1793, 4729],
  gbpusd: [372261, 1031, 2125, 6865],
  usdjpy: [371800, 1567, 2599, 3679],
  usdchf: [370264, 2412, 4122, 12748],
  usdcad: [367942, 4884, 6457, 8216],
  audusd: [369457, 3669, 4941, 8325],
};

Deno.test("ingest() of the real fx-m1 folder matches its SOURCE.md figures", async () => {
  try {
    Deno.statSync(`${SHARED_FX}EURUSD.csv.gz`);
  } catch {
    console.log(`skipped: ${SHARED_FX} is absent`);
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "bqx_ingest_" });
  try {
    const t0 = performance.now();
    const summaries = await ingest({ from: SHARED_FX, lake: `${dir}/lake`, ...quiet });
    const seconds = (performance.now() - t0) / 1000;
    const total = summaries.reduce((s, q) => s + q.rowsIn, 0);
    console.log(
      `fx-m1: ${total} rows in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} rows/s`,
    );
    assert.deepEqual(summaries.map((q) => q.pair), Object.keys(FX_TABLE).sort());
    for (const q of summaries) {
      const [n, gaps, missing, flat] = FX_TABLE[q.pair];
      const intraday = q.gaps.filter((g) => g.maxMinutes !== null);
      assert.equal(q.rowsIn, n, q.pair);
      assert.equal(q.rowsValid, n, q.pair);
      assert.equal(intraday.reduce((s, g) => s + g.gaps, 0), gaps, `${q.pair} gaps < 1 day`);
      assert.equal(
        intraday.reduce((s, g) => s + g.missingMinutes, 0),
        missing,
        `${q.pair} minutes missing`,
      );
      assert.equal(q.flatBars, flat, `${q.pair} flat bars`);
      assert.equal(q.filledBars, q.gaps[0].missingMinutes);
      assert.equal(q.rowsOut, n + q.filledBars);
      assert.equal(q.gaps.at(-1)!.gaps, 52, `${q.pair} weekends`);
      assert.equal(q.first, "2018-01-01T22:00:00Z");
      assert.equal(q.last, "2018-12-31T21:58:00Z");
      assert.equal(q.zeroVolumeShare, 1);
      assert.equal(q.partitions?.length, 12);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
