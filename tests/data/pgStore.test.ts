/**
 * Tests of the PostgreSQL store (lib/data/pgStore.ts). They need a server at BQX_PG_URL
 * (default postgres://postgres@127.0.0.1:5432/test) and are skipped, with the reason printed,
 * when none answers. Each test works in its own schema `bqx_test_<random>`, dropped at the end.
 * @module
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import pg from "pg";
import { PgStore } from "../../lib/data/pgStore.ts";
import { BQX_COLUMNS, M1_COLUMNS, TARGET_COLUMNS, TS_DTYPE } from "../../lib/data/schema.ts";

import { PG_URL, pgTest } from "../_pg.ts";

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
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

const MIN = 60_000;
const JAN25 = Date.UTC(2024, 0, 25);
const MAR5 = Date.UTC(2024, 2, 5);

/** Epoch ms from `start` (inclusive) to `end` (exclusive) every `step` minutes. */
function stamps(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let t = start; t < end; t += step * MIN) out.push(t);
  return out;
}

/** An m1-shaped frame on the given stamps, with nulls, booleans and extreme floats near the top. */
function m1Frame(ts: number[], seed = 1): pl.DataFrame {
  const r = rng(seed);
  const n = ts.length;
  const col = (base: number) =>
    Array.from({ length: n }, () => base + (r() - 0.5) * 0.01 as number | null);
  const open = col(1.1), high = col(1.11), low = col(1.09), close = col(1.1);
  const volume: (number | null)[] = Array.from({ length: n }, () => Math.floor(r() * 50));
  const rate = col(100);
  const filled: (boolean | null)[] = Array.from({ length: n }, () => r() < 0.1);
  if (n > 12) {
    open[0] = 1e-300;
    high[1] = 123456.789012345678;
    low[2] = -0;
    close[3] = 5e-324;
    close[4] = 1.7976931348623157e308;
    volume[5] = null;
    rate[6] = null;
    filled[7] = null;
    open[8] = NaN; // stored as NULL
    high[9] = Infinity;
    low[10] = -Infinity;
    rate[11] = 0.1 + 0.2;
    close[12] = 2 ** -1074 * 3;
  }
  return pl.DataFrame({
    ts_utc: pl.Series("ts_utc", ts).cast(TS_DTYPE),
    open: pl.Series("open", open, pl.Float64),
    high: pl.Series("high", high, pl.Float64),
    low: pl.Series("low", low, pl.Float64),
    close: pl.Series("close", close, pl.Float64),
    volume: pl.Series("volume", volume, pl.Float64),
    filled: pl.Series("filled", filled, pl.Bool),
    rate_index: pl.Series("rate_index", rate, pl.Float64),
  });
}

/** What a frame reads back as: NaN becomes null. */
function nanToNull(frame: pl.DataFrame): pl.DataFrame {
  return frame.withColumns(
    ...frame.columns.filter((c) =>
      ["Float64", "Float32"].includes(frame.getColumn(c).dtype.variant)
    )
      .map((c) => pl.col(c).fillNan(null)),
  );
}

/** Same columns, dtypes and values; floats compared with Object.is (bit-equal, -0 ≠ 0). */
function assertSameFrame(actual: pl.DataFrame, expected: pl.DataFrame): void {
  assert.deepEqual(actual.columns, expected.columns);
  assert.deepEqual(actual.dtypes.map(String), expected.dtypes.map(String));
  assert.equal(actual.height, expected.height);
  for (const c of expected.columns) {
    const isTs = expected.getColumn(c).dtype.variant === "Datetime";
    const a = (isTs ? actual.getColumn(c).cast(pl.Int64) : actual.getColumn(c)).toArray();
    const e = (isTs ? expected.getColumn(c).cast(pl.Int64) : expected.getColumn(c)).toArray();
    for (let i = 0; i < e.length; i++) {
      if (!Object.is(a[i], e[i])) {
        assert.fail(`Column ${c} row ${i}: got ${a[i]}, expected ${e[i]}`);
      }
    }
  }
}

function monthSlice(frame: pl.DataFrame, month: string): pl.DataFrame {
  const [y, m] = month.split("-").map(Number);
  return frame.filter(
    pl.col("ts_utc").cast(pl.Int64).gtEq(Date.UTC(y, m - 1, 1)).and(
      pl.col("ts_utc").cast(pl.Int64).lt(Date.UTC(y, m, 1)),
    ),
  );
}

async function leafCount(sql: pg.Client, schema: string, leaf: string): Promise<number> {
  const r = await sql.query(`SELECT count(*)::int AS n FROM "${schema}"."${leaf}"`);
  return r.rows[0].n;
}

async function manifestRow(sql: pg.Client, schema: string, month: string) {
  const r = await sql.query(
    `SELECT rows::int, sha256, params, written_at FROM "${schema}".bqx_manifest WHERE "table" = 'm1' AND pair = 'eurusd' AND month = $1`,
    [month],
  );
  return r.rows[0];
}

const MONTHS = ["2024-01", "2024-02", "2024-03"];

pgTest(
  "writePartitions() and readTable() round-trip an m1 frame over 3 months bit for bit",
  async (store) => {
    const frame = m1Frame(stamps(JAN25, MAR5, 7));
    // Sanity of the fixture: the nulls made it into the frame.
    assert.equal(frame.getColumn("filled").nullCount(), 1);
    assert.equal(frame.getColumn("volume").nullCount(), 1);
    const res = await store.writePartitions("m1", "eurusd", frame.sample({ frac: 1, seed: 3 }), {
      params: { seed: 1 },
    });
    assert.deepEqual(res.map((r) => [r.month, r.status]), MONTHS.map((m) => [m, "written"]));
    assert.equal(res.reduce((s, r) => s + r.rows, 0), frame.height);
    assert.ok(
      res.some((r) => r.month === "2024-02" && r.rows === monthSlice(frame, "2024-02").height),
    );

    const back = await store.readTable("m1", "eurusd");
    assert.deepEqual(back.columns, [...M1_COLUMNS]);
    assert.equal(String(back.getColumn("ts_utc").dtype), String(TS_DTYPE));
    assert.equal(back.getColumn("filled").dtype.variant, "Bool");
    assertSameFrame(back, nanToNull(frame));
    assert.equal(back.getColumn("open").toArray()[8], null);
    assert.ok(Object.is(back.getColumn("low").toArray()[2], -0));

    const feb = await store.readTable("m1", "eurusd", {
      months: ["2024-02"],
      columns: ["close", "filled"],
    });
    assertSameFrame(
      feb,
      monthSlice(nanToNull(frame), "2024-02").select("ts_utc", "close", "filled"),
    );
    assert.deepEqual(
      await store.listPartitions("m1", "eurusd"),
      res.map((r) => ({ table: "m1", pair: "eurusd", month: r.month, rows: r.rows })),
    );
  },
);

pgTest(
  "readTable() restores the polars dtypes of targets and of a table whose columns come from the frame",
  async (store) => {
    const ts = stamps(Date.UTC(2024, 4, 31, 23, 50), Date.UTC(2024, 5, 1, 0, 10), 1);
    const n = ts.length;
    const ints = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i - 10));
    const targets = pl.DataFrame(Object.fromEntries(TARGET_COLUMNS.map((c) => {
      if (c === "ts_utc") return [c, pl.Series(c, ts).cast(TS_DTYPE)];
      // Built from Float64 then cast: nodejs-polars' Int8 constructor turns nulls into 0.
      if (c.startsWith("direction")) {
        return [
          c,
          pl.Series(c, ints.map((v) => v === null ? null : Math.sign(v)), pl.Float64).cast(pl.Int8),
        ];
      }
      return [c, pl.Series(c, ints.map((v) => v === null ? null : v / 7), pl.Float64)];
    })));
    assert.equal(targets.getColumn("direction_15").nullCount(), 4);
    await store.writePartitions("targets", "usdjpy", targets);
    assertSameFrame(await store.readTable("targets", "usdjpy"), targets);

    const strings = Array.from(
      { length: n },
      (_, i) => [null, "", 'a,"b"\nc', "\\N", "plain"][i % 5],
    );
    const features = pl.DataFrame({
      ts_utc: pl.Series("ts_utc", ts).cast(TS_DTYPE),
      f32: pl.Series("f32", ints.map((v) => v === null ? null : v / 3), pl.Float64).cast(
        pl.Float32,
      ),
      i8: pl.Series("i8", ints, pl.Float64).cast(pl.Int8),
      i16: pl.Series("i16", ints.map((v) => v === null ? null : v * 1000), pl.Float64).cast(
        pl.Int16,
      ),
      i32: pl.Series("i32", ints.map((v) => v === null ? null : v * 100000), pl.Float64).cast(
        pl.Int32,
      ),
      i64: pl.Series("i64", ints.map((v) => v === null ? null : v * 2 ** 40), pl.Float64).cast(
        pl.Int64,
      ),
      u8: pl.Series("u8", ints.map((v) => v === null ? null : v + 10), pl.Float64).cast(pl.UInt8),
      flag: pl.Series("flag", ints.map((v) => v === null ? null : v > 0), pl.Bool),
      label: pl.Series("label", strings, pl.Utf8),
      seen_at: pl.Series("seen_at", ts.map((t, i) => t + i * 1000 + 7)).cast(
        pl.Datetime("ms", "UTC"),
      ),
      local_at: pl.Series("local_at", ts.map((t) => BigInt(t) * 1000n + 123n)).cast(
        pl.Datetime("us", "Europe/Paris"),
      ),
    });
    const res = await store.writePartitions("features", "usdjpy", features);
    assert.deepEqual(res.map((r) => r.month), ["2024-05", "2024-06"]);
    const back = await store.readTable("features", "usdjpy");
    assertSameFrame(back, features);
  },
);

pgTest("writePartitions() replaces exactly the rewritten month", async (store, sql, schema) => {
  const frame = m1Frame(stamps(JAN25, MAR5, 7));
  await store.writePartitions("m1", "eurusd", frame, { params: { run: 1 } });
  const before = await store.listPartitions("m1", "eurusd");
  const feb0 = await manifestRow(sql, schema, "2024-02");

  const feb = m1Frame(stamps(Date.UTC(2024, 1, 3), Date.UTC(2024, 1, 4), 1), 99);
  const res = await store.writePartitions("m1", "eurusd", feb, { params: { run: 2 } });
  assert.deepEqual(res, [{ month: "2024-02", rows: 1440, status: "written" }]);

  const after = await store.listPartitions("m1", "eurusd");
  assert.deepEqual(
    after.map((p) => [p.month, p.rows]),
    before.map((p) => [p.month, p.month === "2024-02" ? 1440 : p.rows]),
  );
  assert.equal(await leafCount(sql, schema, "bqx_m1_eurusd_2024_01"), before[0].rows);
  assert.equal(await leafCount(sql, schema, "bqx_m1_eurusd_2024_02"), 1440);
  assert.equal(await leafCount(sql, schema, "bqx_m1_eurusd_2024_03"), before[2].rows);
  const feb1 = await manifestRow(sql, schema, "2024-02");
  assert.notEqual(feb1.sha256, feb0.sha256);
  assert.deepEqual(feb1.params, { run: 2 });
  assert.ok(feb1.written_at >= feb0.written_at);
  assert.deepEqual((await manifestRow(sql, schema, "2024-01")).params, { run: 1 });

  assertSameFrame(await store.readTable("m1", "eurusd", { months: ["2024-02"] }), nanToNull(feb));
  assertSameFrame(
    await store.readTable("m1", "eurusd", { months: ["2024-01", "2024-03"] }),
    nanToNull(frame).filter(
      pl.col("ts_utc").cast(pl.Int64).lt(Date.UTC(2024, 1, 1)).or(
        pl.col("ts_utc").cast(pl.Int64).gtEq(Date.UTC(2024, 2, 1)),
      ),
    ),
  );
});

pgTest(
  "writePartitions() reports unchanged for an identical rewrite",
  async (store, sql, schema) => {
    const frame = m1Frame(stamps(JAN25, MAR5, 7));
    await store.writePartitions("m1", "eurusd", frame);
    const jan0 = await manifestRow(sql, schema, "2024-01");
    const again = await store.writePartitions("m1", "eurusd", frame);
    assert.deepEqual(again.map((r) => r.status), ["unchanged", "unchanged", "unchanged"]);
    assert.deepEqual(await manifestRow(sql, schema, "2024-01"), jan0);

    const changed = frame.withColumns(
      pl.when(pl.col("ts_utc").cast(pl.Int64).eq(Date.UTC(2024, 1, 1))).then(pl.lit(1.5)).otherwise(
        pl.col("close"),
      ).alias("close"),
    );
    const res = await store.writePartitions("m1", "eurusd", changed);
    assert.deepEqual(res.map((r) => r.status), ["unchanged", "written", "unchanged"]);
  },
);

pgTest(
  "writePartitions() leaves the previous month intact when a load fails",
  async (store, sql, schema) => {
    const frame = m1Frame(stamps(JAN25, MAR5, 7));
    await store.writePartitions("m1", "eurusd", frame);
    const feb = monthSlice(nanToNull(frame), "2024-02");
    const febRow = await manifestRow(sql, schema, "2024-02");

    // Fails inside the transaction, after TRUNCATE: the duplicate stamp violates the primary key.
    const dup = pl.concat([monthSlice(frame, "2024-02"), monthSlice(frame, "2024-02").head(1)]);
    await assert.rejects(
      store.writePartitions("m1", "eurusd", dup),
      (e: Error) => /m1 eurusd month 2024-02/.test(e.message) && /duplicate key/.test(e.message),
    );
    assertSameFrame(await store.readTable("m1", "eurusd", { months: ["2024-02"] }), feb);
    assert.deepEqual(await manifestRow(sql, schema, "2024-02"), febRow);

    // Fails before loading: a column of the wrong type for the existing table.
    const wrong = monthSlice(frame, "2024-02").withColumns(pl.col("filled").cast(pl.Float64));
    await assert.rejects(
      store.writePartitions("m1", "eurusd", wrong),
      (e: Error) =>
        /m1 eurusd/.test(e.message) &&
        /column filled is boolean \(Bool\) in the table but Float64/.test(e.message),
    );
    assertSameFrame(await store.readTable("m1", "eurusd", { months: ["2024-02"] }), feb);
    assert.equal(await leafCount(sql, schema, "bqx_m1_eurusd_2024_02"), feb.height);

    // Months are separate transactions: January (before the failure) commits, March is not reached.
    const janNew = monthSlice(frame, "2024-01").withColumns(pl.col("close").mul(2));
    const mar = monthSlice(frame, "2024-03").withColumns(pl.col("close").mul(2));
    await assert.rejects(
      store.writePartitions("m1", "eurusd", pl.concat([janNew, dup, mar])),
      /month 2024-02/,
    );
    assertSameFrame(
      await store.readTable("m1", "eurusd", { months: ["2024-01"] }),
      nanToNull(janNew),
    );
    assertSameFrame(await store.readTable("m1", "eurusd", { months: ["2024-02"] }), feb);
    assertSameFrame(
      await store.readTable("m1", "eurusd", { months: ["2024-03"] }),
      monthSlice(nanToNull(frame), "2024-03"),
    );
  },
);

pgTest(
  "writePartitions() creates real list partitions per pair and range partitions per month",
  async (store, sql, schema) => {
    const frame = m1Frame(stamps(JAN25, MAR5, 60));
    for (const pair of ["eurusd", "gbpjpy"]) await store.writePartitions("m1", pair, frame);
    const tree = await sql.query(
      `WITH RECURSIVE tree AS (
       SELECT inhrelid AS rel, 1 AS depth FROM pg_inherits WHERE inhparent = $1::regclass
       UNION ALL SELECT i.inhrelid, t.depth + 1 FROM pg_inherits i JOIN tree t ON i.inhparent = t.rel)
     SELECT t.depth, count(*)::int AS n, count(p.partrelid)::int AS partitioned, string_agg(DISTINCT p.partstrat::text, '') AS strat
       FROM tree t LEFT JOIN pg_partitioned_table p ON p.partrelid = t.rel GROUP BY t.depth ORDER BY t.depth`,
      [`"${schema}".bqx_m1`],
    );
    assert.deepEqual(tree.rows, [
      { depth: 1, n: 2, partitioned: 2, strat: "r" }, // per pair, partitioned by range
      { depth: 2, n: 2 * MONTHS.length, partitioned: 0, strat: null }, // leaves = pairs × months
    ]);
    const top = await sql.query(
      `SELECT partstrat FROM pg_partitioned_table WHERE partrelid = $1::regclass`,
      [`"${schema}".bqx_m1`],
    );
    assert.equal(top.rows[0].partstrat, "l");
    const bound = await sql.query(
      `SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE oid = $1::regclass`,
      [`"${schema}".bqx_m1_gbpjpy_2024_02`],
    );
    assert.equal(
      bound.rows[0].b,
      "FOR VALUES FROM ('2024-02-01 00:00:00+00') TO ('2024-03-01 00:00:00+00')",
    );
    assert.equal((await store.listPartitions("m1")).length, 6);
    assert.equal((await store.listPartitions(undefined, "gbpjpy")).length, 3);
  },
);

pgTest(
  "readTable() and writePartitions() can alternate on a single pooled connection",
  async (_store, _sql, schema) => {
    const store = await PgStore.open(PG_URL, { schema, maxConnections: 1 });
    try {
      const frame = m1Frame(stamps(JAN25, MAR5, 30));
      for (let i = 0; i < 3; i++) {
        await store.writePartitions("m1", "eurusd", frame.withColumns(pl.col("close").add(i)));
        await store.readTable("m1", "eurusd");
        const back = await store.readTable("m1", "eurusd", { months: ["2024-02"] });
        assertSameFrame(
          back,
          monthSlice(nanToNull(frame.withColumns(pl.col("close").add(i))), "2024-02"),
        );
      }
    } finally {
      await store.close();
    }
  },
);

pgTest("readTable() throws naming the table and pair when nothing is stored", async (store) => {
  await assert.rejects(store.readTable("m1", "eurusd"), /No m1 partitions for eurusd/);
  await store.writePartitions("m1", "eurusd", m1Frame(stamps(JAN25, JAN25 + 100 * MIN, 1)));
  await assert.rejects(
    store.readTable("m1", "eurusd", { months: ["2023-12"] }),
    /No m1 partitions for eurusd.*2023-12/,
  );
  await assert.rejects(
    store.readTable("m1", "eurusd", { columns: ["nope"] }),
    /unknown column\(s\) nope/,
  );
});

pgTest("PgStore throughput on realistic sizes (100k m1 rows, 400k bqx rows)", async (store) => {
  const m1 = m1Frame(stamps(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1) + 100_000 * MIN, 1), 7);
  let t0 = performance.now();
  await store.writePartitions("m1", "eurusd", m1);
  const w1 = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const m1Back = await store.readTable("m1", "eurusd");
  const r1 = (performance.now() - t0) / 1000;
  assert.equal(m1Back.height, m1.height);
  console.log(
    `m1 ${m1.height} rows × ${m1.width} cols: write ${w1.toFixed(2)} s (${
      Math.round(m1.height / w1)
    } rows/s), ` +
      `read ${r1.toFixed(2)} s (${Math.round(m1.height / r1)} rows/s)`,
  );

  const n = 400_000;
  const r = rng(11);
  const bqx = pl.DataFrame(Object.fromEntries(BQX_COLUMNS.map((c) => [
    c,
    c === "ts_utc"
      ? pl.Series(c, stamps(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1) + n * MIN, 1)).cast(TS_DTYPE)
      : pl.Series(c, Float64Array.from({ length: n }, () => (r() - 0.5) * 10)),
  ])));
  t0 = performance.now();
  await store.writePartitions("bqx", "eurusd", bqx);
  const w2 = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const bqxBack = await store.readTable("bqx", "eurusd");
  const r2 = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await store.readTable("bqx", "eurusd");
  const r3 = (performance.now() - t0) / 1000;
  assert.equal(bqxBack.height, n);
  assertSameFrame(bqxBack, bqx);
  console.log(
    `bqx ${n} rows × ${bqx.width} cols: write ${w2.toFixed(2)} s (${Math.round(n / w2)} rows/s), ` +
      `read ${r2.toFixed(2)} s (${Math.round(n / r2)} rows/s), again ${r3.toFixed(2)} s (${
        Math.round(n / r3)
      } rows/s)`,
  );
});
