/**
 * Readable HTML tables from arrays of records, for the reports and notebooks: every text escaped,
 * numbers formatted (4 significant digits by default, NaN / null as "–"), numeric cells
 * right-aligned and carrying their exact value in `data-value` (so a reader — or a test — can
 * take the number back without rounding), and optionally the best value of a column highlighted
 * (`class="best"`; "max" for R², hit rate, Sharpe; "min" for errors and p-values).
 *
 * @example
 * ```ts
 * import { htmlTable } from "./tables.ts";
 * import assert from "node:assert/strict";
 * const html = htmlTable(
 *   [{ model: "<ridge>", r2: 0.0123456 }, { model: "gbdt", r2: NaN }],
 *   { columns: [{ key: "model" }, { key: "r2", label: "R²", best: "max" }] },
 * );
 * assert.ok(html.includes("&lt;ridge&gt;"));
 * assert.ok(html.includes('<td class="num best" data-value="0.0123456">0.01235</td>'));
 * assert.ok(html.includes('<td class="num" data-value="NaN">–</td>'));
 * ```
 * @module
 */
import { escapeHtml, formatNumber, jsonNaN, MISSING, type NumberFormat } from "./_html.ts";

/** One column of {@linkcode htmlTable}. */
export interface TableColumn {
  /** Record key. */
  key: string;
  /** Header text (escaped). @default key */
  label?: string;
  /** Number format. @default 4 significant digits */
  format?: NumberFormat;
  /** Highlight the largest or smallest finite value of the column. @default none */
  best?: "max" | "min";
  /** Header tooltip (escaped). @default none */
  title?: string;
}

/** Options of {@linkcode htmlTable}. */
export interface TableOptions {
  /** Columns in order. @default every key of the records, in first-seen order */
  columns?: readonly TableColumn[];
  /** Caption above the table (escaped). @default none */
  caption?: string;
  /** A class per row (e.g. "baseline"). @default none */
  rowClass?: (record: Record<string, unknown>, index: number) => string | undefined;
  /** Class of the `<table>`. @default none */
  className?: string;
}

/** The keys of the records, in first-seen order. */
export function recordKeys(records: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function bestOf(records: readonly Record<string, unknown>[], col: TableColumn): number {
  let best = NaN;
  for (const r of records) {
    const v = r[col.key];
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    if (best !== best || (col.best === "max" ? v > best : v < best)) best = v;
  }
  return best;
}

function cell(v: unknown, col: TableColumn, best: number): string {
  if (typeof v === "number") {
    const cls = col.best && Number.isFinite(v) && v === best ? "num best" : "num";
    return `<td class="${cls}" data-value="${String(v)}">${
      escapeHtml(formatNumber(v, col.format))
    }</td>`;
  }
  if (v === null || v === undefined) return `<td class="num" data-value="">${MISSING}</td>`;
  if (typeof v === "boolean") return `<td>${v ? "yes" : "no"}</td>`;
  if (typeof v === "string") return `<td>${escapeHtml(v)}</td>`;
  return `<td>${escapeHtml(JSON.stringify(v, jsonNaN))}</td>`;
}

/**
 * An HTML `<table>` of records.
 * @param records one object per row (numbers, strings, booleans; other values as JSON)
 * @param options columns (label, format, best highlight), caption, row classes
 * @returns the table markup
 * @example
 * ```ts
 * import { htmlTable } from "./tables.ts";
 * import assert from "node:assert/strict";
 * const html = htmlTable([{ mae: 2 }, { mae: 1 }], { columns: [{ key: "mae", best: "min" }] });
 * assert.equal(html.match(/class="num best"/g)?.length, 1);
 * assert.ok(html.includes('data-value="1">1<'));
 * ```
 */
export function htmlTable(
  records: readonly Record<string, unknown>[],
  options: TableOptions = {},
): string {
  const { caption, rowClass, className } = options;
  const columns: readonly TableColumn[] = options.columns ??
    recordKeys(records).map((key) => ({ key }));
  const bests = columns.map((c) => (c.best ? bestOf(records, c) : NaN));
  const head = columns.map((c) =>
    `<th${c.title ? ` title="${escapeHtml(c.title)}"` : ""}>${escapeHtml(c.label ?? c.key)}</th>`
  ).join("");
  const body = records.map((r, i) => {
    const cls = rowClass?.(r, i);
    const cells = columns.map((c, j) => cell(r[c.key], c, bests[j])).join("");
    return `<tr${cls ? ` class="${escapeHtml(cls)}"` : ""}>${cells}</tr>`;
  }).join("\n");
  return `<table${className ? ` class="${escapeHtml(className)}"` : ""}>${
    caption ? `<caption>${escapeHtml(caption)}</caption>` : ""
  }<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/**
 * Parse CSV text with a header row into records (numbers where a field parses as one, "" → NaN
 * in numeric-looking columns is not guessed: empty stays ""); quoted fields with `""` escapes.
 * Used for optional CSV artifacts (e.g. a walk-forward `folds.csv`).
 * @param text CSV text
 * @returns one record per data row
 * @example
 * ```ts
 * import { parseCsv } from "./tables.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCsv('a,b\n1,"x,y"\n'), [{ a: 1, b: "x,y" }]);
 * ```
 */
export function parseCsv(text: string): Record<string, unknown>[] {
  const rows: string[][] = [];
  let row: string[] = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [head, ...data] = rows.filter((r) => r.length > 1 || r[0] !== "");
  if (!head) return [];
  return data.map((r) =>
    Object.fromEntries(head.map((k, j) => {
      const s = r[j] ?? "";
      const n = s.trim() === "" ? NaN : Number(s);
      return [k, Number.isNaN(n) ? s : n];
    }))
  );
}
