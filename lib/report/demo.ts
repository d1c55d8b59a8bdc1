/**
 * The data every notebook runs on, behind one setting: a small seeded **demo lake** by default
 * (synthetic market with the planted signal, 6 USD pairs × 1 month — what keeps each notebook
 * under a minute), or the **real** HistData 2018 set (`../shared/data/fx-m1`, the same six pairs)
 * when `BQX_DATA=real` is set in the environment of the Jupyter server / `deno task notebooks`,
 * or when a notebook calls `openData({ source: "real" })`.
 *
 * Both are built with the lib's own stages (as `deno task pipeline` / `ingest` + `build` +
 * `features` do) and are **idempotent**: a lake whose marker file `notebooks.json` matches the
 * requested configuration and whose manifest holds every `features` partition is reused as is;
 * otherwise the missing stages run (the lake skips partitions whose bytes are unchanged). The
 * demo lake takes about 15 s to build on the 2-core reference machine; the real lake (2.2M bars,
 * 12 months) takes a few minutes the first time.
 *
 * Paths are resolved against the repository root (not the working directory), because the
 * Jupyter kernel runs in `notebooks/`: the demo lake is `data/lake-demo`, the real one
 * `data/lake-real` (both git-ignored).
 *
 * @example
 * ```ts
 * import { dataSource, DEMO_PAIRS } from "./demo.ts";
 * import assert from "node:assert/strict";
 * assert.equal(dataSource("real"), "real");
 * assert.equal(dataSource("demo"), "demo");
 * assert.deepEqual(DEMO_PAIRS, ["eurusd", "gbpusd", "audusd", "usdcad", "usdchf", "usdjpy"]);
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync, readFileSync } from "node:fs";
import { atomicWrite, readManifest } from "../data/lake.ts";
import { build } from "../data/build.ts";
import { ingest, pairOfFile, resolveInputs } from "../data/ingest.ts";
import { monthRange } from "../data/schema.ts";
import { LakeStore } from "../data/store.ts";
import { synthToStore } from "../data/synthToStore.ts";
import { buildFeatures } from "../features/build.ts";
import { catalog } from "../features/registry.ts";
import { readRun, type RunSummary, trainRun, type TrainRunOptions } from "../eval/run.ts";

/** The repository root (two levels above this file). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /\/$/,
  "",
);

/** The pairs of the demo lake: the six USD majors the real data set also holds, SPEC order. */
export const DEMO_PAIRS: readonly string[] = [
  "eurusd",
  "gbpusd",
  "audusd",
  "usdcad",
  "usdchf",
  "usdjpy",
];

/** Where the notebooks' data comes from. */
export type DataSource = "demo" | "real";

/**
 * The data source asked for: the argument, else the `BQX_DATA` environment variable, else "demo".
 * @param value "demo" or "real" (anything else throws)
 */
export function dataSource(value: string | undefined = envData()): DataSource {
  const v = (value ?? "demo").trim().toLowerCase();
  if (v === "" || v === "demo") return "demo";
  if (v === "real") return "real";
  throw new RangeError(`Invalid BQX_DATA "${value}": expected "demo" or "real"`);
}

function envData(): string | undefined {
  try {
    return Deno.env.get("BQX_DATA");
  } catch {
    return undefined;
  }
}

/** An opened notebook data set. */
export interface NotebookData {
  source: DataSource;
  /** The lake (a {@linkcode LakeStore}). */
  store: LakeStore;
  /** Lake root, absolute. */
  lake: string;
  /** Pairs present, SPEC order. */
  pairs: string[];
  /** Months stored. */
  months: string[];
  /** Months the notebooks analyse (memory: the feature matrix is rows × ~780 × 4 bytes). */
  analysisMonths: string[];
  /** True when this call built (part of) the lake; false when it was reused. */
  built: boolean;
  /** Seconds this call took. */
  seconds: number;
  /** One line saying what the data is (for the notebooks' first cell). */
  description: string;
}

/** Options of {@linkcode demoLake}. */
export interface DemoLakeOptions {
  /** Lake root. @default `<repo>/data/lake-demo` */
  lake?: string;
  /** Pairs to generate. @default {@linkcode DEMO_PAIRS} */
  pairs?: readonly string[];
  /** Months, "YYYY-MM" or a range "YYYY-MM..YYYY-MM". @default "2024-01" */
  months?: string;
  /** Seed of the synthetic market. @default 7 */
  seed?: number;
  /** Plant the known signal. @default true */
  signal?: boolean;
  /** No progress output. @default false */
  silent?: boolean;
  /** Rebuild every stage even when the marker matches. @default false */
  force?: boolean;
}

interface Marker {
  source: DataSource;
  config: Record<string, unknown>;
  pairs: string[];
  months: string[];
  builtAt: string;
}

const MARKER = "notebooks.json";

function readMarker(lake: string): Marker | undefined {
  const p = join(lake, MARKER);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as Marker;
  } catch {
    return undefined;
  }
}

/** True when the manifest holds a `features` partition for every pair × month. */
function complete(lake: string, pairs: readonly string[], months: readonly string[]): boolean {
  if (!existsSync(join(lake, "manifest.json"))) return false;
  const have = new Set(
    readManifest(lake).partitions.filter((p) => p.table === "features").map((p) =>
      `${p.pair}/${p.month}`
    ),
  );
  return pairs.every((p) => months.every((m) => have.has(`${p}/${m}`)));
}

/**
 * Ensure the demo lake exists and open it (see the module doc): synth → build → features.
 * @param options lake root, pairs, months, seed, signal, silence, force
 * @returns the opened data set
 */
export async function demoLake(options: DemoLakeOptions = {}): Promise<NotebookData> {
  const t0 = performance.now();
  const {
    lake = join(REPO_ROOT, "data", "lake-demo"),
    pairs = DEMO_PAIRS,
    months = "2024-01",
    seed = 7,
    signal = true,
    silent = false,
    force = false,
  } = options;
  if (!Number.isInteger(seed)) throw new RangeError(`Invalid seed ${seed}: expected an integer`);
  const monthList = monthRange(months);
  const config = { pairs: [...pairs], months: monthList, seed, signal };
  const marker = readMarker(lake);
  const store = new LakeStore(lake);
  const reuse = !force && marker?.source === "demo" &&
    JSON.stringify(marker.config) === JSON.stringify(config) &&
    complete(lake, pairs, monthList);
  if (!reuse) {
    await synthToStore(store, { months, pairs: [...pairs], seed, signal, silent });
    await build(store, { pairs: [...pairs], silent });
    await buildFeatures(store, { pairs: [...pairs], silent });
    writeMarker(lake, { source: "demo", config, pairs: [...pairs], months: monthList });
  }
  return {
    source: "demo",
    store,
    lake,
    pairs: [...pairs],
    months: monthList,
    analysisMonths: monthList,
    built: !reuse,
    seconds: (performance.now() - t0) / 1e3,
    description: `demo: synthetic market (seed ${seed}, planted signal ${
      signal ? "on" : "off"
    }), ${pairs.length} pairs × ${monthList.join(", ")}, lake ${lake}`,
  };
}

function writeMarker(lake: string, m: Omit<Marker, "builtAt">): void {
  atomicWrite(
    join(lake, MARKER),
    JSON.stringify({ ...m, builtAt: new Date().toISOString() }, null, 1) + "\n",
  );
}

/** Options of {@linkcode realLake}. */
export interface RealLakeOptions {
  /** Input file or directory (HistData / CSV / Parquet). @default `<repo>/../shared/data/fx-m1` */
  from?: string;
  /** Lake root. @default `<repo>/data/lake-real` */
  lake?: string;
  /**
   * Months the notebooks analyse ("YYYY-MM" or a range). @default env `BQX_MONTHS`, else the last
   * two months stored
   */
  analysisMonths?: string;
  /** No progress output. @default false */
  silent?: boolean;
  /** Rebuild every stage even when the marker matches. @default false */
  force?: boolean;
}

/**
 * Ensure the real-data lake exists and open it: ingest (America/New_York stamps, reject invalid
 * rows) → build → features. The first call takes minutes (2.2M bars); later calls reuse it.
 * @param options input, lake root, analysis months, silence, force
 * @returns the opened data set
 */
export async function realLake(options: RealLakeOptions = {}): Promise<NotebookData> {
  const t0 = performance.now();
  const {
    from = join(REPO_ROOT, "..", "shared", "data", "fx-m1"),
    lake = join(REPO_ROOT, "data", "lake-real"),
    silent = false,
    force = false,
  } = options;
  if (!existsSync(from)) {
    throw new Error(
      `Real data not found at ${from}: put the fx-m1 files there or pass { from } (BQX_DATA=real)`,
    );
  }
  const inputs = resolveInputs(from);
  const pairs = [...new Set(inputs.map((f) => pairOfFile(f)))];
  const config = { from, files: inputs.map((f) => f.split("/").pop()) };
  const marker = readMarker(lake);
  const store = new LakeStore(lake);
  let months = marker?.months ?? [];
  const reuse = !force && marker?.source === "real" &&
    JSON.stringify(marker.config) === JSON.stringify(config) && complete(lake, pairs, months);
  if (!reuse) {
    await ingest({ from, lake, silent });
    await build(store, { pairs, silent });
    await buildFeatures(store, { pairs, silent });
    months = [...new Set((await store.listPartitions("m1")).map((p) => p.month))].sort();
    writeMarker(lake, { source: "real", config, pairs, months });
  }
  const ordered = DEMO_PAIRS.filter((p) => pairs.includes(p)).concat(
    pairs.filter((p) => !DEMO_PAIRS.includes(p)),
  );
  const wanted = options.analysisMonths ?? envMonths();
  const analysisMonths = wanted ? monthRange(wanted) : months.slice(-2);
  return {
    source: "real",
    store,
    lake,
    pairs: ordered,
    months,
    analysisMonths,
    built: !reuse,
    seconds: (performance.now() - t0) / 1e3,
    description: `real: HistData M1 (${from}), ${pairs.length} pairs × ${months.length} months ${
      months[0] ?? ""
    }..${months.at(-1) ?? ""}, analysing ${analysisMonths.join(", ")}, lake ${lake}`,
  };
}

function envMonths(): string | undefined {
  try {
    return Deno.env.get("BQX_MONTHS") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The notebooks' one entry point: the demo lake, or the real one when `source` (default: the
 * `BQX_DATA` environment variable) is "real".
 * @param options `source` plus the options of {@linkcode demoLake} / {@linkcode realLake}
 * @returns the opened data set
 */
export function openData(
  options: { source?: string } & DemoLakeOptions & RealLakeOptions = {},
): Promise<NotebookData> {
  const { source, ...rest } = options;
  return dataSource(source) === "real" ? realLake(rest) : demoLake(rest);
}

/** Feature families the notebooks' runs use (168 columns: fast to load and fit on 2 cores). */
export const NOTEBOOK_FAMILIES: readonly string[] = [
  "statistics",
  "bollinger",
  "technical",
  "movingAverages",
  "regime",
  "time",
];

/** Options of {@linkcode demoRun}. */
export interface DemoRunOptions {
  /** @default ["ridge", "gbdt"] */
  models?: readonly string[];
  /** @default [15, 60] */
  horizons?: readonly number[];
  /** @default the first two pairs of the data */
  pairs?: readonly string[];
  /** Feature families. @default {@linkcode NOTEBOOK_FAMILIES} */
  families?: readonly string[];
  /** GBDT overrides. @default { rounds: 60, maxDepth: 4, earlyStoppingRounds: 10 } */
  gbdt?: TrainRunOptions["gbdt"];
  /** Per-model overrides, e.g. `{ mlp: { epochs: 2 } }`. @default {} */
  modelOptions?: TrainRunOptions["modelOptions"];
  /** @default 7 */
  seed?: number;
  /** @default `<repo>/reports/notebooks/runs` */
  runsDir?: string;
  /** Reuse a finished run with the same settings on the same lake build. @default true */
  reuse?: boolean;
  /** No progress lines. @default false */
  silent?: boolean;
}

/**
 * The notebooks' training run: `trainRun` with small settings (2 pairs, ridge + small GBDT, 168
 * features, the analysis months), reused across notebooks: a run whose `notebook.json` key
 * (settings + the lake's build time) matches is read back instead of retrained.
 * @param data the opened data ({@linkcode openData})
 * @param options models, horizons, pairs, families, overrides, seed, runs directory, reuse
 * @returns the run summary (`dir` is the run directory)
 */
export async function demoRun(
  data: NotebookData,
  options: DemoRunOptions = {},
): Promise<RunSummary> {
  const {
    models = ["ridge", "gbdt"],
    horizons = [15, 60],
    pairs = data.pairs.slice(0, 2),
    families = NOTEBOOK_FAMILIES,
    gbdt = { rounds: 60, maxDepth: 4, earlyStoppingRounds: 10 },
    modelOptions = {},
    seed = 7,
    runsDir = join(REPO_ROOT, "reports", "notebooks", "runs"),
    reuse = true,
    silent = false,
  } = options;
  const key = JSON.stringify({
    lake: data.lake,
    builtAt: readMarker(data.lake)?.builtAt ?? null,
    models,
    horizons,
    pairs,
    families,
    gbdt,
    modelOptions,
    seed,
    months: data.analysisMonths,
  });
  if (reuse && existsSync(runsDir)) {
    const dirs = [...Deno.readDirSync(runsDir)].filter((e) => e.isDirectory && e.name[0] !== ".")
      .map((e) => e.name).sort().reverse();
    for (const d of dirs) {
      const k = join(runsDir, d, "notebook.json");
      if (existsSync(k) && existsSync(join(runsDir, d, "metrics.json"))) {
        if (readFileSync(k, "utf8") === key) return readRun(join(runsDir, d));
      }
    }
  }
  const features = catalog(pairs[0], { families, present: data.pairs }).map((s) => s.name);
  const run = await trainRun(data.store, {
    models,
    horizons,
    pairs,
    features,
    gbdt,
    modelOptions,
    seed,
    runsDir,
    months: data.analysisMonths,
    silent,
  });
  atomicWrite(join(run.dir, "notebook.json"), key);
  return run;
}
