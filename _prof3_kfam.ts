import { fixture } from "./tests/features/_fixture.ts";
import * as K from "./lib/features/_kernels.ts";
const s = fixture({ pairs: ["eurusd"], months: "2024-01..2024-06", rows: 300000 }).series.get("eurusd")!;
const n = s.n;
const r = K.logReturn(s.close, 1);
const v20 = K.rollingStd(r, 20);
function T(label: string, f: () => unknown) {
  let best = Infinity;
  for (let i = 0; i < 9; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); }
  console.log(label.padEnd(20), (best * 1e6 / n).toFixed(2), "ns/row");
}
const pct = new Float64Array(n), ter = new Float64Array(n);
T("rank v20 into", () => K.rollingRankInto(v20, 1440, 0, pct, ter));
T("rank v20 pct only", () => K.rollingRankInto(v20, 1440, 0, pct, null));
T("rank vol", () => K.rollingRankInto(s.volume, 1440, 0, pct, ter));
T("rank v20 from n-5000", () => K.rollingRankInto(v20, 1440, n - 5000, pct, ter));
