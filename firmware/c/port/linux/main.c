/*
 * depin-device: the reference firmware on Linux. Records a reading every --interval-ms from a
 * synthetic sensor, streams them to the bridge, and prints one JSON line per event on stdout.
 *
 *   depin-device --key device.key --journal device.flash --broker mqtt://127.0.0.1:1883 \
 *     --network-id 31337 --topic-root depin/31337/5fbdb231 --bridge-address 0x… --count 100
 */
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "depin_host.h"

static const char *const EVENT_NAMES[] = {"connected", "recorded", "published", "republished", "receipt", "duplicate",
                                          "dropped",   "backoff",  "resigned",  "rejected",    "forged",  "malformed"};

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static void on_event(void *ctx, const depin_event_t *ev) {
  (void)ctx;
  char seq[21];
  depin_u64_to_dec(ev->seq, seq);
  printf("{\"ev\":\"%s\",\"seq\":\"%s\"", EVENT_NAMES[ev->type], seq);
  if (ev->code != NULL) printf(",\"code\":\"%s\"", ev->code);
  if (ev->type == DEPIN_EV_BACKOFF) printf(",\"delayMs\":%u", ev->delay_ms);
  printf("}\n");
  fflush(stdout);
}

typedef struct {
  uint32_t next;
} sensor_ctx_t;
static int sensor_read(void *ctx, uint32_t *value) {
  sensor_ctx_t *s = (sensor_ctx_t *)ctx;
  *value = s->next++;
  return DEPIN_OK;
}

static const char USAGE[] =
    "Usage: depin-device --key FILE --journal FILE --broker mqtt://HOST:PORT --network-id N --topic-root ROOT\n"
    "                    [--bridge-address 0x…] [--device-id N] [--count N] [--interval-ms MS] [--value V]\n"
    "                    [--clock-skew S] [--receipt-timeout-ms MS] [--retry-base-ms MS] [--retry-cap-ms MS]\n"
    "                    [--sectors N] [--sector-size BYTES] [--no-fsync] [--exit-when-idle] [--max-seconds S]\n"
    "       depin-device --codes   (the rejection codes it knows, and which are final)\n"
    "Records --count readings (0 = none: only replays the journal), one every --interval-ms, and streams\n"
    "them with the journal as store-and-forward queue. --bridge-address (the bridge's /status answerAddress)\n"
    "makes the device ignore answers without that bridge's signature. Prints one JSON line per event.\n";

static uint32_t ms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

int main(int argc, char **argv) {
  const char *key_path = NULL, *journal_path = NULL, *broker = NULL, *root = NULL, *bridge = NULL;
  uint64_t network_id = 0, device_id = 0;
  int have_network = 0, have_device = 0, exit_when_idle = 0, fsync_on = 1;
  long count = 0, interval_ms = 100, max_seconds = 600, sectors = 32, sector_size = 4096;
  long receipt_timeout = 0, retry_base = 0, retry_cap = 0;
  unsigned long value = 0;
  long long skew = 0;
  static const struct option opts[] = {
      {"key", required_argument, 0, 'k'},          {"journal", required_argument, 0, 'j'},
      {"broker", required_argument, 0, 'b'},       {"network-id", required_argument, 0, 'n'},
      {"topic-root", required_argument, 0, 'r'},   {"bridge-address", required_argument, 0, 'a'},
      {"device-id", required_argument, 0, 'd'},    {"count", required_argument, 0, 'c'},
      {"interval-ms", required_argument, 0, 'i'},  {"value", required_argument, 0, 'v'},
      {"clock-skew", required_argument, 0, 's'},   {"receipt-timeout-ms", required_argument, 0, 't'},
      {"retry-base-ms", required_argument, 0, 'B'}, {"retry-cap-ms", required_argument, 0, 'C'},
      {"sectors", required_argument, 0, 'S'},      {"sector-size", required_argument, 0, 'Z'},
      {"no-fsync", no_argument, 0, 'F'},           {"exit-when-idle", no_argument, 0, 'x'},
      {"max-seconds", required_argument, 0, 'm'},  {"help", no_argument, 0, 'h'},
      {"codes", no_argument, 0, 'K'},
      {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'k': key_path = optarg; break;
      case 'j': journal_path = optarg; break;
      case 'b': broker = optarg; break;
      case 'n': have_network = depin_parse_u64(optarg, strlen(optarg), &network_id) == DEPIN_OK; break;
      case 'r': root = optarg; break;
      case 'a': bridge = optarg; break;
      case 'd': have_device = depin_parse_u64(optarg, strlen(optarg), &device_id) == DEPIN_OK; break;
      case 'c': count = atol(optarg); break;
      case 'i': interval_ms = atol(optarg); break;
      case 'v': value = strtoul(optarg, NULL, 10); break;
      case 's': skew = atoll(optarg); break;
      case 't': receipt_timeout = atol(optarg); break;
      case 'B': retry_base = atol(optarg); break;
      case 'C': retry_cap = atol(optarg); break;
      case 'S': sectors = atol(optarg); break;
      case 'Z': sector_size = atol(optarg); break;
      case 'F': fsync_on = 0; break;
      case 'x': exit_when_idle = 1; break;
      case 'm': max_seconds = atol(optarg); break;
      case 'h': fputs(USAGE, stdout); return 0;
      case 'K':
        /* The rejection codes this firmware knows and whether each is final (tests compare with the sdk). */
        printf("{");
        for (int i = 0; depin_reject_codes[i] != NULL; i++)
          printf("%s\"%s\":%s", i ? "," : "", depin_reject_codes[i], depin_rejection_is_final(depin_reject_codes[i]) ? "true" : "false");
        printf("}\n");
        return 0;
      default: fputs(USAGE, stderr); return 2;
    }
  }
  if (!key_path || !journal_path || !broker || !root || !have_network) {
    fputs("depin-device: --key, --journal, --broker, --network-id and --topic-root are required\n", stderr);
    fputs(USAGE, stderr);
    return 2;
  }
  static depin_host_key_t key;
  char err[256];
  if (depin_host_key_load(key_path, &key, err, sizeof err) != DEPIN_OK) {
    fprintf(stderr, "depin-device: %s\n", err);
    return 2;
  }
  if (have_device && device_id != key.device_id) {
    fprintf(stderr, "depin-device: %s belongs to device %llu, not %llu\n", key_path,
            (unsigned long long)key.device_id, (unsigned long long)device_id);
    return 2;
  }
  uint8_t bridge_addr[20];
  if (bridge != NULL && depin_hex_decode(bridge, strlen(bridge), bridge_addr, 20) != DEPIN_OK) {
    fprintf(stderr, "depin-device: --bridge-address must be 0x + 40 hex digits\n");
    return 2;
  }

  static depin_hal_t hal;
  static depin_host_clock_t clock_ctx;
  static depin_host_flash_t flash_ctx;
  static depin_host_mqtt_t mqtt;
  static sensor_ctx_t sensor = {0};
  static depin_device_t dev;
  clock_ctx.skew_s = skew;
  sensor.next = (uint32_t)value;
  depin_host_clock(&clock_ctx, &hal.clock);
  depin_host_keystore(&key, &hal.keystore);
  hal.sensor.read = sensor_read;
  hal.sensor.ctx = &sensor;
  if (depin_host_flash_open(&flash_ctx, journal_path, (uint32_t)sector_size, (uint32_t)sectors, fsync_on, &hal.flash) !=
      DEPIN_OK) {
    fprintf(stderr, "depin-device: cannot open %s as %ld sectors of %ld bytes\n", journal_path, sectors, sector_size);
    return 2;
  }
  if (depin_host_mqtt_init(&mqtt, broker, &hal.transport) != DEPIN_OK) {
    fprintf(stderr, "depin-device: bad --broker %s (mqtt://host:port)\n", broker);
    return 2;
  }
  depin_config_t cfg = {0};
  cfg.network_id = network_id;
  cfg.device_id = key.device_id;
  cfg.topic_root = root;
  cfg.bridge_address = bridge != NULL ? bridge_addr : NULL;
  cfg.receipt_timeout_ms = (uint32_t)receipt_timeout;
  cfg.retry_base_ms = (uint32_t)retry_base;
  cfg.retry_cap_ms = (uint32_t)retry_cap;
  cfg.on_event = on_event;
  int rc = depin_device_init(&dev, &cfg, &hal);
  if (rc != DEPIN_OK) {
    fprintf(stderr, "depin-device: cannot start (%s)\n",
            rc == DEPIN_ERR_ARG ? "bad --topic-root or journal geometry" : "journal unreadable or too small");
    return 2;
  }
  mqtt.dev = &dev;
  printf("{\"ev\":\"start\",\"deviceId\":\"%llu\",\"nextSeq\":\"%llu\",\"pending\":%u}\n",
         (unsigned long long)key.device_id, (unsigned long long)dev.journal.next_seq, (unsigned)dev.journal.count);
  fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);

  enum { DOWN, CONNECTING, UP } state = DOWN;
  uint32_t started = ms_now(), next_attempt = started, since = started, backoff = 250, next_sample = started;
  long recorded = 0;
  while (!g_stop) {
    uint32_t now = ms_now();
    if ((int32_t)(now - started) > max_seconds * 1000) {
      fprintf(stderr, "depin-device: --max-seconds reached with %u readings pending\n", depin_device_pending(&dev));
      break;
    }
    if (state == DOWN && (int32_t)(now - next_attempt) >= 0) {
      if (depin_device_connect(&dev) == DEPIN_OK) {
        state = CONNECTING;
        since = now;
      } else {
        next_attempt = now + backoff;
        backoff = backoff < 4000 ? backoff * 2 : 4000;
      }
    }
    if (mqtt.m != NULL && state != DOWN) {
      if (depin_host_mqtt_loop(&mqtt, 20) != 0) {
        state = DOWN;
        next_attempt = now + backoff;
        backoff = backoff < 4000 ? backoff * 2 : 4000;
      }
    } else {
      usleep(20000);
    }
    if (state == CONNECTING && mqtt.up) {
      state = UP;
      backoff = 250;
    } else if (state == CONNECTING && (int32_t)(now - since) > 5000) {
      mosquitto_disconnect(mqtt.m);
      state = DOWN;
      next_attempt = now + backoff;
    } else if (state == UP && !mqtt.up) {
      state = DOWN;
      next_attempt = now + backoff;
    }
    if (recorded < count && (int32_t)(now - next_sample) >= 0) {
      rc = depin_device_sample(&dev);
      if (rc == DEPIN_OK) recorded++;
      else fprintf(stderr, "depin-device: reading not recorded (error %d)\n", rc);
      next_sample += (uint32_t)interval_ms;
    }
    depin_device_poll(&dev);
    if (exit_when_idle && recorded >= count && depin_device_pending(&dev) == 0) break;
  }
  const depin_stats_t *s = &dev.stats;
  printf("{\"ev\":\"exit\",\"nextSeq\":\"%llu\",\"pending\":%u,\"recorded\":%u,\"published\":%u,\"republished\":%u,"
         "\"receipts\":%u,\"duplicates\":%u,\"dropped\":%u,\"backoffs\":%u,\"rejected\":%u,\"forged\":%u,"
         "\"malformed\":%u}\n",
         (unsigned long long)dev.journal.next_seq, (unsigned)depin_device_pending(&dev), s->recorded, s->published,
         s->republished, s->receipts, s->duplicates, s->dropped, s->backoffs, s->rejected, s->forged, s->malformed);
  fflush(stdout);
  depin_host_mqtt_close(&mqtt);
  depin_host_flash_close(&flash_ctx);
  return depin_device_pending(&dev) == 0 || !exit_when_idle ? 0 : 1;
}
