/**
 * The report pages in a real browser: headless Debian Chromium (`/usr/bin/chromium`; install with
 * `apt-get install -y chromium`) opens the validation and backtest pages of an in-memory run and
 * must log no console message at all (the pages have no scripts; an "Uncaught" error or any
 * `:CONSOLE` line fails), keep every chart `<svg>` in the rendered DOM (`--dump-dom`), and paint a
 * non-blank screenshot (PNG decoded here with node:zlib; luminance variance and the share of
 * non-white pixels). Negative controls check the detectors: a page with a script error is caught,
 * a blank page reads as blank. Skipped, with the reason printed, when Chromium is absent.
 * @module
 */
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { validationReport } from "../../lib/report/validationReport.ts";
import { backtestReport } from "../../lib/report/backtestReport.ts";
import { syntheticRun } from "./_fixture.ts";

const CHROMIUM = Deno.env.get("BQX_CHROMIUM") ?? "/usr/bin/chromium";
const present = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!present) {
  console.log(
    `chromium.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, ` +
      "or set BQX_CHROMIUM)",
  );
}

/** Run headless Chromium on a file with extra flags; stdout and the console lines of stderr. */
async function chromium(
  file: string,
  flags: string[],
  profile: string,
): Promise<{ code: number; stdout: string; console: string[] }> {
  const out = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--disable-gpu",
      "--no-sandbox",
      "--no-first-run",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      "--enable-logging=stderr",
      "--v=0",
      ...flags,
      `file://${file}`,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(90_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    console: stderr.split("\n").filter((l) => /:CONSOLE[:(]|Uncaught/.test(l)),
  };
}

/** Decoded 8-bit PNG: width, height, channels and the unfiltered pixel bytes. */
function decodePng(
  bytes: Uint8Array,
): { width: number; height: number; ch: number; px: Uint8Array } {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  assert.deepEqual([...bytes.subarray(0, 8)], sig, "PNG signature");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8, width = 0, height = 0, ch = 0;
  const idat: Uint8Array[] = [];
  while (pos < bytes.length) {
    const len = dv.getUint32(pos);
    const type = new TextDecoder().decode(bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      const depth = data[8], color = data[9], interlace = data[12];
      assert.equal(depth, 8, "bit depth");
      assert.equal(interlace, 0, "interlace");
      ch = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[color];
      assert.ok(ch, `color type ${color}`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * ch, px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)],
      line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= ch ? px[y * stride + x - ch] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= ch && y > 0 ? px[(y - 1) * stride + x - ch] : 0;
      let p: number;
      switch (f) {
        case 0:
          p = 0;
          break;
        case 1:
          p = a;
          break;
        case 2:
          p = b;
          break;
        case 3:
          p = (a + b) >> 1;
          break;
        case 4: {
          const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`PNG filter ${f} on row ${y}`);
      }
      px[y * stride + x] = (line[x] + p) & 255;
    }
  }
  return { width, height, ch, px };
}

/** Luminance variance and the share of pixels darker than near-white. */
function inkStats(png: { width: number; height: number; ch: number; px: Uint8Array }) {
  const n = png.width * png.height;
  let s = 0, ss = 0, ink = 0;
  for (let i = 0; i < n; i++) {
    const o = i * png.ch;
    const l = png.ch >= 3
      ? 0.299 * png.px[o] + 0.587 * png.px[o + 1] + 0.114 * png.px[o + 2]
      : png.px[o];
    s += l;
    ss += l * l;
    if (l < 235) ink++;
  }
  const mean = s / n;
  return { variance: ss / n - mean * mean, ink: ink / n };
}

Deno.test({
  name: "Chromium renders both report pages: no console errors, charts in the DOM, non-blank",
  ignore: !present,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "bqx_chromium_" });
    try {
      const profile = `${dir}/profile`;
      // negative controls: a script error is seen; a blank page is blank
      Deno.writeTextFileSync(
        `${dir}/bad.html`,
        "<!DOCTYPE html><html><body><p>x</p><script>notDefined();</script></body></html>",
      );
      const bad = await chromium(`${dir}/bad.html`, ["--dump-dom"], profile);
      assert.ok(bad.console.some((l) => l.includes("Uncaught")), "the console detector works");
      Deno.writeTextFileSync(`${dir}/blank.html`, "<!DOCTYPE html><html><body></body></html>");
      await chromium(
        `${dir}/blank.html`,
        [`--screenshot=${dir}/blank.png`, "--window-size=400,300"],
        profile,
      );
      const blank = inkStats(decodePng(Deno.readFileSync(`${dir}/blank.png`)));
      assert.ok(blank.variance < 1 && blank.ink === 0, `blank page: ${JSON.stringify(blank)}`);

      const { run, predictions } = syntheticRun(21);
      const now = new Date(Date.UTC(2024, 0, 1));
      const pages = {
        validation: validationReport(run, { now, predictions }).html,
        backtest: backtestReport(run, { now, predictions }).html,
      };
      for (const [name, html] of Object.entries(pages)) {
        const file = `${dir}/${name}.html`;
        Deno.writeTextFileSync(file, html);
        const dom = await chromium(file, ["--dump-dom"], profile);
        assert.equal(dom.code, 0, name);
        assert.deepEqual(dom.console, [], `${name}: console messages`);
        const charts = html.match(/<svg xmlns/g)?.length ?? 0;
        assert.ok(charts >= 3, `${name}: ${charts} charts in the page`);
        assert.equal(dom.stdout.match(/<svg xmlns/g)?.length, charts, `${name}: charts in the DOM`);
        assert.ok(dom.stdout.includes("</table>"), `${name}: tables in the DOM`);
        const shot = `${dir}/${name}.png`;
        await chromium(file, [`--screenshot=${shot}`, "--window-size=1200,1600"], profile);
        const png = decodePng(Deno.readFileSync(shot));
        assert.equal(png.width, 1200);
        const st = inkStats(png);
        console.log(
          `${name}: ${charts} charts, screenshot variance ${st.variance.toFixed(0)}, ink ${
            (100 * st.ink).toFixed(1)
          } %`,
        );
        assert.ok(
          st.variance > 100 && st.ink > 0.02,
          `${name} screenshot looks blank: ${JSON.stringify(st)}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
