/*
 * The device state machine with test doubles (recording transport, manual clock, RAM flash) and
 * the real host key store: publish order and wire bytes, both receipt forms, every rejection code
 * (final → dropped for good; non-final → kept, re-sent only after a growing, capped back-off),
 * forged answers ignored, re-send after a silent network, the in-flight window, and a reboot.
 */
#include <string.h>

#include "support.h"

#define NET 31337u
#define ROOT "depin/31337/5fbdb231"

static ram_flash_t g_ram;
static fake_transport_t g_tx;
static fake_clock_t g_clock;
static depin_hal_t g_hal;
static depin_host_key_t g_key, g_bridge, g_other;
static depin_device_t g_dev;
static uint8_t g_bridge_addr[20];
static char g_msg[1200];

static void setup(int fresh_flash) {
  uint8_t k[32];
  memset(k, 0x11, 32);
  depin_host_key_from_private(&g_key, DEPIN_KEY_SECP256K1, k);
  memset(k, 0x44, 32);
  depin_host_key_from_private(&g_bridge, DEPIN_KEY_SECP256K1, k);
  memset(k, 0x55, 32);
  depin_host_key_from_private(&g_other, DEPIN_KEY_SECP256K1, k);
  memcpy(g_bridge_addr, g_bridge.public_id, 20);
  if (fresh_flash) ram_flash_init(&g_ram, 4096, 8, &g_hal.flash);
  fake_transport_init(&g_tx, &g_hal.transport);
  fake_clock_init(&g_clock, &g_hal.clock);
  depin_host_keystore(&g_key, &g_hal.keystore);
  depin_config_t cfg = {0};
  cfg.network_id = NET;
  cfg.device_id = 1;
  cfg.topic_root = ROOT;
  cfg.bridge_address = g_bridge_addr;
  cfg.receipt_timeout_ms = 2000;
  cfg.max_inflight = 8;
  cfg.retry_base_ms = 500;
  cfg.retry_cap_ms = 8000;
  CHECK(depin_device_init(&g_dev, &cfg, &g_hal) == DEPIN_OK);
}

static void go_online(void) {
  CHECK(depin_device_connect(&g_dev) == DEPIN_OK);
  g_tx.up = 1;
  depin_device_on_connect(&g_dev);
}

static void answer(const char *leaf, const char *body, depin_host_key_t *signer) {
  char topic[DEPIN_MAX_TOPIC];
  snprintf(topic, sizeof topic, ROOT "/d/1/%s", leaf);
  int n = signer != NULL ? sign_answer(signer, NET, topic, body, g_msg, sizeof g_msg) : (int)strlen(strcpy(g_msg, body));
  CHECK(n > 0);
  depin_device_on_message(&g_dev, topic, (const uint8_t *)g_msg, (size_t)n);
}

static void advance(uint32_t ms) {
  g_clock.ms += ms;
  depin_device_poll(&g_dev);
}

static void test_publish_and_receipts(void) {
  setup(1);
  for (uint32_t v = 0; v < 3; v++) CHECK(depin_device_record(&g_dev, 100 + v) == DEPIN_OK);
  CHECK(g_tx.published == 0); /* offline: journaled only */
  go_online();
  CHECK(g_tx.subs == 2 && strcmp(g_tx.subscribed[0], ROOT "/d/1/receipt") == 0 && strcmp(g_tx.subscribed[1], ROOT "/d/1/error") == 0);
  CHECK(strncmp(g_tx.password, "1767225600.0x", 13) == 0 && strlen(g_tx.password) == 11 + 132);
  CHECK(g_tx.published == 3);
  CHECK(strcmp(g_tx.topics[0], ROOT "/r/1/1") == 0);
  CHECK(strncmp(g_tx.payloads[0], "{\"v\":1,\"deviceId\":\"1\",\"seq\":\"0\",\"timestamp\":1767225600,\"value\":100,\"sig\":\"0x", 75) == 0);
  CHECK(strstr(g_tx.payloads[2], "\"seq\":\"2\"") != NULL);
  answer("receipt", "{\"seq\":\"0\",\"status\":\"stored\"}", &g_bridge);
  CHECK(depin_device_pending(&g_dev) == 2 && g_dev.stats.receipts == 1);
  answer("receipt", "{\"stored\":[\"1\"],\"duplicate\":[\"2\"]}", &g_bridge);
  CHECK(depin_device_pending(&g_dev) == 0 && g_dev.stats.receipts == 2 && g_dev.stats.duplicates == 1);
  answer("receipt", "{\"seq\":\"0\",\"status\":\"stored\"}", &g_bridge); /* a late copy changes nothing */
  CHECK(g_dev.stats.receipts == 2);
  /* Survives a reboot: the counter goes on, nothing pending. */
  setup(0);
  CHECK(g_dev.journal.next_seq == 3 && depin_device_pending(&g_dev) == 0);
}

static void test_forged(void) {
  setup(1);
  go_online();
  CHECK(depin_device_record(&g_dev, 7) == DEPIN_OK);
  unsigned before = g_dev.stats.forged;
  answer("receipt", "{\"seq\":\"0\",\"status\":\"stored\"}", &g_other); /* another key */
  answer("receipt", "{\"seq\":\"0\",\"status\":\"stored\"}", NULL);     /* unsigned */
  answer("error", "{\"code\":\"BAD_SIGNATURE\",\"message\":\"x\",\"seq\":\"0\"}", &g_other);
  /* A valid signature for device 2's topic, replayed to device 1. */
  char topic2[] = ROOT "/d/2/receipt", topic1[] = ROOT "/d/1/receipt";
  int n = sign_answer(&g_bridge, NET, topic2, "{\"seq\":\"0\",\"status\":\"stored\"}", g_msg, sizeof g_msg);
  depin_device_on_message(&g_dev, topic1, (const uint8_t *)g_msg, (size_t)n);
  /* The right signature with one body byte changed. */
  n = sign_answer(&g_bridge, NET, topic1, "{\"seq\":\"1\",\"status\":\"stored\"}", g_msg, sizeof g_msg);
  g_msg[8] = '0';
  depin_device_on_message(&g_dev, topic1, (const uint8_t *)g_msg, (size_t)n);
  /* The right signature made high-s (n - s, v flipped): the same signature malleated. */
  n = sign_answer(&g_bridge, NET, topic1, "{\"seq\":\"0\",\"status\":\"stored\"}", g_msg, sizeof g_msg);
  {
    static const uint8_t order[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                      0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                      0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
    uint8_t sig[65];
    char *line = strrchr(g_msg, '\n') + 1;
    CHECK(depin_hex_decode(line, 132, sig, 65) == DEPIN_OK);
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
      int d = (int)order[i] - sig[32 + i] - borrow;
      borrow = d < 0;
      sig[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    sig[64] = sig[64] == 27 ? 28 : 27;
    depin_hex_encode(sig, 65, line, 140);
    depin_device_on_message(&g_dev, topic1, (const uint8_t *)g_msg, (size_t)n);
  }
  CHECK(g_dev.stats.forged == before + 6);
  CHECK(depin_device_pending(&g_dev) == 1 && g_dev.stats.receipts == 0 && g_dev.stats.dropped == 0);
  /* Another device's topic is not ours: ignored without a look. */
  depin_device_on_message(&g_dev, ROOT "/d/2/receipt", (const uint8_t *)"x", 1);
  CHECK(g_dev.stats.forged == before + 6);
  answer("receipt", "{\"seq\":\"0\",\"status\":\"stored\"}", &g_bridge);
  CHECK(depin_device_pending(&g_dev) == 0);
}

static void test_every_code(void) {
  for (int i = 0; depin_reject_codes[i] != NULL; i++) {
    const char *code = depin_reject_codes[i];
    setup(1);
    go_online();
    CHECK(depin_device_record(&g_dev, 1) == DEPIN_OK);
    unsigned sent = g_tx.published;
    char body[200];
    snprintf(body, sizeof body, "{\"code\":\"%s\",\"message\":\"refused\",\"seq\":\"0\"}", code);
    answer("error", body, &g_bridge);
    if (depin_rejection_is_final(code)) {
      CHECK(depin_device_pending(&g_dev) == 0 && g_dev.stats.dropped == 1);
      for (int k = 0; k < 20; k++) advance(60000);
      CHECK(g_tx.published == sent); /* never re-sent */
      setup(0);
      CHECK(depin_device_pending(&g_dev) == 0); /* the drop is journaled */
      continue;
    }
    /* Non-final: kept; re-sent only when its back-off is over; the back-off grows to the cap. */
    uint32_t prev_max = 0;
    for (uint32_t attempt = 1; attempt <= 6; attempt++) {
      CHECK(depin_device_pending(&g_dev) == 1);
      uint32_t due = g_dev.journal.pending[0].due_ms - g_clock.ms;
      uint32_t cap = 500u << (attempt - 1);
      if (cap > 8000) cap = 8000;
      CHECK(due >= cap / 2 && due <= cap);
      CHECK(due + 1 > prev_max / 2);
      prev_max = cap;
      unsigned at = g_tx.published;
      advance(due - 1);
      CHECK(g_tx.published == at); /* not a millisecond early: never a tight loop */
      advance(1);
      CHECK(g_tx.published == at + 1);
      answer("error", body, &g_bridge);
    }
    CHECK(g_dev.stats.backoffs == 7 && g_dev.stats.dropped == 0);
    answer("receipt", "{\"seq\":\"0\",\"status\":\"stored\"}", &g_bridge);
    CHECK(depin_device_pending(&g_dev) == 0);
  }
  int n = 0;
  while (depin_reject_codes[n] != NULL) n++;
  printf("every rejection code (%d): final ones dropped for good, non-final ones backed off and kept\n", n);
}

static void test_rejection_without_reading(void) {
  setup(1);
  go_online();
  CHECK(depin_device_record(&g_dev, 1) == DEPIN_OK);
  answer("error", "{\"code\":\"WRONG_TOPIC\",\"message\":\"no seq\"}", &g_bridge);
  answer("error", "{\"code\":\"BAD_SIGNATURE\",\"message\":\"not ours\",\"seq\":\"99\"}", &g_bridge);
  answer("error", "{\"code\":\"BAD_SIGNATURE\",\"message\":\"not ours\",\"seq\":\"007\"}", &g_bridge);
  CHECK(g_dev.stats.rejected == 3 && depin_device_pending(&g_dev) == 1);
  answer("error", "{\"code\":\"BAD_SIGNATURE\",\"seq\":\"0\"}", &g_bridge); /* no message: malformed */
  answer("receipt", "{\"seq\":0,\"status\":\"stored\"}", &g_bridge);        /* seq not a string */
  answer("receipt", "{\"stored\":[\"0\"],\"other\":[]}", &g_bridge);
  CHECK(g_dev.stats.malformed == 3 && depin_device_pending(&g_dev) == 1);
}

static void test_resend_and_window(void) {
  setup(1);
  go_online();
  for (uint32_t v = 0; v < 20; v++) CHECK(depin_device_record(&g_dev, v) == DEPIN_OK);
  CHECK(g_tx.published == 8); /* the in-flight window */
  answer("receipt", "{\"stored\":[\"0\",\"1\",\"2\"]}", &g_bridge);
  CHECK(g_tx.published == 11);
  advance(1999);
  CHECK(g_tx.published == 11);
  advance(2);
  CHECK(g_tx.published == 19 && g_dev.stats.republished == 8); /* the network went silent: re-send */
  /* A disconnect and a new session: everything pending goes out again in order. */
  depin_device_on_disconnect(&g_dev);
  g_tx.up = 0;
  CHECK(depin_device_record(&g_dev, 99) == DEPIN_OK);
  go_online();
  CHECK(g_tx.published == 27 && strstr(g_tx.payloads[19], "\"seq\":\"3\"") != NULL);
}

static void test_journal_full(void) {
  setup(1);
  uint32_t cap = depin_journal_capacity(&g_dev.journal);
  for (uint32_t i = 0; i < cap; i++) CHECK(depin_device_record(&g_dev, i) == DEPIN_OK);
  CHECK(depin_device_record(&g_dev, 0) == DEPIN_ERR_FULL && g_dev.stats.full == 1);
  setup(0);
  CHECK(depin_device_pending(&g_dev) == cap);
}

int main(void) {
  test_publish_and_receipts();
  test_forged();
  test_every_code();
  test_rejection_without_reading();
  test_resend_and_window();
  test_journal_full();
  return test_done("device");
}
