/**
 * Keeper processes started together (`npm run devnet -- --processes`, an operator's service
 * manager) open one new SQLite file at the same moment. Turning a new file to WAL takes a lock;
 * a store that set its busy timeout only afterwards failed with "database is locked" and the
 * keeper exited. Every opener must wait for the lock instead.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import path from "node:path";
import { tempDir } from "../../datapath/fixtures.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");

describe("SQLite store opened by several processes at once", () => {
  it("8 processes open and initialise one new file together: all succeed", async () => {
    const file = path.join(tempDir("sqlite-open").dir, "shared.sqlite");
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(path.join(ROOT, "keepers/common/store/sqlite.ts"))});
      const s = new SqliteStore(process.argv[1]);
      await s.init();
      await s.close();
    `;
    const runs = Array.from(
      { length: 8 },
      () =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const c = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, file], {
            cwd: ROOT,
            stdio: ["ignore", "ignore", "pipe"],
          });
          let err = "";
          c.stderr.on("data", (b: Buffer) => (err += b.toString()));
          c.on("exit", (code) => resolve({ code, err }));
        }),
    );
    for (const r of await Promise.all(runs)) expect(r.code, r.err).to.equal(0);
  });
});
