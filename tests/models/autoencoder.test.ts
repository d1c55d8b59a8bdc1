/** Behaviour of the dense autoencoder (SPEC §7 "autoencoder embeddings, 64-d"). */
import assert from "node:assert/strict";
import { AutoencoderModel, embeddingNames } from "../../lib/models/autoencoder.ts";
import { RidgeModel } from "../../lib/models/ridge.ts";
import type { Matrix } from "../../lib/models/base.ts";
import { rng } from "../_helpers.ts";

Deno.env.set("BQX_TF_BACKEND", "cpu");

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** rows × 40 columns = Z (rows × rank) · A (rank × 40) + 0.01·noise, column scales 0.1 … 4. */
function lowRank(
  rows: number,
  rank: number,
  seed: number,
  aSeed = 100,
): { x: Matrix; z: Float32Array } {
  const cols = 40, r = rng(seed), ra = rng(aSeed);
  const a = Float64Array.from({ length: rank * cols }, () => gauss(ra));
  const scale = Float64Array.from({ length: cols }, (_, j) => 0.1 + (3.9 * j) / (cols - 1));
  const z = Float32Array.from({ length: rows * rank }, () => gauss(r));
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let v = 0;
      for (let k = 0; k < rank; k++) v += z[i * rank + k] * a[k * cols + j];
      data[i * cols + j] = scale[j] * (v + 0.01 * gauss(r)) + j;
    }
  }
  return { x: { rows, cols, data, names: Array.from({ length: cols }, (_, j) => `f${j}`) }, z };
}

/** Mean squared error between two matrices' values, and the mean variance of the columns of b. */
function mseAndVariance(a: Matrix, b: Matrix): { mse: number; variance: number } {
  let mse = 0, variance = 0;
  for (let j = 0; j < b.cols; j++) {
    let m = 0;
    for (let i = 0; i < b.rows; i++) m += b.data[i * b.cols + j] / b.rows;
    for (let i = 0; i < b.rows; i++) {
      const v = b.data[i * b.cols + j];
      variance += (v - m) ** 2;
      mse += (a.data[i * b.cols + j] - v) ** 2;
    }
  }
  const n = b.rows * b.cols;
  return { mse: mse / n, variance: variance / n };
}

const small = { hidden: [32], batchSize: 32, learningRate: 3e-3, verbose: false };

Deno.test("reconstruction MSE on rank-6 data in 40 columns is far below the variance", async () => {
  const tr = lowRank(800, 6, 1), va = lowRank(300, 6, 2);
  const ae = new AutoencoderModel({ ...small, bottleneck: 8, epochs: 30, seed: 1 });
  const rep = await ae.fit(tr.x, va.x);
  const { mse, variance } = mseAndVariance(ae.reconstruct(va.x), ae.standardized(va.x));
  assert.ok(variance > 0.8, `standardized variance ${variance}`);
  assert.ok(mse < 0.05 * variance, `reconstruction MSE ${mse} vs variance ${variance}`);
  // the reported loss is that same MSE on the validation rows (best epoch kept)
  assert.ok(Math.abs(rep.validLoss! - mse) < 1e-4, `${rep.validLoss} vs ${mse}`);
  // the codes carry the latent factors: a ridge from codes recovers z0 on new rows
  const codes = ae.encode(tr.x), vcodes = ae.encode(va.x);
  const z0 = (d: { z: Float32Array }, n: number) =>
    Float32Array.from({ length: n }, (_, i) => d.z[i * 6]);
  const ridge = new RidgeModel({ lambda: 1e-4 });
  await ridge.fit(codes, { y: z0(tr, 800) });
  const p = ridge.predict(vcodes), y = z0(va, 300);
  let sse = 0, sst = 0;
  for (let i = 0; i < 300; i++) {
    sse += (p[i] - y[i]) ** 2;
    sst += y[i] ** 2;
  }
  assert.ok(sse / sst < 0.1, `z0 from codes: relative error ${sse / sst}`);
  ae.dispose();
});

Deno.test("encode gives rows × 64 columns ae_00 … ae_63 by default; NaN inputs are the mean", async () => {
  const tr = lowRank(200, 4, 3);
  const ae = new AutoencoderModel({ ...small, epochs: 1, seed: 2 });
  await ae.fit(tr.x);
  const e = ae.encode(tr.x);
  assert.equal(e.rows, 200);
  assert.equal(e.cols, 64);
  assert.equal(e.data.length, 200 * 64);
  assert.equal(e.names[0], "ae_00");
  assert.equal(e.names[63], "ae_63");
  assert.deepEqual(
    e.names,
    Array.from({ length: 64 }, (_, i) => `ae_${String(i).padStart(2, "0")}`),
  );
  assert.ok(e.data.every(Number.isFinite));
  // a missing value encodes as the column's train mean (0 after standardizing)
  let mean5 = 0;
  for (let i = 0; i < 200; i++) mean5 += tr.x.data[i * 40 + 5] / 200;
  const row = tr.x.data.slice(0, 40);
  row[5] = NaN;
  const one = (v: Float32Array) =>
    ae.encode({ rows: 1, cols: 40, data: v, names: tr.x.names }).data;
  const filled = row.slice();
  filled[5] = mean5;
  const a = one(row), b = one(filled);
  for (let k = 0; k < 64; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-4, `code ${k}`);
  assert.deepEqual(embeddingNames(3), ["ae_00", "ae_01", "ae_02"]);
  assert.equal(embeddingNames(128)[127], "ae_127");
  ae.dispose();
});

Deno.test("same seed gives identical codes; save → load → encode is bit-identical", async () => {
  const tr = lowRank(300, 5, 4);
  const fit = async (seed: number) => {
    const ae = new AutoencoderModel({ ...small, dropout: 0.1, epochs: 2, seed });
    await ae.fit(tr.x);
    return ae;
  };
  const a = await fit(7), b = await fit(7), c = await fit(8);
  assert.deepEqual(a.encode(tr.x).data, b.encode(tr.x).data);
  assert.notDeepEqual(a.encode(tr.x).data, c.encode(tr.x).data);
  const dir = await Deno.makeTempDir();
  try {
    a.save(dir);
    const back = AutoencoderModel.load(dir);
    assert.deepEqual(back.config, a.config);
    assert.deepEqual(back.encode(tr.x), a.encode(tr.x));
    assert.deepEqual(back.reconstruct(tr.x).data, a.reconstruct(tr.x).data);
    back.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    for (const m of [a, b, c]) m.dispose();
  }
});

Deno.test("autoencoder rejects invalid options and mismatched columns", async () => {
  assert.throws(() => new AutoencoderModel({ bottleneck: 0 }), /bottleneck = 0/);
  assert.throws(() => new AutoencoderModel({ hidden: [0] }), /hidden: 0/);
  assert.throws(() => new AutoencoderModel({ activation: "gelu" }), /expected one of relu/);
  const tr = lowRank(50, 2, 5);
  const ae = new AutoencoderModel({ ...small, bottleneck: 4, epochs: 1 });
  assert.throws(() => ae.encode(tr.x), /before fit/);
  await ae.fit(tr.x);
  assert.throws(
    () => ae.encode({ rows: 1, cols: 3, data: new Float32Array(3), names: ["a", "b", "c"] }),
    /expected 40 columns/,
  );
  ae.dispose();
});
