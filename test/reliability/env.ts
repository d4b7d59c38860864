/**
 * The moving parts of the reliability run, each one a thing the chaos loop can break:
 *  - `Keeper`: a keeper daemon in a child process (`keepers/cli.ts <command>`) under a small
 *    supervisor that restarts it when it dies (SIGKILL by the chaos loop, or a crash of its own,
 *    which is counted separately);
 *  - `Mosquitto`: a private broker on its own port, killed and restarted on the same port;
 *  - `PrivatePostgres`: a private PostgreSQL cluster in a temp dir (initdb/pg_ctl as the
 *    `postgres` user), crash-stopped (`-m immediate`) and restarted;
 *  - `SwitchableRpc`: a JSON-RPC endpoint over the in-process chain that can go dark for a while
 *    (every connection is dropped, new ones are refused at the HTTP level).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { portOpen } from "../../keepers/common/net.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Deterministic PRNG (mulberry32) so a failing run can be replayed with --seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Keeps the last `max` characters of a stream (enough to show why something died). */
class Tail {
  text = "";
  constructor(private readonly max = 64 * 1024) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.max) this.text = this.text.slice(-this.max);
  }
}

export class Keeper {
  child?: ChildProcess;
  private tail = new Tail();
  /** Output since the current incarnation started (readiness is read from it). */
  private current = new Tail(256 * 1024);
  kills = 0;
  /** Exits nobody asked for (a keeper crashing on its own, e.g. on a store or RPC error). */
  crashes = 0;
  starts = 0;
  private expectingExit = false;
  /** Called with every complete output line of every incarnation (tallies of work done across restarts). */
  onLine?: (line: string) => void;
  private partial = "";
  /** Set when the keeper cannot run at all (bad options); waiting for it then fails at once. */
  fatal?: string;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    readonly command: string,
    readonly flags: Record<string, string | number>,
    private readonly onCrash: (k: Keeper, code: number | null, signal: NodeJS.Signals | null) => void = () => undefined,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True once the current incarnation logged `<Class>#start` (init done, schedule running). */
  get ready(): boolean {
    // `"at":"Sequencer#start"` from Service.start, not the CLI's own `"at":"cli#start"`.
    return this.alive && /"at":"[A-Z][A-Za-z]*#start"/.test(this.current.text);
  }

  output(): string {
    return this.tail.text;
  }

  start(): void {
    const args = [
      "--import",
      "tsx",
      "keepers/cli.ts",
      this.command,
      ...Object.entries(this.flags).flatMap(([k, v]) => [`--${k}`, String(v)]),
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    this.current = new Tail(256 * 1024);
    this.partial = "";
    const onData = (c: Buffer) => {
      const s = c.toString();
      this.tail.push(s);
      this.current.push(s);
      if (this.onLine) {
        const lines = (this.partial + s).split("\n");
        this.partial = lines.pop()!;
        for (const l of lines) this.onLine(l);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    this.starts++;
    this.expectingExit = false;
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      if (this.stopped) return;
      if (!this.expectingExit) {
        if (code === 2) {
          // Exit code 2 is a configuration error: restarting cannot help.
          this.fatal = `${this.name} refused its options: ${this.current.text.slice(-1000)}`;
          return;
        }
        this.crashes++;
        this.onCrash(this, code, signal);
        // A supervisor (systemd, k8s) would restart it: so do we, after a short back-off.
        this.restartTimer = setTimeout(() => this.start(), 1_000);
      }
    });
    this.child = child;
  }

  async waitReady(timeoutMs = 120_000): Promise<void> {
    await waitFor(
      () => {
        if (this.fatal) throw new Error(this.fatal);
        return this.ready;
      },
      timeoutMs,
      `${this.name} to start (last output: ${this.tail.text.slice(-2000)})`,
    );
  }

  private async exit(signal: NodeJS.Signals): Promise<number | null> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    this.expectingExit = true;
    const done = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
    c.kill(signal);
    return done;
  }

  /** SIGKILL, then start again at once (the chaos loop's unit of damage). */
  async killAndRestart(): Promise<void> {
    clearTimeout(this.restartTimer);
    await this.exit("SIGKILL");
    this.kills++;
    this.start();
  }

  /** SIGKILL without restarting (the caller restarts it later with `start()`). */
  async kill(): Promise<void> {
    clearTimeout(this.restartTimer);
    await this.exit("SIGKILL");
    this.kills++;
  }

  /** Clean shutdown (SIGTERM); resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return c?.exitCode ?? null;
    const code = await Promise.race([this.exit("SIGTERM"), sleep(20_000).then(() => "timeout" as const)]);
    if (code === "timeout") {
      c.kill("SIGKILL");
      return null;
    }
    return code;
  }
}

/** A private Mosquitto on a fixed port, so it can be killed and restarted at the same address. */
export class Mosquitto {
  private child?: ChildProcess;
  private tail = new Tail();
  restarts = 0;

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    // No persistence on purpose: a restart loses every queued message and the bridge's session.
    // Devices keep readings until the bridge's application receipt, so nothing may be lost.
    writeFileSync(
      path.join(dir, "mosquitto.conf"),
      [
        `listener ${port} 127.0.0.1`,
        "allow_anonymous true",
        "persistence false",
        "max_queued_messages 0",
        "max_inflight_messages 100",
        "log_dest stderr",
        "log_type error",
        "",
      ].join("\n"),
    );
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  static binary(): string | null {
    for (const p of [process.env.MOSQUITTO_BIN, "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"])
      if (p && existsSync(p)) return p;
    return null;
  }

  async start(): Promise<void> {
    const bin = Mosquitto.binary();
    if (!bin) throw new Error("mosquitto binary not found (set MOSQUITTO_BIN)");
    const child = spawn(bin, ["-c", path.join(this.dir, "mosquitto.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (c: Buffer) => this.tail.push(c.toString()));
    child.stderr!.on("data", (c: Buffer) => this.tail.push(c.toString()));
    this.child = child;
    await waitFor(
      async () => child.exitCode === null && (await portOpen(this.port)),
      30_000,
      `mosquitto on :${this.port} (${this.tail.text})`,
    );
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const done = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await done;
  }

  async restart(): Promise<void> {
    await this.kill();
    this.restarts++;
    await this.start();
  }
}

/** A private PostgreSQL cluster (so the run may crash and restart it without touching anyone else's). */
export class PrivatePostgres {
  restarts = 0;
  private readonly bin: string;

  /** Its own temp dir (not under the run's 0700 dir, which the `postgres` user cannot enter). */
  readonly dir = mkdtempSync(path.join(os.tmpdir(), "depin-reliability-pg-"));

  constructor(readonly port: number) {
    const base = "/usr/lib/postgresql";
    const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
    const found = versions.map((v) => path.join(base, v, "bin")).find((b) => existsSync(path.join(b, "pg_ctl")));
    if (!found) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin");
    this.bin = found;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    // The server refuses to run as root: run the tools as the `postgres` user when we are root.
    const asRoot = process.getuid?.() === 0;
    const cmd = asRoot ? "runuser" : path.join(this.bin, tool);
    const argv = asRoot ? ["-u", "postgres", "--", path.join(this.bin, tool), ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  }

  private get data(): string {
    return path.join(this.dir, "data");
  }

  async init(): Promise<void> {
    if (process.getuid?.() === 0) {
      const pw = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
      const gw = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
      chownSync(this.dir, Number(pw.stdout.trim()), Number(gw.stdout.trim()));
    }
    chmodSync(this.dir, 0o700);
    this.run("initdb", ["-D", this.data, "-A", "trust", "-U", "postgres", "--no-sync"]);
    await this.start();
  }

  async start(): Promise<void> {
    this.run("pg_ctl", [
      "-D",
      this.data,
      "-l",
      path.join(this.dir, "server.log"),
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`,
      "start",
    ]);
  }

  /** Crash-stop (no checkpoint, like a power cut of the server) and start again. */
  async restart(): Promise<void> {
    this.run("pg_ctl", ["-D", this.data, "-m", "immediate", "-w", "stop"]);
    this.restarts++;
    await this.start();
  }

  async destroy(): Promise<void> {
    try {
      this.run("pg_ctl", ["-D", this.data, "-m", "immediate", "-w", "stop"]);
    } catch {
      /* already down */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
