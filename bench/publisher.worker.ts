/**
 * The ingest bench's devices, on their own thread (as real devices are other machines): receives
 * { url, groups, auth }, opens one MQTT connection per group and posts "ready"; on "go" publishes
 * every message at QoS 1 with up to 256 in flight per connection and posts "published" once every
 * PUBACK is in, with this thread's CPU time in µs; on "close" closes the connections and posts "closed".
 */
import { parentPort } from "node:worker_threads";
import mqtt from "mqtt";

export interface PublishJob {
  url: string;
  groups: { topic: string; payload: string }[][];
  auth: { username: string; password: string } | null;
}

parentPort!.once("message", (job: PublishJob) => {
  void (async () => {
    const clients = await Promise.all(
      job.groups.map(() => mqtt.connectAsync(job.url, { clean: true, protocolVersion: 4, ...(job.auth ?? {}) })),
    );
    parentPort!.postMessage("ready");
    await new Promise((r) => parentPort!.once("message", r));
    const cpu0 = process.threadCpuUsage();
    await Promise.all(
      job.groups.map(async (msgs, i) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 256 }, async () => {
            while (next < msgs.length) {
              const m = msgs[next++];
              await clients[i].publishAsync(m.topic, m.payload, { qos: 1 });
            }
          }),
        );
      }),
    );
    const cpu = process.threadCpuUsage(cpu0);
    parentPort!.postMessage(`published ${cpu.user + cpu.system}`);
    parentPort!.once("message", () => {
      void Promise.all(clients.map((c) => c.endAsync())).then(() => parentPort!.postMessage("closed"));
    });
  })().catch((e: Error) => parentPort!.postMessage(`error: ${e.message}`));
});
