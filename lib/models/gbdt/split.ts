/**
 * Best-split search over a node's histogram (issue 4 §3; XGBoost's exact gain on binned data).
 * For a split of a node with sums (G, H) into (G_L, H_L) and (G_R, H_R), the gain in the
 * second-order objective with L2 leaf penalty λ is
 *
 *   gain = G_L²/(H_L + λ) + G_R²/(H_R + λ) − G²/(H + λ)
 *
 * (XGBoost's `loss_chg`, without the ½). Each feature is scanned once over its value bins; where the
 * node has missing values both default directions are tried (missing rows join the left or the
 * right child), and "missing vs. present" alone is a candidate too. Both children must keep
 * ΣH ≥ `minChildWeight` (with unit hessians: that many rows). Ties keep the first candidate met
 * (lowest feature, lowest bin, missing-right first), so the result does not depend on how features
 * are spread over threads. Without missing values in the node, missing rows of later data go to the
 * heavier child.
 *
 * @example
 * ```ts
 * import { findBestSplit, newSplit } from "./split.ts";
 * import { histLayout } from "./histogram.ts";
 * import assert from "node:assert/strict";
 * // one feature, 2 value bins: bin 0 holds 2 rows with G = −2, bin 1 holds 2 rows with G = +2
 * const layout = histLayout(Int32Array.of(0), Uint16Array.of(2));
 * const hist = Float64Array.of(-2, 2, 2, 2, 0, 0);
 * const best = newSplit();
 * findBestSplit(hist, layout, 0, 4, { lambda: 0, minChildWeight: 1 }, null, best);
 * assert.deepEqual([best.feature, best.bin, best.gain], [0, 0, 4]); // 4/2 + 4/2 − 0
 * ```
 * @module
 */
import type { HistLayout } from "./histogram.ts";

/** A split candidate: rows with bin ≤ `bin` go left, missing rows follow `defaultLeft`. */
export interface Split {
  /** Gain (see module doc); −∞ when no valid split exists. */
  gain: number;
  /** Global feature id, −1 when none. */
  feature: number;
  /** Last value bin sent left. */
  bin: number;
  /** Whether missing values go left. */
  defaultLeft: boolean;
  /** ΣG of the left child. */
  GL: number;
  /** ΣH of the left child. */
  HL: number;
}

/** Split-search parameters. */
export interface SplitParams {
  /** L2 penalty on leaf values (XGBoost `lambda`). */
  lambda: number;
  /** Minimum ΣH in each child (XGBoost `min_child_weight`). */
  minChildWeight: number;
}

/** An empty candidate (gain −∞). */
export function newSplit(): Split {
  return { gain: -Infinity, feature: -1, bin: 0, defaultLeft: false, GL: 0, HL: 0 };
}

const EPS = 1e-9;

/**
 * Improve `best` with the best split of a node's histogram over the layout's features.
 * @param hist node histogram (see `histogram.ts`)
 * @param layout its feature layout
 * @param G node ΣG
 * @param H node ΣH
 * @param params λ and min child weight
 * @param mask optional per-global-feature 0/1: only features with 1 are candidates (column sampling by node)
 * @param best updated in place when a better candidate is found
 */
export function findBestSplit(
  hist: Float64Array,
  layout: HistLayout,
  G: number,
  H: number,
  params: SplitParams,
  mask: Uint8Array | null,
  best: Split,
): void {
  const { lambda } = params;
  const mcw = Math.max(params.minChildWeight, EPS);
  const parent = (G * G) / (H + lambda);
  const { features, counts, offsets } = layout;
  for (let i = 0; i < features.length; i++) {
    const f = features[i];
    if (mask && !mask[f]) continue;
    const k = counts[i], o = offsets[i] * 2;
    const mG = hist[o + 2 * k], mH = hist[o + 2 * k + 1];
    const hasMissing = mH > 0;
    let GL = 0, HL = 0;
    const last = hasMissing ? k : k - 1; // bin k−1 as a threshold only separates missing from present
    for (let s = 0; s < last; s++) {
      GL += hist[o + 2 * s];
      HL += hist[o + 2 * s + 1];
      // missing → right
      let HR = H - HL;
      if (HL >= mcw && HR >= mcw) {
        const GR = G - GL;
        const gain = (GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - parent;
        if (gain > best.gain) {
          best.gain = gain, best.feature = f, best.bin = s, best.GL = GL, best.HL = HL;
          best.defaultLeft = !hasMissing && HL >= HR;
        }
      }
      // missing → left
      if (hasMissing && s < k - 1) {
        const GLm = GL + mG, HLm = HL + mH;
        HR = H - HLm;
        if (HLm >= mcw && HR >= mcw) {
          const GR = G - GLm;
          const gain = (GLm * GLm) / (HLm + lambda) + (GR * GR) / (HR + lambda) - parent;
          if (gain > best.gain) {
            best.gain = gain, best.feature = f, best.bin = s, best.GL = GLm, best.HL = HLm;
            best.defaultLeft = true;
          }
        }
      }
    }
  }
}

/**
 * Whether candidate `a` beats `b` (higher gain; on a tie, the lower feature id) — the merge rule
 * for results found on different feature blocks.
 */
export function better(a: Split, b: Split): boolean {
  return a.gain > b.gain ||
    (a.gain === b.gain && a.feature >= 0 && (b.feature < 0 || a.feature < b.feature));
}
