/**
 * The BQX universe (SPEC §1): 8 currencies in market-convention priority, the 28 pairs they form
 * (the earlier currency is the base), and the 56 three-currency triangles.
 *
 * Pairs are lower case everywhere (`eurusd`). {@linkcode parsePair} normalises loose input
 * (`EURUSD`, `EUR/USD`, `DAT_ASCII_EURUSD_M1_2018.csv`) and rejects anything outside the universe.
 *
 * @example
 * ```ts
 * import { PAIRS, pairFromFileName } from "./pairs.ts";
 * import assert from "node:assert/strict";
 * assert.equal(PAIRS.length, 28);
 * assert.equal(pairFromFileName("DAT_ASCII_EURUSD_M1_201803.csv.gz"), "eurusd");
 * ```
 * @module
 */

/** The 8 currencies, in priority order (earlier = base of a pair). */
export const CURRENCIES = ["eur", "gbp", "aud", "nzd", "usd", "cad", "chf", "jpy"] as const;
/** One of the 8 currencies. */
export type Currency = typeof CURRENCIES[number];

/** The 28 pairs in SPEC order: for each base in priority order, each later quote. */
export const PAIRS: readonly string[] = CURRENCIES.flatMap((b, i) =>
  CURRENCIES.slice(i + 1).map((q) => `${b}${q}`)
);

/** Base and quote currency of a pair. */
export function legs(pair: string): [Currency, Currency] {
  const p = parsePair(pair);
  return [p.slice(0, 3) as Currency, p.slice(3) as Currency];
}

/** All 56 triangles as sorted currency triples. */
export const TRIANGLES: readonly [Currency, Currency, Currency][] = (() => {
  const out: [Currency, Currency, Currency][] = [];
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j < 8; j++) {
      for (let k = j + 1; k < 8; k++) out.push([CURRENCIES[i], CURRENCIES[j], CURRENCIES[k]]);
    }
  }
  return out;
})();

/**
 * Normalise a pair name: lower case, separators removed; throws when it is not one of the 28.
 * @param name e.g. "EURUSD", "eur/usd", "eur_usd"
 * @returns the canonical lower-case pair
 */
export function parsePair(name: string): string {
  const p = String(name).toLowerCase().replace(/[^a-z]/g, "");
  if (!PAIRS.includes(p)) {
    throw new RangeError(
      `Unknown pair "${name}": expected one of the 28 pairs (${PAIRS.join(" ")})`,
    );
  }
  return p;
}

/**
 * Find the pair named inside a file name (`EURUSD.csv.gz`, `DAT_ASCII_EURUSD_M1_2018.csv`,
 * `eurusd_2024.parquet`). Returns undefined when none of the 28 pairs appears.
 */
export function pairFromFileName(fileName: string): string | undefined {
  const base = fileName.split(/[\\/]/).pop()!.toLowerCase();
  const tokens = base.split(/[^a-z]+/).filter(Boolean);
  for (const t of tokens) if (PAIRS.includes(t)) return t;
  for (const p of PAIRS) if (base.includes(p)) return p;
  return undefined;
}

/**
 * Expand a `--pairs` argument: "all", a comma list, or an array.
 * @example
 * ```ts
 * import { resolvePairs } from "./pairs.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(resolvePairs("EURUSD,usdjpy"), ["eurusd", "usdjpy"]);
 * ```
 */
export function resolvePairs(spec: string | readonly string[] | undefined): string[] {
  if (spec === undefined || spec === "all") return [...PAIRS];
  const list = typeof spec === "string" ? spec.split(",") : [...spec];
  return list.map((s) => s.trim()).filter(Boolean).map(parsePair);
}
