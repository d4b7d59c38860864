/**
 * Device admission on an external broker the bridge secures (keepers/bridge/dynsec.ts,
 * broker-auth.ts). Mosquitto cannot check a device's signed connect token (auth.ts) itself, so a
 * device first enrols it: it connects with the shared, write-only enrol account and publishes the
 * token on its own enrol topic; the bridge checks the token exactly as it checks a CONNECT on the
 * embedded broker and, when it is good, makes it the password of the broker account named by the
 * device id, with a topic ACL of that device's own topics. The device then connects with it.
 *
 *   <root>/enrol/<deviceId>    device → bridge: "<timestamp>.<signature>" (connect token)
 */
export const DEFAULT_ENROL_USERNAME = "depin-enrol";
/** The enrol account is public: anyone may publish a token; only a valid one gets anywhere. */
export const DEFAULT_ENROL_PASSWORD = "depin-enrol";
/** Largest enrol payload the bridge reads (a P-256 or secp256k1 token is under 160 bytes). */
export const MAX_ENROL_PAYLOAD = 256;

export function enrolTopic(deviceId: bigint, root: string): string {
  return `${root}/enrol/${deviceId}`;
}

/** The device id an enrol topic under `root` names, or null. */
export function deviceOfEnrolTopic(topic: string, root: string): bigint | null {
  const prefix = `${root}/enrol/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  if (!/^(0|[1-9]\d{0,19})$/.test(rest)) return null;
  const id = BigInt(rest);
  return id < 1n << 64n ? id : null;
}

/** The device id a broker username names (canonical decimal, below 2^64), or null. */
export function deviceOfUsername(username: string): bigint | null {
  if (!/^(0|[1-9]\d{0,19})$/.test(username)) return null;
  const id = BigInt(username);
  return id < 1n << 64n ? id : null;
}
