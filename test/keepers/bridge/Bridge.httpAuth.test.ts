/**
 * EMQX's HTTP authentication and authorization, served by the bridge (`--auth-http-port`): called
 * here over HTTP as EMQX calls them (docs/broker.md), with real connect tokens checked against the
 * directory on an in-process chain. The ACL is the embedded broker's.
 */
import { expect } from "chai";
import { fleetKey } from "../../../firmware/simulator.js";
import {
  connectPassword,
  errorTopic,
  generateKeyPair,
  readingTopic,
  receiptTopic,
  type DeviceKeyPair,
} from "../../../sdk/src/index.js";
import { Bridge } from "../../../keepers/bridge/bridge.js";
import { filterReachesRoot } from "../../../keepers/bridge/broker-auth.js";
import { NETWORK_ID, bridgeOpts, chain, registerDevice, startBridge, tempDir } from "../../datapath/fixtures.js";

const SECRET = "emqx-calls-with-this";

describe("Bridge: HTTP authentication and authorization for EMQX", function () {
  this.timeout(60_000);
  const root = "httpauth";
  const A = 201n;
  const B = 202n;
  const keys: Record<string, DeviceKeyPair> = {
    [A.toString()]: fleetKey("http", 1, "secp256k1"),
    [B.toString()]: fleetKey("http", 2, "p256"),
  };
  let bridge: Bridge;
  let base: string;
  let directory: Awaited<ReturnType<typeof chain>>["directory"];
  let tmp: ReturnType<typeof tempDir>;

  const token = (id: bigint, ts = Math.floor(Date.now() / 1000), key = keys[id.toString()]): string =>
    connectPassword(NETWORK_ID, key, id, BigInt(ts));

  async function post(
    pathname: string,
    body: unknown,
    auth = `Bearer ${SECRET}`,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${base}${pathname}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const auth = async (username: string, password: string) =>
    (await post("/mqtt/auth", { username, password, clientid: "x" })).body.result;
  const authz = async (username: string, action: string, topic: string) =>
    (await post("/mqtt/authz", { username, action, topic, clientid: "x" })).body.result;

  before(async function () {
    const c = await chain();
    directory = c.directory;
    for (const [id, key] of Object.entries(keys)) await registerDevice(directory, BigInt(id), key);
    tmp = tempDir("httpauth");
    bridge = await startBridge(c.ethers.provider, c.directoryAddress, {
      topicRoot: root,
      authHttpPort: 0,
      authHttpSecret: SECRET,
      brokerUsername: "depin-bridge",
      brokerPassword: "bridge-pw",
      store: `sqlite:${tmp.dir}/bridge.sqlite`,
    });
    base = `http://127.0.0.1:${bridge.brokerAuth.http!.port}`;
  });

  after(async function () {
    await bridge?.close();
    tmp?.cleanup();
  });

  it("refuses the endpoints on a public address without a secret, and without the bridge's account, naming the option", function () {
    expect(
      () => new Bridge(bridgeOpts({ authHttpPort: 0, authHttpHost: "0.0.0.0", brokerUsername: "b", brokerPassword: "p" })),
    ).to.throw("--auth-http-secret");
    expect(() => new Bridge(bridgeOpts({ authHttpPort: 0 }))).to.throw("--auth-http-port");
  });

  it("authenticates a device by its signed connect token (both key types) and the bridge by its password", async function () {
    expect(await auth(A.toString(), token(A))).to.equal("allow");
    expect(await auth(B.toString(), token(B))).to.equal("allow");
    expect(await auth("depin-bridge", "bridge-pw")).to.equal("allow");
  });

  it("denies stale, forged, other-device and malformed tokens, a wrong bridge password, and an inactive device", async function () {
    expect(await auth(A.toString(), token(A, Math.floor(Date.now() / 1000) - 3_600)), "stale").to.equal("deny");
    expect(await auth(A.toString(), token(A, undefined, generateKeyPair("secp256k1"))), "forged").to.equal("deny");
    expect(await auth(B.toString(), token(A)), "A's token for B").to.equal("deny");
    expect(await auth(A.toString(), "0.0x00"), "malformed").to.equal("deny");
    expect(await auth("depin-bridge", "bridge-px"), "bridge password").to.equal("deny");
    await (await directory.setStatus(B, 4)).wait(); // suspended
    expect(await auth(B.toString(), token(B)), "suspended").to.equal("deny");
    await (await directory.setStatus(B, 3)).wait();
  });

  it("leaves other usernames to the broker's next authenticator", async function () {
    expect(await auth("dashboard", "x")).to.equal("ignore");
  });

  it("authorizes a device's own reading topic and answers only, the bridge's readings and answers only", async function () {
    const a = A.toString();
    expect(await authz(a, "publish", readingTopic(A, root))).to.equal("allow");
    expect(await authz(a, "subscribe", receiptTopic(A, root))).to.equal("allow");
    expect(await authz(a, "subscribe", errorTopic(A, root))).to.equal("allow");
    // The attacks: another device's topics, wildcards, forged answers.
    expect(await authz(a, "publish", readingTopic(B, root)), "B's reading topic").to.equal("deny");
    expect(await authz(a, "publish", receiptTopic(A, root)), "forged receipt to itself").to.equal("deny");
    expect(await authz(a, "publish", errorTopic(B, root)), "forged error to B").to.equal("deny");
    expect(await authz(a, "subscribe", receiptTopic(B, root)), "B's receipts").to.equal("deny");
    expect(await authz(a, "subscribe", "#"), "#").to.equal("deny");
    expect(await authz(a, "subscribe", `${root}/r/#`), "all readings").to.equal("deny");
    expect(await authz(a, "publish", "elsewhere/topic"), "outside the network").to.equal("deny");
    expect(await authz("depin-bridge", "subscribe", `${root}/r/3/+`)).to.equal("allow");
    expect(await authz("depin-bridge", "publish", receiptTopic(B, root))).to.equal("allow");
    expect(await authz("depin-bridge", "publish", readingTopic(B, root)), "bridge forging a reading").to.equal("deny");
    expect(await authz("depin-bridge", "subscribe", "#"), "bridge reading everything").to.equal("deny");
  });

  it("keeps any other user off the network's topics, including by wildcard, and ignores the rest", async function () {
    for (const t of ["#", "+/r/#", `${root}/#`, `${root}/d/${A}/receipt`, `${root}/r/+/+`])
      expect(await authz("dashboard", "subscribe", t), t).to.equal("deny");
    expect(await authz("dashboard", "publish", receiptTopic(A, root)), "forged receipt").to.equal("deny");
    expect(await authz("dashboard", "subscribe", "other/#")).to.equal("ignore");
    expect(filterReachesRoot("a/+/c", "a/b")).to.equal(true);
    expect(filterReachesRoot("a", "a/b")).to.equal(false);
    expect(filterReachesRoot("a/b", "a/b")).to.equal(false);
  });

  it("refuses a caller without the bearer secret, and malformed bodies, with a status and no decision", async function () {
    expect((await post("/mqtt/auth", { username: A.toString(), password: token(A) }, "Bearer wrong")).status).to.equal(401);
    expect((await post("/mqtt/auth", { username: A.toString(), password: token(A) }, "")).status).to.equal(401);
    expect((await post("/mqtt/auth", "{not json")).status).to.equal(400);
    expect((await post("/mqtt/auth", { username: 5, password: "x" })).status).to.equal(400);
    expect((await post("/mqtt/authz", { username: "a", topic: "t", action: "all" })).status).to.equal(400);
    expect((await post("/mqtt/auth", { username: "x", password: "y".repeat(10_000) })).status).to.equal(413);
    const metrics = await bridge.registry.getSingleMetricAsString("depin_bridge_auth_http_total");
    expect(metrics).to.include('result="unauthorized"');
  });
});
