/* Keccak-256 (the original Keccak padding, as Ethereum uses): rate 136 bytes, capacity 512 bits. */
#include "depin/core.h"

#include <string.h>

#define KECCAK_RATE 136u

static const uint64_t ROUND_CONSTANTS[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull, 0x8000000080008000ull,
    0x000000000000808Bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
    0x000000000000008Aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000Aull,
    0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull, 0x8000000000008003ull,
    0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800Aull, 0x800000008000000Aull,
    0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull};

/* ρ rotation amounts and π lane order, walked as one cycle starting from lane 1. */
static const uint8_t RHO[24] = {1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44};
static const uint8_t PI[24] = {10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1};

static uint64_t rotl64(uint64_t x, unsigned n) { return (x << n) | (x >> ((64u - n) & 63u)); }

static void keccak_f1600(uint64_t st[25]) {
  for (unsigned round = 0; round < 24; round++) {
    uint64_t c[5];
    for (unsigned x = 0; x < 5; x++) c[x] = st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
    for (unsigned x = 0; x < 5; x++) {
      uint64_t d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
      for (unsigned y = 0; y < 25; y += 5) st[y + x] ^= d;
    }
    uint64_t carry = st[1];
    for (unsigned i = 0; i < 24; i++) {
      uint64_t next = st[PI[i]];
      st[PI[i]] = rotl64(carry, RHO[i]);
      carry = next;
    }
    for (unsigned y = 0; y < 25; y += 5) {
      uint64_t row[5];
      for (unsigned x = 0; x < 5; x++) row[x] = st[y + x];
      for (unsigned x = 0; x < 5; x++) st[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    st[0] ^= ROUND_CONSTANTS[round];
  }
}

void depin_keccak_init(depin_keccak_t *k) { memset(k, 0, sizeof *k); }

/* Lanes are little-endian byte strings; XOR byte by byte so the code is endian-neutral. */
static void xor_byte(uint64_t st[25], uint32_t pos, uint8_t b) { st[pos / 8u] ^= (uint64_t)b << (8u * (pos % 8u)); }

void depin_keccak_update(depin_keccak_t *k, const void *data, size_t len) {
  const uint8_t *in = (const uint8_t *)data;
  for (size_t i = 0; i < len; i++) {
    xor_byte(k->st, k->pos++, in[i]);
    if (k->pos == KECCAK_RATE) {
      keccak_f1600(k->st);
      k->pos = 0;
    }
  }
}

void depin_keccak_final(depin_keccak_t *k, uint8_t out[32]) {
  xor_byte(k->st, k->pos, 0x01);
  xor_byte(k->st, KECCAK_RATE - 1u, 0x80);
  keccak_f1600(k->st);
  for (unsigned i = 0; i < 32; i++) out[i] = (uint8_t)(k->st[i / 8u] >> (8u * (i % 8u)));
  memset(k, 0, sizeof *k);
}

void depin_keccak256(const void *data, size_t len, uint8_t out[32]) {
  depin_keccak_t k;
  depin_keccak_init(&k);
  depin_keccak_update(&k, data, len);
  depin_keccak_final(&k, out);
}
