/**
 * Builds the C firmware (firmware/c): the Linux host port and its tests under build/firmware-c/host
 * (clang when installed, so the fuzz test is libFuzzer; gcc otherwise), and the Cortex-M4 size
 * images under build/firmware-c/m4 (when arm-none-eabi-gcc is installed). Used by
 * test/firmware/FirmwareC.test.ts and bench/firmware.bench.ts; `npx tsx tools/firmware-c.ts` runs it alone.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const HOST_DIR = path.join(ROOT, "build", "firmware-c", "host");
export const M4_DIR = path.join(ROOT, "build", "firmware-c", "m4");
export const DEVICE_BIN = path.join(HOST_DIR, "depin-device");

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function run(cmd: string, args: string[], log: (m: string) => void): void {
  log(`$ ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** Configures (once) and builds the host port and tests. */
export function buildHost(log: (m: string) => void = () => undefined): void {
  if (!has("cmake")) throw new Error("cmake is not installed: apt-get install -y cmake (see firmware/c/README.md)");
  if (!existsSync(path.join(HOST_DIR, "CMakeCache.txt"))) {
    const cc = has("clang") ? ["-DCMAKE_C_COMPILER=clang"] : [];
    run("cmake", ["-S", "firmware/c", "-B", HOST_DIR, "-DCMAKE_BUILD_TYPE=RelWithDebInfo", ...cc], log);
  }
  run("cmake", ["--build", HOST_DIR, "-j", String(Math.max(1, Math.min(2, os.availableParallelism())))], log);
}

/** Configures (once) and builds the Cortex-M4 images; false when the cross compiler is missing. */
export function buildM4(log: (m: string) => void = () => undefined): boolean {
  if (!has("arm-none-eabi-gcc")) return false;
  if (!existsSync(path.join(M4_DIR, "CMakeCache.txt"))) {
    run(
      "cmake",
      [
        "-S",
        "firmware/c/cortex-m",
        "-B",
        M4_DIR,
        "-DCMAKE_BUILD_TYPE=MinSizeRel",
        `-DCMAKE_TOOLCHAIN_FILE=${path.join(ROOT, "firmware/c/cortex-m/toolchain-arm-none-eabi.cmake")}`,
      ],
      log,
    );
  }
  run("cmake", ["--build", M4_DIR, "-j", "2"], log);
  return true;
}

export interface ElfSize {
  /** Flash: .text + .rodata + .data (initial values) and the vector/ARM tables. */
  flash: number;
  /** Static RAM: .data + .bss. */
  ram: number;
}

/** Section sizes of an ELF (arm-none-eabi-size -A). */
export function elfSize(file: string): ElfSize {
  const out = execFileSync("arm-none-eabi-size", ["-A", file], { encoding: "utf8" });
  let flash = 0;
  let ram = 0;
  for (const line of out.split("\n")) {
    const m = /^(\.\S+)\s+(\d+)\s+(\d+)/.exec(line.trim());
    if (!m) continue;
    const [name, size] = [m[1], Number(m[2])];
    if (name === ".data") {
      flash += size;
      ram += size;
    } else if (name === ".bss" || name === ".heap" || name === ".stack") ram += size;
    else if (
      name === ".text" ||
      name === ".rodata" ||
      name.startsWith(".ARM") ||
      name === ".init_array" ||
      name === ".fini_array"
    )
      flash += size;
  }
  return { flash, ram };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  buildHost(log);
  if (buildM4(log)) {
    for (const elf of ["depin-core.elf", "depin-crypto.elf"]) {
      const f = path.join(M4_DIR, elf);
      if (existsSync(f)) console.log(elf, elfSize(f));
    }
  }
}
