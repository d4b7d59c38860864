/*
 * Fuzz target for everything the device parses from outside: the bridge's answers on both topics
 * (with and without a bridge address), forged signed answers, and the JSON parser itself (key file).
 *
 * First input byte = mode; the rest is the payload:
 *   0/1  receipt / error topic, answers must carry the bridge's signature (most inputs: forged)
 *   2/3  receipt / error topic, a device with no bridge address (unsigned answers parsed)
 *   4/5  receipt / error topic, the payload signed by the real bridge key (the parser behind the check)
 *   6    the payload signed by another key: must be counted forged and change nothing
 *   7    the generic JSON walk and the key-file-style member reader
 * Invariants checked: no crash/UB (ASan/UBSan), forged answers never settle a reading, the
 * journal's pending set only shrinks by the seqs an answer names.
 *
 * Built with -fsanitize=fuzzer under clang; with DEPIN_FUZZ_DRIVER a bounded random driver runs
 * the same function (seconds from argv[1], seeds from the corpus dir in argv[2]).
 */
#include <string.h>

#include "depin/json.h"
#include "support.h"

#define NET 31337u
#define ROOT "depin/31337/5fbdb231"

static ram_flash_t g_ram;
static fake_transport_t g_tx;
static fake_clock_t g_clock;
static depin_hal_t g_hal;
static depin_host_key_t g_key, g_bridge, g_other;
static depin_device_t g_dev, g_snapshot;
static uint8_t g_flash_snapshot[8 * 4096];
static uint8_t g_bridge_addr[20];
static int g_ready;

static void setup_once(void) {
  uint8_t k[32];
  memset(k, 0x11, 32);
  depin_host_key_from_private(&g_key, DEPIN_KEY_SECP256K1, k);
  memset(k, 0x44, 32);
  depin_host_key_from_private(&g_bridge, DEPIN_KEY_SECP256K1, k);
  memset(k, 0x55, 32);
  depin_host_key_from_private(&g_other, DEPIN_KEY_SECP256K1, k);
  memcpy(g_bridge_addr, g_bridge.public_id, 20);
  ram_flash_init(&g_ram, 4096, 8, &g_hal.flash);
  fake_transport_init(&g_tx, &g_hal.transport);
  fake_clock_init(&g_clock, &g_hal.clock);
  depin_host_keystore(&g_key, &g_hal.keystore);
  depin_config_t cfg = {0};
  cfg.network_id = NET;
  cfg.device_id = 1;
  cfg.topic_root = ROOT;
  cfg.bridge_address = g_bridge_addr;
  if (depin_device_init(&g_dev, &cfg, &g_hal) != DEPIN_OK) abort();
  g_tx.up = 1;
  depin_device_on_connect(&g_dev);
  for (uint32_t v = 0; v < 6; v++)
    if (depin_device_record(&g_dev, v) != DEPIN_OK) abort();
  g_snapshot = g_dev;
  memcpy(g_flash_snapshot, g_ram.mem, sizeof g_flash_snapshot);
  g_ready = 1;
}

static void restore(void) {
  g_dev = g_snapshot;
  memcpy(g_ram.mem, g_flash_snapshot, sizeof g_flash_snapshot);
}

static void json_walk(const uint8_t *data, size_t size) {
  depin_json_t j;
  char key[16], val[64];
  depin_json_init(&j, (const char *)data, size);
  (void)depin_json_skip(&j);
  (void)depin_json_end(&j);
  depin_json_init(&j, (const char *)data, size);
  if (!depin_json_object(&j)) return;
  for (int guard = 0; guard < 1000; guard++) {
    int m = depin_json_member(&j, key, sizeof key);
    if (m <= 0) break;
    if (depin_json_peek(&j) == DEPIN_JSON_STRING) {
      if (depin_json_string(&j, val, sizeof val) < 0) break;
    } else if (depin_json_peek(&j) == DEPIN_JSON_ARRAY) {
      if (!depin_json_array(&j)) break;
      int e;
      while ((e = depin_json_element(&j)) == 1)
        if (depin_json_skip(&j) != 0) break;
      if (e < 0) break;
    } else if (depin_json_skip(&j) != 0) {
      break;
    }
  }
  depin_rejection_t rej;
  (void)depin_parse_rejection((const char *)data, size, &rej);
  (void)depin_parse_receipts((const char *)data, size, NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char msg[DEPIN_MAX_ANSWER_BYTES + 400];
  static char body[DEPIN_MAX_ANSWER_BYTES + 1];
  if (!g_ready) setup_once();
  if (size == 0) return 0;
  uint8_t mode = data[0] % 8;
  data++;
  size--;
  if (mode == 7) {
    json_walk(data, size);
    return 0;
  }
  restore();
  const char *topic = (mode % 2 == 0) ? ROOT "/d/1/receipt" : ROOT "/d/1/error";
  if (mode == 6) topic = (size % 2 == 0) ? ROOT "/d/1/receipt" : ROOT "/d/1/error";
  if (mode == 2 || mode == 3) g_dev.cfg.bridge_address = NULL;
  const uint8_t *payload = data;
  size_t len = size;
  if (mode >= 4 && mode <= 6) {
    /* A body with no NUL or newline, signed: the parser sees exactly what a bridge key vouches for. */
    size_t n = 0;
    for (size_t i = 0; i < size && n < DEPIN_MAX_ANSWER_BYTES - 140; i++)
      if (data[i] != 0 && data[i] != '\n') body[n++] = (char)data[i];
    body[n] = '\0';
    int m = sign_answer(mode == 6 ? &g_other : &g_bridge, NET, topic, body, msg, sizeof msg);
    if (m < 0) abort();
    payload = (const uint8_t *)msg;
    len = (size_t)m;
  }
  uint16_t before = g_dev.journal.count;
  unsigned forged = g_dev.stats.forged;
  depin_device_on_message(&g_dev, topic, payload, len);
  if (mode == 0 || mode == 1 || mode == 6) {
    /* Nothing unsigned by the bridge may make the device forget a reading. */
    if (g_dev.journal.count != before) abort();
  }
  if (mode == 6 && g_dev.stats.forged != forged + 1) abort();
  if (g_dev.journal.count > before) abort();
  if (g_dev.inflight > g_dev.cfg.max_inflight) abort();
  return 0;
}

#ifdef DEPIN_FUZZ_DRIVER
#include <dirent.h>
#include <time.h>

/* Bounded random driver for compilers without libFuzzer: seeds, then mutations of them. */
int main(int argc, char **argv) {
  static uint8_t seeds[64][1300];
  static size_t seed_len[64];
  int nseeds = 0;
  double seconds = argc > 1 ? atof(argv[1]) : 10;
  if (argc > 2) {
    DIR *dir = opendir(argv[2]);
    struct dirent *e;
    while (dir != NULL && (e = readdir(dir)) != NULL && nseeds < 64) {
      char path[1024];
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "%s/%s", argv[2], e->d_name);
      FILE *f = fopen(path, "rb");
      if (f == NULL) continue;
      seed_len[nseeds] = fread(seeds[nseeds], 1, sizeof seeds[0], f);
      fclose(f);
      LLVMFuzzerTestOneInput(seeds[nseeds], seed_len[nseeds]);
      nseeds++;
    }
    if (dir != NULL) closedir(dir);
  }
  uint32_t x = 0x2545F491u;
  uint8_t buf[1300];
  long runs = 0;
  time_t end = time(NULL) + (time_t)seconds;
  while (time(NULL) < end) {
    for (int k = 0; k < 256; k++, runs++) {
      size_t n;
      if (nseeds > 0 && (x & 3) != 0) {
        int s = (int)(x % (uint32_t)nseeds);
        n = seed_len[s];
        memcpy(buf, seeds[s], n);
      } else {
        n = 1 + x % 600;
        for (size_t i = 0; i < n; i++) {
          x ^= x << 13; x ^= x >> 17; x ^= x << 5;
          buf[i] = (uint8_t)x;
        }
      }
      for (int m = 0; m < 4 && n > 0; m++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[x % n] = (uint8_t)(x >> 8);
      }
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      LLVMFuzzerTestOneInput(buf, n);
    }
  }
  printf("fuzz: %ld runs in %.0f s, no crash\n1 passed, 0 failed\n", runs, seconds);
  return 0;
}
#endif
