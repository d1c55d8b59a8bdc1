/**
 * Test helpers: seeded random walks as bar frames, the optional real-data loader (skips cleanly
 * when ../shared/data is absent), and float comparison with a magnitude-aware tolerance.
 * @module
 */
import pl from "nodejs-polars";
import { gunzipSync } from "node:zlib";

/** Where the shared real data lives, when present. */
export const REAL_DIR = new URL("../../shared/data/fx-m1/", import.meta.url).pathname;

/** mulberry32: a tiny seeded PRNG for fixtures (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random-walk bar frame: `ts_utc` every minute from 2024-01-01 with optional gaps (minutes
 * skipped after the given row indices), `open high low close volume filled`.
 */
export function randomBars(
  n: number,
  seed = 1,
  gaps: Record<number, number> = {},
): pl.DataFrame {
  const r = rng(seed);
  const ts = new Float64Array(n), close = new Float64Array(n);
  let t = Date.UTC(2024, 0, 1), x = 1.1;
  for (let i = 0; i < n; i++) {
    if (gaps[i]) t += gaps[i] * 60_000;
    ts[i] = t;
    t += 60_000;
    x *= 1 + (r() - 0.5) * 4e-4;
    close[i] = x;
  }
  return pl.DataFrame([
    pl.Series("ts_utc", ts).cast(pl.Datetime("ms", "UTC")),
    pl.Series("open", close),
    pl.Series("high", close),
    pl.Series("low", close),
    pl.Series("close", close),
    pl.Series("volume", new Float64Array(n)),
    pl.Series("filled", new Array(n).fill(false)),
  ]);
}

/** Load a real pair's bars (first `rows` rows) or return undefined, printing why. */
export function realBars(pair = "EURUSD", rows?: number): pl.DataFrame | undefined {
  const path = `${REAL_DIR}${pair}.csv.gz`;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    console.warn(`skip: real data ${path} is absent`);
    return undefined;
  }
  const df = pl.readCSV(gunzipSync(bytes), {
    hasHeader: true,
    dtypes: { ts_utc: pl.Utf8 },
    ...(rows ? { nRows: rows } : {}),
  });
  return df.withColumns(
    pl.col("ts_utc").str.strptime(pl.Datetime("ms"), "%Y-%m-%dT%H:%M:%SZ").dt.replaceTimeZone(
      "UTC",
    ),
    pl.col("volume").cast(pl.Float64),
    pl.lit(false).alias("filled"),
  );
}

/** Column as Float64Array with null → NaN. */
export function f64(df: pl.DataFrame, col: string): Float64Array {
  return df.select(pl.col(col).cast(pl.Float64).fillNull(pl.lit(NaN))).getColumn(col)
    .toTypedArray() as Float64Array;
}
