/**
 * One interface over the two stores: the Parquet lake (default) and PostgreSQL (`--store pg`).
 * Stages (ingest, build) talk to a {@linkcode Store}; they never care where the bytes live.
 * @module
 */
import type pl from "nodejs-polars";
import * as lake from "./lake.ts";

export type { WriteResult } from "./lake.ts";

/** A partition listing row, common to both stores. */
export interface PartitionInfo {
  table: string;
  pair: string;
  month: string;
  rows: number;
}

/** What every store offers. */
export interface Store {
  /** "lake" or "pg". */
  readonly kind: "lake" | "pg";
  /** Human-readable location (lake root or redacted URL). */
  readonly location: string;
  /** Options that open the same store again (build workers use it). */
  readonly reopen: OpenStoreOptions;
  /** Split one pair's frame by month and replace those months atomically. */
  writePartitions(
    table: string,
    pair: string,
    frame: pl.DataFrame,
    options?: lake.WriteOptions,
  ): Promise<lake.WriteResult[]>;
  /** One pair's table across (some) months, sorted by `ts_utc`. */
  readTable(table: string, pair: string, options?: lake.ReadOptions): Promise<pl.DataFrame>;
  /** Stored partitions, optionally of one table / pair. */
  listPartitions(table?: string, pair?: string): Promise<PartitionInfo[]>;
  /** Release connections. */
  close(): Promise<void>;
}

/** The Parquet lake as a {@linkcode Store}. */
export class LakeStore implements Store {
  readonly kind = "lake" as const;
  readonly reopen: OpenStoreOptions;
  constructor(readonly location: string) {
    this.reopen = { store: "lake", lake: location };
  }
  writePartitions(
    table: string,
    pair: string,
    frame: pl.DataFrame,
    options: lake.WriteOptions = {},
  ): Promise<lake.WriteResult[]> {
    return Promise.resolve(lake.writePartitions(this.location, table, pair, frame, options));
  }
  readTable(table: string, pair: string, options: lake.ReadOptions = {}): Promise<pl.DataFrame> {
    return Promise.resolve(lake.readTable(this.location, table, pair, options));
  }
  listPartitions(table?: string, pair?: string): Promise<PartitionInfo[]> {
    return Promise.resolve(
      lake.listPartitions(this.location, table, pair).map(({ table, pair, month, rows }) => ({
        table,
        pair,
        month,
        rows,
      })),
    );
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Options of {@linkcode openStore}. */
export interface OpenStoreOptions {
  /** "lake" (default) or "pg". */
  store?: "lake" | "pg";
  /** Lake root. @default "data/lake" */
  lake?: string;
  /** PostgreSQL URL for `store: "pg"`. @default Deno.env BQX_PG_URL */
  pgUrl?: string;
  /** PostgreSQL schema. @default "public" */
  pgSchema?: string;
  /** PostgreSQL table prefix. @default "bqx_" */
  pgPrefix?: string;
}

/** Open the store a CLI asked for. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const { store = "lake", lake: root = "data/lake" } = options;
  if (store === "lake") return new LakeStore(root);
  if (store === "pg") {
    const url = options.pgUrl ?? Deno.env.get("BQX_PG_URL");
    if (!url) throw new Error("Missing --pg-url (or BQX_PG_URL) for --store pg");
    const { PgStore } = await import("./pgStore.ts");
    return await PgStore.open(url, { schema: options.pgSchema, prefix: options.pgPrefix });
  }
  throw new RangeError(`Invalid store "${store}": expected "lake" or "pg"`);
}
