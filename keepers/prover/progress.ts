/**
 * Progress line for a prover run by hand: on a terminal it redraws one line on stderr
 * (`prover 3/8 proven · 2 running · 1 failed · 1.7 proofs/min · 00:41`); when forced on without a
 * terminal it prints a line per finished batch instead. Never written to stdout (JSON logs).
 */
import type { ProverPool } from "./pool.js";

export class Progress {
  private total = 0;
  private ok = 0;
  private bad = 0;
  private started = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pool: ProverPool,
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  start(batchIds: bigint[]): void {
    this.total = batchIds.length;
    this.ok = 0;
    this.bad = 0;
    this.started = Date.now();
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
    this.draw();
  }

  finished(batchId: bigint, ok: boolean): void {
    if (ok) this.ok++;
    else this.bad++;
    if (!this.tty) this.out.write(`prover: batch ${batchId} ${ok ? "proven" : "failed"} (${this.ok + this.bad}/${this.total})\n`);
    else this.draw();
  }

  line(): string {
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? (this.ok * 60) / secs : 0;
    const mm = String(Math.floor(secs / 60)).padStart(2, "0");
    const ss = String(Math.floor(secs % 60)).padStart(2, "0");
    const width = 20;
    const filled = this.total ? Math.round((width * (this.ok + this.bad)) / this.total) : 0;
    return `prover [${"#".repeat(filled)}${".".repeat(width - filled)}] ${this.ok}/${this.total} proven · ${this.pool.running} running · ${this.bad} failed · ${rate.toFixed(1)} proofs/min · ${mm}:${ss}`;
  }

  private draw(): void {
    if (this.tty) this.out.write(`\r\x1b[2K${this.line()}`);
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.draw();
      this.out.write("\n");
    }
  }
}
