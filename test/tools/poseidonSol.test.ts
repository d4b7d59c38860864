import { expect } from "chai";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { deployPoseidon } from "../../deploy/poseidon.js";
import { getPoseidon, SNARK_SCALAR_FIELD } from "../../sdk/src/index.js";
import { POSEIDON_SOL, poseidonSol } from "../../tools/poseidon-sol.js";

const { ethers } = await network.create();

// The Solidity tests (which cannot run circomlibjs) deploy Poseidon from a committed, generated
// file: it must be what circomlibjs generates today, and deploy the very code deploy/poseidon.ts does.
describe("Generated Poseidon contracts for Solidity tests (tools/poseidon-sol.ts)", function () {
  it("contracts/test/generated/PoseidonContracts.sol is up to date with circomlibjs", function () {
    expect(readFileSync(POSEIDON_SOL, "utf8") === poseidonSol(), "stale: run `npx tsx tools/poseidon-sol.ts`").to.equal(true);
  });

  it("PoseidonT5 / PoseidonT6 deploy circomlibjs's runtime code byte for byte and hash like the sdk", async function () {
    const [signer] = await ethers.getSigners();
    const h = await getPoseidon();
    for (const n of [4, 5] as const) {
      const fromSol = await ethers.deployContract(`PoseidonT${n + 1}`);
      const fromJs = await deployPoseidon(signer, n);
      const solCode = await ethers.provider.getCode(await fromSol.getAddress());
      expect(solCode.length).to.be.greaterThan(1000);
      expect(solCode).to.equal(await ethers.provider.getCode(await fromJs.getAddress()));
      const input = Array.from({ length: n }, (_, i) => (i === 0 ? SNARK_SCALAR_FIELD - 1n : BigInt(i * 7919)));
      // circomlibjs's ABI at the address the Solidity contract deployed to.
      const fn = fromJs.attach(await fromSol.getAddress()).getFunction(`poseidon(uint256[${n}])`);
      expect(await fn(input)).to.equal(h.hash(input));
    }
  });
});
