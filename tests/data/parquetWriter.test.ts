import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  encodeParquetColumns,
  lastWriteWasDirect,
  type ParquetColumn,
  parquetWritesIdle,
  refuseDirectIn,
  releaseParquetStaging,
  writeParquetColumns,
  writeParquetColumnsAsync,
} from "../../lib/data/parquetWriter.ts";

const T0 = Date.UTC(2020, 0, 1);

function tsCol(n: number): Float64Array {
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) ts[i] = T0 + i * 60_000;
  return ts;
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Read a column back as numbers with null → NaN. */
function readCol(df: pl.DataFrame, name: string): number[] {
  return (df.getColumn(name).toArray() as (number | null)[]).map((v) => (v === null ? NaN : v));
}

function assertColEquals(got: number[], want: ArrayLike<number>, name: string) {
  assert.equal(got.length, want.length, name);
  for (let i = 0; i < got.length; i++) {
    const w = want[i];
    if (Number.isNaN(w)) assert.ok(Number.isNaN(got[i]), `${name}[${i}] want null got ${got[i]}`);
    else assert.equal(got[i], w, `${name}[${i}]`);
  }
}

function tsMillis(df: pl.DataFrame, name = "ts_utc"): number[] {
  return (df.getColumn(name).toArray() as unknown as Date[]).map((d) => d.getTime());
}

Deno.test("parquetWriter: hand case reads back with dtypes, values and nulls", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/a.parquet`;
    const ts = tsCol(5);
    const a = new Float32Array([1.25, NaN, 3, NaN, NaN]);
    const b = new Float64Array([NaN, 2.5, 3.5, 4.5, 1e300]);
    const size = writeParquetColumns(path, [
      { name: "ts_utc", type: "timestamp_ms", data: ts },
      { name: "a", type: "float", data: a },
      { name: "b", type: "double", data: b },
    ], { start: 0, end: 5 });
    assert.equal(size, Deno.statSync(path).size);
    const df = pl.readParquet(path);
    assert.deepEqual(df.columns, ["ts_utc", "a", "b"]);
    assert.equal(df.height, 5);
    assert.ok(df.getColumn("ts_utc").dtype.equals(pl.Datetime("ms", "UTC")));
    assert.ok(df.getColumn("a").dtype.equals(pl.Float32));
    assert.ok(df.getColumn("b").dtype.equals(pl.Float64));
    assert.deepEqual(tsMillis(df), Array.from(ts));
    assert.deepEqual(df.getColumn("a").toArray(), [1.25, null, 3, null, null]);
    assert.deepEqual(df.getColumn("b").toArray(), [null, 2.5, 3.5, 4.5, 1e300]);
    assert.equal(df.getColumn("a").nullCount(), 3);
    assert.equal(df.getColumn("ts_utc").nullCount(), 0);
    // polars must keep nulls as nulls (not NaN)
    assert.equal(df.select(pl.col("a").isNan().sum()).getColumn("a").toArray()[0], 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function wideCase(rows: number, cols: number, seed: number): ParquetColumn[] {
  const r = rng(seed);
  const out: ParquetColumn[] = [{ name: "ts_utc", type: "timestamp_ms", data: tsCol(rows) }];
  for (let c = 0; c < cols; c++) {
    const d = new Float32Array(rows);
    for (let i = 0; i < rows; i++) d[i] = (r() - 0.5) * 10 ** Math.floor(r() * 8 - 4);
    if (c === 0) d.fill(NaN); // all-NaN
    else if (c === 1) { /* no NaN */ }
    else if (c === 2) { for (let i = 0; i < rows; i += 2) d[i] = NaN; // alternating → bit-packed levels
     } else if (c === 3) d.fill(NaN, 0, 150); // leading warm-up NaNs only
    else {
      // ~5 % NaN in random runs
      let left = Math.round(rows * 0.05);
      while (left > 0) {
        const len = Math.min(left, 1 + Math.floor(r() * 20));
        const at = Math.floor(r() * (rows - len));
        d.fill(NaN, at, at + len);
        left -= len;
      }
    }
    out.push({ name: `f${c}`, type: "float", data: d });
  }
  return out;
}

Deno.test("parquetWriter: random wide case round-trips value-for-value (NaN ↔ null)", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/w.parquet`;
    const cols = wideCase(2000, 300, 7);
    writeParquetColumns(path, cols, { start: 0, end: 2000 });
    const df = pl.readParquet(path);
    assert.equal(df.height, 2000);
    assert.equal(df.width, 301);
    assert.deepEqual(tsMillis(df), Array.from(cols[0].data));
    for (const c of cols.slice(1)) {
      assert.ok(df.getColumn(c.name).dtype.equals(pl.Float32));
      assertColEquals(readCol(df, c.name), c.data, c.name);
      let nan = 0;
      for (const v of c.data) if (v !== v) nan++;
      assert.equal(df.getColumn(c.name).nullCount(), nan, c.name);
    }
    assert.equal(df.getColumn("f0").nullCount(), 2000);
    assert.equal(df.getColumn("f1").nullCount(), 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parquetWriter: rows slice writes only those rows", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/s.parquet`;
    const cols = wideCase(500, 12, 11);
    cols.push({
      name: "d",
      type: "double",
      data: Float64Array.from({ length: 500 }, (_, i) => i % 7 ? i / 3 : NaN),
    });
    cols.push({
      name: "req",
      type: "double",
      data: Float64Array.from({ length: 500 }, (_, i) => i),
      nullable: false,
    });
    // width conversion paths: Float64 data stored as FLOAT, Float32 data stored as DOUBLE
    cols.push({
      name: "f64asf32",
      type: "float",
      data: Float64Array.from({ length: 500 }, (_, i) => (i % 5 ? Math.fround(i * 0.1) : NaN)),
    });
    cols.push({
      name: "f32asf64",
      type: "double",
      data: Float32Array.from({ length: 500 }, (_, i) => (i % 3 ? i * 0.25 : NaN)),
    });
    const start = 123, end = 401;
    writeParquetColumns(path, cols, { start, end });
    const df = pl.readParquet(path);
    assert.equal(df.height, end - start);
    assert.deepEqual(tsMillis(df), Array.from(cols[0].data.subarray(start, end)));
    for (const c of cols.slice(1)) {
      assertColEquals(readCol(df, c.name), c.data.subarray(start, end), c.name);
    }
    assert.equal(df.getColumn("req").nullCount(), 0);
    assert.ok(df.getColumn("f64asf32").dtype.equals(pl.Float32));
    assert.ok(df.getColumn("f32asf64").dtype.equals(pl.Float64));
    // the reused-scratch file path and the fresh-allocation encoder give identical bytes
    assert.deepEqual(Deno.readFileSync(path), encodeParquetColumns(cols, { start, end }));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parquetWriter: ts-only table, 1-row table, empty slice", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const ts = tsCol(10);
    writeParquetColumns(`${dir}/t.parquet`, [{ name: "ts_utc", type: "timestamp_ms", data: ts }], {
      start: 2,
      end: 9,
    });
    const t = pl.readParquet(`${dir}/t.parquet`);
    assert.deepEqual(t.columns, ["ts_utc"]);
    assert.deepEqual(tsMillis(t), Array.from(ts.subarray(2, 9)));

    writeParquetColumns(`${dir}/one.parquet`, [
      { name: "ts_utc", type: "timestamp_ms", data: ts },
      { name: "x", type: "float", data: new Float32Array([NaN, 2, 3]) },
      { name: "y", type: "float", data: new Float32Array([NaN, NaN, 3]) },
    ], { start: 1, end: 2 });
    const one = pl.readParquet(`${dir}/one.parquet`);
    assert.equal(one.height, 1);
    assert.deepEqual(tsMillis(one), [ts[1]]);
    assert.deepEqual(one.getColumn("x").toArray(), [2]);
    assert.deepEqual(one.getColumn("y").toArray(), [null]);

    writeParquetColumns(`${dir}/empty.parquet`, [
      { name: "ts_utc", type: "timestamp_ms", data: ts },
      { name: "x", type: "float", data: new Float32Array(10) },
    ], { start: 4, end: 4 });
    const e = pl.readParquet(`${dir}/empty.parquet`);
    assert.equal(e.height, 0);
    assert.deepEqual(e.columns, ["ts_utc", "x"]);

    assert.throws(() =>
      writeParquetColumns(`${dir}/bad.parquet`, [{
        name: "ts_utc",
        type: "timestamp_ms",
        data: ts,
      }], {
        start: 0,
        end: 11,
      })
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "parquetWriter: throughput vs nodejs-polars (set BQX_BENCH=1)",
  ignore: !Deno.env.get("BQX_BENCH"),
  fn() {
    const rows = 30_000, ncols = 776;
    const r = rng(3);
    const ts = tsCol(rows);
    const block = new Float32Array(rows * ncols);
    const cols: ParquetColumn[] = [{ name: "ts_utc", type: "timestamp_ms", data: ts }];
    for (let c = 0; c < ncols; c++) {
      const d = block.subarray(c * rows, (c + 1) * rows);
      for (let i = 0; i < rows; i++) d[i] = r() * 2 - 1;
      // ~2 % NaN: leading warm-up run plus a few scattered short gaps
      const warm = Math.floor(r() * rows * 0.03);
      d.fill(NaN, 0, warm);
      for (let g = 0; g < 3; g++) {
        const at = Math.floor(r() * rows);
        d.fill(NaN, at, Math.min(rows, at + 1 + Math.floor(r() * 30)));
      }
      cols.push({ name: `f${c}`, type: "float", data: d });
    }
    const dir = Deno.makeTempDirSync();
    try {
      const ours = `${dir}/ours.parquet`, theirs = `${dir}/polars.parquet`;
      const timeIt = (f: () => void, reps: number) => {
        const ts: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t0 = performance.now();
          f();
          ts.push(performance.now() - t0);
        }
        ts.sort((a, b) => a - b);
        return ts[Math.floor(ts.length / 2)];
      };
      const msOurs = timeIt(() => writeParquetColumns(ours, cols, { start: 0, end: rows }), 5);
      const msPolars = timeIt(() => {
        const series: pl.Series[] = [pl.Series("ts_utc", ts).cast(pl.Datetime("ms", "UTC"))];
        for (const c of cols.slice(1)) series.push(pl.Series(c.name, c.data as Float32Array));
        pl.DataFrame(series)
          .withColumns(pl.col(pl.Float32).fillNan(null))
          .writeParquet(theirs, { compression: "lz4" });
      }, 3);
      const cells = rows * ncols;
      const a = pl.readParquet(ours), b = pl.readParquet(theirs);
      assert.ok(a.frameEqual(b, true));
      console.log(
        `ours: ${msOurs.toFixed(1)} ms (${(cells / msOurs / 1e3).toFixed(0)}M cells/s), ` +
          `${(Deno.statSync(ours).size / 1e6).toFixed(1)} MB | ` +
          `polars lz4: ${msPolars.toFixed(1)} ms (${
            (cells / msPolars / 1e3).toFixed(0)
          }M cells/s), ` +
          `${(Deno.statSync(theirs).size / 1e6).toFixed(1)} MB`,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** File system type of the mount holding `path` (longest mount-point prefix in /proc/mounts). */
function fsType(path: string): string {
  try {
    let best = "", type = "unknown";
    for (const line of Deno.readTextFileSync("/proc/mounts").split("\n")) {
      const [, mnt, t] = line.split(" ");
      if (mnt && path.startsWith(mnt) && mnt.length >= best.length) [best, type] = [mnt, t];
    }
    return type;
  } catch {
    return "unknown";
  }
}

Deno.test("parquetWriter: direct I/O and buffered writes give the same bytes (multi-block, padded tail)", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // 3 columns × 1.1M rows ≈ 13 MB: more than one 8 MiB staging block, an unaligned tail, nulls
    const n = 1_100_000, r = rng(11);
    const cols: ParquetColumn[] = [
      { name: "ts_utc", type: "timestamp_ms", data: tsCol(n) },
      { name: "a", type: "float", data: Float32Array.from({ length: n }, () => r() - 0.5) },
      {
        name: "b",
        type: "float",
        data: Float32Array.from({ length: n }, (_, i) => (i % 97 < 3 ? NaN : r())),
      },
    ];
    const want = encodeParquetColumns(cols, { start: 5, end: n - 7 });
    const sizeD = writeParquetColumns(`${dir}/d.parquet`, cols, { start: 5, end: n - 7 });
    const direct = lastWriteWasDirect();
    const sizeB = writeParquetColumns(`${dir}/b.parquet`, cols, { start: 5, end: n - 7 }, {
      direct: false,
    });
    assert.equal(lastWriteWasDirect(), false);
    assert.equal(sizeD, want.length);
    assert.equal(sizeB, want.length);
    assert.ok(want.length % 4096 !== 0, "the tail must exercise padding + truncate");
    assert.deepEqual(Deno.readFileSync(`${dir}/d.parquet`), want);
    assert.deepEqual(Deno.readFileSync(`${dir}/b.parquet`), want);
    const type = fsType(Deno.realPathSync(dir));
    if (Deno.build.os === "linux" && ["ext4", "xfs", "btrfs"].includes(type)) {
      assert.ok(direct, `direct I/O expected on ${type}`);
    } else {
      console.log(`direct I/O ${direct ? "used" : "not used"} on ${type} (${Deno.build.os})`);
    }
    // a small file (less than one aligned block) round-trips too
    writeParquetColumns(`${dir}/s.parquet`, cols, { start: 0, end: 3 });
    assert.deepEqual(
      Deno.readFileSync(`${dir}/s.parquet`),
      encodeParquetColumns(cols, { start: 0, end: 3 }),
    );
    assert.equal(pl.readParquet(`${dir}/s.parquet`).height, 3);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parquetWriter: where direct I/O is refused, writes fall back to buffered (same bytes)", () => {
  const dir = Deno.makeTempDirSync();
  try {
    refuseDirectIn(dir); // what an EINVAL from the file system records (tmpfs before Linux 6.6)
    const cols: ParquetColumn[] = [
      { name: "ts_utc", type: "timestamp_ms", data: tsCol(100) },
      { name: "x", type: "float", data: Float32Array.from({ length: 100 }, (_, i) => i / 3) },
    ];
    for (const name of ["a", "b"]) {
      writeParquetColumns(`${dir}/${name}.parquet`, cols, { start: 0, end: 100 });
      assert.equal(lastWriteWasDirect(), false);
      assert.deepEqual(
        Deno.readFileSync(`${dir}/${name}.parquet`),
        encodeParquetColumns(cols, { start: 0, end: 100 }),
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parquetWriter: async write encodes before returning (columns reusable at once), same bytes", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const n = 1_300_000, r = rng(5);
    const a = Float32Array.from({ length: n }, (_, i) => (i % 101 === 0 ? NaN : r()));
    const cols: ParquetColumn[] = [
      { name: "ts_utc", type: "timestamp_ms", data: tsCol(n) },
      { name: "a", type: "float", data: a },
    ];
    const ranges = [[0, 600_000], [600_000, n - 3], [7, 12]] as const;
    const want = ranges.map(([start, end]) => encodeParquetColumns(cols, { start, end }));
    const writes = ranges.map(([start, end], k) =>
      writeParquetColumnsAsync(`${dir}/${k}.parquet`, cols, { start, end })
    );
    a.fill(-1); // the caller reuses its columns as soon as the calls return
    const results = await Promise.all(writes);
    await parquetWritesIdle();
    const type = fsType(Deno.realPathSync(dir));
    for (let k = 0; k < ranges.length; k++) {
      assert.equal(results[k].bytes, want[k].length);
      assert.deepEqual(Deno.readFileSync(`${dir}/${k}.parquet`), want[k]);
      if (Deno.build.os === "linux" && ["ext4", "xfs", "btrfs"].includes(type)) {
        assert.ok(results[k].direct, `direct I/O expected on ${type}`);
      }
    }
    assert.equal(pl.readParquet(`${dir}/2.parquet`).height, 5);
    // buffered fallback (refused directory) gives the same bytes
    refuseDirectIn(`${dir}/sub`);
    Deno.mkdirSync(`${dir}/sub`);
    const b = await writeParquetColumnsAsync(`${dir}/sub/x.parquet`, [
      { name: "ts_utc", type: "timestamp_ms", data: tsCol(50) },
    ], { start: 3, end: 40 });
    assert.equal(b.direct, false);
    assert.deepEqual(
      Deno.readFileSync(`${dir}/sub/x.parquet`),
      encodeParquetColumns([{ name: "ts_utc", type: "timestamp_ms", data: tsCol(50) }], {
        start: 3,
        end: 40,
      }),
    );
  } finally {
    releaseParquetStaging();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parquetWriter: a lastNull hint (exact or an upper bound) gives the same bytes as a full scan", () => {
  const r = rng(23);
  for (let trial = 0; trial < 40; trial++) {
    const n = 50 + Math.floor(r() * 200);
    const data = new Float32Array(n).map(() => r());
    // nulls: a warm-up prefix and a few scattered ones, or none
    const warm = trial % 4 === 0 ? 0 : Math.floor(r() * n / 2);
    data.fill(NaN, 0, warm);
    if (trial % 3 === 0) { for (let k = 0; k < 3; k++) data[Math.floor(r() * n)] = NaN; }
    let last = -1;
    for (let i = 0; i < n; i++) if (data[i] !== data[i]) last = i;
    const start = Math.floor(r() * n / 3), end = n - Math.floor(r() * n / 3);
    const base: ParquetColumn = { name: "x", type: "float", data };
    const want = encodeParquetColumns([base], { start, end });
    for (const hint of [last, Math.min(n - 1, last + Math.floor(r() * 20)), n - 1]) {
      assert.deepEqual(
        encodeParquetColumns([{ ...base, lastNull: hint }], { start, end }),
        want,
        `trial ${trial} hint ${hint} (last ${last}, rows ${start}..${end})`,
      );
    }
  }
});
