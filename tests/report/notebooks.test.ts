/**
 * The notebooks: committed thin and without outputs (always checked), and every one executes top
 * to bottom under the real Deno Jupyter kernel (`jupyter nbconvert --to notebook --execute`) with
 * no error output (skipped, with the reason printed, where jupyter or the deno kernel is absent).
 * The demo lake is built once, before the first notebook, and reused by all.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { JUPYTER_HINT, jupyterMissing, listNotebooks } from "../../lib/cli/notebooks.ts";
import { demoLake, REPO_ROOT } from "../../lib/report/demo.ts";

interface Cell {
  cell_type: string;
  source: string[] | string;
  outputs?: {
    output_type: string;
    name?: string;
    text?: string[] | string;
    ename?: string;
    evalue?: string;
    data?: Record<string, unknown>;
  }[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name?: string; language?: string } };
}

const EXPECTED = [
  "00_setup",
  "01_data",
  "02_rate_index_bqx",
  "03_features",
  "04_targets_and_splits",
  "05_models",
  "06_validation",
  "07_backtest",
  "08_report",
];
const notebooks = listNotebooks();
const read = (p: string) => JSON.parse(Deno.readTextFileSync(p)) as Notebook;
const text = (s: string[] | string | undefined) => (Array.isArray(s) ? s.join("") : s ?? "");
const nameOf = (p: string) => p.split("/").pop()!.replace(/\.ipynb$/, "");

Deno.test("notebooks/ holds one notebook per phase, 00_setup … 08_report", () => {
  assert.deepEqual(notebooks.map(nameOf), EXPECTED);
});

Deno.test("notebooks are committed for the deno kernel without outputs", () => {
  for (const p of notebooks) {
    const nb = read(p);
    assert.equal(nb.metadata.kernelspec?.name, "deno", p);
    assert.equal(nb.metadata.kernelspec?.language, "typescript", p);
    for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
      assert.deepEqual(c.outputs, [], `${p}: a code cell has committed outputs`);
      assert.equal(c.execution_count, null, `${p}: a code cell has an execution count`);
    }
  }
});

Deno.test("notebooks are thin: they import lib/, explain in markdown, keep cells short", () => {
  for (const p of notebooks) {
    const nb = read(p);
    const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => text(c.source));
    const md = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => text(c.source));
    assert.ok(code.some((s) => /from "\.\.\/lib\//.test(s)), `${p}: no import from ../lib/`);
    assert.ok(md.length >= 2 && md[0].startsWith("# "), `${p}: needs a title and explanations`);
    // the first code cell holds the one data setting (demo / real)
    assert.match(code[0], /const DATA: "demo" \| "real" \| undefined = undefined;/, p);
    for (const s of code) {
      assert.ok(s.split("\n").length <= 30, `${p}: a code cell is longer than a screen:\n${s}`);
    }
  }
});

const why = await jupyterMissing();
if (why) console.log(`skipping notebook execution: ${why} (${JUPYTER_HINT})`);

Deno.test({
  name: "every notebook executes under the Deno kernel with no error output",
  ignore: why !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await demoLake({ silent: true }); // built once here; the notebooks reuse it
    const out = Deno.makeTempDirSync({ prefix: "bqx-notebooks-" });
    try {
      for (const p of notebooks) {
        await t.step(nameOf(p), async () => {
          const res = await new Deno.Command("jupyter", {
            args: [
              "nbconvert",
              "--to",
              "notebook",
              "--execute",
              "--ExecutePreprocessor.timeout=300",
              "--ExecutePreprocessor.kernel_name=deno",
              "--output-dir",
              out,
              p,
            ],
            cwd: REPO_ROOT,
            stdout: "piped",
            stderr: "piped",
          }).output();
          const log = new TextDecoder().decode(res.stderr);
          assert.ok(res.success, `nbconvert failed for ${p}:\n${log.slice(-3000)}`);
          const nb = read(join(out, `${nameOf(p)}.ipynb`));
          const outputs = nb.cells.flatMap((c, i) => (c.outputs ?? []).map((o) => ({ i, o })));
          for (const { i, o } of outputs) {
            assert.notEqual(o.output_type, "error", `${p} cell ${i}: ${o.ename}: ${o.evalue}`);
            if (o.output_type === "stream" && o.name === "stderr") {
              assert.doesNotMatch(text(o.text), /Error\b|Uncaught/, `${p} cell ${i} stderr`);
            }
          }
          // every code cell ran, and the notebook showed at least one HTML table or chart
          for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
            assert.equal(typeof c.execution_count, "number", `${p}: a cell did not run`);
          }
          assert.ok(
            outputs.some(({ o }) => o.output_type === "display_data" && o.data?.["text/html"]),
            `${p}: displayed no HTML`,
          );
        });
      }
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  },
});
