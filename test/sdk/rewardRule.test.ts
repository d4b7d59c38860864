import { expect } from "chai";
import {
  epochWindow,
  getPoseidon,
  merkleRoot,
  hashReading,
  packBatchWord,
  packDeviceWords,
  packRuleWord,
  rewardPoints,
  rewardRuleInput,
  RewardRuleError,
  EncodingError,
} from "../../sdk/src/index.js";
import { batchOf, earningBatch, EPOCH_LENGTH, GENESIS } from "../rewards/readings.js";

describe("sdk reward rule: reference, packing, input checks", function () {
  const W = epochWindow(GENESIS, EPOCH_LENGTH, 3n);

  it("epoch windows follow genesis + epoch·length", () => {
    expect(W).to.deep.equal({ start: GENESIS + 3n * EPOCH_LENGTH, end: GENESIS + 4n * EPOCH_LENGTH });
  });

  it("packs the public words in the documented bit layout", () => {
    expect(packBatchWord(5n, 16n)).to.equal(5n + (16n << 64n));
    const w = packRuleWord({ minValue: 1n, maxValue: 2n, capPerBatch: 3n }, { start: 4n, end: 5n });
    expect(w).to.equal(1n + (2n << 32n) + (3n << 64n) + (4n << 96n) + (5n << 136n));
    const words = packDeviceWords(
      [
        { deviceId: 7n, points: 2n },
        { deviceId: 9n, points: 1n },
        { deviceId: 12n, points: 3n },
      ],
      4,
    );
    expect(words).to.deep.equal([7n + (2n << 64n) + ((9n + (1n << 64n)) << 96n), 12n + (3n << 64n)]);
  });

  it("rejects out-of-range parameters with the field named", () => {
    expect(() => packBatchWord(1n << 64n, 1n)).to.throw(EncodingError, /epoch: must fit in 64 bits/);
    expect(() => packRuleWord({ minValue: 0n, maxValue: 1n << 32n, capPerBatch: 1n }, W)).to.throw(EncodingError, /maxValue/);
    expect(() => packRuleWord({ minValue: 0n, maxValue: 1n, capPerBatch: 1n }, { start: 0n, end: 1n << 40n })).to.throw(
      EncodingError,
      /window.end/,
    );
    expect(() => packDeviceWords([{ deviceId: 1n, points: 1n << 32n }], 2)).to.throw(EncodingError, /points/);
    expect(() => packDeviceWords([{ deviceId: 1n, points: 1n }], 3)).to.throw(RewardRuleError, /even/);
    expect(() =>
      packDeviceWords(
        [1n, 2n, 3n].map((d) => ({ deviceId: d, points: 1n })),
        2,
      ),
    ).to.throw(RewardRuleError, /3 devices do not fit 2/);
  });

  it("an instance of depth d holds 4^d readings of the 4-ary batch tree; depth is at most 15", async () => {
    const h = await getPoseidon();
    const params = { minValue: 0n, maxValue: 1000n, capPerBatch: 100n };
    const sixteen = earningBatch(3n, 16, [1n, 2n]);
    const job = rewardRuleInput(h, sixteen, { depth: 2, slots: 2 }, params, W, 3n);
    expect(job.input.deviceId).to.have.length(16);
    expect(job.root).to.equal(
      merkleRoot(
        h,
        sixteen.map((r) => hashReading(h, r)),
        2,
      ),
    );
    const seventeen = earningBatch(3n, 17, [1n, 2n]);
    expect(() => rewardRuleInput(h, seventeen, { depth: 2, slots: 2 }, params, W, 3n)).to.throw(
      RewardRuleError,
      /17 readings exceed the circuit capacity 16/,
    );
    expect(() => rewardRuleInput(h, [], { depth: 16, slots: 2 }, params, W, 3n)).to.throw(RewardRuleError, /\[0, 15\]/);
  });

  it("a cap of 0 lists earning devices with 0 points (they still need a slot)", () => {
    const rs = batchOf(3n, [{ deviceId: 5n, value: 10n, offset: 0n }]);
    expect(rewardPoints(rs, { minValue: 0n, maxValue: 100n, capPerBatch: 0n }, W)).to.deep.equal([{ deviceId: 5n, points: 0n }]);
  });
});
