/**
 * Private HTML helpers of the report layer: escaping, number formatting (NaN as "–"), JSON
 * without NaN, and the self-contained page shell (inline CSS, no scripts, no external resources)
 * that `validationReport.ts` and `backtestReport.ts` wrap their sections in.
 *
 * Everything here is a pure function of its input so that the same run gives byte-identical
 * pages; the only varying field, the generation time, is passed in.
 * @module
 */

/** The placeholder shown for NaN, ±∞, null and undefined numbers. */
export const MISSING = "–";

const ESC: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escape text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

/** A number format: significant digits (default), a fixed number of decimals, percent or integer. */
export type NumberFormat =
  | { kind: "precision"; digits: number }
  | { kind: "fixed"; digits: number }
  | { kind: "percent"; digits: number }
  | { kind: "int" }
  | ((v: number) => string);

/**
 * Format a number for a table cell: NaN / ±∞ → "–"; integers as they are; otherwise `digits`
 * significant digits, switching to exponent notation below 1e−3 or from 1e6 in magnitude.
 * @param v the value
 * @param format a {@linkcode NumberFormat} @default 4 significant digits
 * @returns display text
 */
export function formatNumber(
  v: number | null | undefined,
  format: NumberFormat = { kind: "precision", digits: 4 },
): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  if (typeof format === "function") return format(v);
  switch (format.kind) {
    case "int":
      return String(Math.round(v));
    case "fixed":
      return v.toFixed(format.digits);
    case "percent":
      return `${(100 * v).toFixed(format.digits)} %`;
    default: {
      if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
      const a = Math.abs(v);
      if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(format.digits - 1);
      return v.toPrecision(format.digits);
    }
  }
}

/** JSON.stringify replacer: NaN / ±∞ → null (as `metrics.json` writes them). */
export function jsonNaN(_k: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** A number from JSON (null / missing / non-number → NaN). */
export function num(v: unknown): number {
  return typeof v === "number" ? v : NaN;
}

/** ISO-8601 UTC of an epoch-ms instant ("–" when not finite). */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : MISSING;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430;
  background: #fff; margin: 0 auto; padding: 16px 28px 48px; max-width: 1180px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d8dde6; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.meta, p.note { color: #4a5568; margin: 4px 0; }
p.note { font-size: 13px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; display: block;
  max-width: 100%; overflow-x: auto; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e6e9ef; text-align: left; white-space: nowrap; }
th { background: #f3f5f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; background: #e7f4ea; }
tr.baseline td { color: #4a5568; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 6px 0; }
dl.kv dt { font-weight: 600; color: #4a5568; }
dl.kv dd { margin: 0; font-family: ui-monospace, Menlo, monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
.flag { background: #fdecea; border-left: 4px solid #c53030; padding: 6px 10px; margin: 6px 0; }
.ok { background: #eaf6ee; border-left: 4px solid #2f855a; padding: 6px 10px; margin: 6px 0; }
.charts { display: flex; flex-wrap: wrap; gap: 12px 24px; }
figure.chart { margin: 6px 0 12px; }
figure.chart figcaption { font-size: 13px; font-weight: 600; margin-bottom: 2px; }
nav a { margin-right: 12px; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 12px; }
`;

/** Options of {@linkcode page}. */
export interface PageOptions {
  /** Page title (escaped). */
  title: string;
  /** Generation time, printed in the header. */
  generatedAt: Date;
  /** A line under the title (escaped). @default "" */
  subtitle?: string;
}

/**
 * A whole self-contained HTML document: inline CSS, the given body markup, no scripts.
 * @param body trusted markup (already escaped)
 * @param options title, generation time, subtitle
 * @returns the document text
 */
export function page(body: string, options: PageOptions): string {
  const { title, generatedAt, subtitle = "" } = options;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${subtitle ? `<p class="meta">${escapeHtml(subtitle)}</p>\n` : ""}<p class="meta">Generated ${
    escapeHtml(generatedAt.toISOString())
  }</p>
${body}
</body>
</html>
`;
}

/** `<dl>` of key → value pairs (values escaped). */
export function keyValues(entries: readonly [string, unknown][]): string {
  const items = entries.map(([k, v]) =>
    `<dt>${escapeHtml(k)}</dt><dd>${
      escapeHtml(typeof v === "string" ? v : JSON.stringify(v, jsonNaN))
    }</dd>`
  );
  return `<dl class="kv">${items.join("")}</dl>`;
}

/** A chart figure: caption (escaped) above trusted SVG markup. */
export function figure(caption: string, svg: string): string {
  return `<figure class="chart"><figcaption>${escapeHtml(caption)}</figcaption>${svg}</figure>`;
}

/** A lower-case, HTML-id-safe slug. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
