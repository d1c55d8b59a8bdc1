/**
 * Distribution tails for the tests of `lib/eval/` (never re-exported): the Student-t and the
 * standard normal upper tail, written out rather than table-based, so that small p-values keep
 * their relative precision (`simple-statistics`' `cumulativeStdNormalProbability` reads a
 * 2-decimal table, too coarse for a p-value).
 *
 * - ln Γ: Lanczos approximation (g = 7, 9 terms), ~1e-15 relative.
 * - Regularized incomplete beta I_x(a, b): the continued fraction of Numerical Recipes (`betacf`,
 *   modified Lentz), evaluated on the side of the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it
 *   converges fast.
 * - Student-t upper tail P(T > t) = ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0.
 * - Normal upper tail P(Z > z) = ½·Q(½, z²/2) (Q the regularized upper incomplete gamma, by its
 *   continued fraction for z²/2 > 1.5 and its series otherwise).
 * @module
 */

const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16, TINY = 1e-300;

/** Continued fraction of I_x(a, b) (modified Lentz); converges fast for x < (a+1)/(a+b+2). */
function betaCf(a: number, b: number, x: number): number {
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1, d = 1 - qab * x / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  const maxIt = 10_000 + 20 * Math.ceil(Math.sqrt(Math.max(a, b)));
  for (let m = 1; m <= maxIt; m++) {
    const m2 = 2 * m;
    let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** ln Γ(½) = ½ ln π. */
const LN_GAMMA_HALF = 0.5 * Math.log(Math.PI);

/**
 * ln Γ(a + ½) − ln Γ(a). For a ≥ 10 from the difference of Stirling series (with log1p), which
 * keeps full precision where two large ln Γ values would cancel (ν in the millions).
 */
function lnGammaHalfRatio(a: number): number {
  if (a < 10) return lnGamma(a + 0.5) - lnGamma(a);
  const s = (z: number) => {
    const z2 = z * z;
    return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / (1680 * z2)) / z2) / z2) / z;
  };
  return 0.5 * Math.log(a) + (a * Math.log1p(0.5 / a) - 0.5) + (s(a + 0.5) - s(a));
}

/** P(T > t) for Student's t with `df` degrees of freedom (df > 0; Infinity = normal). */
export function studentTUpper(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (df === Infinity) return normalUpper(t);
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  // x = ν/(ν + t²) loses t² against ν when ν ≫ t²; 1 − x = t²/(ν + t²) is computed directly.
  const t2 = t * t;
  const x = df / (df + t2), oneMinusX = t2 / (df + t2);
  const a = df / 2, b = 0.5;
  // I_x(a, ½), on the side of the symmetry where the fraction converges; (1 − x) enters
  // directly, so no 1 − (1 − tiny) cancels. Front factor x^a (1−x)^½ / B(a, ½).
  const front = Math.exp(
    lnGammaHalfRatio(a) - LN_GAMMA_HALF + a * Math.log1p(-oneMinusX) + b * Math.log(oneMinusX),
  );
  const tail2 = x < (a + 1) / (a + b + 2) // = I_x(a, ½) = P(|T| > |t|)
    ? front * betaCf(a, b, x) / a
    : 1 - front * betaCf(b, a, oneMinusX) / b;
  return t >= 0 ? tail2 / 2 : 1 - tail2 / 2;
}

/** Regularized upper incomplete gamma Q(a, x). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnFront = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) { // series for P, then Q = 1 − P
    let sum = 1 / a, del = sum, ap = a;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  let b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(lnFront) * h;
}

/** P(Z > z) for the standard normal. */
export function normalUpper(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 1 - normalUpper(-z);
  return 0.5 * gammaQ(0.5, z * z / 2);
}
