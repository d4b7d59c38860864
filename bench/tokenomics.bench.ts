/**
 * Gas of the rewards hot paths on the in-process Hardhat network, through the real Ignition
 * modules (UUPS proxies) and a real EntryPoint v0.8:
 *   mintEpochGas        RewardEmission.mintEpoch (one epoch's emission to the distributor)
 *   buyCreditsGas       DataCredits.buyCredits (feed read + burnFrom + credit)
 *   spendCreditsGas     DataCredits.spendCredits (operator)
 *   sponsoredClaimGas   EntryPoint.handleOps of one sponsored claim (test account, stand-in
 *                       claim target): the whole bundle transaction
 */
import { network } from "hardhat";
import { deployPaymaster, userOp } from "../test/paymaster/fixture.js";
import { EPOCH, PRICE, TOKEN } from "../test/rewards/fixture.js";
import type { BenchSuite, Figure } from "./types.js";

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

const suite: BenchSuite = {
  name: "tokenomics",
  async run(ctx): Promise<Figure[]> {
    const connection = await network.create();
    const f = await deployPaymaster(connection);
    const r = f.rewards;
    await connection.networkHelpers.time.increaseTo(r.genesis + 3n * EPOCH);
    await r.emission.connect(r.distributor).mintEpoch(0, r.buyer.address); // warms the token's slots
    const mintEpochGas = await gasOf(r.emission.connect(r.distributor).mintEpoch(1, r.buyer.address));

    await r.feed.setAnswer(PRICE);
    await r.token.connect(r.buyer).approve(await r.credits.getAddress(), 10n * TOKEN);
    await r.credits.connect(r.buyer).buyCredits(TOKEN, r.consumer.address, 1);
    const buyCreditsGas = await gasOf(r.credits.connect(r.buyer).buyCredits(TOKEN, r.consumer.address, 1));
    const spendCreditsGas = await gasOf(
      r.credits.connect(r.operator).spendCredits(r.consumer.address, 10, connection.ethers.ZeroHash),
    );

    ctx.log("sponsored claim through EntryPoint.handleOps");
    const sponsoredClaimGas = await gasOf(f.entryPoint.handleOps([await userOp(f, 0, { epoch: 3n })], r.other.address));

    return [
      {
        key: "mintEpochGas",
        label: "RewardEmission.mintEpoch",
        value: mintEpochGas,
        unit: "gas",
        note: "via UUPS proxy; second epoch",
      },
      {
        key: "buyCreditsGas",
        label: "DataCredits.buyCredits",
        value: buyCreditsGas,
        unit: "gas",
        note: "Chainlink-style feed read + burnFrom",
      },
      { key: "spendCreditsGas", label: "DataCredits.spendCredits", value: spendCreditsGas, unit: "gas" },
      {
        key: "sponsoredClaimGas",
        label: "Sponsored claim (handleOps, 1 op)",
        value: sponsoredClaimGas,
        unit: "gas",
        note: "test account + stand-in claim; paymaster pays",
      },
    ];
  },
};

export default suite;
