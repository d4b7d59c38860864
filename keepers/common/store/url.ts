/**
 * The store URL forms the keepers accept, checked before anything is opened, so a typo such as
 * `mysql://…` is an error naming the option instead of a SQLite file called `mysql:/…`.
 */
export type StoreLocation = { kind: "postgres"; url: string; schema: string } | { kind: "sqlite"; file: string };

export const STORE_FORMS = "postgres://… (optional ?schema=name), sqlite:<file> or a plain file path";

export function parseStoreUrl(raw: string): StoreLocation {
  const url = raw.trim();
  if (url === "") throw new Error(`empty store location (expected ${STORE_FORMS})`);
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const u = new URL(url);
    const schema = u.searchParams.get("schema") ?? "depin";
    if (!/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new Error(`bad schema name ${JSON.stringify(schema)} (lower-case letters, digits, _)`);
    u.searchParams.delete("schema");
    return { kind: "postgres", url: u.toString(), schema };
  }
  if (/^sqlite:/i.test(url)) {
    const file = url.replace(/^sqlite:(\/\/)?/i, "");
    if (file === "") throw new Error("sqlite: needs a file path (sqlite:data/depin.sqlite)");
    return { kind: "sqlite", file };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (scheme) throw new Error(`unsupported store scheme ${scheme[1]}:// (expected ${STORE_FORMS})`);
  return { kind: "sqlite", file: url };
}
