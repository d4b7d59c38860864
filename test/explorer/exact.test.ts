/**
 * The explorer's number handling (explorer/web/exact.ts): integers above 2^53 — token amounts in
 * wei, uint256 proposal ids — are parsed, summed and displayed exactly. The browser tests check
 * the same on the page against the chain; this pins the edge cases.
 */
import { expect } from "chai";
import { big, formatUnitsExact, groupDigits, parseExact, sumExact } from "../../explorer/web/exact.js";

describe("Explorer exact numbers", () => {
  const above = 2n ** 53n + 1n; // 9007199254740993: a float rounds it to ...992

  it("JSON numbers above 2^53 are read from their source text, exactly", () => {
    const j = parseExact(
      `{"a": ${above}, "b": 12, "c": "${above}", "d": 1.5, "id": 115792089237316195423570985008687907853269984665640564039457584007913129639935}`,
    ) as Record<string, unknown>;
    expect(j.a).to.equal(above);
    expect(j.b).to.equal(12);
    expect(j.c).to.equal(above.toString());
    expect(j.d).to.equal(1.5);
    expect(j.id).to.equal(2n ** 256n - 1n);
    expect(String(JSON.parse(`${above}`))).to.equal("9007199254740992");
  });

  it("sums and formats wei exactly at any size", () => {
    const xs = [above.toString(), above, 2 ** 52, "100000000000000000000007"];
    const total = sumExact(xs);
    expect(total).to.equal(2n * above + 2n ** 52n + 100000000000000000000007n);
    expect(formatUnitsExact(total)).to.equal("100\u202f000.022517998136852489");
    expect(formatUnitsExact(1n)).to.equal("0.000000000000000001");
    expect(formatUnitsExact(10n ** 18n)).to.equal("1");
    expect(formatUnitsExact(-(10n ** 24n) - 1n)).to.equal("-1\u202f000\u202f000.000000000000000001");
    expect(groupDigits(above)).to.equal("9\u202f007\u202f199\u202f254\u202f740\u202f993");
  });

  it("refuses to turn an inexact float into an integer", () => {
    expect(() => big(2 ** 53 + 2)).to.throw(/inexact/);
    expect(() => big("1e21")).to.throw(/not an integer/);
    expect(big("-5")).to.equal(-5n);
  });
});
