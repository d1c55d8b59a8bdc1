/**
 * lib/report/tables.ts and the number formatting of lib/report/_html.ts: escaping, NaN as "–",
 * exact values in data-value, best-per-column highlight (ties, NaN ignored), CSV parsing.
 * @module
 */
import assert from "node:assert/strict";
import { htmlTable, parseCsv } from "../../lib/report/tables.ts";
import { escapeHtml, formatNumber } from "../../lib/report/_html.ts";
import { readTables } from "./_fixture.ts";

Deno.test("htmlTable() escapes every text: names, headers, captions, JSON cells", () => {
  const html = htmlTable(
    [{ "<m>": `a"b'&<script>`, obj: { x: "<y>" } }],
    { caption: "<cap>" },
  );
  assert.ok(!html.includes("<script>") && !html.includes("<m>") && !html.includes("<cap>"));
  assert.ok(html.includes("&lt;script&gt;") && html.includes("&quot;") && html.includes("&#39;"));
  const [t] = readTables(html);
  assert.deepEqual(t.head, ["<m>", "obj"]);
  assert.equal(t.caption, "<cap>");
  assert.equal(t.rows[0][0].text, `a"b'&<script>`);
  assert.equal(t.rows[0][1].text, '{"x":"<y>"}');
});

Deno.test("htmlTable() formats numbers, shows NaN / null as – and keeps exact data-value", () => {
  const recs = [
    { v: 0.123456789, w: 12345678.9, n: 42, p: NaN, q: null },
    { v: -0.0000123, w: Infinity, n: -3, p: 0.5, q: 1 },
  ];
  const [t] = readTables(htmlTable(recs, {
    columns: [
      { key: "v" },
      { key: "w" },
      { key: "n" },
      { key: "p", format: { kind: "percent", digits: 1 } },
      { key: "q", format: { kind: "fixed", digits: 2 } },
    ],
  }));
  assert.deepEqual(t.rows.map((r) => r.map((c) => c.text)), [
    ["0.1235", "1.235e+7", "42", "–", "–"],
    ["-1.230e-5", "–", "-3", "50.0 %", "1.00"],
  ]);
  assert.equal(Number(t.rows[0][0].value), 0.123456789);
  assert.equal(Number(t.rows[1][0].value), -0.0000123);
  assert.equal(t.rows[0][3].value, "NaN");
  assert.equal(formatNumber(undefined), "–");
  assert.equal(formatNumber(0), "0");
});

Deno.test("htmlTable() highlights the best finite value per column, ties included", () => {
  const recs = [
    { m: "a", r2: 0.1, mae: 2 },
    { m: "b", r2: NaN, mae: 1 },
    { m: "c", r2: 0.1, mae: 3 },
    { m: "d", r2: -1, mae: 1 },
  ];
  const html = htmlTable(recs, {
    columns: [{ key: "m" }, { key: "r2", best: "max" }, { key: "mae", best: "min" }],
  });
  const best = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...m[1].matchAll(/<td class="([^"]*)"/g)].map((c) => c[1].includes("best"))
  );
  // rows a..d, numeric columns r2, mae
  assert.deepEqual(best.slice(1), [[true, false], [false, true], [true, false], [false, true]]);
});

Deno.test("escapeHtml() and parseCsv() handle quotes, commas, CRLF and empty fields", () => {
  assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  assert.deepEqual(parseCsv('fold,start,note\r\n1,2024-01-01,"a, ""b"""\r\n2,,x\r\n'), [
    { fold: 1, start: "2024-01-01", note: 'a, "b"' },
    { fold: 2, start: "", note: "x" },
  ]);
  assert.deepEqual(parseCsv(""), []);
});
