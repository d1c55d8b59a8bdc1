import { lnGamma, normalUpper, studentTUpper } from "../../lib/eval/_distributions.ts";
import assert from "node:assert/strict";
import { close } from "./_fixture.ts";

Deno.test("studentTUpper() equals the closed forms for 1 and 2 degrees of freedom", () => {
  for (const t of [-5, -1, -0.1, 0, 0.3, 1, 2.5, 10, 1e3]) {
    close(studentTUpper(t, 1), 0.5 - Math.atan(t) / Math.PI, 1e-13, `df 1, t ${t}`);
    close(studentTUpper(t, 2), 0.5 - t / (2 * Math.sqrt(2 + t * t)), 1e-13, `df 2, t ${t}`);
  }
});

Deno.test("studentTUpper() reproduces table quantiles and keeps small tails relative", () => {
  // two-sided 5 % critical values t(0.975, df) from standard tables
  for (
    const [df, q] of [[5, 2.570581835636314], [10, 2.228138851986274], [30, 2.042272456301238]]
  ) {
    close(studentTUpper(q, df), 0.025, 1e-12, `df ${df}`);
  }
  // scipy.stats.t.sf(8, 20), t.sf(3, 1e5)
  close(studentTUpper(8, 20), 5.828314135744255e-08, 1e-11);
  close(studentTUpper(3, 1e5), 0.0013502304420323617, 1e-10);
  assert.equal(studentTUpper(Infinity, 3), 0);
  assert.ok(Number.isNaN(studentTUpper(NaN, 3)) && Number.isNaN(studentTUpper(1, 0)));
});

Deno.test("normalUpper() matches known values, deep in the tail too", () => {
  close(normalUpper(0), 0.5, 1e-15);
  close(normalUpper(1.959963984540054), 0.025, 1e-13);
  close(normalUpper(-1), 0.8413447460685429, 1e-14);
  close(normalUpper(8), 6.22096057427174e-16, 1e-12); // scipy.stats.norm.sf(8)
  close(studentTUpper(2, Infinity), normalUpper(2), 1e-15);
});

Deno.test("lnGamma() equals log factorials and ln Γ(½)", () => {
  let f = 0;
  for (let k = 1; k < 30; k++) {
    close(lnGamma(k), f, 1e-13, `Γ(${k})`);
    f += Math.log(k);
  }
  close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
});
