import { regression } from "../../lib/features/regression.ts";
import { computePair } from "../../lib/features/compute.ts";
import assert from "node:assert/strict";
import { REG_WINDOWS, rollingQuadFit } from "../../lib/features/_quadFit.ts";
import { termCovariance } from "../../lib/features/termCovariance.ts";
import type { PairSeries } from "../../lib/features/_types.ts";
import { sliceSeries } from "../../lib/features/series.ts";
import { fixture, perturbAfter, runFamily } from "./_fixture.ts";

/** The three terms of a direct least-squares fit over rows t−w+1..t (null with a NaN). */
function directTerms(y: Float64Array, t: number, w: number): [number, number, number] | null {
  if (t < w - 1) return null;
  const m = (w - 1) / 2;
  let mean = 0;
  for (let j = t - w + 1; j <= t; j++) {
    if (Number.isNaN(y[j])) return null;
    mean += y[j];
  }
  mean /= w;
  // normal equations on z = (x − m)/m and y − mean, Gaussian elimination with partial pivoting
  const S = [0, 0, 0, 0, 0], B = [0, 0, 0];
  for (let x = 0; x < w; x++) {
    const z = (x - m) / m, d = y[t - w + 1 + x] - mean;
    let p = 1;
    for (let k = 0; k < 5; k++) {
      S[k] += p;
      if (k < 3) B[k] += p * d;
      p *= z;
    }
  }
  const M = [[S[0], S[1], S[2], B[0]], [S[1], S[2], S[3], B[1]], [S[2], S[3], S[4], B[2]]];
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < 3; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k < 4; k++) M[r][k] -= f * M[c][k];
    }
  }
  const co = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = M[r][3];
    for (let k = r + 1; k < 3; k++) s -= M[r][k] * co[k];
    co[r] = s / M[r][r];
  }
  const [c0, c1, c2] = co, xe = w - 1;
  return [(c2 / (m * m)) * xe * xe, (c1 / m - (2 * c2) / m) * xe, mean + c0 - c1 + c2];
}

/** Direct sample covariance of x and y over rows t−w+1..t (NaN with a NaN or warm-up). */
function directCov(x: Float64Array, y: Float64Array, t: number, w: number): number {
  if (t < w - 1) return NaN;
  let mx = 0, my = 0;
  for (let j = t - w + 1; j <= t; j++) {
    mx += x[j];
    my += y[j];
  }
  mx /= w;
  my /= w;
  let s = 0;
  for (let j = t - w + 1; j <= t; j++) s += (x[j] - mx) * (y[j] - my);
  return s / (w - 1);
}

/** Direct sample std over rows t−w+1..t. */
function directStd(x: Float64Array, t: number, w: number): number {
  return Math.sqrt(Math.max(0, directCov(x, x, t, w)));
}

const run = (s: PairSeries, from = 0) => runFamily(termCovariance, s, from);

function close(a: number, b: number, tol: number, what: string): void {
  if (Number.isNaN(b)) {
    assert.ok(Number.isNaN(a), `${what}: expected NaN, found ${a}`);
    return;
  }
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
}

const { series } = fixture();
const eurusd = series.get("eurusd")!;
const SUFFIX = ["quad_lin", "quad_const", "lin_const"] as const;
const PAIRS: [number, number][] = [[0, 1], [0, 2], [1, 2]];

Deno.test("termCovariance equals the direct covariance of the kernel's terms", () => {
  const cols = run(eurusd);
  for (const [domain, y] of [["idx", eurusd.close], ["bqx", eurusd.bqx]] as const) {
    const terms = REG_WINDOWS.map((w) => {
      const f = rollingQuadFit(y, w);
      return [f.quadTerm, f.linTerm, f.a0];
    });
    const check = (name: string, x: Float64Array, z: Float64Array) => {
      const got = cols.get(name)!;
      for (let t = 0; t < eurusd.n; t++) {
        const want = directCov(x, z, t, 60);
        const tol = 1e-9 * directStd(x, t, 60) * directStd(z, t, 60) + 1e-300;
        close(got[t], want, tol, `${name} t=${t}`);
      }
    };
    REG_WINDOWS.forEach((w, i) => {
      PAIRS.forEach(([a, b], k) => {
        check(`${domain}_tcov_${w}_${SUFFIX[k]}`, terms[i][a], terms[i][b]);
      });
      if (i > 0) {
        check(`${domain}_tcov_lin_${REG_WINDOWS[i - 1]}_${w}`, terms[i - 1][1], terms[i][1]);
      }
    });
  }
});

Deno.test("termCovariance equals covariances of terms from a direct least-squares fit", () => {
  const s = sliceSeries(eurusd, 0, 2500);
  const cols = run(s);
  for (const [domain, y] of [["idx", s.close], ["bqx", s.bqx]] as const) {
    const terms = REG_WINDOWS.map((w) => {
      const q = new Float64Array(s.n).fill(NaN), l = q.slice(), c = q.slice();
      for (let t = 0; t < s.n; t++) {
        const r = directTerms(y, t, w);
        if (r) [q[t], l[t], c[t]] = r;
      }
      return [q, l, c];
    });
    const check = (name: string, x: Float64Array, z: Float64Array) => {
      const got = cols.get(name)!;
      for (let t = 0; t < s.n; t++) {
        const want = directCov(x, z, t, 60);
        // the two fits agree to ~1e-12 of the data scale: compare on the terms' own scale
        const tol = 1e-7 * directStd(x, t, 60) * directStd(z, t, 60) +
          1e-9 * (directStd(y, t, 60) ** 2 || 1e-300);
        close(got[t], want, tol, `${name} t=${t}`);
      }
    };
    REG_WINDOWS.forEach((w, i) => {
      PAIRS.forEach(([a, b], k) => {
        check(`${domain}_tcov_${w}_${SUFFIX[k]}`, terms[i][a], terms[i][b]);
      });
      if (i > 0) {
        check(`${domain}_tcov_lin_${REG_WINDOWS[i - 1]}_${w}`, terms[i - 1][1], terms[i][1]);
      }
    });
  }
});

Deno.test("termCovariance specs() match the columns written, warm-ups, no ±Infinity", () => {
  const specs = termCovariance.specs("eurusd", ["eurusd"]);
  const cols = run(eurusd);
  assert.deepEqual(specs.map((s) => s.name), [...cols.keys()]);
  assert.equal(new Set(specs.map((s) => s.name)).size, specs.length);
  assert.equal(specs.filter((s) => s.domain === "idx").length, 23);
  assert.equal(specs.filter((s) => s.domain === "bqx").length, 23);
  for (const name of ["idx_tcov_60_quad_lin", "bqx_tcov_630_lin_const", "bqx_tcov_lin_60_90"]) {
    assert.ok(cols.has(name), name);
  }
  for (const s of specs) {
    assert.match(s.name, /^(idx|bqx)_tcov_[a-z0-9_]+$/);
    assert.equal(s.family, "termCovariance");
    const a = cols.get(s.name)!;
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), s.name);
    let first = 0;
    while (first < a.length && Number.isNaN(a[first])) first++;
    assert.equal(first, s.warmup, s.name);
  }
});

Deno.test("termCovariance is causal: rows <= cut ignore perturbed later rows", () => {
  const base = run(eurusd);
  for (const cut of [900, 3001, 5500]) {
    const cols = run(perturbAfter(eurusd, eurusd.ts[cut], cut));
    for (const [name, a] of base) {
      const b = cols.get(name)!;
      for (let t = 0; t <= cut; t++) assert.ok(Object.is(a[t], b[t]), `${name} t=${t} cut=${cut}`);
    }
  }
});

Deno.test("termCovariance with from = n − 1 gives the same last row as from = 0", () => {
  const n = eurusd.n, all = run(eurusd), last = run(eurusd, n - 1);
  for (const [name, a] of all) assert.ok(Object.is(last.get(name)![n - 1], a[n - 1]), name);
  const tail = sliceSeries(eurusd, n - 800);
  const live = run(tail, tail.n - 1);
  for (const [name, a] of all) {
    const want = a[n - 1];
    close(live.get(name)![tail.n - 1], want, 1e-9 * Math.abs(want) + 1e-15, name);
  }
});

Deno.test("termCovariance on flat prices and zero volume gives finite values or NaN", () => {
  const n = 800;
  const flat = {
    ...sliceSeries(eurusd, 0, n),
    close: new Float64Array(n).fill(100),
    volume: new Float64Array(n),
    bqx: new Float64Array(n).map((_, i) => (i < 15 ? NaN : 0)),
  };
  const cols = run(flat);
  for (const [name, a] of cols) {
    for (const v of a) assert.ok(Number.isFinite(v) || Number.isNaN(v), name);
  }
  assert.equal(cols.get("idx_tcov_60_lin_const")![700], 0);
  assert.equal(cols.get("bqx_tcov_lin_390_630")![799], 0);
});

Deno.test("termCovariance reusing the regression family's published terms is bit-identical to fitting its own", () => {
  const { series: all } = fixture({ pairs: ["eurusd", "usdjpy"] });
  const s = all.get("eurusd")!;
  for (const from of [0, s.n - 1]) {
    const alone = computePair(s, { families: [termCovariance], from });
    const both = computePair(s, { families: [regression, termCovariance], from });
    const off = both.specs.findIndex((x) => x.family === "termCovariance");
    alone.specs.forEach((spec, j) => {
      assert.equal(both.specs[off + j].name, spec.name);
      const a = alone.columns[j], b = both.columns[off + j];
      for (let i = from; i < s.n; i++) {
        if (!Object.is(a[i], b[i])) {
          assert.fail(`${spec.name} row ${i} from ${from}: ${b[i]} vs ${a[i]}`);
        }
      }
    });
  }
});
