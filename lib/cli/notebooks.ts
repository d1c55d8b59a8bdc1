/**
 * `deno task notebooks`: execute every notebook of `notebooks/` top to bottom under the Deno
 * Jupyter kernel and export each as HTML into `reports/notebooks/` (`jupyter nbconvert --to html
 * --execute`), one progress line per notebook, nonzero exit on the first failure (nbconvert stops
 * at a cell error and names it). The committed notebooks stay without outputs.
 *
 * The data is the demo lake unless `BQX_DATA=real` is set (see `lib/report/demo.ts`); it is built
 * once here before the notebooks run, so no notebook pays for it.
 *
 * Flags: `--only 03,05` (notebooks whose name starts with one of these), `--out reports/notebooks`,
 * `--timeout 600` (seconds per cell).
 * @module
 */
import { join } from "node:path";
import { intFlag, main, parseFlags } from "./_args.ts";
import { openData, REPO_ROOT } from "../report/demo.ts";

/** The notebooks, sorted by name (`notebooks/*.ipynb`). */
export function listNotebooks(dir: string = join(REPO_ROOT, "notebooks")): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb") && !e.name.startsWith("."))
    .map((e) => join(dir, e.name))
    .sort();
}

/** Install hint printed when jupyter or the deno kernel is missing. */
export const JUPYTER_HINT =
  "install Jupyter (Debian: apt-get install -y jupyter-nbconvert python3-nbclient jupyter-client " +
  "python3-ipykernel) and the Deno kernel (deno jupyter --install)";

/**
 * Why notebooks cannot run here, or undefined when `jupyter nbconvert` and a `deno` kernelspec
 * are available.
 */
export async function jupyterMissing(): Promise<string | undefined> {
  try {
    const nb = await new Deno.Command("jupyter", { args: ["nbconvert", "--version"] }).output();
    if (!nb.success) return "jupyter nbconvert does not run";
    const ks = await new Deno.Command("jupyter", { args: ["kernelspec", "list", "--json"] })
      .output();
    const specs = JSON.parse(new TextDecoder().decode(ks.stdout)).kernelspecs ?? {};
    if (!specs.deno) return "no Jupyter kernel named deno";
    const argv0 = specs.deno.spec?.argv?.[0];
    if (argv0 && argv0.includes("/")) {
      try {
        Deno.statSync(argv0);
      } catch {
        return `the deno kernel points at ${argv0}, which does not exist`;
      }
    }
    return undefined;
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? "jupyter is not installed" : String(e);
  }
}

/** Options of {@linkcode runNotebooks}. */
export interface RunNotebooksOptions {
  /** Notebook paths. @default {@linkcode listNotebooks} */
  notebooks?: readonly string[];
  /** Output directory of the HTML files. @default `<repo>/reports/notebooks` */
  out?: string;
  /** Seconds per cell. @default 600 */
  timeout?: number;
  /** Where progress lines go. @default console.error */
  log?: (line: string) => void;
}

/** One executed notebook. */
export interface NotebookResult {
  notebook: string;
  html: string;
  seconds: number;
}

/**
 * Execute the notebooks in order and export them as HTML; throws naming the first that fails
 * (with the tail of nbconvert's output).
 */
export async function runNotebooks(options: RunNotebooksOptions = {}): Promise<NotebookResult[]> {
  const {
    notebooks = listNotebooks(),
    out = join(REPO_ROOT, "reports", "notebooks"),
    timeout = 600,
    log = (s: string) => console.error(s),
  } = options;
  const why = await jupyterMissing();
  if (why) throw new Error(`Cannot run notebooks: ${why}; ${JUPYTER_HINT}`);
  Deno.mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const data = await openData({ silent: false });
  log(`data ready: ${data.description} (${data.seconds.toFixed(1)}s)`);
  const results: NotebookResult[] = [];
  for (const [i, nb] of notebooks.entries()) {
    const name = nb.split("/").pop()!.replace(/\.ipynb$/, "");
    log(`[${i + 1}/${notebooks.length}] ${name} …`);
    const t = performance.now();
    const res = await new Deno.Command("jupyter", {
      args: [
        "nbconvert",
        "--to",
        "html",
        "--execute",
        `--ExecutePreprocessor.timeout=${timeout}`,
        "--ExecutePreprocessor.kernel_name=deno",
        "--output-dir",
        out,
        nb,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - t) / 1e3;
    if (!res.success) {
      const tail = new TextDecoder().decode(res.stderr).split("\n").slice(-25).join("\n");
      throw new Error(`Notebook ${name} failed after ${seconds.toFixed(1)}s:\n${tail}`);
    }
    const html = join(out, `${name}.html`);
    results.push({ notebook: nb, html, seconds });
    log(`[${i + 1}/${notebooks.length}] ${name} ✓ ${seconds.toFixed(1)}s → ${html}`);
  }
  log(`${results.length} notebooks in ${((performance.now() - t0) / 1e3).toFixed(1)}s → ${out}`);
  return results;
}

if (import.meta.main) {
  await main(async () => {
    const f = parseFlags({ only: "string", out: "string", timeout: "string" });
    let notebooks = listNotebooks();
    if (f.only) {
      const keys = f.only.split(",").map((s) => s.trim()).filter(Boolean);
      notebooks = notebooks.filter((p) => keys.some((k) => p.split("/").pop()!.startsWith(k)));
      if (notebooks.length === 0) {
        throw new RangeError(`Invalid --only "${f.only}": no notebook name starts with it`);
      }
    }
    const timeout = intFlag("timeout", f.timeout, 600);
    if (!(timeout > 0)) throw new RangeError(`Invalid --timeout ${timeout}: expected > 0`);
    await runNotebooks({ notebooks, out: f.out, timeout });
  });
}
