export * from "./types.js";
export { SqliteStore } from "./sqlite.js";
export { PostgresStore } from "./postgres.js";
import { PostgresStore } from "./postgres.js";
import { SqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";

/**
 * Opens the store named by `url`: `postgres://…` (optional `?schema=name`) or
 * `sqlite:<file>` / a plain file path (the embedded default).
 */
export function openStore(url: string, opts: { synchronous?: "FULL" | "NORMAL" } = {}): Store {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get("schema") ?? "depin";
    u.searchParams.delete("schema");
    return new PostgresStore(u.toString(), schema);
  }
  return new SqliteStore(url.replace(/^sqlite:/, ""), opts);
}
