/* Test doubles for the HAL (RAM flash with NOR checks and power cuts, recording transport, manual clock). */
#ifndef DEPIN_TEST_SUPPORT_H
#define DEPIN_TEST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>

#include "depin/device.h"
#include "depin_host.h"

extern int g_failures, g_checks;
#define CHECK(cond)                                                              \
  do {                                                                           \
    g_checks++;                                                                  \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      g_failures++;                                                              \
    }                                                                            \
  } while (0)
/* Prints the closing line ctest-style runners read, and the exit code. */
int test_done(const char *name);

#define RAM_FLASH_MAX (256u * 1024u)
typedef struct {
  uint8_t mem[RAM_FLASH_MAX];
  uint32_t sector_size, sector_count;
  long program_budget; /* bytes that may still be programmed before the "power cut" (-1 = no limit) */
  int dead;            /* power is off: every operation fails until ram_flash_power_on */
} ram_flash_t;
void ram_flash_init(ram_flash_t *f, uint32_t sector_size, uint32_t sector_count, depin_flash_t *out);
void ram_flash_power_on(ram_flash_t *f);

#define FAKE_MAX_MSGS 4096
typedef struct {
  int up;
  unsigned published;
  char topics[FAKE_MAX_MSGS][96];
  char payloads[FAKE_MAX_MSGS][DEPIN_MAX_WIRE_BYTES + 1];
  char subscribed[4][DEPIN_MAX_TOPIC];
  unsigned subs;
  char password[200];
} fake_transport_t;
void fake_transport_init(fake_transport_t *t, depin_transport_t *out);

typedef struct {
  uint64_t unix_s;
  uint32_t ms;
} fake_clock_t;
void fake_clock_init(fake_clock_t *c, depin_clock_t *out);

/* Signs an answer like the bridge: "<body>\n0x<r‖s‖v>" over answerDigest. */
int sign_answer(depin_host_key_t *key, uint64_t network_id, const char *topic, const char *body, char *out, size_t cap);

#endif
