/**
 * MQTT topic layout shared by devices and the bridge, under a topic root (by default the
 * network's own, `networkTopicRoot`: `depin/<networkId>/<first 4 bytes of the registry>`):
 *
 *   <root>/r/<shard>/<deviceId>        device → network: signed readings (QoS 1)
 *   <root>/d/<deviceId>/receipt        network → device: application receipt after durable storage
 *   <root>/d/<deviceId>/error          network → device: rejection with a reason code
 *
 * `shard` = deviceId mod TOPIC_SHARDS lets a bridge spread devices over several subscriber
 * connections (one shard set per connection) while keeping each device's readings in order on
 * one connection — MQTT orders messages per topic per session only.
 *
 * The root separates networks (or staging and production) that share one broker: a bridge only
 * sees readings under its root, and a device only hears receipts and rejections of its own
 * network's bridge (a rejection from another network's bridge would make it give up a reading).
 */
export const TOPIC_SHARDS = 16;
/** First level of every network's default topic root. */
export const TOPIC_ROOT_PREFIX = "depin";

const ROOT_RE = /^[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,3}$/;

/**
 * The default topic root of a network: `depin/<networkId>/<registry>`, where `<registry>` is the
 * first 4 bytes of the device registry's (IDeviceDirectory's) address in lower-case hex, e.g.
 * `depin/31337/5fbdb231`. Two networks on one broker get different roots unless they share the
 * chain id and the registry's leading bytes (two fresh local nodes that deploy in the same order
 * do): give those an explicit root. Without a registry the root is `depin/<networkId>`.
 */
export function networkTopicRoot(networkId: bigint, registry?: string): string {
  if (networkId < 0n) throw new Error(`network id must be non-negative, got ${networkId}`);
  if (registry === undefined || registry === "") return `${TOPIC_ROOT_PREFIX}/${networkId}`;
  if (!/^0x[0-9a-fA-F]{40}$/.test(registry)) throw new Error(`registry ${JSON.stringify(registry)} is not an address`);
  return `${TOPIC_ROOT_PREFIX}/${networkId}/${registry.slice(2, 10).toLowerCase()}`;
}

/** Throws unless `root` is 1-4 levels of [A-Za-z0-9_-] (no wildcards, no empty level). */
export function checkTopicRoot(root: string): string {
  if (!ROOT_RE.test(root)) {
    throw new Error(`topic root ${JSON.stringify(root)} must be 1 to 4 levels of letters, digits, '_' or '-' separated by '/'`);
  }
  return root;
}

export function shardOf(deviceId: bigint): number {
  return Number(deviceId % BigInt(TOPIC_SHARDS));
}

export function readingTopic(deviceId: bigint, root: string): string {
  return `${root}/r/${shardOf(deviceId)}/${deviceId}`;
}

export function receiptTopic(deviceId: bigint, root: string): string {
  return `${root}/d/${deviceId}/receipt`;
}

export function errorTopic(deviceId: bigint, root: string): string {
  return `${root}/d/${deviceId}/error`;
}

/**
 * Subscription filter for one reading shard: `<root>/r/<shard>/#`, so that besides the canonical
 * `<root>/r/<shard>/<id>` a non-canonical topic in the shard (leading zeros, a wrong shard for the
 * id, a trailing slash or extra levels) also reaches the bridge and is answered `WRONG_TOPIC`
 * instead of going unanswered.
 */
export function shardFilter(shard: number, root: string): string {
  return `${root}/r/${shard}/#`;
}

/**
 * The device id a reading topic under `root` names, or null when the topic is not a reading
 * topic there (another root, a wrong shard, a non-canonical or out-of-range id).
 */
export function deviceOfReadingTopic(topic: string, root: string): bigint | null {
  if (!topic.startsWith(`${root}/r/`)) return null;
  const m = /^(\d{1,2})\/(0|[1-9]\d{0,19})$/.exec(topic.slice(root.length + 3));
  if (!m) return null;
  const id = BigInt(m[2]);
  if (id >= 1n << 64n || Number(m[1]) !== shardOf(id)) return null;
  return id;
}
