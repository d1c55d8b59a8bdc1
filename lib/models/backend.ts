/**
 * Picks the tfjs backend once at start (SPEC §7 neural models): the fastest one that loads, in the
 * order tfjs-node-gpu → tfjs-node → webgpu → wasm → cpu, because the same MLP runs everywhere but
 * at very different speeds. Optional backends are dynamic imports in try/catch, so a package that
 * is not installed (or not mapped in deno.json) is skipped silently apart from one log line.
 *
 * Override with the env `BQX_TF_BACKEND` (or `prefer`, the env wins): one of {@linkcode BACKENDS}.
 * A forced backend that fails to load throws; an unknown name throws naming the allowed values.
 * The choice and the reasons others were skipped go to stderr.
 *
 * @example
 * ```ts
 * import { selectBackend } from "./backend.ts";
 * import assert from "node:assert/strict";
 * assert.equal(await selectBackend({ prefer: "cpu" }), "cpu");
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Backend names accepted by `BQX_TF_BACKEND` / `prefer`, in automatic-selection order. */
export const BACKENDS = ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"] as const;
/** One backend name. */
export type BackendName = typeof BACKENDS[number];

// The tfjs backend name each package registers.
const TF_NAME: Record<BackendName, string> = {
  "tfjs-node-gpu": "tensorflow",
  "tfjs-node": "tensorflow",
  webgpu: "webgpu",
  wasm: "wasm",
  cpu: "cpu",
};

// A specifier held in a variable, so that neither the type checker nor the module graph require the
// optional package to exist.
async function tryImport(spec: string): Promise<void> {
  await import(spec);
}

/** Try to load and activate one backend; return undefined on success or the reason it failed. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  try {
    switch (name) {
      case "tfjs-node-gpu":
        await tryImport("@tensorflow/tfjs-node-gpu");
        break;
      case "tfjs-node":
        await tryImport("@tensorflow/tfjs-node");
        break;
      case "webgpu": {
        const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })
          ?.gpu;
        if (!gpu) return "navigator.gpu is absent";
        if (!(await gpu.requestAdapter())) return "navigator.gpu gave no adapter";
        await tryImport("@tensorflow/tfjs-backend-webgpu");
        break;
      }
      case "wasm":
        await import("@tensorflow/tfjs-backend-wasm");
        break;
      case "cpu":
        break;
    }
    if (!(await tf.setBackend(TF_NAME[name]))) return `tf.setBackend("${TF_NAME[name]}") failed`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `not importable (${String((e as Error)?.message ?? e).split("\n")[0].slice(0, 120)})`;
  }
}

let chosen: { request: string; name: BackendName } | undefined;

/**
 * Choose and activate the tfjs backend; returns its name. Cached: calling again with the same
 * request (env + prefer) is free; a different request switches.
 */
export async function selectBackend(opts: { prefer?: string } = {}): Promise<BackendName> {
  const env = Deno.env.get("BQX_TF_BACKEND") || undefined;
  const forced = env ?? opts.prefer;
  if (forced !== undefined && !(BACKENDS as readonly string[]).includes(forced)) {
    throw new RangeError(
      `Unknown tfjs backend "${forced}"${env ? " in BQX_TF_BACKEND" : ""}: expected one of ${
        BACKENDS.join(", ")
      }`,
    );
  }
  const request = forced ?? "auto";
  if (chosen?.request === request) return chosen.name;
  if (forced) {
    const why = await tryBackend(forced as BackendName);
    if (why) throw new Error(`Cannot use tfjs backend ${forced}: ${why}`);
    console.error(
      `tfjs backend: ${forced} (forced by ${env ? "BQX_TF_BACKEND" : "prefer"})`,
    );
    chosen = { request, name: forced as BackendName };
    return chosen.name;
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    const why = await tryBackend(name);
    if (why) {
      skipped.push(`${name}: ${why}`);
      continue;
    }
    console.error(
      `tfjs backend: ${name}${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}`,
    );
    chosen = { request, name };
    return name;
  }
  throw new Error(`No tfjs backend could be loaded: ${skipped.join("; ")}`);
}
