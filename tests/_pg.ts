/**
 * PostgreSQL test plumbing: the server URL (BQX_PG_URL, default the local trust-auth server), the
 * reason to skip when none answers (printed once), and `pgTest()`, a test body run against a fresh
 * schema that is dropped afterwards.
 * @module
 */
import pg from "pg";
import { PgStore } from "../lib/data/pgStore.ts";

export const PG_URL = Deno.env.get("BQX_PG_URL") ?? "postgres://postgres@127.0.0.1:5432/test";

/** Why the tests cannot run, or undefined when a server answers. */
async function unavailable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (e) {
    return `no PostgreSQL answers at ${url} (${e instanceof Error ? e.message : e})`;
  } finally {
    await client.end().catch(() => {});
  }
}

export const skipReason = await unavailable(PG_URL);
if (skipReason) console.warn(`Skipping PgStore tests: ${skipReason}`);

type Body = (store: PgStore, sql: pg.Client, schema: string) => Promise<void>;

/** A test in a fresh schema, skipped without a server. */
export function pgTest(name: string, body: Body): void {
  Deno.test({
    name,
    ignore: skipReason !== undefined,
    async fn() {
      const schema = `bqx_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
      const sql = new pg.Client({ connectionString: PG_URL });
      await sql.connect();
      let store: PgStore | undefined;
      try {
        store = await PgStore.open(PG_URL, { schema });
        await body(store, sql, schema);
      } finally {
        await store?.close();
        await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await sql.end();
      }
    },
  });
}
