/**
 * MQTT topic layout shared by devices and the bridge, under a topic root (default `depin`):
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
export const DEFAULT_TOPIC_ROOT = "depin";

const ROOT_RE = /^[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,3}$/;

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

export function readingTopic(deviceId: bigint, root = DEFAULT_TOPIC_ROOT): string {
  return `${root}/r/${shardOf(deviceId)}/${deviceId}`;
}

export function receiptTopic(deviceId: bigint, root = DEFAULT_TOPIC_ROOT): string {
  return `${root}/d/${deviceId}/receipt`;
}

export function errorTopic(deviceId: bigint, root = DEFAULT_TOPIC_ROOT): string {
  return `${root}/d/${deviceId}/error`;
}

/** Subscription filter for one reading shard. */
export function shardFilter(shard: number, root = DEFAULT_TOPIC_ROOT): string {
  return `${root}/r/${shard}/+`;
}

/**
 * The device id a reading topic under `root` names, or null when the topic is not a reading
 * topic there (another root, a wrong shard, a non-canonical or out-of-range id).
 */
export function deviceOfReadingTopic(topic: string, root = DEFAULT_TOPIC_ROOT): bigint | null {
  if (!topic.startsWith(`${root}/r/`)) return null;
  const m = /^(\d{1,2})\/(0|[1-9]\d{0,19})$/.exec(topic.slice(root.length + 3));
  if (!m) return null;
  const id = BigInt(m[2]);
  if (id >= 1n << 64n || Number(m[1]) !== shardOf(id)) return null;
  return id;
}
