/// <reference lib="deno.worker" />
/**
 * Web Worker behind {@linkcode build}: receives `{ store, pair, options }`, opens the store once
 * (from the parent store's `reopen` options), builds that pair and answers `{ report }` or `{ error }`.
 * @module
 */
import { releaseNative } from "./_native.ts";
import { buildStoredPair } from "./build.ts";
import { openStore, type OpenStoreOptions, type Store } from "./store.ts";

let store: Store | undefined;
let opened = "";

self.onmessage = async (e: MessageEvent) => {
  const { store: spec, pair, options } = e.data as {
    store: OpenStoreOptions;
    pair: string;
    options: Record<string, unknown>;
  };
  try {
    const key = JSON.stringify(spec);
    if (!store || opened !== key) {
      await store?.close();
      store = await openStore(spec);
      opened = key;
    }
    const report = await buildStoredPair(store, pair, options);
    await releaseNative();
    self.postMessage({ report });
  } catch (err) {
    self.postMessage({ error: `${pair}: ${(err as Error).message}` });
  }
};
