/**
 * Authenticated answers on a shared broker: a forged "stored" receipt would make a device forget
 * a reading the network never got. With the bridge's --answer-key and the device's bridgeAddress,
 * forged receipts and rejections are ignored and the reading is delivered for real later.
 */
import { expect } from "chai";
import mqtt from "mqtt";
import path from "node:path";
import { Device } from "../../../firmware/device.js";
import { fleetKey } from "../../../firmware/simulator.js";
import {
  answerDigest,
  errorTopic,
  generateKeyPair,
  keyPairFromPrivate,
  receiptTopic,
  signDigest,
} from "../../../sdk/src/index.js";
import { ConfigError } from "../../../keepers/common/options.js";
import {
  NETWORK_ID,
  mosquitto,
  bridgeOpts,
  chain,
  registerDevice,
  startBridge,
  tempDir,
  uniqueRoot,
  waitFor,
} from "../../datapath/fixtures.js";

const ANSWER_KEY = `0x${"5a".repeat(32)}`;

describe("Bridge: signed answers against forged receipts (Mosquitto)", function () {
  it("refuses a malformed --answer-key by name", function () {
    expect(() => bridgeOpts({ answerKey: "0x1234" })).to.throw(ConfigError, "--answer-key");
  });

  for (const guarded of [true, false]) {
    it(
      guarded
        ? "a device that knows the bridge's address ignores forged answers and delivers its readings later"
        : "control: a device that does not check answers is fooled by a forged receipt",
      async function () {
        const { ethers, directory, directoryAddress } = await chain();
        const MOSQUITTO = await mosquitto();
        const tmp = tempDir("answers");
        const root = uniqueRoot("answers");
        const id = guarded ? 81n : 82n;
        const key = fleetKey("answers", Number(id), "secp256k1");
        await registerDevice(directory, id, key);
        const bridgeAddress = keyPairFromPrivate("secp256k1", ANSWER_KEY).publicId;
        const device = new Device({
          deviceId: id,
          key,
          networkId: NETWORK_ID,
          brokerUrl: MOSQUITTO,
          topicRoot: root,
          journalFile: path.join(tmp.dir, "d.journal"),
          fsync: false,
          receiptTimeoutMs: 400,
          bridgeAddress: guarded ? bridgeAddress : undefined,
        });
        const forger = await mqtt.connectAsync(MOSQUITTO, { clean: true });
        let bridge: Awaited<ReturnType<typeof startBridge>> | undefined;
        try {
          await device.start();
          for (let k = 0; k < 3; k++) device.record(10 + k); // no bridge yet: nobody takes them
          const rt = receiptTopic(id, root);
          const forgedBody = '{"stored":["0","1","2"]}';
          const impostor = generateKeyPair("secp256k1");
          await forger.publishAsync(rt, forgedBody, { qos: 1 });
          await forger.publishAsync(rt, `${forgedBody}\n${signDigest(impostor, answerDigest(NETWORK_ID, rt, forgedBody))}`, {
            qos: 1,
          });
          await forger.publishAsync(errorTopic(id, root), '{"code":"BAD_SIGNATURE","message":"forged","seq":"1"}', { qos: 1 });
          if (!guarded) {
            // The attack: the device forgets readings the network never stored.
            await waitFor(() => device.pendingCount === 0, 5_000, "the forged receipt to take effect");
            expect(device.stats.receipts).to.equal(3);
            return;
          }
          await waitFor(() => device.stats.forged >= 3, 5_000, "the forged answers to arrive");
          expect(device.pendingCount).to.equal(3);
          expect(device.stats).to.include({ receipts: 0, rejected: 0 });

          bridge = await startBridge(ethers.provider, directoryAddress, {
            store: path.join(tmp.dir, "s.sqlite"),
            brokerUrl: MOSQUITTO,
            connections: 2,
            topicRoot: root,
            answerKey: ANSWER_KEY,
          });
          expect(bridge.status()).to.include({ answerAddress: bridgeAddress });
          await device.waitIdle(15_000); // re-sent on timeout, now answered by the real bridge
          expect((await bridge.store.allReadings()).map((r) => r.seq)).to.deep.equal([0n, 1n, 2n]);
          expect(device.stats.receipts).to.equal(3);
          expect(device.stats.forged).to.equal(3);
        } finally {
          await device.stop();
          await forger.endAsync();
          await bridge?.close();
          tmp.cleanup();
        }
      },
    );
  }
});
