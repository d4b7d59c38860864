import { network } from "hardhat";
import { measureIdentityGas } from "../test/identity/gas.js";
import type { BenchSuite } from "./types.js";

/**
 * Identity-layer gas: onboarding cost per device in a batch (issue budget ≤ 120k including the
 * NFT mint) and the per-device ERC-4337 account deployment, measured on the in-process EDR chain
 * with the real Ignition deployment. `--quick` uses a batch of 20 and a smaller maker tree.
 */
const suite: BenchSuite = {
  name: "identity",
  async run({ quick, log }) {
    const conn = await network.create();
    const batch = quick ? 20 : 100;
    log(`identity: binding a batch of ${batch} devices`);
    const g = await measureIdentityGas(conn, batch, quick ? 128 : 1024);
    const tree = `maker tree of ${g.makerTreeSize} keys`;
    return [
      {
        key: "onboardGasPerDevice",
        label: `onboarding gas per device (batch of ${g.batchSize})`,
        value: g.onboardGasPerDevice,
        unit: "gas",
        note: `budget ≤ 120,000; ${tree}; NFT mint included`,
      },
      {
        key: "onboardGasSingle",
        label: "onboarding gas, one secp256k1 device (first for owner)",
        value: g.bindOneSecp256k1,
        unit: "gas",
      },
      {
        key: "onboardGasSingleP256",
        label: "onboarding gas, one P-256 device",
        value: g.bindOneP256,
        unit: "gas",
        note: "P-256 precompile when the chain has it",
      },
      {
        key: "deviceAccountDeployGas",
        label: "device account deployment (CREATE2 clone)",
        value: g.deviceAccountDeployGas,
        unit: "gas",
        note: "optional: the address receives rewards before deployment",
      },
      {
        key: "provisionGasSingle",
        label: "maker provisioning gas, one secp256k1 device",
        value: g.provisionOneSecp256k1,
        unit: "gas",
        note: "device-key proof of possession included",
      },
      {
        key: "provisionGasPerDevice",
        label: `maker provisioning gas per device (batch of ${g.batchSize})`,
        value: g.provisionGasPerDevice,
        unit: "gas",
      },
      { key: "rotateKeyGas", label: "key rotation (old + new key signatures)", value: g.rotateKeySecp256k1, unit: "gas" },
      {
        key: "p256VerifyGas",
        label: "P-256 signature check (library, precompile here)",
        value: g.p256VerifyLibrary,
        unit: "gas",
        note: "RIP-7212/EIP-7951 precompile",
      },
      {
        key: "p256VerifySolidityGas",
        label: "P-256 signature check, pure Solidity fallback",
        value: g.p256VerifySolidity,
        unit: "gas",
        note: "chains without the precompile add this to a P-256 bind",
      },
      { key: "deviceTransferGas", label: "device NFT transfer", value: g.transferDevice, unit: "gas" },
    ];
  },
};

export default suite;
