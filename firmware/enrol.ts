/**
 * Enrolment on a Mosquitto the bridge secures with dynamic security (sdk broker.ts): the device
 * publishes its signed connect token with the shared, write-only enrol account, then connects
 * with it as `<deviceId>`. Retries wait with exponential back-off and jitter, never in a tight loop.
 */
import mqtt from "mqtt";

/** Publishes `token` on `topic` with the enrol account (QoS 1) and disconnects. */
export async function publishEnrolment(
  brokerUrl: string,
  account: { username: string; password: string },
  topic: string,
  token: string,
  timeoutMs = 5_000,
): Promise<void> {
  const c = mqtt.connect(brokerUrl, {
    clean: true,
    protocolVersion: 4,
    username: account.username,
    password: account.password,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`enrol: no connection to ${brokerUrl} within ${timeoutMs} ms`)), timeoutMs);
      c.once("connect", () => {
        clearTimeout(t);
        resolve();
      });
      c.once("error", (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    await c.publishAsync(topic, token, { qos: 1 });
  } finally {
    await c.endAsync(true);
  }
}

/** Wait before attempt `n` (0-based): 0.5 s doubling to `maxMs`, ±25 % jitter. */
export function backoffMs(n: number, baseMs = 500, maxMs = 60_000): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.min(n, 20));
  return Math.round(d * (0.75 + Math.random() * 0.5));
}
