/*
 * A Cortex-M4 image of the core for size measurement: every public entry point is reachable, the
 * HAL is stubbed (DEPIN_IMAGE_SECP256K1 adds a real secp256k1 key store from libsecp256k1).
 */
#include <string.h>

#include "depin/device.h"

#ifdef DEPIN_IMAGE_SECP256K1
#include "secp256k1.h"
#include "secp256k1_preallocated.h"
#include "secp256k1_recovery.h"

/* The context lives in a static buffer, no heap: secp256k1_context_preallocated_size(SIGN | VERIFY) with these settings is 33,040 bytes, 32 KiB of it the generator table (USE_ECMULT_STATIC_PRECOMPUTATION would move that table to flash). */
static unsigned char ctx_mem[33040] __attribute__((aligned(16)));
static secp256k1_context *ctx;
static uint8_t device_key[32] = {0x11};

void secp256k1_default_illegal_callback_fn(const char *str, void *data);
void secp256k1_default_error_callback_fn(const char *str, void *data);
void secp256k1_default_illegal_callback_fn(const char *str, void *data) { (void)str; (void)data; for (;;) {} }
void secp256k1_default_error_callback_fn(const char *str, void *data) { (void)str; (void)data; for (;;) {} }

static int ks_sign(void *c, const uint8_t digest[32], uint8_t sig[65], size_t *len) {
  (void)c;
  secp256k1_ecdsa_recoverable_signature rs;
  int recid;
  if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, device_key, NULL, NULL)) return DEPIN_ERR_CRYPTO;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs);
  sig[64] = (uint8_t)(27 + recid);
  *len = 65;
  return DEPIN_OK;
}

static int ks_recover(void *c, const uint8_t digest[32], const uint8_t sig[65], uint8_t address[20]) {
  (void)c;
  secp256k1_ecdsa_recoverable_signature rs;
  secp256k1_ecdsa_signature plain;
  secp256k1_pubkey pub;
  uint8_t raw[65], hash[32];
  size_t len = sizeof raw;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64] - 27)) return DEPIN_ERR_FORGED;
  secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &rs);
  if (secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain)) return DEPIN_ERR_FORGED;
  if (!secp256k1_ecdsa_recover(ctx, &pub, &rs, digest)) return DEPIN_ERR_FORGED;
  secp256k1_ec_pubkey_serialize(ctx, raw, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  depin_keccak256(raw + 1, 64, hash);
  memcpy(address, hash + 12, 20);
  return DEPIN_OK;
}
#else
static int ks_sign(void *c, const uint8_t digest[32], uint8_t sig[65], size_t *len) {
  (void)c;
  memcpy(sig, digest, 32); /* a secure element would answer here */
  *len = 64;
  return DEPIN_OK;
}
static int ks_recover(void *c, const uint8_t digest[32], const uint8_t sig[65], uint8_t address[20]) {
  (void)c;
  (void)sig;
  memcpy(address, digest, 20);
  return DEPIN_OK;
}
#endif

static volatile uint32_t ticks;
static volatile uint8_t flash_byte;
static uint64_t clk_unix(void *c) { (void)c; return 1767225600u + ticks / 1000u; }
static uint32_t clk_ms(void *c) { (void)c; return ticks; }
static int fl_read(void *c, uint32_t a, void *b, uint32_t n) { (void)c; (void)a; memset(b, flash_byte, n); return 0; }
static int fl_program(void *c, uint32_t a, const void *b, uint32_t n) { (void)c; (void)a; (void)b; (void)n; return 0; }
static int fl_erase(void *c, uint32_t s) { (void)c; (void)s; return 0; }
static int tr_connect(void *c, const char *id, const char *u, const char *p) { (void)c; (void)id; (void)u; (void)p; return 0; }
static int tr_subscribe(void *c, const char *t) { (void)c; (void)t; return 0; }
static int tr_publish(void *c, const char *t, const uint8_t *p, size_t n) { (void)c; (void)t; (void)p; (void)n; return 0; }
static int sn_read(void *c, uint32_t *v) { (void)c; *v = ticks; return 0; }

static depin_device_t dev;
static const uint8_t bridge[20] = {1};
static volatile uint8_t rx[DEPIN_MAX_ANSWER_BYTES];
static volatile size_t rx_len;

int main(void) {
  static const depin_hal_t hal = {
      {clk_unix, clk_ms, 0},
      {DEPIN_KEY_SECP256K1, ks_sign, ks_recover, 0},
      {4096, 16, fl_read, fl_program, fl_erase, 0},
      {tr_connect, tr_subscribe, tr_publish, 0},
      {sn_read, 0}};
#ifdef DEPIN_IMAGE_SECP256K1
  ctx = secp256k1_context_preallocated_create(ctx_mem, SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
#endif
  depin_config_t cfg = {31337, 1, "depin/31337/5fbdb231", bridge, 0, 0, 0, 0, 0, 0};
  if (depin_device_init(&dev, &cfg, &hal) != DEPIN_OK) return 1;
  depin_device_connect(&dev);
  depin_device_on_connect(&dev);
  for (;;) {
    depin_device_sample(&dev);
    depin_device_on_message(&dev, dev.receipt_topic, (const uint8_t *)rx, rx_len);
    depin_device_on_message(&dev, dev.error_topic, (const uint8_t *)rx, rx_len);
    depin_device_poll(&dev);
    if (ticks == 0xFFFFFFFFu) break;
  }
  depin_device_on_disconnect(&dev);
  return 0;
}
