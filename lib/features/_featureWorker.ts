/// <reference lib="deno.worker" />
/**
 * Web Worker behind {@linkcode buildFeatures}: on its first message it opens the store, loads every
 * pair's series and aligns the market (once), then builds each pair it is sent and answers
 * `{ report }` or `{ error }`.
 * @module
 */
import { releaseNative } from "../data/_native.ts";
import { openStore, type OpenStoreOptions, type Store } from "../data/store.ts";
import type { Market, PairSeries } from "./_types.ts";
import { buildFeaturesForPair, loadSeries } from "./build.ts";
import { buildMarket } from "./market.ts";
import { FAMILIES } from "./registry.ts";

let state: { store: Store; all: PairSeries[]; market: Market } | undefined;

self.onmessage = async (e: MessageEvent) => {
  const { store: spec, pair } = e.data as { store: OpenStoreOptions; pair: string };
  try {
    if (!state) {
      const store = await openStore(spec);
      const present = [...new Set((await store.listPartitions("bqx")).map((p) => p.pair))].sort();
      const all: PairSeries[] = [];
      for (const p of present) all.push(await loadSeries(store, p));
      state = { store, all, market: buildMarket(all) };
    }
    const report = await buildFeaturesForPair(state.store, pair, state.all, FAMILIES, state.market);
    await releaseNative();
    self.postMessage({ report });
  } catch (err) {
    self.postMessage({ error: `${pair}: ${(err as Error).message}` });
  }
};
