/** Behaviour of the multi-task network: masked horizon-weighted loss, one head per horizon. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { maskedWeightedMse, MultiTaskModel } from "../../lib/models/multiTask.ts";
import type { Matrix } from "../../lib/models/base.ts";
import { rng } from "../_helpers.ts";

Deno.env.set("BQX_TF_BACKEND", "cpu");

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const HORIZONS = [15, 30, 45, 60, 75];

/** Five different targets of 4 Gaussian columns, each label missing with probability `miss`. */
function planted(rows: number, seed: number, miss = 0.3): { x: Matrix; ys: Float32Array[] } {
  const r = rng(seed), cols = 4;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = gauss(r);
  const f = [
    (o: number) => data[o],
    (o: number) => data[o + 1],
    (o: number) => -data[o + 2],
    (o: number) => data[o] + data[o + 3],
    (o: number) => data[o + 3],
  ];
  const ys = f.map((g) =>
    Float32Array.from(
      { length: rows },
      (_, i) => (r() < miss ? NaN : g(i * cols) + 0.05 * gauss(r)),
    )
  );
  return { x: { rows, cols, data, names: ["a", "b", "c", "d"] }, ys };
}

function r2(p: Float32Array, y: Float32Array): number {
  const k = [...y.keys()].filter((i) => y[i] === y[i]);
  const m = k.reduce((s, i) => s + y[i], 0) / k.length;
  let sse = 0, sst = 0;
  for (const i of k) {
    sse += (p[i] - y[i]) ** 2;
    sst += (y[i] - m) ** 2;
  }
  return 1 - sse / sst;
}

const small = { hidden: [32, 32], batchSize: 64, dropout: 0, verbose: false };

Deno.test("maskedWeightedMse equals a hand computation, missing labels contribute 0", () => {
  // 3 rows × 3 heads; head 2 has no label at all
  const p = tf.tensor2d([[1, 2, 9], [0, -1, 9], [2, 2, 9]]);
  // labels under a 0 mask hold arbitrary values: they must not count
  const y = tf.tensor2d([[0, 0, 50], [2, 50, -50], [50, 7, 50]]);
  const m = tf.tensor2d([[1, 1, 0], [1, 0, 0], [0, 1, 0]]);
  // head 0: rows 0, 1 → ((1−0)² + (0−2)²) / 2 = 2.5
  // head 1: rows 0, 2 → ((2−0)² + (2−7)²) / 2 = 14.5
  // head 2: nothing → 0
  const l = maskedWeightedMse(p, y, m, [0.2, 0.3, 0.5]);
  assert.ok(Math.abs(l.dataSync()[0] - (0.2 * 2.5 + 0.3 * 14.5)) < 1e-6);
  // default SPEC weights over 5 heads, a single labelled cell
  const l5 = maskedWeightedMse(
    tf.tensor2d([[0, 0, 0, 0, 3]]),
    tf.tensor2d([[0, 0, 0, 0, 1]]),
    tf.tensor2d([[0, 0, 0, 0, 1]]),
    [0.10, 0.15, 0.20, 0.25, 0.30],
  );
  assert.ok(Math.abs(l5.dataSync()[0] - 0.30 * 4) < 1e-6);
  tf.dispose([p, y, m, l, l5]);
});

Deno.test("heads fit different targets; the reported valid loss is the masked weighted MSE", async () => {
  const tr = planted(1500, 1), va = planted(400, 2);
  const m = new MultiTaskModel({ ...small, epochs: 25, learningRate: 3e-3, seed: 3 });
  const rep = await m.fitMulti(tr.x, tr.ys, { x: va.x, ys: va.ys });
  const p = m.predictMulti(va.x);
  assert.equal(p.length, 5);
  for (let k = 0; k < 5; k++) {
    const own = r2(p[k], va.ys[k]);
    assert.ok(own > 0.9, `head ${HORIZONS[k]} R² ${own}`);
    // head k does not just copy another target: on a different target its R² is poor
    const other = r2(p[k], va.ys[(k + 1) % 5]);
    assert.ok(other < 0.6, `head ${HORIZONS[k]} on target ${(k + 1) % 5}: R² ${other}`);
  }
  // validLoss = Σ w_h · MSE_h over the labelled valid rows, in each head's train-std units
  const w = m.config.weights, s = m.labelScalers;
  let hand = 0;
  for (let k = 0; k < 5; k++) {
    let sse = 0, n = 0;
    for (let i = 0; i < va.x.rows; i++) {
      const y = va.ys[k][i];
      if (y !== y) continue;
      sse += ((p[k][i] - y) / s[k].yScale) ** 2;
      n++;
    }
    hand += (w[k] * sse) / n;
  }
  assert.ok(Math.abs(rep.validLoss! - hand) < 1e-4 * hand, `${rep.validLoss} vs ${hand}`);
  m.dispose();
});

Deno.test("a head without any label gets no gradient (masked out of the loss)", async () => {
  const tr = planted(300, 5, 0);
  const ys = tr.ys.map((y, k) => (k === 0 ? y.map(() => NaN) : y));
  const m = new MultiTaskModel({ ...small, epochs: 2, seed: 1 });
  await m.fitMulti(tr.x, ys);
  const dir = await Deno.makeTempDir();
  try {
    m.save(dir);
    const j = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const bias = new Float32Array(
      Uint8Array.from(atob(j.heads[1].data), (c) => c.charCodeAt(0)).buffer,
    );
    // biases start at 0: head 0's stays exactly 0, the labelled heads' moved
    assert.equal(bias[0], 0);
    for (let k = 1; k < 5; k++) assert.notEqual(bias[k], 0, `head ${HORIZONS[k]}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
    m.dispose();
  }
});

Deno.test("forHorizon is a Model view; save → load → predict is bit-identical", async () => {
  const tr = planted(400, 7);
  const m = new MultiTaskModel({ ...small, epochs: 2, seed: 4 });
  await m.fitMulti(tr.x, tr.ys);
  const all = m.predictMulti(tr.x);
  const head = m.forHorizon(45);
  assert.deepEqual(head.predict(tr.x), all[2]);
  assert.equal(head.config.head, 45);
  assert.throws(() => m.forHorizon(20), /No multitask head for horizon 20/);
  const dir = await Deno.makeTempDir();
  try {
    m.save(`${dir}/mt`);
    head.save(`${dir}/h45`);
    const back = MultiTaskModel.load(`${dir}/mt`);
    assert.deepEqual(back.config, m.config);
    assert.deepEqual(back.predictMulti(tr.x), all);
    const bh = MultiTaskModel.loadHead(`${dir}/h45`);
    assert.equal(bh.horizon, 45);
    assert.deepEqual(bh.predict(tr.x), all[2]);
    assert.throws(() => MultiTaskModel.loadHead(`${dir}/mt`), /not a head view/);
    back.dispose();
    bh.model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    m.dispose();
  }
});

Deno.test("head view fit → predict is seeded: same seed identical, another seed not", async () => {
  const tr = planted(400, 9, 0);
  const fit = async (seed: number) => {
    const m = new MultiTaskModel({ ...small, dropout: 0.2, epochs: 2, seed });
    await m.forHorizon(30).fit(tr.x, { y: tr.ys[1] });
    const p = m.forHorizon(30).predict(tr.x);
    m.dispose();
    return p;
  };
  const p1 = await fit(1), p2 = await fit(1), p3 = await fit(2);
  assert.deepEqual(p1, p2);
  assert.notDeepEqual(p1, p3);
});

Deno.test("multitask rejects invalid options and label arrays", async () => {
  assert.throws(() => new MultiTaskModel({ weights: [1, 2] }), /weights = \[1,2\]: expected 5/);
  assert.throws(() => new MultiTaskModel({ horizons: [15, 15], weights: [1, 1] }), /repeated/);
  assert.throws(() => new MultiTaskModel({ hiden: [3] } as never), /Unknown multitask option/);
  const tr = planted(50, 1);
  await assert.rejects(
    () => new MultiTaskModel(small).fitMulti(tr.x, tr.ys.slice(0, 4)),
    /Expected 5 train label arrays/,
  );
  const none = tr.ys.map((y) => y.map(() => NaN));
  await assert.rejects(
    () => new MultiTaskModel(small).fitMulti(tr.x, none),
    /no row has a finite label/,
  );
});
