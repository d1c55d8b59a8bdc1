/**
 * Shared CLI plumbing: strict flag parsing (unknown flags are an error that names them) and a
 * `main()` wrapper that prints only the error message (no stack) and exits non-zero.
 * Set `BQX_DEBUG=1` to see stacks.
 * @module
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** Flag spec: name → "string" | "boolean". */
export type FlagSpec = Record<string, "string" | "boolean">;

/** Parse `Deno.args` against a spec; throws "Unknown option --x (expected one of …)". */
export function parseFlags<T extends FlagSpec>(
  spec: T,
  args: string[] = Deno.args,
): { [K in keyof T]?: T[K] extends "boolean" ? boolean : string } {
  const options = Object.fromEntries(Object.entries(spec).map(([k, type]) => [k, { type }]));
  try {
    const { values } = nodeParseArgs({ args, options, strict: true, allowPositionals: false });
    return values as never;
  } catch (e) {
    const known = Object.keys(spec).map((k) => `--${k}`).join(", ");
    throw new Error(`${(e as Error).message.replace(/\.$/, "")} (expected one of ${known})`);
  }
}

/** Run a CLI entry point: errors print their message and exit with status 1. */
export async function main(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (Deno.env.get("BQX_DEBUG") === "1") console.error(e);
    else console.error(`error: ${(e as Error).message ?? e}`);
    Deno.exit(1);
  }
}

/** Parse a positive integer flag with a clear message. */
export function intFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) {
    throw new RangeError(`Invalid --${name} "${value}": expected an integer`);
  }
  return n;
}
