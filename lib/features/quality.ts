/**
 * The feature part of the data-quality report: per feature the null fraction, min/max, and flags for
 * all-null pairs (a cross-pair input absent from the data), constant columns and ±∞ produced.
 * Written as JSON + Markdown under `reports/quality/features.*`.
 * @module
 */
import { atomicWrite } from "../data/lake.ts";
import type { FeatureQuality } from "./build.ts";
import type { FeatureSpec } from "./_types.ts";

/** Summary counts of a feature quality table. */
export interface FeatureQualitySummary {
  features: number;
  rows: number;
  /** Features null in every pair (inputs absent), with what they need. */
  allNull: { name: string; needs: string[] }[];
  /** Features null in some pairs only. */
  partlyNull: { name: string; pairs: string[] }[];
  constant: { name: string; pairs: string[] }[];
  nonFinite: { name: string; count: number }[];
  /** Mean null fraction over features. */
  meanNullFraction: number;
}

/** Summarize merged quality rows against the catalog (for `needs`). */
export function summarizeFeatureQuality(
  rows: FeatureQuality[],
  specs: FeatureSpec[],
  pairs: number,
): FeatureQualitySummary {
  const needs = new Map(specs.map((s) => [s.name, s.needs ?? []]));
  return {
    features: rows.length,
    rows: rows[0]?.rows ?? 0,
    allNull: rows.filter((r) => r.allNullPairs.length === pairs).map((r) => ({
      name: r.name,
      needs: needs.get(r.name) ?? [],
    })),
    partlyNull: rows.filter((r) => r.allNullPairs.length > 0 && r.allNullPairs.length < pairs)
      .map((r) => ({ name: r.name, pairs: r.allNullPairs })),
    constant: rows.filter((r) => r.constantPairs.length > 0).map((r) => ({
      name: r.name,
      pairs: r.constantPairs,
    })),
    nonFinite: rows.filter((r) => r.infinities > 0).map((r) => ({
      name: r.name,
      count: r.infinities,
    })),
    meanNullFraction: rows.reduce((s, r) => s + r.nulls / Math.max(1, r.rows), 0) /
      Math.max(1, rows.length),
  };
}

function md(rows: FeatureQuality[], s: FeatureQualitySummary): string {
  const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(6) : "—");
  const lines = [
    `# Feature quality`,
    ``,
    `${s.features} features, ${s.rows.toLocaleString("en-US")} rows; mean null fraction ${
      (s.meanNullFraction * 100).toFixed(2)
    }%.`,
    ``,
    `- all null in every pair (inputs absent, or undefined on this data such as zero volume): ${s.allNull.length}${
      s.allNull.length
        ? " — " + s.allNull.slice(0, 20).map((x) => x.name).join(", ") +
          (s.allNull.length > 20 ? ", …" : "")
        : ""
    }`,
    `- null in some pairs only: ${s.partlyNull.length}`,
    `- constant in some pair: ${s.constant.length}${
      s.constant.length ? " — " + s.constant.slice(0, 20).map((x) => x.name).join(", ") : ""
    }`,
    `- ±∞ produced (stored as null): ${s.nonFinite.length}`,
    ``,
    `| feature | family | null % | min | max | flags |`,
    `|---|---|---|---|---|---|`,
    ...rows.map((r) =>
      `| ${r.name} | ${r.family} | ${(100 * r.nulls / Math.max(1, r.rows)).toFixed(2)} | ${
        fmt(r.min)
      } | ${fmt(r.max)} | ${
        [
          r.allNullPairs.length ? `all-null: ${r.allNullPairs.join(" ")}` : "",
          r.constantPairs.length ? `constant: ${r.constantPairs.join(" ")}` : "",
          r.infinities ? `±∞ ×${r.infinities}` : "",
        ].filter(Boolean).join("; ")
      } |`
    ),
  ];
  return lines.join("\n") + "\n";
}

/** Write `<dir>/quality/features.json` and `.md`; returns the paths. */
export function writeFeatureQuality(
  dir: string,
  rows: FeatureQuality[],
  summary: FeatureQualitySummary,
): string[] {
  const json = `${dir}/quality/features.json`, mdPath = `${dir}/quality/features.md`;
  atomicWrite(
    json,
    JSON.stringify(
      { summary, features: rows },
      (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
      1,
    ) + "\n",
  );
  atomicWrite(mdPath, md(rows, summary));
  return [json, mdPath];
}
