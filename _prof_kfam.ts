import { fixture } from "./tests/features/_fixture.ts";
import * as K from "./lib/features/_kernels.ts";
const rollingRank = K.rollingRank;
const s = fixture({ pairs: ["eurusd"], months: "2024-01..2024-06", rows: 300000 }).series.get("eurusd")!;
const n = s.n;
const r = K.logReturn(s.close, 1);
const v20 = K.rollingStd(r, 20);
const rows = new Float64Array(n); for (let t = 0; t < n; t++) rows[t] = t;
function T(label: string, f: () => unknown) {
  let best = Infinity;
  for (let i = 0; i < 9; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); }
  console.log(label.padEnd(20), (best * 1e6 / n).toFixed(2), "ns/row");
}
T("nanPrefix", () => K.nanPrefix(r));
T("alloc nan", () => new Float64Array(n).fill(NaN));
T("rollingMean20", () => K.rollingMean(r, 20));
T("rollingSum20", () => K.rollingSum(r, 20));
T("rollingStd20", () => K.rollingStd(r, 20));
T("rollingZ1440", () => K.rollingZ(v20, 1440));
T("rollingSkew20", () => K.rollingSkew(r, 20));
T("rollingCovCorr20", () => K.rollingCovCorr(rows, s.close, 20));
T("rollingMax14", () => K.rollingMax(s.high, 14));
T("ema26", () => K.ema(s.close, 26));
T("wilder14", () => K.wilder(s.close, 14));
T("rank v20", () => rollingRank(v20, 1440));
T("rank vol", () => rollingRank(s.volume, 1440));
{
  const x = v20; const m = x.length;
  T("radix sort only", () => {
    const bits = new Uint32Array(m * 2); bits.set(new Uint32Array(x.buffer, x.byteOffset, m * 2));
  });
  const sorted = new Float64Array(x);
  T("native sort", () => { const c = new Float64Array(x); c.sort(); });
}
