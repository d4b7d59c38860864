import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { buildHost, buildM4, elfSize, HOST_DIR, M4_DIR } from "../tools/firmware-c.js";
import type { BenchSuite, Figure } from "./types.js";

/**
 * The C reference firmware (firmware/c): flash and static RAM of the core on a Cortex-M4
 * (arm-none-eabi-gcc -Os, --gc-sections, newlib-nano; HAL stubbed), the crypto library added on top
 * (libsecp256k1 signing + answer recovery, smallest tables, context in a static buffer), and the
 * host's cost to sign one reading (digest + signature + wire JSON) with each curve.
 */
const suite: BenchSuite = {
  name: "firmware",
  async run({ quick, log }) {
    log("firmware: building firmware/c (host port and Cortex-M4 images)");
    buildHost();
    const figures: Figure[] = [];
    if (buildM4()) {
      const core = elfSize(path.join(M4_DIR, "depin-core.elf"));
      figures.push(
        {
          key: "firmwareFlashBytes",
          label: "C firmware core flash, Cortex-M4 (-Os, no crypto)",
          value: core.flash,
          unit: "bytes",
          note: "goal ≤ 65,536 without crypto tables",
        },
        {
          key: "firmwareRamBytes",
          label: "C firmware core static RAM, Cortex-M4 (.data + .bss)",
          value: core.ram,
          unit: "bytes",
          note: "goal ≤ 16,384; journal index of 128 readings included; stack not included",
        },
      );
      const cryptoElf = path.join(M4_DIR, "depin-crypto.elf");
      if (existsSync(cryptoElf)) {
        const withCrypto = elfSize(cryptoElf);
        figures.push(
          {
            key: "firmwareCryptoFlashBytes",
            label: "libsecp256k1 on top of the core: flash, Cortex-M4",
            value: withCrypto.flash - core.flash,
            unit: "bytes",
            note: "sign + recover, window 2, 2-bit generator table",
          },
          {
            key: "firmwareCryptoRamBytes",
            label: "libsecp256k1 on top of the core: static RAM, Cortex-M4",
            value: withCrypto.ram - core.ram,
            unit: "bytes",
            note: "preallocated context; 32 KiB is the generator table (none with a secure element)",
          },
        );
      }
    } else {
      log("firmware: arm-none-eabi-gcc not installed; no Cortex-M4 figures (apt-get install gcc-arm-none-eabi)");
    }
    const out = execFileSync(path.join(HOST_DIR, "depin-bench"), [quick ? "500" : "4000"], { encoding: "utf8" });
    const r = JSON.parse(out) as { signMicrosSecp256k1: number; signMicrosP256: number };
    figures.push(
      {
        key: "firmwareSignMicros",
        label: "C firmware: sign one reading on the host, secp256k1",
        value: r.signMicrosSecp256k1,
        unit: "µs",
        note: "libsecp256k1; digest + signature + wire JSON",
      },
      {
        key: "firmwareSignMicrosP256",
        label: "C firmware: sign one reading on the host, P-256",
        value: r.signMicrosP256,
        unit: "µs",
        note: "mbedTLS 2.28, deterministic (RFC 6979)",
      },
    );
    return figures;
  },
};

export default suite;
