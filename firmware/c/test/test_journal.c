/*
 * The flash journal against a model: random appends, receipts and rejections with remounts,
 * wrap-around and garbage collection on a small flash, power cuts in the middle of any write
 * (torn records), and the counter surviving the erase of every record that carried it.
 */
#include <string.h>

#include "depin/journal.h"
#include "support.h"

static ram_flash_t g_ram;
static depin_flash_t g_flash;
static depin_journal_t g_j;

static uint32_t g_seed = 12345;
static uint32_t rnd(void) {
  g_seed ^= g_seed << 13;
  g_seed ^= g_seed >> 17;
  g_seed ^= g_seed << 5;
  return g_seed;
}

/* Model: which seqs are pending, and the highest seq ever recorded. */
#define MODEL_MAX 100000
static uint8_t g_pending[MODEL_MAX];
static uint64_t g_next;

static depin_reading_t reading(uint64_t seq) {
  depin_reading_t r;
  memset(&r, 0, sizeof r);
  r.seq = seq;
  r.timestamp = 1767225600u + seq;
  r.value = (uint32_t)(seq * 7u);
  r.sig_len = 65;
  for (int i = 0; i < 65; i++) r.sig[i] = (uint8_t)(seq + (uint64_t)i);
  return r;
}

static int matches_model(void) {
  uint16_t k = 0;
  for (uint64_t s = 0; s < g_next; s++) {
    if (!g_pending[s]) continue;
    if (k >= g_j.count || g_j.pending[k].seq != s) return 0;
    depin_reading_t got, want = reading(s);
    if (depin_journal_load(&g_j, k, &got) != DEPIN_OK) return 0;
    if (got.timestamp != want.timestamp || got.value != want.value || memcmp(got.sig, want.sig, 65) != 0) return 0;
    k++;
  }
  return k == g_j.count && g_j.next_seq == g_next;
}

static void random_ops(int ops, int remount_every) {
  for (int i = 0; i < ops; i++) {
    uint32_t r = rnd() % 100;
    if (r < 55 && g_next < MODEL_MAX) {
      depin_reading_t rd = reading(g_next);
      int rc = depin_journal_append(&g_j, &rd);
      if (rc == DEPIN_OK) g_pending[g_next++] = 1;
      else CHECK(rc == DEPIN_ERR_FULL && g_j.count >= depin_journal_capacity(&g_j));
    } else if (g_j.count > 0) {
      /* Settle a random pending one (receipts arrive out of order after a replay). */
      uint16_t k = (uint16_t)(rnd() % g_j.count);
      uint64_t s = g_j.pending[k].seq;
      CHECK(depin_journal_settle(&g_j, s, r < 90 ? 'A' : 'X', "BAD_SIGNATURE") == 1);
      g_pending[s] = 0;
      CHECK(depin_journal_settle(&g_j, s, 'A', NULL) == 0); /* a second answer changes nothing */
    }
    if (remount_every > 0 && i % remount_every == 0) {
      CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
      CHECK(matches_model());
    }
  }
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  CHECK(matches_model());
}

static void test_model(void) {
  ram_flash_init(&g_ram, 1024, 6, &g_flash); /* 10 slots per sector: the ring wraps often */
  memset(g_pending, 0, sizeof g_pending);
  g_next = 0;
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  CHECK(g_j.count == 0 && g_j.next_seq == 0);
  random_ops(20000, 37);
  CHECK(g_next > 6 * 10 * 20); /* the ring wrapped many times */
  printf("model: %llu readings through a 6-sector ring, %u pending, journal equals the model at every remount\n",
         (unsigned long long)g_next, (unsigned)g_j.count);
}

static void test_full(void) {
  ram_flash_init(&g_ram, 1024, 5, &g_flash);
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  uint32_t cap = depin_journal_capacity(&g_j);
  CHECK(cap == 2 * 9);
  for (uint64_t s = 0; s < cap; s++) {
    depin_reading_t r = reading(s);
    CHECK(depin_journal_append(&g_j, &r) == DEPIN_OK);
  }
  depin_reading_t r = reading(cap);
  CHECK(depin_journal_append(&g_j, &r) == DEPIN_ERR_FULL); /* refused, never an old reading overwritten */
  /* Settling still works when the queue is full, and frees room. */
  for (uint64_t s = 0; s < cap; s++) CHECK(depin_journal_settle(&g_j, s, 'A', NULL) == 1);
  CHECK(depin_journal_append(&g_j, &r) == DEPIN_OK);
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  CHECK(g_j.count == 1 && g_j.pending[0].seq == cap && g_j.next_seq == cap + 1);
}

static void test_counter_survives_erase(void) {
  ram_flash_init(&g_ram, 1024, 4, &g_flash);
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  for (uint64_t s = 0; s < 500; s++) {
    depin_reading_t r = reading(s);
    CHECK(depin_journal_append(&g_j, &r) == DEPIN_OK);
    CHECK(depin_journal_settle(&g_j, s, 'A', NULL) == 1);
  }
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  CHECK(g_j.next_seq == 500 && g_j.count == 0); /* every R record is long erased; the headers kept the counter */
}

/* Power cut after a random number of programmed bytes, at every kind of write, then remount. */
static void test_power_cuts(void) {
  int cuts = 0;
  ram_flash_init(&g_ram, 1024, 5, &g_flash);
  memset(g_pending, 0, sizeof g_pending);
  g_next = 0;
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_OK);
  uint64_t highest_ok = 0;
  int any_ok = 0;
  for (int round = 0; round < 3000; round++) {
    g_ram.program_budget = (long)(rnd() % 2000);
    for (int i = 0; i < 40 && !g_ram.dead; i++) {
      if (rnd() % 100 < 55) {
        depin_reading_t r = reading(g_j.next_seq);
        if (depin_journal_append(&g_j, &r) == DEPIN_OK) {
          g_pending[r.seq] = 1;
          highest_ok = r.seq;
          any_ok = 1;
        }
      } else if (g_j.count > 0) {
        uint64_t s = g_j.pending[rnd() % g_j.count].seq;
        depin_journal_settle(&g_j, s, 'A', NULL);
        /* Acknowledged in RAM; if the A record tore, the reading may come back: allowed. */
        g_pending[s] = 2;
      }
    }
    if (g_ram.dead) cuts++;
    ram_flash_power_on(&g_ram);
    int rc = depin_journal_mount(&g_j, &g_flash);
    if (rc != DEPIN_OK) fprintf(stderr, "mount after cut %d: %d\n", cuts, rc);
    CHECK(rc == DEPIN_OK);
    /* Nothing recorded is lost; a seq is never reused. */
    for (uint64_t s = 0; s <= highest_ok && any_ok; s++)
      if (g_pending[s] == 1) CHECK(depin_journal_find(&g_j, s) >= 0);
    CHECK(!any_ok || g_j.next_seq > highest_ok);
    for (uint16_t k = 0; k < g_j.count; k++) {
      depin_reading_t got, want = reading(g_j.pending[k].seq);
      CHECK(depin_journal_load(&g_j, k, &got) == DEPIN_OK);
      CHECK(got.value == want.value && memcmp(got.sig, want.sig, 65) == 0);
      if (g_pending[g_j.pending[k].seq] == 2) g_pending[g_j.pending[k].seq] = 1; /* it came back */
    }
  }
  CHECK(cuts > 1000);
  printf("power cuts: %d cuts mid-write, nothing recorded lost, no seq reused\n", cuts);
}

static void test_geometry(void) {
  ram_flash_init(&g_ram, 1024, 3, &g_flash);
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_ERR_ARG);
  ram_flash_init(&g_ram, 256, 8, &g_flash);
  CHECK(depin_journal_mount(&g_j, &g_flash) == DEPIN_ERR_ARG);
}

int main(void) {
  test_model();
  test_full();
  test_counter_survives_erase();
  test_power_cuts();
  test_geometry();
  return test_done("journal");
}
