/**
 * The explorer's pages (hash routes): #/network, #/devices, #/device/<id>, #/batches,
 * #/batch/<id>, #/epochs, #/epoch/<id>, #/governance. Lists and times come from the network API
 * (/api/v1/…); anything a person acts on or must be able to trust — balances, claimable
 * amounts, proposal state and votes, receipt verification — is read from the chain (/rpc).
 */
import "./style.css";
import { Contract } from "ethers";
import type { Receipt } from "../../indexer/receipt.js";
import { deviceDid, resolveDid } from "../../sdk/src/did.js";
import { registryReader, type RegistryViews } from "../../scripts/lib/registryReader.js";
import {
  api,
  ApiError,
  chain,
  contract,
  DISTRIBUTOR_ABI,
  getConfig,
  GOVERNOR_ABI,
  PROPOSAL_STATES,
  REGISTRY_ABI,
  TOKEN_ABI,
  walletSigner,
} from "./chain.js";
import { lineChart } from "./charts.js";
import { ago, dur, h, link, short, table, time } from "./dom.js";
import { big, formatUnitsExact, groupDigits, sumExact, toFloatUnits } from "./exact.js";

// ---------------------------------------------------------------- API shapes (integers: bigint | string)

type Int = bigint | string | number;
interface KeeperHealth {
  url: string;
  ok: boolean;
  error?: string;
  status?: { health?: { state: string; since: number; consecutiveErrors: number } };
}
interface NetworkView {
  chainId: number;
  devices: Record<string, number>;
  readings: { total: number; perSecond: number | null } | null;
  batches: { committed: number; invalidated: number; settled: number; sealedNotCommitted: number | null };
  proofs: Record<string, number>;
  epochs: { epoch: Int; points: Int | null; emission: Int | null; closed: boolean }[];
  dataCredits: { burns: number; burned: Int };
  keepers: KeeperHealth[];
}
interface BatchRow {
  id: Int;
  epoch: Int;
  root: Int;
  leafCount: number;
  depth: number;
  commitTx: string;
  committedAt: Int;
  settledAt: Int | null;
  settleTx: string | null;
  points: Int | null;
  stage: string;
}
interface BatchView {
  batchId: Int;
  epoch: Int;
  root: Int;
  leafCount: number;
  stage: string;
  times: {
    firstReadingMs: number | null;
    sealedMs: number | null;
    committed: Int | null;
    final: Int | null;
    provenMs: number | null;
    settled: Int | null;
  };
  commitTx: string | null;
  settleTx: string | null;
  proofStatus: string | null;
  proofError: string | null;
  points: Int | null;
}
interface DeviceRow {
  id: Int;
  status: string;
  maker: string | null;
  owner: string | null;
  account: string | null;
  points: Int;
  epochs: number;
}
interface DeviceView {
  id: Int;
  status: string;
  maker: string | null;
  owner: string | null;
  account: string | null;
  did: string;
  documentUri: string | null;
  keyId: string | null;
  lastReading: { seq: Int; timestamp: Int; value: Int; receivedAt: number; batchId: Int | null } | null;
  epochs: DeviceEpoch[];
}
interface DeviceEpoch {
  epoch: Int;
  points: Int;
  payout: Int | null;
  claimable: Int;
  claimed: boolean;
  claimedAmount: Int | null;
  claimTx: string | null;
}
interface EpochRow {
  id: Int;
  settledPoints: Int;
  batches: number;
  closed: boolean;
  totalPoints: Int | null;
  emission: Int | null;
  minted: Int | null;
  claimed: Int;
  closeTx: string | null;
  closedAt: Int | null;
}
interface ProposalRow {
  id: Int;
  proposer: string;
  description: string;
  voteStart: Int;
  voteEnd: Int;
  forVotes: Int;
  againstVotes: Int;
  abstainVotes: Int;
  voters: number;
  stage: string;
  eta: Int | null;
  votes: { voter: string; support: number; weight: Int; reason: string | null }[];
}

// ---------------------------------------------------------------- shell

const main = () => document.getElementById("main")!;
let pageTimers: number[] = [];
const every = (ms: number, f: () => Promise<void>) => {
  pageTimers.push(window.setInterval(() => void f().catch(() => undefined), ms));
};

function render(...nodes: (Node | string)[]) {
  main().replaceChildren(...nodes);
}

function errorBox(e: unknown): HTMLElement {
  const m = e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message;
  return h("p", { class: "error", role: "alert" }, m);
}

const ROUTES: [RegExp, (m: RegExpExecArray) => Promise<void>][] = [
  [/^#\/network$/, () => networkPage()],
  [/^#\/devices(?:\?(.*))?$/, (m) => devicesPage(new URLSearchParams(m[1] ?? ""))],
  [/^#\/device\/(\d+)$/, (m) => devicePage(BigInt(m[1]))],
  [/^#\/batches$/, () => batchesPage()],
  [/^#\/batch\/(\d+)$/, (m) => batchPage(BigInt(m[1]))],
  [/^#\/epochs$/, () => epochsPage()],
  [/^#\/epoch\/(\d+)$/, (m) => epochPage(BigInt(m[1]))],
  [/^#\/governance$/, () => governancePage()],
];

async function route() {
  for (const t of pageTimers) clearInterval(t);
  pageTimers = [];
  const hash = location.hash || "#/network";
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", hash.startsWith((a as HTMLAnchorElement).getAttribute("href")!.replace(/s$/, "")));
  main().setAttribute("aria-busy", "true");
  try {
    for (const [re, page] of ROUTES) {
      const m = re.exec(hash);
      if (m) {
        await page(m);
        return;
      }
    }
    render(h("h1", {}, "Not found"), h("p", {}, `No page ${hash}.`), link("#/network", "Network"));
  } catch (e) {
    render(errorBox(e));
  } finally {
    main().setAttribute("aria-busy", "false");
    main().dataset.page = hash.split(/[/?]/)[1] ?? "";
  }
}

// ---------------------------------------------------------------- network

const STAGES: { key: string; label: string; keeper: string }[] = [
  { key: "ingest", label: "readings stored", keeper: "bridge" },
  { key: "seal", label: "sealed into batches", keeper: "sequencer" },
  { key: "commit", label: "committed on-chain (DA)", keeper: "da" },
  { key: "prove", label: "proven (Groth16)", keeper: "prover" },
  { key: "settle", label: "settled (verified on-chain)", keeper: "submitter" },
  { key: "close", label: "epoch closed", keeper: "epoch" },
];

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

/** readings/s samples kept while the page is open (the API gives the rate between two calls). */
const rateHistory: { t: number; perSecond: number }[] = [];

function keeperState(k: KeeperHealth | undefined): { state: string; stalled: boolean } {
  if (!k) return { state: "not watched", stalled: false };
  if (!k.ok) return { state: "stopped (no answer)", stalled: true };
  const s = k.status?.health?.state ?? "unknown";
  return { state: s, stalled: s !== "ok" && s !== "starting" };
}

async function networkPage() {
  const cfg = await getConfig();
  const root = h("div", {});
  render(h("h1", {}, "Network"), root);
  const draw = async () => {
    const n = await api<NetworkView>("/v1/network");
    if (n.readings?.perSecond !== null && n.readings?.perSecond !== undefined)
      rateHistory.push({ t: Date.now() / 1000, perSecond: n.readings.perSecond });
    if (rateHistory.length > 300) rateHistory.shift();
    const { batches } = await api<{ batches: BatchRow[] }>("/v1/batches?limit=200");
    const recent = await Promise.all(batches.slice(0, 12).map((b) => api<BatchView>(`/v1/batches/${b.id}`)));
    const byName = new Map<string, KeeperHealth>();
    for (const [name, url] of Object.entries(cfg.keepers)) {
      const k = n.keepers.find((x) => x.url === url);
      if (k) byName.set(name, k);
    }
    const q = (f: (t: BatchView["times"]) => number | null) => median(recent.map((b) => f(b.times) ?? NaN));
    const queue: Record<string, number | null> = {
      ingest: null,
      seal: q((t) => (t.sealedMs !== null && t.firstReadingMs !== null ? t.sealedMs - t.firstReadingMs : null)),
      commit: q((t) => (t.committed !== null && t.sealedMs !== null ? Number(t.committed) * 1000 - t.sealedMs : null)),
      prove: q((t) => (t.provenMs !== null && t.committed !== null ? t.provenMs - Number(t.committed) * 1000 : null)),
      settle: q((t) => (t.settled !== null && t.provenMs !== null ? Number(t.settled) * 1000 - t.provenMs : null)),
      close: null,
    };
    const proven = n.proofs.proven ?? 0;
    const waiting: Record<string, number | null> = {
      ingest: n.readings?.total ?? null,
      seal: n.batches.sealedNotCommitted,
      commit: n.batches.committed,
      prove: proven,
      settle: n.batches.settled,
      close: n.epochs.filter((e) => e.closed).length,
    };
    const funnelMax = Math.max(1, ...Object.values(waiting).map((x) => x ?? 0));
    const funnel = h(
      "div",
      { class: "funnel", "data-testid": "funnel" },
      ...STAGES.map((s, i) => {
        const ks = keeperState(byName.get(s.keeper));
        const width = 100 - i * 11;
        return h(
          "div",
          { class: `stage ${ks.stalled ? "stalled" : "ok"}`, "data-stage": s.key, style: `width:${width}%` },
          h("span", { class: "label" }, s.label),
          h("span", { class: "count" }, waiting[s.key] === null ? "—" : groupDigits(BigInt(waiting[s.key]!))),
          h("span", { class: "queue" }, queue[s.key] === null ? "" : `queue ${dur(queue[s.key])}`),
          h("span", { class: "state" }, ks.stalled ? `STALLED: ${s.keeper} ${ks.state}` : `${s.keeper} ${ks.state}`),
          h("span", { class: "bar", style: `width:${(100 * (waiting[s.key] ?? 0)) / funnelMax}%` }),
        );
      }),
    );
    const devices = Object.entries(n.devices);
    const cards = h(
      "div",
      { class: "cards" },
      card("chain", String(n.chainId)),
      card("devices", String(devices.reduce((a, [, c]) => a + c, 0)), devices.map(([k, v]) => `${k} ${v}`).join(", ")),
      card("readings", n.readings ? groupDigits(BigInt(n.readings.total)) : "no store"),
      card(
        "readings/s",
        n.readings?.perSecond === null || n.readings?.perSecond === undefined ? "…" : n.readings.perSecond.toFixed(2),
      ),
      card(
        "batches settled",
        String(n.batches.settled),
        `${n.batches.committed} committed, ${n.batches.invalidated} invalidated`,
      ),
      card("data credits burned", formatUnitsExact(n.dataCredits.burned), `${n.dataCredits.burns} burns`),
    );
    const keepers = table(
      ["keeper", "state", "since", "errors in a row", "status"],
      Object.entries(cfg.keepers).map(([name, url]) => {
        const k = byName.get(name);
        const ks = keeperState(k);
        return [
          name,
          h(
            "span",
            { class: ks.stalled ? "badge bad" : "badge good", "data-keeper": name },
            ks.stalled ? `stalled — ${ks.state}` : ks.state,
          ),
          ago(k?.status?.health?.since),
          String(k?.status?.health?.consecutiveErrors ?? "—"),
          h("code", {}, url),
        ];
      }),
      { "data-testid": "keepers" },
    );
    const charts = h("div", { class: "charts" });
    root.replaceChildren(
      cards,
      h("h2", {}, "Pipeline"),
      h("p", { class: "hint" }, "Items waiting at each stage; queue = median time spent there by the last 12 batches."),
      funnel,
      h("h2", {}, "Over time"),
      charts,
      h("h2", {}, "Keepers"),
      Object.keys(cfg.keepers).length ? keepers : h("p", {}, "No keeper /status pages configured (--keepers)."),
    );
    const c1 = h("div", {});
    const c2 = h("div", {});
    const c3 = h("div", {});
    const c4 = h("div", {});
    charts.append(c1, c2, c3, c4);
    lineChart(
      c1,
      "readings/s",
      rateHistory.map((r) => r.t),
      [{ label: "readings/s", values: rateHistory.map((r) => r.perSecond) }],
    );
    // Cumulative batches committed / proven / settled, by time.
    const events: { t: number; kind: 0 | 1 | 2 }[] = [];
    for (const b of batches) {
      events.push({ t: Number(b.committedAt), kind: 0 });
      if (b.settledAt !== null) events.push({ t: Number(b.settledAt), kind: 2 });
    }
    for (const b of recent) if (b.times.provenMs !== null) events.push({ t: b.times.provenMs / 1000, kind: 1 });
    events.sort((a, b) => a.t - b.t);
    const acc = [0, 0, 0];
    const xs: number[] = [];
    const ys: number[][] = [[], [], []];
    for (const e of events) {
      acc[e.kind]++;
      xs.push(e.t);
      for (let i = 0; i < 3; i++) ys[i].push(acc[i]);
    }
    lineChart(c2, "batches committed, proofs (last 12), settlements", xs, [
      { label: "committed", values: ys[0] },
      { label: "proven", values: ys[1] },
      { label: "settled", values: ys[2] },
    ]);
    const ep = [...n.epochs].reverse();
    lineChart(
      c3,
      "emission per epoch (tokens)",
      ep.map((e) => Number(e.epoch)),
      [{ label: "emission", values: ep.map((e) => (e.emission === null ? null : toFloatUnits(e.emission))) }],
      { time: false, bars: true },
    );
    lineChart(
      c4,
      "points per epoch",
      ep.map((e) => Number(e.epoch)),
      [{ label: "points", values: ep.map((e) => (e.points === null ? null : Number(e.points))) }],
      { time: false, bars: true },
    );
  };
  await draw();
  every(3000, draw);
}

function card(title: string, value: string, sub = "") {
  return h(
    "div",
    { class: "card" },
    h("div", { class: "title" }, title),
    h("div", { class: "value" }, value),
    sub && h("div", { class: "sub" }, sub),
  );
}

// ---------------------------------------------------------------- devices

async function devicesPage(params: URLSearchParams) {
  const q = params.get("q") ?? "";
  const status = params.get("status") ?? "";
  const search = h("input", {
    type: "search",
    placeholder: "device id or 0x owner/account/maker",
    value: q,
    name: "q",
  }) as HTMLInputElement;
  const select = h(
    "select",
    { name: "status" },
    ...["", "provisioned", "bound", "active", "suspended", "decommissioned"].map((s) =>
      h("option", { value: s, selected: s === status }, s || "any status"),
    ),
  ) as HTMLSelectElement;
  const go = () => {
    const p = new URLSearchParams();
    if (search.value.trim()) p.set("q", search.value.trim());
    if (select.value) p.set("status", select.value);
    location.hash = `#/devices${p.size ? "?" + p.toString() : ""}`;
  };
  const form = h(
    "form",
    { class: "filters", onsubmit: (e: Event) => (e.preventDefault(), go()) },
    search,
    select,
    h("button", { type: "submit" }, "Search"),
  );
  select.addEventListener("change", go);
  const p = new URLSearchParams({ limit: "500" });
  if (q) p.set("q", q.toLowerCase());
  if (status) p.set("status", status);
  let list: HTMLElement;
  try {
    const { total, devices } = await api<{ total: number; devices: DeviceRow[] }>(`/v1/devices?${p}`);
    list = h(
      "div",
      {},
      h("p", { class: "hint" }, `${total} device${total === 1 ? "" : "s"}`),
      table(
        ["device", "status", "owner", "account", "points (all epochs)", "epochs"],
        devices.map((d) => [
          link(`#/device/${d.id}`, String(d.id)),
          h("span", { class: `badge s-${d.status}` }, d.status),
          h("code", { title: d.owner ?? "" }, short(d.owner)),
          h("code", { title: d.account ?? "" }, short(d.account)),
          groupDigits(big(d.points)),
          String(d.epochs),
        ]),
        { "data-testid": "devices" },
      ),
    );
  } catch (e) {
    list = errorBox(e);
  }
  const mapBox = h("div", { class: "map" });
  render(h("h1", {}, "Devices"), form, list, h("h2", {}, "Coverage"), mapBox);
  const locations = (await (await fetch("/locations.json")).json()) as Record<string, [number, number]>;
  if (Object.keys(locations).length === 0)
    mapBox.append(h("p", { class: "hint" }, "No device locations configured (--locations)."));
  else {
    const { coverageMap } = await import("./map.js");
    mapBox.append(
      coverageMap(locations),
      h("p", { class: "hint" }, `${Object.keys(locations).length} located devices, H3 resolution 7 hexagons.`),
    );
  }
}

// ---------------------------------------------------------------- device

async function devicePage(id: bigint) {
  const cfg = await getConfig();
  const d = await api<DeviceView>(`/v1/devices/${id}`);
  const provider = await chain();
  const token = await contract("rewardToken", TOKEN_ABI);
  const distributor = await contract("rewardDistributor", DISTRIBUTOR_ABI);
  const registry = await contract("deviceRegistry", REGISTRY_ABI);
  const recipient = (await registry.rewardRecipient(id)) as string;
  const balance = (await token.balanceOf(recipient)) as bigint;
  const didBox = h("pre", { class: "did", "data-testid": "did" }, "resolving from the chain…");
  const msg = h("p", { class: "msg", role: "status", "data-testid": "device-msg" });
  const epochs = d.epochs;
  const totalPaid = sumExact(epochs.map((e) => e.payout ?? 0));
  // Claimable is read from the chain, not taken from the API.
  const chainClaimable = await Promise.all(epochs.map(async (e) => (await distributor.claimable(id, big(e.epoch))) as bigint));
  const claim = async (epoch: bigint, button: HTMLButtonElement) => {
    button.disabled = true;
    msg.textContent = `claiming epoch ${epoch} — confirm in your wallet…`;
    try {
      const signer = await walletSigner();
      const c = new Contract(cfg.contracts.rewardDistributor, DISTRIBUTOR_ABI, signer);
      const tx = await c.claim([id], [epoch]);
      msg.textContent = `sent ${tx.hash}; waiting…`;
      const rc = await tx.wait();
      const after = (await token.balanceOf(recipient)) as bigint;
      msg.textContent = `claimed in block ${rc?.blockNumber}: the device account now holds ${formatUnitsExact(after)} tokens`;
      setTimeout(() => void route(), 1500);
    } catch (e) {
      msg.textContent = `claim failed: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`;
      button.disabled = false;
    }
  };
  const verify = async (epoch: bigint, out: HTMLElement) => {
    out.className = "verdict pending";
    out.textContent = "fetching the receipt…";
    try {
      const receipt = await api<Receipt>(`/v1/receipts/${id}/${epoch}`);
      out.textContent = "verifying against the chain (proof, key, commitments, leaves, payout)…";
      const { verifyInBrowser } = await import("./verify.js");
      const v = await verifyInBrowser(receipt);
      if (v.ok) {
        out.className = "verdict good";
        out.textContent = `✔ verified against the chain: ${v.result.batches} batch(es), ${v.result.readings} reading(s), ${formatUnitsExact(v.result.amount)} tokens`;
      } else {
        out.className = "verdict bad";
        out.textContent = `✘ refused — ${v.field}: ${v.message}`;
      }
    } catch (e) {
      out.className = "verdict bad";
      out.textContent = `✘ ${e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message}`;
    }
  };
  const rows = epochs.map((e, i) => {
    const ep = big(e.epoch);
    const verdict = h("span", { class: "verdict", "data-epoch": String(ep) });
    const claimable = chainClaimable[i];
    const claimBtn = h("button", { class: "claim", "data-epoch": String(ep) }, "Claim") as HTMLButtonElement;
    claimBtn.addEventListener("click", () => void claim(ep, claimBtn));
    const verifyBtn = h("button", { class: "verify", "data-epoch": String(ep) }, "Verify") as HTMLButtonElement;
    verifyBtn.addEventListener("click", () => void verify(ep, verdict));
    return [
      link(`#/epoch/${ep}`, String(ep)),
      groupDigits(big(e.points)),
      e.payout === null ? "open" : formatUnitsExact(e.payout),
      e.claimed
        ? h("span", {}, "claimed ", e.claimTx ? h("code", {}, short(e.claimTx)) : "")
        : claimable > 0n
          ? formatUnitsExact(claimable)
          : "—",
      [e.payout !== null ? verifyBtn : "", !e.claimed && claimable > 0n ? claimBtn : "", verdict],
    ];
  });
  const chartBox = h("div", {});
  const readingsBox = h("div", {}, "loading…");
  render(
    h("h1", {}, `Device ${id}`),
    h(
      "dl",
      { class: "facts", "data-testid": "facts" },
      ...fact("status", h("span", { class: `badge s-${d.status}` }, d.status)),
      ...fact("DID", h("code", {}, d.did ?? deviceDid(BigInt(cfg.chainId), id))),
      ...fact("owner", h("code", {}, d.owner ?? "—")),
      ...fact("maker", h("code", {}, d.maker ?? "—")),
      ...fact("account", h("code", { "data-testid": "account" }, recipient)),
      ...fact("account balance (chain)", h("span", { "data-testid": "balance" }, `${formatUnitsExact(balance)} tokens`)),
      ...fact("earned (closed epochs)", h("span", { "data-testid": "total-paid" }, `${formatUnitsExact(totalPaid)} tokens`)),
      ...fact(
        "last reading",
        d.lastReading ? `#${d.lastReading.seq} value ${d.lastReading.value} ${ago(d.lastReading.receivedAt)}` : "—",
      ),
    ),
    h("h2", {}, "Earnings per epoch"),
    chartBox,
    msg,
    table(["epoch", "points", "payout (tokens)", "claimable / claimed", "receipt"], rows, { "data-testid": "earnings" }),
    h("h2", {}, "Recent readings"),
    readingsBox,
    h("h2", {}, "DID document"),
    didBox,
  );
  const closed = epochs.filter((e) => e.payout !== null);
  lineChart(
    chartBox,
    "payout per epoch (tokens)",
    closed.map((e) => Number(e.epoch)),
    [{ label: "payout", values: closed.map((e) => toFloatUnits(e.payout)) }],
    { time: false, bars: true },
  );
  try {
    const { readings } = await api<{
      readings: {
        seq: Int;
        timestamp: Int;
        value: Int;
        receivedAt: number;
        batchId: Int | null;
        fate: string;
        reason: string | null;
      }[];
    }>(`/v1/devices/${id}/readings?limit=20`);
    readingsBox.replaceChildren(
      table(
        ["seq", "time", "value", "received", "batch", "fate"],
        readings.map((r) => [
          String(r.seq),
          time(r.timestamp),
          String(r.value),
          ago(r.receivedAt),
          r.batchId === null ? "—" : link(`#/batch/${r.batchId}`, String(r.batchId)),
          h("span", { class: `fate f-${r.fate}` }, r.fate === "not-earned" ? `not earned: ${r.reason}` : r.fate),
        ]),
        { "data-testid": "readings" },
      ),
    );
  } catch (e) {
    readingsBox.replaceChildren(errorBox(e));
  }
  try {
    const reader = registryReader(registry as unknown as RegistryViews, BigInt(cfg.chainId));
    const res = await resolveDid(deviceDid(BigInt(cfg.chainId), id), reader);
    didBox.textContent = JSON.stringify(
      res.didDocument ?? res,
      (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
      2,
    );
  } catch (e) {
    didBox.textContent = `cannot resolve: ${(e as Error).message}`;
  }
  void provider;
}

const fact = (k: string, v: Node | string) => [h("dt", {}, k), h("dd", {}, v)];

// ---------------------------------------------------------------- batches

async function batchesPage() {
  const { batches } = await api<{ batches: BatchRow[] }>("/v1/batches?limit=200");
  render(
    h("h1", {}, "Batches"),
    table(
      ["batch", "epoch", "readings", "stage", "committed", "settled", "points", "root"],
      batches.map((b) => [
        link(`#/batch/${b.id}`, String(b.id)),
        link(`#/epoch/${b.epoch}`, String(b.epoch)),
        String(b.leafCount),
        h("span", { class: `badge st-${b.stage}` }, b.stage),
        time(b.committedAt),
        time(b.settledAt),
        b.points === null ? "—" : groupDigits(big(b.points)),
        h("code", { title: String(b.root) }, short(big(b.root).toString(16).padStart(64, "0").replace(/^/, "0x"))),
      ]),
      { "data-testid": "batches" },
    ),
  );
}

async function batchPage(id: bigint) {
  const b = await api<BatchView>(`/v1/batches/${id}`);
  const t = b.times;
  const steps: [string, number | null][] = [
    ["first reading", t.firstReadingMs],
    ["sealed", t.sealedMs],
    ["committed", t.committed === null ? null : Number(t.committed) * 1000],
    ["final (challenge window over)", t.final === null ? null : Number(t.final) * 1000],
    ["proven", t.provenMs],
    ["settled", t.settled === null ? null : Number(t.settled) * 1000],
  ];
  render(
    h("h1", {}, `Batch ${id}`),
    h(
      "dl",
      { class: "facts", "data-testid": "facts" },
      ...fact("stage", h("span", { class: `badge st-${b.stage}` }, b.stage)),
      ...fact("epoch", link(`#/epoch/${b.epoch}`, String(b.epoch))),
      ...fact("readings", String(b.leafCount)),
      ...fact("root", h("code", {}, String(b.root))),
      ...fact("points", b.points === null ? "—" : String(b.points)),
      ...fact("commit tx", h("code", {}, b.commitTx ?? "—")),
      ...fact("settle tx", h("code", {}, b.settleTx ?? "—")),
      ...fact("proof", `${b.proofStatus ?? "—"}${b.proofError ? `: ${b.proofError}` : ""}`),
    ),
    h("h2", {}, "Timeline"),
    table(
      ["step", "at", "after previous"],
      steps.map(([k, v], i) => {
        const prev =
          steps
            .slice(0, i)
            .reverse()
            .find(([, x]) => x !== null)?.[1] ?? null;
        return [
          k,
          v === null ? "—" : new Date(v).toISOString().replace("T", " ").slice(0, 23),
          v !== null && prev !== null ? dur(v - prev) : "—",
        ];
      }),
    ),
  );
}

// ---------------------------------------------------------------- epochs

async function epochsPage() {
  const epochs = await api<EpochRow[]>("/v1/epochs");
  const closed = epochs.filter((e) => e.closed);
  render(
    h("h1", {}, "Epochs"),
    table(
      ["epoch", "batches", "points", "emission (tokens)", "claimed (tokens)", "closed"],
      [
        ...epochs.map((e) => [
          link(`#/epoch/${e.id}`, String(e.id)),
          String(e.batches),
          groupDigits(big(e.totalPoints ?? e.settledPoints)),
          e.emission === null ? "—" : formatUnitsExact(e.emission),
          formatUnitsExact(e.claimed),
          e.closed ? time(e.closedAt) : "open",
        ]),
        [
          h("strong", {}, "total"),
          "",
          groupDigits(sumExact(epochs.map((e) => e.totalPoints ?? e.settledPoints))),
          h("strong", { "data-testid": "total-emission" }, formatUnitsExact(sumExact(closed.map((e) => e.emission ?? 0)))),
          h("strong", { "data-testid": "total-claimed" }, formatUnitsExact(sumExact(epochs.map((e) => e.claimed)))),
          "",
        ],
      ],
      { "data-testid": "epochs" },
    ),
  );
}

async function epochPage(id: bigint) {
  const e = await api<EpochRow & { batches: Int[]; devices: { deviceId: Int; points: Int; claimed: boolean }[] }>(
    `/v1/epochs/${id}`,
  );
  const distributor = await contract("rewardDistributor", DISTRIBUTOR_ABI);
  const [totals, closed] = (await distributor.epochInfo(id)) as [{ totalPoints: bigint; emission: bigint }, boolean];
  render(
    h("h1", {}, `Epoch ${id}`),
    h(
      "dl",
      { class: "facts", "data-testid": "facts" },
      ...fact("closed (chain)", closed ? "yes" : "no"),
      ...fact("total points (chain)", groupDigits(totals.totalPoints)),
      ...fact("emission (chain)", h("span", { "data-testid": "emission" }, `${formatUnitsExact(totals.emission)} tokens`)),
      ...fact("claimed", `${formatUnitsExact(e.claimed)} tokens`),
      ...fact("batches", h("span", {}, ...e.batches.flatMap((b) => [link(`#/batch/${b}`, String(b)), " "]))),
    ),
    table(
      ["device", "points", "claimed"],
      e.devices.map((d) => [
        link(`#/device/${d.deviceId}`, String(d.deviceId)),
        groupDigits(big(d.points)),
        d.claimed ? "yes" : "no",
      ]),
    ),
  );
}

// ---------------------------------------------------------------- governance

async function governancePage() {
  const { proposals, timelock } = await api<{
    proposals: ProposalRow[];
    timelock: { id: string; stage: string; readyAt: Int }[];
  }>("/v1/proposals");
  const governor = await contract("governor", GOVERNOR_ABI);
  const provider = await chain();
  const now = (await provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000);
  const msg = h("p", { class: "msg", role: "status", "data-testid": "gov-msg" });
  const vote = async (id: bigint, support: number) => {
    msg.textContent = `voting ${["against", "for", "abstain"][support]} proposal ${id} — confirm in your wallet…`;
    try {
      const signer = await walletSigner();
      const g = new Contract(await governor.getAddress(), GOVERNOR_ABI, signer);
      const tx = await g.castVoteWithReason(id, support, "from the explorer");
      await tx.wait();
      const [against, forV, abstain] = (await governor.proposalVotes(id)) as [bigint, bigint, bigint];
      msg.textContent = `vote counted: for ${formatUnitsExact(forV)}, against ${formatUnitsExact(against)}, abstain ${formatUnitsExact(abstain)}`;
      setTimeout(() => void route(), 1500);
    } catch (e) {
      msg.textContent = `vote failed: ${(e as { shortMessage?: string }).shortMessage ?? (e as Error).message}`;
    }
  };
  const cards = await Promise.all(
    proposals.map(async (p) => {
      const id = big(p.id);
      // State and tallies from the chain (the index may be a block behind).
      const state = PROPOSAL_STATES[Number(await governor.state(id))] ?? "?";
      const [against, forV, abstain] = (await governor.proposalVotes(id)) as [bigint, bigint, bigint];
      const eta = (await governor.proposalEta(id)) as bigint;
      const buttons =
        state === "Active"
          ? h(
              "div",
              { class: "vote" },
              ...["Against", "For", "Abstain"].map((label, support) =>
                h("button", { class: `vote-${label.toLowerCase()}`, onclick: () => void vote(id, support) }, label),
              ),
            )
          : null;
      return h(
        "section",
        { class: "proposal", "data-proposal": id.toString() },
        h("h3", {}, p.description.split("\n")[0].slice(0, 120)),
        h(
          "dl",
          { class: "facts" },
          ...fact("id", h("code", { class: "pid" }, id.toString())),
          ...fact("state (chain)", h("span", { class: `badge p-${state.toLowerCase()}`, "data-testid": "state" }, state)),
          ...fact("for", h("span", { "data-testid": "for" }, formatUnitsExact(forV))),
          ...fact("against", formatUnitsExact(against)),
          ...fact("abstain", formatUnitsExact(abstain)),
          ...fact("voting blocks", `${p.voteStart} → ${p.voteEnd}`),
          ...fact(
            "timelock ETA",
            eta === 0n ? "not queued" : `${time(eta)} (${eta <= BigInt(now) ? "ready" : `in ${Number(eta - BigInt(now))} s`})`,
          ),
          ...fact("proposer", h("code", {}, p.proposer)),
        ),
        buttons,
        p.votes.length
          ? table(
              ["voter", "support", "weight (tokens)", "reason"],
              p.votes.map((v) => [
                h("code", {}, short(v.voter)),
                ["against", "for", "abstain"][v.support] ?? "?",
                formatUnitsExact(v.weight),
                v.reason ?? "",
              ]),
            )
          : h("p", { class: "hint" }, "no votes yet"),
      );
    }),
  );
  render(
    h("h1", {}, "Governance"),
    msg,
    ...(cards.length ? cards : [h("p", {}, "No proposals yet.")]),
    h("h2", {}, "Timelock operations"),
    table(
      ["operation", "stage", "ready at"],
      timelock.map((t) => [h("code", {}, short(t.id, 8)), t.stage, time(t.readyAt)]),
    ),
  );
}

window.addEventListener("hashchange", () => void route());
void route();
