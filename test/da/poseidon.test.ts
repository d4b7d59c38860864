import { expect } from "chai";
import { network } from "hardhat";
import { deployPoseidon, poseidonArtifact } from "../../deploy/poseidon.js";
import { getPoseidon, SNARK_SCALAR_FIELD } from "../../sdk/src/index.js";

const { ethers } = await network.create();

describe("Generated Poseidon contracts (deploy/poseidon.ts)", function () {
  it("hash exactly like the sdk for 4 and 5 inputs, including field-boundary values", async function () {
    const [signer] = await ethers.getSigners();
    const h = await getPoseidon();
    const vectors: Record<4 | 5, bigint[][]> = {
      4: [
        [0n, 0n, 0n, 0n],
        [1n, 2n, 3n, 4n],
        [SNARK_SCALAR_FIELD - 1n, 123456789n, 0n, SNARK_SCALAR_FIELD - 2n],
      ],
      5: [
        [1n, 2n, 3n, 4n, 5n],
        [2n ** 64n - 1n, 2n ** 64n - 1n, 2n ** 40n - 1n, 2n ** 32n - 1n, 2n ** 248n - 1n],
      ],
    };
    for (const n of [4, 5] as const) {
      const c = await deployPoseidon(signer, n);
      const fn = c.getFunction("poseidon(uint256[" + n + "])");
      for (const v of vectors[n]) expect(await fn(v)).to.equal(h.hash(v));
    }
  });

  it("builds a complete artifact from circomlibjs", function () {
    const a = poseidonArtifact(5);
    expect(a.contractName).to.equal("PoseidonT6");
    expect(poseidonArtifact(4).contractName).to.equal("PoseidonT5");
    expect(a.bytecode.length).to.be.greaterThan(1000);
    expect(a.abi.length).to.equal(2);
  });
});
