import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  atomicWrite,
  finishMonths,
  finishMonthsAsync,
  listPartitions,
  readManifest,
  readTable,
  stageMonths,
  writePartitions,
} from "../../lib/data/lake.ts";
import { withRateIndex } from "../../lib/data/rateIndex.ts";
import { randomBars } from "../_helpers.ts";

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) walk(p);
      else out[p.slice(root.length)] = Array.from(Deno.readFileSync(p)).join(",");
    }
  };
  walk(root);
  return out;
}

// 2024-01-31 23:00 → spans January and February
function twoMonths(n = 200, seed = 1): pl.DataFrame {
  const bars = withRateIndex(randomBars(n, seed));
  const shift = Date.UTC(2024, 0, 31, 23) - Date.UTC(2024, 0, 1);
  return bars.withColumns(
    pl.col("ts_utc").cast(pl.Int64).add(shift).cast(pl.Datetime("ms", "UTC")),
  );
}

Deno.test("writePartitions() splits by month and reads back equal", async () => {
  const root = await Deno.makeTempDir();
  const df = twoMonths();
  const res = writePartitions(root, "m1", "eurusd", df, { params: { seed: 1 } });
  assert.deepEqual(res.map((r) => [r.month, r.rows, r.status]), [["2024-01", 60, "written"], [
    "2024-02",
    140,
    "written",
  ]]);
  assert.ok(Deno.statSync(`${root}/m1/pair=eurusd/month=2024-01.parquet`).isFile);
  const back = readTable(root, "m1", "eurusd");
  assert.ok(back.frameEqual(df.select(...back.columns)));
  assert.equal(back.getColumn("ts_utc").dtype.toString(), pl.Datetime("ms", "UTC").toString());
  const parts = listPartitions(root, "m1", "eurusd");
  assert.equal(parts.length, 2);
  assert.match(parts[0].sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(parts[1].params, { seed: 1 });
  assert.equal(readTable(root, "m1", "eurusd", { months: ["2024-02"] }).height, 140);
});

Deno.test("writePartitions() is idempotent: identical data leaves files untouched", async () => {
  const root = await Deno.makeTempDir();
  const df = twoMonths();
  writePartitions(root, "m1", "eurusd", df);
  const before = snapshot(root);
  const res = writePartitions(root, "m1", "eurusd", df);
  assert.deepEqual(res.map((r) => r.status), ["unchanged", "unchanged"]);
  assert.deepEqual(snapshot(root), before);
});

Deno.test("writePartitions() replaces an overlapping month and keeps the others", async () => {
  const root = await Deno.makeTempDir();
  writePartitions(root, "m1", "eurusd", twoMonths(200, 1));
  const jan = readTable(root, "m1", "eurusd", { months: ["2024-01"] });
  const feb2 = twoMonths(200, 2).filter(pl.col("ts_utc").cast(pl.Int64).gtEq(Date.UTC(2024, 1, 1)));
  const res = writePartitions(root, "m1", "eurusd", feb2);
  assert.deepEqual(res.map((r) => r.month), ["2024-02"]);
  assert.ok(readTable(root, "m1", "eurusd", { months: ["2024-01"] }).frameEqual(jan));
  assert.ok(
    readTable(root, "m1", "eurusd", { months: ["2024-02"] }).frameEqual(
      feb2.select(...jan.columns),
    ),
  );
});

Deno.test("writePartitions() names a missing column and writes nothing", async () => {
  const root = await Deno.makeTempDir();
  assert.throws(
    () => writePartitions(root, "m1", "eurusd", twoMonths().drop("filled")),
    /Cannot write table m1: missing column\(s\) filled/,
  );
  assert.deepEqual(readManifest(root).partitions, []);
});

Deno.test("atomicWrite() leaves the old file intact when the write fails", async () => {
  const root = await Deno.makeTempDir();
  const path = `${root}/x/part.bin`;
  atomicWrite(path, "old");
  // a target path that is a directory makes rename fail after the temp file is written
  Deno.mkdirSync(`${root}/x/dir/inner`, { recursive: true });
  assert.throws(() => atomicWrite(`${root}/x/dir`, "new"));
  assert.equal(Deno.readTextFileSync(path), "old");
  assert.deepEqual([...Deno.readDirSync(`${root}/x`)].map((e) => e.name).sort(), [
    "dir",
    "part.bin",
  ]);
});

Deno.test("readTable() names the table and pair when nothing is stored", async () => {
  const root = await Deno.makeTempDir();
  assert.throws(() => readTable(root, "bqx", "gbpusd"), /No bqx partitions for gbpusd in lake/);
});

Deno.test("writePartitions() with a contentHash skips identical data before encoding and records hash_of", async () => {
  const root = await Deno.makeTempDir();
  const jan = twoMonths().filter(pl.col("ts_utc").cast(pl.Int64).lt(Date.UTC(2024, 1, 1)));
  assert.deepEqual(
    writePartitions(root, "features", "eurusd", jan, { contentHash: "h1" }).map((r) => r.status),
    ["written"],
  );
  const entry = listPartitions(root, "features", "eurusd")[0];
  assert.equal(entry.sha256, "h1");
  assert.equal(entry.hash_of, "data");
  const before = snapshot(root);
  // same key: unchanged even though the frame differs (the caller's key is trusted), nothing touched
  assert.deepEqual(
    writePartitions(root, "features", "eurusd", jan.head(10), { contentHash: "h1" }).map((r) =>
      r.status
    ),
    ["unchanged"],
  );
  assert.deepEqual(snapshot(root), before);
  assert.equal(
    writePartitions(root, "features", "eurusd", jan.head(10), { contentHash: "h2" })[0].status,
    "written",
  );
  assert.equal(readTable(root, "features", "eurusd").height, 10);
  assert.throws(
    () => writePartitions(root, "features", "eurusd", twoMonths(), { contentHash: "x" }),
    /spans 2 months, expected one/,
  );
});

Deno.test("stageMonths() with asynchronous encoders: finishMonthsAsync awaits the writes; finishMonths refuses; errors leave no temp files", async () => {
  const root = await Deno.makeTempDir();
  try {
    const part = (month: string, body: string, delay: number, fail = false) => ({
      month,
      rows: 1,
      firstMs: Date.parse(`${month}-01`),
      lastMs: Date.parse(`${month}-01`),
      contentHash: `h-${month}-${body}`,
      hashOf: "inputs" as const,
      encode: async (path: string) => {
        await new Promise((r) => setTimeout(r, delay));
        if (fail) throw new Error(`disk full writing ${path}`);
        await Deno.writeTextFile(path, body);
      },
    });
    // the writes finish after stageMonths returned; the commit sees complete files
    const staged = stageMonths(root, "features", "eurusd", [
      part("2024-01", "jan", 30),
      part("2024-02", "feb", 5),
    ]);
    assert.equal(staged.pending.length, 2);
    assert.throws(() => finishMonths(staged), /asynchronous writes pending/);
    const res = await finishMonthsAsync(staged);
    assert.deepEqual(res.map((r) => r.status), ["written", "written"]);
    assert.equal(
      Deno.readTextFileSync(`${root}/features/pair=eurusd/month=2024-01.parquet`),
      "jan",
    );
    assert.equal(
      Deno.readTextFileSync(`${root}/features/pair=eurusd/month=2024-02.parquet`),
      "feb",
    );
    // same keys again: nothing encoded
    const again = stageMonths(root, "features", "eurusd", [part("2024-01", "jan", 0)]);
    assert.equal(again.pending.length, 0);
    assert.deepEqual((await finishMonthsAsync(again)).map((r) => r.status), ["unchanged"]);
    // a failing asynchronous write: the commit rejects, nothing is replaced, no temp file stays
    const bad = stageMonths(root, "features", "eurusd", [
      part("2024-01", "jan2", 5),
      part("2024-02", "feb2", 20, true),
    ]);
    await assert.rejects(finishMonthsAsync(bad), /disk full/);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      [...Deno.readDirSync(`${root}/features/pair=eurusd`)].map((e) => e.name).sort(),
      ["month=2024-01.parquet", "month=2024-02.parquet"],
    );
    assert.equal(
      Deno.readTextFileSync(`${root}/features/pair=eurusd/month=2024-01.parquet`),
      "jan",
    );
    // an asynchronous encoder without a contentHash is refused
    assert.throws(
      () =>
        stageMonths(root, "features", "gbpusd", [{
          ...part("2024-01", "x", 0),
          contentHash: undefined,
        }]),
      /asynchronous encode needs a contentHash/,
    );
    await new Promise((r) => setTimeout(r, 20));
    const left = (() => {
      try {
        return [...Deno.readDirSync(`${root}/features/pair=gbpusd`)].map((e) => e.name);
      } catch {
        return [];
      }
    })();
    assert.deepEqual(left, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
