import { fixture } from "./tests/features/_fixture.ts";
import * as K from "./lib/features/_kernels.ts";
const s = fixture({ pairs: ["eurusd"], months: "2024-01..2024-06", rows: 300000 }).series.get("eurusd")!;
const n = s.n;
const r = K.logReturn(s.close, 1);
const v20 = K.rollingStd(r, 20);
function T(label: string, f: () => unknown) {
  let best = Infinity;
  for (let i = 0; i < 5; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); }
  console.log(label.padEnd(20), (best * 1e6 / n).toFixed(2), "ns/row");
}
function denseRanks(x: Float64Array): { rank: Int32Array; u: number } {
  const m = x.length;
  const bits = new Uint32Array(m * 2); // [low word, high word] per value (little-endian)
  bits.set(new Uint32Array(x.buffer, x.byteOffset, m * 2));
  let idx = new Uint32Array(m), tmp = new Uint32Array(m);
  let k = 0;
  for (let i = 0; i < m; i++) {
    if (x[i] !== x[i]) continue;
    const hi = bits[2 * i + 1];
    if (hi & 0x80000000) {
      bits[2 * i + 1] = ~hi >>> 0;
      bits[2 * i] = ~bits[2 * i] >>> 0;
    } else bits[2 * i + 1] = (hi | 0x80000000) >>> 0;
    idx[k++] = i;
  }
  const count = new Int32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1, shift = (pass & 1) * 16;
    count.fill(0);
    for (let j = 0; j < k; j++) count[(bits[2 * idx[j] + word] >>> shift) & 0xffff]++;
    let used = 0;
    for (let b = 0; b < 65536 && used < 2; b++) if (count[b]) used++;
    if (used < 2) continue; // this digit is the same for every value
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    for (let j = 0; j < k; j++) {
      const i = idx[j];
      tmp[count[(bits[2 * i + word] >>> shift) & 0xffff]++] = i;
    }
    [idx, tmp] = [tmp, idx];
  }
  const rank = new Int32Array(m);
  let u = 0, prev = NaN;
  for (let j = 0; j < k; j++) {
    const v = x[idx[j]];
    if (j === 0 || v !== prev) {
      u++;
      prev = v;
    }
    rank[idx[j]] = u;
  }
  return { rank, u };
}
T("denseRanks v20", () => denseRanks(v20));
T("denseRanks vol", () => denseRanks(s.volume));
const { rank, u } = denseRanks(v20);
console.log("u", u, n);
T("fenwick", () => {
  const w = 1440, m = n;
  const bit = new Int32Array(u + 1), count = new Int32Array(u + 1);
  let acc = 0;
  for (let i = 0; i < m; i++) {
    const ri = rank[i];
    if (ri) { count[ri]++; for (let k = ri; k <= u; k += k & -k) bit[k]++; }
    if (i >= w) { const ro = rank[i - w]; if (ro) { count[ro]--; for (let k = ro; k <= u; k += k & -k) bit[k]--; } }
    let less = 0;
    for (let k = ri - 1; k > 0; k -= k & -k) less += bit[k];
    acc += less + count[ri];
  }
  return acc;
});
