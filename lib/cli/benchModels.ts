/**
 * `deno task bench:models [--part nets|gbdt|all] [--rows 1000000] [--features 200] [--rounds 500]
 * [--depth 8] [--threads 2] [--speedup-rounds 10] [--skip-xgboost] [--net-rows 100000]
 * [--net-features 200] [--net-epochs 1] [--infer-rows 20000] [--lstm-rows 1000]
 * [--backends wasm,cpu,…]`: model
 * training and inference throughput (issue 4 §7). `--part` runs one part alone (default both).
 *
 * GBDT part: generates `rows × features` seeded synthetic data with a planted nonlinear signal
 * (`syntheticRegression`), splits it 80/20 into train/valid, fits our histogram GBDT (255 bins,
 * η 0.1, λ 1, the given depth and rounds, no early stopping) and then XGBoost 1.7
 * (`tree_method="hist"`, same parameters, `nthread` = threads) on the same data (written as raw
 * float32 files and read with numpy.fromfile), and prints the wall time of each, their ratio, both
 * validation MSEs, and our batch inference rows/s. A short extra fit on 1 thread and on `--threads`
 * shows what the Web Workers buy (`--speedup-rounds 0` skips it).
 *
 * Network part: on a `net-rows × net-features` synthetic matrix (same generator), for every tfjs
 * backend in `--backends` (default all of tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu; one that
 * does not load — a package not installed, no GPU adapter, or webgpu not ready within 15 s — is
 * listed as skipped with the reason): the MLP's training samples/s (default 256-128-64, batch
 * 1024, `--net-epochs` epochs, the loop's own per-epoch figure) and batch inference rows/s of the
 * MLP on `--infer-rows` rows and of an LSTM (30 steps, 64 units, fit one epoch on 512 windows) on
 * `--lstm-rows` rows (default 1,000: the unrolled LSTM is ~100× slower per row than the MLP);
 * then ridge and a small GBDT (50 rounds, depth 6, fit on up to 20,000 rows), which do not use
 * tfjs, once. One table at the end.
 * @module
 */
import type { Matrix, Target } from "../models/base.ts";
import { GbdtModel } from "../models/gbdt/gbdt.ts";
import { syntheticRegression } from "../models/gbdt/synthetic.ts";
import { runXgboost, xgboostAvailable } from "../models/gbdt/xgboostReference.ts";
import { intFlag, main, parseFlags } from "./_args.ts";
import { BACKENDS, selectBackend } from "../models/backend.ts";
import { LstmModel } from "../models/lstm.ts";
import { MlpModel } from "../models/mlp.ts";
import { RidgeModel } from "../models/ridge.ts";
import { peakRssMiB } from "./bench.ts";

/** Rows `[a, b)` as views (no copy: the benchmark data are large). */
function view(x: Matrix, y: Target, a: number, b: number): { x: Matrix; y: Target } {
  return {
    x: { rows: b - a, cols: x.cols, data: x.data.subarray(a * x.cols, b * x.cols), names: x.names },
    y: { y: y.y.subarray(a, b) },
  };
}

function mseOf(p: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** Parsed flags of this task. */
type Flags = Record<string, string | boolean | undefined> & {
  rows?: string;
  features?: string;
  rounds?: string;
  depth?: string;
  threads?: string;
  "speedup-rounds"?: string;
  "skip-xgboost"?: boolean;
};

/** Rows per second of `predict` on `x` (one warm-up call on a small slice first). */
function predictRate(predict: (x: Matrix) => Float32Array, x: Matrix): number {
  predict(view(x, { y: new Float32Array(x.rows) }, 0, Math.min(256, x.rows)).x);
  const t = performance.now();
  predict(x);
  return x.rows / ((performance.now() - t) / 1e3);
}

/** Part 2: tfjs networks per backend, and batch inference of every model family. */
async function benchNets(f: Flags): Promise<void> {
  const rows = intFlag("net-rows", f["net-rows"] as string | undefined, 100_000);
  const features = intFlag("net-features", f["net-features"] as string | undefined, 200);
  const epochs = intFlag("net-epochs", f["net-epochs"] as string | undefined, 1);
  const inferRows = Math.min(
    rows,
    intFlag("infer-rows", f["infer-rows"] as string | undefined, 20_000),
  );
  const lstmRows = Math.min(
    inferRows,
    intFlag("lstm-rows", f["lstm-rows"] as string | undefined, 1_000),
  );
  const wanted = ((f.backends as string | undefined) ?? BACKENDS.join(",")).split(",");
  for (const b of wanted) {
    if (!(BACKENDS as readonly string[]).includes(b)) {
      throw new RangeError(
        `Invalid --backends entry "${b}": expected some of ${BACKENDS.join(", ")}`,
      );
    }
  }
  if (rows < 1_000 || features < 1 || epochs < 1 || inferRows < 1) {
    throw new RangeError(
      "Expected --net-rows ≥ 1000 and --net-features, --net-epochs, --infer-rows ≥ 1",
    );
  }
  console.log(
    `BQX ML model benchmark — networks: ${fmt(rows)} rows × ${features} features, MLP 256-128-64 ` +
      `batch 1024, ${epochs} epoch(s); inference on ${fmt(inferRows)} rows (LSTM ${
        fmt(lstmRows)
      }); backends ${wanted.join(", ")}`,
  );
  const { x, y } = syntheticRegression(rows, features, { seed: 42, noise: 0.5 });
  const inf = view(x, y, 0, inferRows).x, infLstm = view(x, y, 0, lstmRows).x;
  const table: string[][] = [];
  const env = Deno.env.get("BQX_TF_BACKEND");
  try {
    for (const b of wanted) {
      // the env wins over `prefer` in selectBackend, and every model calls it: set the env
      Deno.env.set("BQX_TF_BACKEND", b);
      const why = await Promise.race([
        selectBackend().then(() => undefined, (e) => String((e as Error).message ?? e)),
        new Promise<string>((r) => setTimeout(() => r("not ready within 15 s"), 15_000)),
      ]);
      if (why) {
        const reason = /not a dependency|Cannot find|not found/i.test(why)
          ? "package not installed / not mapped in deno.json"
          : why.replace(/^Cannot use tfjs backend [^:]+: /, "");
        console.log(`${b}: skipped (${reason})`);
        table.push([b, "mlp", "skipped", "skipped"], [b, "lstm", "skipped", "skipped"]);
        continue;
      }
      const rates: number[] = [];
      const mlp = new MlpModel({ epochs, earlyStoppingPatience: 0, verbose: false, seed: 1 });
      mlp.onEpoch = (e) => rates.push(e.samplesPerSecond);
      await mlp.fit(x, y);
      const mlpTrain = rates.reduce((a, v) => a + v, 0) / rates.length;
      const mlpPred = predictRate((m) => mlp.predict(m), inf);
      mlp.dispose();
      const lstmRates: number[] = [];
      const lstm = new LstmModel({ epochs: 1, verbose: false, seed: 1 });
      lstm.onEpoch = (e) => lstmRates.push(e.samplesPerSecond);
      const small = view(x, y, 0, 512);
      await lstm.fit(small.x, small.y);
      const lstmPred = predictRate((m) => lstm.predict(m), infLstm);
      lstm.dispose();
      console.log(
        `${b}: mlp ${fmt(Math.round(mlpTrain))} samples/s train, ${
          fmt(Math.round(mlpPred))
        } rows/s predict; ` +
          `lstm ${fmt(Math.round(lstmRates[0]))} samples/s train, ${
            fmt(Math.round(lstmPred))
          } rows/s predict`,
      );
      table.push(
        [b, "mlp", fmt(Math.round(mlpTrain)), fmt(Math.round(mlpPred))],
        [b, "lstm", fmt(Math.round(lstmRates[0])), fmt(Math.round(lstmPred))],
      );
    }
  } finally {
    if (env === undefined) Deno.env.delete("BQX_TF_BACKEND");
    else Deno.env.set("BQX_TF_BACKEND", env);
  }
  // models without tfjs, once
  const ridge = new RidgeModel({ lambda: 1e-3 });
  await ridge.fit(x, y);
  table.push([
    "js",
    "ridge",
    "closed form",
    fmt(Math.round(predictRate((m) => ridge.predict(m), inf))),
  ]);
  const g = view(x, y, 0, Math.min(rows, 20_000));
  const gbdt = new GbdtModel({ rounds: 50, maxDepth: 6, earlyStoppingRounds: 0, nThreads: 1 });
  await gbdt.fit(g.x, g.y);
  table.push([
    "js",
    "gbdt (50 trees, depth 6)",
    "—",
    fmt(Math.round(predictRate((m) => gbdt.predict(m), inf))),
  ]);

  const head = ["backend", "model", "train samples/s", "predict rows/s"];
  const w = head.map((h, j) => Math.max(h.length, ...table.map((r) => r[j].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, j) => (j < 2 ? c.padEnd(w[j]) : c.padStart(w[j]))).join(" | ")} |`;
  console.log(
    ["", line(head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...table.map(line)].join(
      "\n",
    ),
  );
  console.log(`peak RSS ${(peakRssMiB() / 1024).toFixed(2)} GiB`);
}

/** Part 1: our histogram GBDT vs XGBoost (unchanged by the network part). */
async function benchGbdt(f: Flags): Promise<void> {
  const rows = intFlag("rows", f.rows, 1_000_000);
  const features = intFlag("features", f.features, 200);
  const rounds = intFlag("rounds", f.rounds, 500);
  const depth = intFlag("depth", f.depth, 8);
  const threads = intFlag("threads", f.threads, Math.min(2, navigator.hardwareConcurrency || 1));
  const speedupRounds = intFlag("speedup-rounds", f["speedup-rounds"], 10);
  if (rows < 10 || features < 1 || rounds < 1 || depth < 1 || threads < 1) {
    throw new RangeError("Expected --rows ≥ 10 and --features, --rounds, --depth, --threads ≥ 1");
  }
  console.log(
    `BQX ML model benchmark — GBDT: ${
      fmt(rows)
    } rows × ${features} features, ${rounds} rounds, depth ${depth}, ` +
      `255 bins, eta 0.1, lambda 1, ${threads} threads (${navigator.hardwareConcurrency} cores)`,
  );
  let t = performance.now();
  const { x, y } = syntheticRegression(rows, features, { seed: 42, noise: 0.5 });
  const nTrain = Math.floor(rows * 0.8);
  const train = view(x, y, 0, nTrain), valid = view(x, y, nTrain, rows);
  console.log(
    `data: ${fmt(nTrain)} train / ${fmt(rows - nTrain)} valid rows, generated in ${
      ((performance.now() - t) / 1e3).toFixed(1)
    } s`,
  );
  const params = {
    maxDepth: depth,
    learningRate: 0.1,
    lambda: 1,
    minChildWeight: 1,
    maxBins: 255,
  };

  // 1. one thread vs workers on a few rounds (same model either way)
  if (speedupRounds > 0 && threads > 1) {
    const secs: number[] = [];
    for (const n of [1, threads]) {
      const m = new GbdtModel({
        ...params,
        rounds: speedupRounds,
        earlyStoppingRounds: 0,
        nThreads: n,
        parallelMinCells: 0,
      });
      const rep = await m.fit(train.x, train.y);
      secs.push((rep.seconds - rep.binSeconds) / speedupRounds);
    }
    console.log(
      `threads: ${speedupRounds} rounds at ${secs[0].toFixed(3)} s/round on 1 thread, ${
        secs[1].toFixed(3)
      } s/round on ` +
        `${threads} workers → ${(secs[0] / secs[1]).toFixed(2)}× (binning excluded)`,
    );
  }

  // 2. our GBDT, full fit
  const model = new GbdtModel({
    ...params,
    rounds,
    earlyStoppingRounds: 0,
    nThreads: threads,
    logEvery: Math.max(1, Math.round(rounds / 5)),
  });
  const rep = await model.fit(train.x, train.y);
  t = performance.now();
  const p = model.predict(valid.x);
  const predSec = (performance.now() - t) / 1e3;
  const ourMse = mseOf(p, valid.y.y);
  console.log(
    `ours:    fit ${rep.seconds.toFixed(1)} s (binning ${
      rep.binSeconds.toFixed(1)
    } s, ${rep.threads} threads, ` +
      `${(rep.seconds / rounds).toFixed(3)} s/round), valid MSE ${ourMse.toFixed(5)}, ` +
      `predict ${fmt(Math.round(valid.x.rows / predSec))} rows/s (${rounds} trees, 1 thread); ` +
      `peak RSS ${(peakRssMiB() / 1024).toFixed(2)} GiB`,
  );

  // 3. XGBoost on the same data
  const why = f["skip-xgboost"] ? "--skip-xgboost" : await xgboostAvailable();
  if (why) {
    console.log(`xgboost: skipped (${why})`);
    return;
  }
  const ref = await runXgboost(train, valid, {
    max_depth: depth,
    eta: 0.1,
    lambda: 1,
    min_child_weight: 1,
    max_bin: 255,
    subsample: 1,
    colsample_bytree: 1,
    base_score: model.baseScore,
    nthread: threads,
  }, rounds);
  const xgbTotal = ref.dmatrixSeconds + ref.trainSeconds;
  console.log(
    `xgboost: fit ${xgbTotal.toFixed(1)} s (DMatrix ${ref.dmatrixSeconds.toFixed(1)} s + train ${
      ref.trainSeconds.toFixed(1)
    } s, ` +
      `${threads} threads, v${ref.version}), valid MSE ${ref.validMse.toFixed(5)}, predict ${
        fmt(Math.round(ref.predictRowsPerS))
      } rows/s`,
  );
  console.log(
    `ratio:   ours / xgboost wall time = ${
      (rep.seconds / xgbTotal).toFixed(2)
    }× ; valid MSE ours / xgboost = ` +
      `${(ourMse / ref.validMse).toFixed(4)}`,
  );
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({
      part: "string",
      rows: "string",
      features: "string",
      rounds: "string",
      depth: "string",
      threads: "string",
      "speedup-rounds": "string",
      "skip-xgboost": "boolean",
      "net-rows": "string",
      "net-features": "string",
      "net-epochs": "string",
      "infer-rows": "string",
      "lstm-rows": "string",
      backends: "string",
    });
    const part = f.part ?? "all";
    if (!["nets", "gbdt", "all"].includes(part)) {
      throw new RangeError(`Invalid --part "${part}": expected nets, gbdt or all`);
    }
    if (part !== "nets") await benchGbdt(f);
    if (part !== "gbdt") await benchNets(f);
  });
}
