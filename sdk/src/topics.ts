/**
 * MQTT topic layout shared by devices and the bridge.
 *
 *   depin/r/<shard>/<deviceId>        device → network: signed readings (QoS 1)
 *   depin/d/<deviceId>/receipt        network → device: application receipt after durable storage
 *   depin/d/<deviceId>/error          network → device: rejection with a reason code
 *
 * `shard` = deviceId mod TOPIC_SHARDS lets a bridge spread devices over several subscriber
 * connections (one shard set per connection) while keeping each device's readings in order on
 * one connection — MQTT orders messages per topic per session only.
 */
export const TOPIC_SHARDS = 16;

export function shardOf(deviceId: bigint): number {
  return Number(deviceId % BigInt(TOPIC_SHARDS));
}

export function readingTopic(deviceId: bigint): string {
  return `depin/r/${shardOf(deviceId)}/${deviceId}`;
}

export function receiptTopic(deviceId: bigint): string {
  return `depin/d/${deviceId}/receipt`;
}

export function errorTopic(deviceId: bigint): string {
  return `depin/d/${deviceId}/error`;
}

/** Subscription filter for one reading shard. */
export function shardFilter(shard: number): string {
  return `depin/r/${shard}/+`;
}

/** The device id a reading topic names, or null when the topic is not a reading topic. */
export function deviceOfReadingTopic(topic: string): bigint | null {
  const m = /^depin\/r\/(\d{1,2})\/(0|[1-9]\d{0,19})$/.exec(topic);
  if (!m) return null;
  const id = BigInt(m[2]);
  if (id >= 1n << 64n || Number(m[1]) !== shardOf(id)) return null;
  return id;
}
