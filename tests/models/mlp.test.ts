/** Behaviour of the tfjs MLP, its training loop and the backend selection (SPEC §7). */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MlpModel } from "../../lib/models/mlp.ts";
import { RidgeModel } from "../../lib/models/ridge.ts";
import { BACKENDS, selectBackend } from "../../lib/models/backend.ts";
import type { Matrix } from "../../lib/models/base.ts";
import { rng } from "../_helpers.ts";

// cpu is deterministic and always present; the wasm determinism test switches explicitly
Deno.env.set("BQX_TF_BACKEND", "cpu");

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** y = sin(2·x0) + x1·x2 + 0.1·ε over `cols` Gaussian columns (a few NaN). */
function planted(rows: number, cols: number, seed: number): { x: Matrix; y: Float32Array } {
  const r = rng(seed);
  const data = new Float32Array(rows * cols), y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = gauss(r);
    const o = i * cols;
    y[i] = Math.sin(2 * data[o]) + data[o + 1] * data[o + 2] + 0.1 * gauss(r);
    if (i % 97 === 0) data[o + cols - 1] = NaN;
  }
  return { x: { rows, cols, data, names: Array.from({ length: cols }, (_, j) => `f${j}`) }, y };
}

const mse = (p: Float32Array, y: Float32Array) => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return s / y.length;
};
const variance = (y: Float32Array) => {
  let m = 0;
  for (const v of y) m += v / y.length;
  return mse(new Float32Array(y.length).fill(m), y);
};

const small = { hidden: [32, 32, 16], batchSize: 128, verbose: false };

Deno.test("mlp recovers a planted nonlinear signal better than a linear fit", async () => {
  const tr = planted(4000, 8, 1), va = planted(1000, 8, 2);
  const m = new MlpModel({ ...small, epochs: 25, dropout: 0, learningRate: 3e-3, seed: 7 });
  const rep = await m.fit(tr.x, { y: tr.y }, { x: va.x, y: { y: va.y } });
  const mlp = mse(m.predict(va.x), va.y);
  const ridge = new RidgeModel();
  await ridge.fit(tr.x, { y: tr.y });
  const lin = mse(ridge.predict(va.x), va.y);
  const v = variance(va.y);
  assert.ok(mlp < 0.25 * v, `mlp MSE ${mlp} vs variance ${v}`);
  assert.ok(mlp < 0.5 * lin, `mlp MSE ${mlp} vs linear ${lin}`);
  assert.ok(Math.abs(rep.validLoss! - mlp) < 1e-3 * v, `${rep.validLoss} vs ${mlp}`);
  assert.equal(rep.history!.length, m.lastFit!.epochsRun);
  m.dispose();
});

Deno.test("early stopping stops and restores the best epoch", async () => {
  // pure noise labels: validation loss bottoms out quickly, then the net overfits
  const r = rng(3);
  const tr = planted(600, 8, 4), va = planted(600, 8, 5);
  tr.y.forEach((_, i) => (tr.y[i] = gauss(r)));
  va.y.forEach((_, i) => (va.y[i] = gauss(r)));
  const m = new MlpModel({
    hidden: [128, 64],
    batchSize: 32,
    epochs: 60,
    learningRate: 1e-2,
    dropout: 0,
    earlyStoppingPatience: 2,
    verbose: false,
  });
  const rep = await m.fit(tr.x, { y: tr.y }, { x: va.x, y: { y: va.y } });
  const run = m.lastFit!;
  assert.ok(run.epochsRun < 60, `ran all ${run.epochsRun} epochs`);
  assert.equal(run.epochsRun - run.bestEpoch, 2);
  const valids = rep.history!.map((h) => h.valid!);
  assert.equal(rep.validLoss, Math.min(...valids));
  assert.equal(rep.iterations, valids.indexOf(rep.validLoss!) + 1);
  // the restored weights are the best epoch's, not the last one's
  const now = mse(m.predict(va.x), va.y);
  assert.ok(Math.abs(now - rep.validLoss!) < 1e-4, `${now} vs best ${rep.validLoss}`);
  assert.ok(Math.abs(now - valids.at(-1)!) > 1e-4);
  m.dispose();
});

async function fitTwice(backend: string): Promise<[Float32Array, Float32Array]> {
  Deno.env.set("BQX_TF_BACKEND", backend);
  try {
    const tr = planted(1500, 6, 11), va = planted(300, 6, 12);
    const out: Float32Array[] = [];
    for (let k = 0; k < 2; k++) {
      const m = new MlpModel({ ...small, epochs: 3, seed: 42 });
      await m.fit(tr.x, { y: tr.y }, { x: va.x, y: { y: va.y } });
      out.push(m.predict(va.x));
      m.dispose();
    }
    return [out[0], out[1]];
  } finally {
    Deno.env.set("BQX_TF_BACKEND", "cpu");
    await selectBackend();
  }
}

Deno.test("same seed gives identical predictions (cpu and wasm)", async () => {
  for (const b of ["cpu", "wasm"]) {
    const [a, c] = await fitTwice(b);
    assert.deepEqual(a, c, `backend ${b}`);
  }
  // a different seed gives different predictions
  const tr = planted(500, 6, 11);
  const p = [1, 2].map(async (seed) => {
    const m = new MlpModel({ ...small, epochs: 1, seed });
    await m.fit(tr.x, { y: tr.y });
    const out = m.predict(tr.x);
    m.dispose();
    return out;
  });
  const [p1, p2] = [await p[0], await p[1]];
  assert.notDeepEqual(p1, p2);
});

Deno.test("save → load → predict is bit-identical", async () => {
  const tr = planted(800, 5, 21);
  const m = new MlpModel({ ...small, epochs: 2, seed: 3 });
  await m.fit(tr.x, { y: tr.y });
  const dir = await Deno.makeTempDir();
  try {
    m.save(`${dir}/mlp`);
    const back = MlpModel.load(`${dir}/mlp`);
    assert.deepEqual(back.config, m.config);
    assert.deepEqual(back.predict(tr.x), m.predict(tr.x));
    back.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    m.dispose();
  }
});

Deno.test("backend override via BQX_TF_BACKEND and unknown backend error", async () => {
  try {
    Deno.env.set("BQX_TF_BACKEND", "wasm");
    assert.equal(await selectBackend(), "wasm");
    assert.equal(tf.getBackend(), "wasm");
    Deno.env.set("BQX_TF_BACKEND", "cpu");
    assert.equal(await selectBackend({ prefer: "wasm" }), "cpu"); // env wins over prefer
    assert.equal(tf.getBackend(), "cpu");
    Deno.env.set("BQX_TF_BACKEND", "cuda");
    await assert.rejects(
      () => selectBackend(),
      (e: Error) => BACKENDS.every((b) => e.message.includes(b)) && e.message.includes("cuda"),
    );
    Deno.env.delete("BQX_TF_BACKEND");
    await assert.rejects(() => selectBackend({ prefer: "tpu" }), /expected one of/);
    // automatic order: the optional node/webgpu packages are absent here, so wasm wins
    assert.ok(["wasm", "tfjs-node-gpu", "tfjs-node", "webgpu"].includes(await selectBackend()));
  } finally {
    Deno.env.set("BQX_TF_BACKEND", "cpu");
    await selectBackend();
  }
});

Deno.test("no tensor leak across epochs", async () => {
  const tr = planted(1000, 6, 31), va = planted(200, 6, 32);
  const before = tf.memory().numTensors;
  const m = new MlpModel({ ...small, epochs: 5, earlyStoppingPatience: 0, seed: 1 });
  const counts: number[] = [];
  m.onEpoch = () => counts.push(tf.memory().numTensors);
  await m.fit(tr.x, { y: tr.y }, { x: va.x, y: { y: va.y } });
  assert.equal(counts.length, 5);
  assert.ok(counts.every((c) => c === counts[0]), `tensors per epoch ${counts}`);
  m.predict(va.x);
  // after fit only the weights remain (optimizer state disposed)
  assert.equal(tf.memory().numTensors, before + 2 * 4);
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("mlp rejects unknown and invalid options", () => {
  assert.throws(() => new MlpModel({ hiden: [3] } as never), /Unknown mlp option "hiden"/);
  assert.throws(() => new MlpModel({ dropout: 1 }), /dropout/);
  assert.throws(() => new MlpModel({ activation: "swish" }), /expected one of relu/);
  assert.throws(() => new MlpModel({ hidden: [] }), /non-empty/);
});
