/**
 * `npm run keeper -- broker-setup`: writes the initial dynamic-security file of a Mosquitto the
 * bridge secures (`--broker-acl dynsec`, dynsec.ts), a mosquitto.conf that loads it, and an env
 * file with the bridge's account. Three accounts and their roles (docs/broker.md):
 *
 *   admin         $CONTROL/dynamic-security (and $SYS) only: the operator's mosquitto_ctrl account
 *   depin-bridge  reads readings and enrol tokens, writes receipts and errors, manages dynsec
 *   depin-enrol   public: publishes to <root>/enrol/+ only, reads nothing
 *
 * Everything else is denied by default (publish, receive, subscribe); device accounts and roles
 * are created by the bridge as devices enrol. Passwords not given are generated; the file stores
 * them hashed as Mosquitto does (PBKDF2-SHA512, base64 salt and hash).
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_ENROL_PASSWORD, DEFAULT_ENROL_USERNAME } from "../../sdk/src/index.js";
import { ConfigError, opt, topicRootOption, type OptionValues } from "../common/options.js";
import { DYNSEC_CONTROL_TOPIC } from "./dynsec.js";

export const PLUGIN_PATHS = [
  "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
  "/usr/lib/mosquitto_dynamic_security.so",
  "/usr/local/lib/mosquitto_dynamic_security.so",
];

export const brokerSetupOptions = {
  dynsecFile: opt.string("dynamic-security JSON file to write (refused if it exists, unless --force)"),
  conf: opt.string("mosquitto.conf to write that loads it (empty = none)", { default: "" }),
  envOut: opt.string("env file (mode 0600) to write with the bridge's DEPIN_BROKER_* settings and the admin password", {
    default: "",
  }),
  port: opt.int("listener port in the written mosquitto.conf", { default: 1884, min: 1, max: 65535 }),
  host: opt.string("listener address in the written mosquitto.conf", { default: "127.0.0.1" }),
  plugin: opt.string("path of mosquitto_dynamic_security.so (default: the first that exists of the usual places)", {
    default: "",
  }),
  topicRoot: topicRootOption(),
  adminUsername: opt.string("dynsec admin account (mosquitto_ctrl)", { default: "admin" }),
  brokerAdminPassword: opt.string("its password (default: generated, written to --env-out)", { default: "", secret: true }),
  brokerUsername: opt.string("the bridge's account", { default: "depin-bridge" }),
  brokerPassword: opt.string("its password (default: generated, written to --env-out)", { default: "", secret: true }),
  enrolUsername: opt.string("the public enrol account devices publish their connect token with", {
    default: DEFAULT_ENROL_USERNAME,
  }),
  enrolPassword: opt.string("its password (public: every device is configured with it)", { default: DEFAULT_ENROL_PASSWORD }),
  brokerUser: opt.string(
    "system user the broker runs as (Mosquitto started as root switches to `mosquitto`): when run as root, the dynsec file and a directory created for it are given to this user, so the plugin can read and save it (empty = none)",
    { default: process.getuid?.() === 0 ? "mosquitto" : "" },
  ),
  force: opt.bool("overwrite existing files"),
};
export type BrokerSetupOptions = OptionValues<typeof brokerSetupOptions>;

interface Acl {
  acltype: string;
  topic: string;
  allow: boolean;
  priority?: number;
}

function account(username: string, password: string, textname: string, roles: string[]) {
  const salt = randomBytes(12);
  const iterations = 1000;
  return {
    username,
    textname,
    password: pbkdf2Sync(password, salt, iterations, 64, "sha512").toString("base64"),
    salt: salt.toString("base64"),
    iterations,
    roles: roles.map((rolename) => ({ rolename })),
  };
}

const allow = (acltype: string, topic: string): Acl => ({ acltype, topic, allow: true });

/** The dynamic-security document for one network (topic root) and its three accounts. */
export function dynsecDocument(o: {
  topicRoot: string;
  admin: { username: string; password: string };
  bridge: { username: string; password: string };
  enrol: { username: string; password: string };
}): Record<string, unknown> {
  const root = o.topicRoot;
  const control = `${DYNSEC_CONTROL_TOPIC.split("/").slice(0, 2).join("/")}/#`; // $CONTROL/dynamic-security/#
  const controlAcls = [
    allow("publishClientSend", control),
    allow("publishClientReceive", control),
    allow("subscribePattern", control),
  ];
  const roles = [
    {
      rolename: "admin",
      textname: "dynsec administration",
      acls: [...controlAcls, allow("publishClientReceive", "$SYS/#"), allow("subscribePattern", "$SYS/#")],
    },
    { rolename: "depin-dynsec", textname: "the bridge manages device accounts", acls: controlAcls },
    {
      rolename: `depin-bridge:${root}`,
      textname: "the bridge: reads readings and enrol tokens, writes receipts and errors",
      acls: [
        allow("subscribePattern", `${root}/r/#`),
        allow("publishClientReceive", `${root}/r/#`),
        allow("subscribePattern", `${root}/enrol/+`),
        allow("publishClientReceive", `${root}/enrol/+`),
        allow("publishClientSend", `${root}/d/+/receipt`),
        allow("publishClientSend", `${root}/d/+/error`),
      ],
    },
    {
      rolename: `depin-enrol:${root}`,
      textname: "public enrol account: publishes connect tokens, reads nothing",
      acls: [allow("publishClientSend", `${root}/enrol/+`)],
    },
  ];
  return {
    clients: [
      account(o.admin.username, o.admin.password, "dynsec administrator", ["admin"]),
      account(o.bridge.username, o.bridge.password, "depin bridge", ["depin-dynsec", `depin-bridge:${root}`]),
      account(o.enrol.username, o.enrol.password, "depin device enrolment (public)", [`depin-enrol:${root}`]),
    ],
    groups: [],
    roles,
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
  };
}

function writeNew(file: string, text: string, force: boolean, mode: number, option: string): void {
  if (existsSync(file) && !force) throw new ConfigError(option, `${file} exists: remove it or give --force`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** Writes the files; returns what it wrote (no secrets). */
export function brokerSetup(o: BrokerSetupOptions): Record<string, unknown> {
  const generated: string[] = [];
  const secret = (given: string, name: string): string => {
    if (given) return given;
    generated.push(name);
    return randomBytes(18).toString("base64url");
  };
  const adminPassword = secret(o.brokerAdminPassword, "brokerAdminPassword");
  const bridgePassword = secret(o.brokerPassword, "brokerPassword");
  if (generated.length && !o.envOut)
    throw new ConfigError("envOut", `passwords are generated (${generated.join(", ")} not given): give --env-out to keep them`);
  const names = [o.adminUsername, o.brokerUsername, o.enrolUsername];
  if (new Set(names).size !== 3)
    throw new ConfigError("brokerUsername", `the three accounts need distinct names, got ${names.join(", ")}`);
  for (const n of names)
    if (/^(0|[1-9]\d*)$/.test(n)) throw new ConfigError("brokerUsername", `${n}: decimal names are device accounts`);
  const plugin = o.plugin || PLUGIN_PATHS.find((p) => existsSync(p));
  if (o.conf && !plugin)
    throw new ConfigError("plugin", `mosquitto_dynamic_security.so not found in ${PLUGIN_PATHS.join(", ")}: give --plugin`);
  const doc = dynsecDocument({
    topicRoot: o.topicRoot,
    admin: { username: o.adminUsername, password: adminPassword },
    bridge: { username: o.brokerUsername, password: bridgePassword },
    enrol: { username: o.enrolUsername, password: o.enrolPassword },
  });
  // Checked before anything is written, so a refusal leaves no half set-up.
  for (const [f, opt] of [
    [o.dynsecFile, "dynsecFile"],
    [o.conf, "conf"],
    [o.envOut, "envOut"],
  ] as const)
    if (f && existsSync(f) && !o.force) throw new ConfigError(opt, `${f} exists: remove it or give --force`);
  const dir = path.dirname(path.resolve(o.dynsecFile));
  const createdDir = !existsSync(dir);
  const owner = o.brokerUser && process.getuid?.() === 0 ? systemUser(o.brokerUser) : null;
  writeNew(o.dynsecFile, `${JSON.stringify(doc, null, 2)}\n`, o.force, 0o600, "dynsecFile");
  // The plugin reads the file after Mosquitto dropped root, and saves every change next to it.
  if (owner) {
    chownSync(o.dynsecFile, owner.uid, owner.gid);
    if (createdDir) chownSync(dir, owner.uid, owner.gid);
  }
  if (o.conf) {
    writeNew(
      o.conf,
      [
        "# Written by `npm run keeper -- broker-setup` (docs/broker.md).",
        `listener ${o.port} ${o.host}`,
        "allow_anonymous false",
        `plugin ${plugin}`,
        `plugin_opt_config_file ${path.resolve(o.dynsecFile)}`,
        "",
      ].join("\n"),
      o.force,
      0o644,
      "conf",
    );
  }
  if (o.envOut) {
    writeNew(
      o.envOut,
      [
        "# The bridge's account on the secured Mosquitto (broker-setup). Load with: set -a; . <this file>; set +a",
        `DEPIN_BROKER_URL=mqtt://${o.host}:${o.port}`,
        `DEPIN_BROKER_USERNAME=${o.brokerUsername}`,
        `DEPIN_BROKER_PASSWORD=${bridgePassword}`,
        "DEPIN_BROKER_ACL=dynsec",
        `DEPIN_TOPIC_ROOT=${o.topicRoot}`,
        `MOSQUITTO_ADMIN_USERNAME=${o.adminUsername}`,
        `MOSQUITTO_ADMIN_PASSWORD=${adminPassword}`,
        "",
      ].join("\n"),
      o.force,
      0o600,
      "envOut",
    );
  }
  return {
    dynsecFile: path.resolve(o.dynsecFile),
    conf: o.conf ? path.resolve(o.conf) : null,
    envOut: o.envOut ? path.resolve(o.envOut) : null,
    topicRoot: o.topicRoot,
    accounts: { admin: o.adminUsername, bridge: o.brokerUsername, enrol: o.enrolUsername },
    generatedPasswords: generated,
    ...(owner ? { ownedBy: o.brokerUser } : {}),
    ...(owner && !createdDir ? { note: `${dir} must be writable by ${o.brokerUser} for dynsec changes to persist` } : {}),
  };
}

function systemUser(name: string): { uid: number; gid: number } {
  const id = (flag: string): number => {
    const r = spawnSync("id", [flag, name], { encoding: "utf8" });
    if (r.status !== 0)
      throw new ConfigError("brokerUser", `no system user ${JSON.stringify(name)}: give --broker-user "" or the broker's user`);
    return Number(r.stdout.trim());
  };
  return { uid: id("-u"), gid: id("-g") };
}
