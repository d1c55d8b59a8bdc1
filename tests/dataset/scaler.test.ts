import assert from "node:assert/strict";
import type { Matrix } from "../../lib/models/base.ts";
import { Scaler } from "../../lib/dataset/scaler.ts";
import type { Segment } from "../../lib/dataset/segment.ts";
import { split } from "../../lib/dataset/split.ts";
import { rng } from "../_helpers.ts";

const seg = (name: string, rows: number[]): Segment => ({
  name,
  start: 0,
  end: 1,
  rows: Int32Array.from(rows),
});

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const r = rng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r() < 0.05 ? NaN : (r() - 0.3) * (1 + (i % cols));
  return { rows, cols, data, names: Array.from({ length: cols }, (_, j) => `f${j}`) };
}

Deno.test("Scaler.fit() reads the train rows only: changing other rows leaves the parameters alone", () => {
  const x = randomMatrix(3000, 5, 1);
  const ts = Float64Array.from({ length: 3000 }, (_, i) => i * 60_000);
  const s = split(ts);
  for (const method of ["standard", "robust"] as const) {
    const a = Scaler.fit(x, s.train, { method });
    const y = { ...x, data: x.data.slice() };
    for (const r of [...s.valid.rows, ...s.test.rows]) {
      for (let j = 0; j < 5; j++) y.data[r * 5 + j] = 1e6 * (j + 1);
    }
    for (let r = s.train.rows.at(-1)! + 1; r < s.valid.rows[0]; r++) y.data[r * 5] = -1e9; // embargo
    const b = Scaler.fit(y, s.train, { method });
    assert.deepEqual(b.toJSON(), a.toJSON(), method);
    // …but a change inside train does move them
    for (let k = 0; k < 500; k++) y.data[s.train.rows[k] * 5] = 1e6;
    assert.notDeepEqual(Scaler.fit(y, s.train, { method }).center[0], a.center[0]);
    assert.deepEqual(a.fitOn, {
      name: "train",
      start: s.train.start,
      end: s.train.end,
      rows: s.train.rows.length,
    });
  }
});

Deno.test("Scaler.transform() matches a hand case (standard and robust)", () => {
  // column a on train rows 0..4: 1, 2, 3, 4, 10 (row 5 NaN, row 6 is test)
  const x: Matrix = {
    rows: 7,
    cols: 1,
    names: ["a"],
    data: new Float32Array([1, 2, 3, 4, 10, NaN, 6]),
  };
  const train = seg("train", [0, 1, 2, 3, 4, 5]);
  const std = Scaler.fit(x, train);
  // mean 4, population variance (9 + 4 + 1 + 0 + 36) / 5 = 10
  assert.equal(std.center[0], 4);
  assert.ok(Math.abs(std.scale[0] - Math.sqrt(10)) < 1e-12);
  const z = std.transform(x);
  assert.ok(Math.abs(z.data[6] - 2 / Math.sqrt(10)) < 1e-6);
  assert.ok(Number.isNaN(z.data[5]));
  const rob = Scaler.fit(x, train, { method: "robust" });
  // median 3; q25 = 2, q75 = 4 (linear interpolation) → IQR 2
  assert.deepEqual([rob.center[0], rob.scale[0]], [3, 2]);
  assert.deepEqual([...rob.transform(x).data], [-1, -0.5, 0, 0.5, 3.5, NaN, 1.5]);
  const clipped = Scaler.fit(x, train, { method: "robust", clip: 3 }).transform(x);
  assert.equal(clipped.data[4], 3);
});

Deno.test("Scaler.fit() gives constant and empty columns scale 1 and flags them", () => {
  const x: Matrix = {
    rows: 3,
    cols: 3,
    names: ["k", "e", "v"],
    data: new Float32Array([7, NaN, 1, 7, NaN, 2, 7, NaN, 3]),
  };
  for (const method of ["standard", "robust"] as const) {
    const s = Scaler.fit(x, seg("train", [0, 1, 2]), { method });
    assert.deepEqual(s.constant, ["k", "e"]);
    assert.deepEqual([...s.scale.slice(0, 2)], [1, 1]);
    assert.deepEqual([s.center[0], s.center[1]], [7, 0]);
    assert.deepEqual([...s.transform(x).data.slice(0, 2)], [0, NaN]);
  }
});

Deno.test("Scaler.save() and Scaler.load() round-trip exactly, flags included", () => {
  const x = randomMatrix(500, 4, 3);
  const s = Scaler.fit(x, seg("train", Array.from({ length: 400 }, (_, i) => i)), {
    method: "robust",
  });
  const dir = Deno.makeTempDirSync();
  try {
    s.save(`${dir}/scaler.json`);
    const back = Scaler.load(`${dir}/scaler.json`);
    assert.deepEqual(back.toJSON(), s.toJSON());
    assert.deepEqual(back.transform(x).data, s.transform(x).data);
    assert.equal(back.forInfer, true);
    assert.equal(back.kind, "scaler");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  assert.throws(() => Scaler.fromJSON({ kind: "selection" }), /Invalid scaler JSON/);
});

Deno.test("Scaler.transform() refuses columns other than the fitted ones", () => {
  const x = randomMatrix(10, 2, 4);
  const s = Scaler.fit(x, seg("train", [0, 1, 2, 3]));
  assert.throws(
    () => s.transform({ ...x, names: ["f1", "f0"] }),
    {
      name: "RangeError",
      message:
        'Expected the 2 fitted columns in order but found 2 columns (column 0 is "f1", fitted "f0")',
    },
  );
});
