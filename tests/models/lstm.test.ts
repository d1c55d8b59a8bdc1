/** Behaviour of the tfjs LSTM over look-back windows (SPEC §7 "LSTM"). */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { LstmModel } from "../../lib/models/lstm.ts";
import { RidgeModel } from "../../lib/models/ridge.ts";
import type { Matrix } from "../../lib/models/base.ts";
import { sequenceIndex } from "../../lib/dataset/sequences.ts";
import { rng } from "../_helpers.ts";

// wasm: deterministic (tests/models/mlp.test.ts checks it) and ~3× faster than cpu on the many
// small ops of an unrolled LSTM
Deno.env.set("BQX_TF_BACKEND", "wasm");

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const LAG = 4;

/** One series of Gaussian columns with y(t) = x0(t − LAG) + 0.1·ε: invisible in row t alone. */
function lagged(rows: number, cols: number, seed: number): { x: Matrix; y: Float32Array } {
  const r = rng(seed);
  const data = new Float32Array(rows * cols), y = new Float32Array(rows);
  for (let i = 0; i < rows * cols; i++) data[i] = gauss(r);
  for (let i = 0; i < rows; i++) y[i] = (i >= LAG ? data[(i - LAG) * cols] : 0) + 0.1 * gauss(r);
  return { x: { rows, cols, data, names: Array.from({ length: cols }, (_, j) => `f${j}`) }, y };
}

function r2(p: Float32Array, y: Float32Array): number {
  let m = 0;
  for (const v of y) m += v / y.length;
  let sse = 0, sst = 0;
  for (let i = 0; i < y.length; i++) {
    sse += (p[i] - y[i]) ** 2;
    sst += (y[i] - m) ** 2;
  }
  return 1 - sse / sst;
}

const small = {
  steps: 6,
  units: 16,
  batchSize: 32,
  learningRate: 1e-2,
  dropout: 0,
  verbose: false,
};

Deno.test("lstm learns a lagged signal that a row-only ridge cannot see", async () => {
  const tr = lagged(800, 3, 1), va = lagged(300, 3, 2);
  const m = new LstmModel({ ...small, epochs: 12, seed: 1 });
  const rep = await m.fit(tr.x, { y: tr.y }, { x: va.x, y: { y: va.y } });
  const lstm = r2(m.predict(va.x), va.y);
  const ridge = new RidgeModel();
  await ridge.fit(tr.x, { y: tr.y });
  const lin = r2(ridge.predict(va.x), va.y);
  assert.ok(lstm > 0.6, `lstm R² ${lstm}`);
  assert.ok(lin < 0.05, `row-only ridge R² ${lin}`);
  // the reported validation loss is the MSE of the kept weights, in label units
  let mse = 0;
  const p = m.predict(va.x);
  for (let i = 0; i < va.y.length; i++) mse += (p[i] - va.y[i]) ** 2 / va.y.length;
  assert.ok(Math.abs(rep.validLoss! - mse) < 1e-4, `${rep.validLoss} vs ${mse}`);
  m.dispose();
});

Deno.test("fitSequences on pooled series: windows stop at a group change", async () => {
  // two series stacked as one matrix (a pooled dataset of two pairs)
  const a = lagged(200, 2, 3), b = lagged(150, 2, 4);
  const x: Matrix = {
    rows: 350,
    cols: 2,
    data: Float32Array.of(...a.x.data, ...b.x.data),
    names: a.x.names,
  };
  const group = new Int32Array(350).fill(1, 200);
  const all = Int32Array.from({ length: 350 }, (_, i) => i);
  const ix = sequenceIndex(x, all, { steps: 6, group });
  const m = new LstmModel({ ...small, epochs: 2, seed: 5 });
  await m.fitSequences(x, ix, { y: Float32Array.of(...a.y, ...b.y) });
  // predicting the pooled plan = predicting each series on its own (no window crosses the pairs)
  const pooled = m.predictSequences(x, ix);
  const alone = [...m.predict(a.x), ...m.predict(b.x)];
  for (let i = 0; i < 350; i++) assert.ok(Math.abs(pooled[i] - alone[i]) < 1e-6, `row ${i}`);
  // a plan without the group differs right after the boundary only
  const crossed = m.predictSequences(x, sequenceIndex(x, all, { steps: 6 }));
  assert.equal(crossed[199], pooled[199]);
  assert.notEqual(crossed[200], pooled[200]);
  assert.throws(
    () => m.predictSequences(x, sequenceIndex(x, all, { steps: 5 })),
    /6 steps but found 5/,
  );
  m.dispose();
});

Deno.test("same seed gives identical predictions, another seed does not", async () => {
  const tr = lagged(300, 3, 7);
  const fit = async (seed: number) => {
    const m = new LstmModel({ ...small, epochs: 2, dropout: 0.2, seed });
    await m.fit(tr.x, { y: tr.y });
    const p = m.predict(tr.x);
    m.dispose();
    return p;
  };
  const p1 = await fit(3), p2 = await fit(3), p3 = await fit(4);
  assert.deepEqual(p1, p2);
  assert.notDeepEqual(p1, p3);
});

Deno.test("save → load → predict is bit-identical", async () => {
  const tr = lagged(300, 3, 9);
  const m = new LstmModel({ ...small, epochs: 1, seed: 2 });
  await m.fit(tr.x, { y: tr.y });
  const dir = await Deno.makeTempDir();
  try {
    m.save(`${dir}/lstm`);
    const back = LstmModel.load(`${dir}/lstm`);
    assert.deepEqual(back.config, m.config);
    assert.deepEqual(back.predict(tr.x), m.predict(tr.x));
    back.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    m.dispose();
  }
});

Deno.test("no tensor leak: after fit only the 4 weight tensors remain", async () => {
  const tr = lagged(200, 2, 11), va = lagged(100, 2, 12);
  const before = tf.memory().numTensors;
  const m = new LstmModel({ ...small, epochs: 3, earlyStoppingPatience: 0, seed: 1 });
  const counts: number[] = [];
  m.onEpoch = () => counts.push(tf.memory().numTensors);
  await m.fit(tr.x, { y: tr.y }, { x: va.x, y: { y: va.y } });
  assert.ok(counts.every((c) => c === counts[0]), `tensors per epoch ${counts}`);
  m.predict(va.x);
  assert.equal(tf.memory().numTensors, before + 4);
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("lstm rejects unknown and invalid options and mismatched labels", async () => {
  assert.throws(() => new LstmModel({ step: 3 } as never), /Unknown lstm option "step"/);
  assert.throws(() => new LstmModel({ steps: 0 }), /steps = 0/);
  assert.throws(() => new LstmModel({ dropout: 1 }), /dropout/);
  const tr = lagged(50, 2, 1);
  await assert.rejects(
    () => new LstmModel(small).fit(tr.x, { y: tr.y.subarray(0, 40) }),
    /Expected 50 labels but found 40/,
  );
  assert.throws(() => new LstmModel(small).predict(tr.x), /before fit/);
});
