export * from "./types.js";
export { SqliteStore } from "./sqlite.js";
export { PostgresStore } from "./postgres.js";
import { PostgresStore } from "./postgres.js";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";
import { parseStoreUrl } from "./url.js";

export { parseStoreUrl, STORE_FORMS } from "./url.js";

/**
 * Opens the store named by `url` (see parseStoreUrl): `postgres://…` (optional `?schema=name`),
 * `sqlite:<file>` or a plain file path (the embedded default). Any other scheme is an error.
 */
export function openStore(url: string, opts: { synchronous?: "FULL" | "NORMAL" } = {}): Store {
  const at = parseStoreUrl(url);
  if (at.kind === "postgres") return new PostgresStore(at.url, at.schema);
  return new SqliteStore(at.file, opts);
}
