/* depin-bench: per-reading signing cost on the host (digest + sign + wire JSON), both curves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depin_host.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double per_reading(depin_key_type_t type, int n) {
  depin_host_key_t key;
  depin_keystore_t ks;
  uint8_t priv[32];
  char wire[DEPIN_MAX_WIRE_BYTES + 1];
  memset(priv, 0x22, sizeof priv);
  depin_host_key_from_private(&key, type, priv);
  depin_host_keystore(&key, &ks);
  depin_reading_t r;
  memset(&r, 0, sizeof r);
  r.device_id = 1;
  r.timestamp = 1767225600u;
  double t0 = now_us();
  for (int i = 0; i < n; i++) {
    r.seq = (uint64_t)i;
    r.value = (uint32_t)i;
    if (depin_sign_reading(31337, &ks, &r) != DEPIN_OK || depin_to_wire(&r, wire, sizeof wire) < 0) return -1;
  }
  return (now_us() - t0) / n;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  if (n <= 0) n = 2000;
  per_reading(DEPIN_KEY_SECP256K1, 50); /* warm-up (context creation) */
  double k1 = per_reading(DEPIN_KEY_SECP256K1, n);
  double p256 = per_reading(DEPIN_KEY_P256, n / 4 > 0 ? n / 4 : 1);
  printf("{\"signMicrosSecp256k1\":%.2f,\"signMicrosP256\":%.2f,\"readings\":%d}\n", k1, p256, n);
  return k1 < 0 || p256 < 0;
}
