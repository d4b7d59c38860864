/* The device journal over a ring of flash sectors (see include/depin/journal.h). */
#include "depin/journal.h"

#include <string.h>

#define REC DEPIN_JOURNAL_RECORD
#define T_HEADER 'H'
#define T_READING 'R'
#define T_ACK 'A'
#define T_REFUSED 'X'

typedef struct {
  uint8_t type;
  uint8_t sig_len;
  uint64_t seq;       /* H: ring sequence number of the sector */
  uint64_t timestamp; /* H: the counter when the sector was opened */
  uint32_t value;
  uint8_t sig[65];    /* X: the rejection code, NUL-padded */
} record_t;

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  while (n--) {
    crc ^= *p++;
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void put_le(uint8_t *b, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++, v >>= 8) b[i] = (uint8_t)v;
}

static uint64_t get_le(const uint8_t *b, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = n; i-- > 0;) v = (v << 8) | b[i];
  return v;
}

/* Layout: type, sig_len, 0, 0, crc32 (LE), seq, timestamp (u64 LE), value (u32 LE), sig[65], pad. */
static void encode(const record_t *r, uint8_t b[REC]) {
  memset(b, 0, REC);
  b[0] = r->type;
  b[1] = r->sig_len;
  put_le(b + 8, r->seq, 8);
  put_le(b + 16, r->timestamp, 8);
  put_le(b + 24, r->value, 4);
  memcpy(b + 28, r->sig, 65);
  uint32_t crc = crc32(crc32(0, b, 4), b + 8, REC - 8);
  put_le(b + 4, crc, 4);
}

/* 1 = a valid record, 0 = erased (all 0xFF), -1 = torn or corrupt. */
static int decode(const uint8_t b[REC], record_t *r) {
  int blank = 1;
  for (unsigned i = 0; i < REC; i++) {
    if (b[i] != 0xFF) {
      blank = 0;
      break;
    }
  }
  if (blank) return 0;
  if ((uint32_t)get_le(b + 4, 4) != crc32(crc32(0, b, 4), b + 8, REC - 8)) return -1;
  r->type = b[0];
  r->sig_len = b[1];
  r->seq = get_le(b + 8, 8);
  r->timestamp = get_le(b + 16, 8);
  r->value = (uint32_t)get_le(b + 24, 4);
  memcpy(r->sig, b + 28, 65);
  if (r->type != T_HEADER && r->type != T_READING && r->type != T_ACK && r->type != T_REFUSED) return -1;
  if (r->type == T_READING && r->sig_len != 64 && r->sig_len != 65) return -1;
  return 1;
}

static uint32_t addr_of(const depin_journal_t *j, uint32_t sector, uint32_t slot) {
  return sector * j->flash->sector_size + slot * REC;
}

static int read_rec(const depin_journal_t *j, uint32_t addr, record_t *r) {
  uint8_t b[REC];
  if (j->flash->read(j->flash->ctx, addr, b, REC) != DEPIN_OK) return -1;
  return decode(b, r);
}

static int sector_blank(const depin_journal_t *j, uint32_t sector) {
  uint8_t b[REC];
  for (uint32_t s = 0; s < j->slots; s++) {
    if (j->flash->read(j->flash->ctx, addr_of(j, sector, s), b, REC) != DEPIN_OK) return 0;
    for (unsigned i = 0; i < REC; i++)
      if (b[i] != 0xFF) return 0;
  }
  return 1;
}

static int erase(depin_journal_t *j, uint32_t sector) {
  j->erases++;
  return j->flash->erase(j->flash->ctx, sector) == DEPIN_OK ? DEPIN_OK : DEPIN_ERR;
}

/* Writes one record at the head's next slot (the caller made sure there is one). */
static int write_head(depin_journal_t *j, const record_t *r, uint32_t *addr) {
  uint8_t b[REC];
  encode(r, b);
  *addr = addr_of(j, j->head, j->head_slot);
  j->head_slot++; /* a failed or torn program leaves the slot unusable: never write it twice */
  return j->flash->program(j->flash->ctx, *addr, b, REC) == DEPIN_OK ? DEPIN_OK : DEPIN_ERR;
}

static int write_header(depin_journal_t *j, uint32_t sector, uint32_t ring) {
  record_t h;
  uint8_t b[REC];
  memset(&h, 0, sizeof h);
  h.type = T_HEADER;
  h.seq = ring;
  h.timestamp = j->next_seq;
  encode(&h, b);
  return j->flash->program(j->flash->ctx, addr_of(j, sector, 0), b, REC) == DEPIN_OK ? DEPIN_OK : DEPIN_ERR;
}

int depin_journal_find(const depin_journal_t *j, uint64_t seq) {
  int lo = 0, hi = (int)j->count - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (j->pending[mid].seq == seq) return mid;
    if (j->pending[mid].seq < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* Adds (or, for a seq already pending, re-points) an index entry; keeps ascending seq order. */
static int index_put(depin_journal_t *j, uint64_t seq, uint32_t addr) {
  int at = depin_journal_find(j, seq);
  if (at >= 0) {
    j->pending[at].addr = addr;
    return DEPIN_OK;
  }
  if (j->count >= DEPIN_JOURNAL_MAX_PENDING) return DEPIN_ERR_FULL;
  uint16_t pos = j->count;
  while (pos > 0 && j->pending[pos - 1].seq > seq) pos--;
  memmove(&j->pending[pos + 1], &j->pending[pos], (size_t)(j->count - pos) * sizeof j->pending[0]);
  memset(&j->pending[pos], 0, sizeof j->pending[0]);
  j->pending[pos].seq = seq;
  j->pending[pos].addr = addr;
  j->count++;
  return DEPIN_OK;
}

static void index_remove(depin_journal_t *j, int at) {
  memmove(&j->pending[at], &j->pending[at + 1], (size_t)(j->count - at - 1) * sizeof j->pending[0]);
  j->count--;
}

static uint32_t free_sectors(const depin_journal_t *j) {
  uint32_t n = j->flash->sector_count;
  return n - ((j->head + n - j->oldest) % n + 1u);
}

/* Opens the (free) sector after the head as the new head. */
static int open_next(depin_journal_t *j) {
  uint32_t next = (j->head + 1) % j->flash->sector_count;
  if (next == j->oldest) return DEPIN_ERR_FULL;
  if (!sector_blank(j, next) && erase(j, next) != DEPIN_OK) return DEPIN_ERR;
  if (write_header(j, next, j->head_ring + 1) != DEPIN_OK) return DEPIN_ERR;
  j->head = next;
  j->head_ring++;
  j->head_slot = 1;
  return DEPIN_OK;
}

/*
 * Copies the oldest sector's pending readings to the head, then erases it. A torn or failed
 * copy costs a slot; when the head fills up the copy goes on in the next free sector (there is
 * one: keep_free keeps two free before a collection starts).
 */
static int collect_oldest(depin_journal_t *j) {
  uint32_t victim = j->oldest;
  uint32_t lo = victim * j->flash->sector_size, hi = lo + j->flash->sector_size;
  for (uint16_t i = 0; i < j->count; i++) {
    depin_pending_t *p = &j->pending[i];
    if (p->addr < lo || p->addr >= hi) continue;
    record_t r;
    if (read_rec(j, p->addr, &r) != 1) return DEPIN_ERR;
    for (int tries = 0;; tries++) {
      if (tries == 3) return DEPIN_ERR;
      if (j->head_slot >= j->slots) {
        int rc = open_next(j);
        if (rc != DEPIN_OK) return rc;
      }
      uint32_t addr;
      if (write_head(j, &r, &addr) == DEPIN_OK) {
        p->addr = addr;
        break;
      }
    }
  }
  j->oldest = (victim + 1) % j->flash->sector_count;
  return erase(j, victim);
}

/* Keeps two sectors free after the head: one to open next, one for a collection's overflow. */
static int keep_free(depin_journal_t *j) {
  for (uint32_t i = 0; free_sectors(j) < 2 && i < j->flash->sector_count; i++) {
    int rc = collect_oldest(j);
    if (rc != DEPIN_OK) return rc;
  }
  return DEPIN_OK;
}

/* Makes room for one record at the head. */
static int room(depin_journal_t *j) {
  for (uint32_t i = 0; j->head_slot >= j->slots; i++) {
    if (i > j->flash->sector_count) return DEPIN_ERR_FULL;
    int rc = open_next(j);
    if (rc == DEPIN_OK) rc = keep_free(j);
    if (rc != DEPIN_OK && j->head_slot >= j->slots) return rc;
  }
  return DEPIN_OK;
}

uint32_t depin_journal_capacity(const depin_journal_t *j) {
  /* Two sectors stay free and one more absorbs what a collection moves: the rest holds readings. */
  uint32_t flash = (j->flash->sector_count - 3u) * (j->slots - 1u);
  return flash < DEPIN_JOURNAL_MAX_PENDING ? flash : DEPIN_JOURNAL_MAX_PENDING;
}

static void replay_sector(depin_journal_t *j, uint32_t sector, int *overflow) {
  uint32_t last = 0;
  for (uint32_t s = 1; s < j->slots; s++) {
    record_t r;
    uint32_t addr = addr_of(j, sector, s);
    int d = read_rec(j, addr, &r);
    if (d == 0) continue;
    last = s;
    if (d < 0) {
      j->torn++;
      continue;
    }
    if (r.type == T_READING) {
      if (index_put(j, r.seq, addr) != DEPIN_OK) *overflow = 1;
      if (r.seq >= j->next_seq) j->next_seq = r.seq + 1;
    } else if (r.type == T_ACK || r.type == T_REFUSED) {
      int at = depin_journal_find(j, r.seq);
      if (at >= 0) index_remove(j, at);
    }
  }
  if (sector == j->head) j->head_slot = last + 1;
}

int depin_journal_mount(depin_journal_t *j, const depin_flash_t *flash) {
  memset(j, 0, sizeof *j);
  j->flash = flash;
  if (flash->sector_count < 4 || flash->sector_size < 4 * REC) return DEPIN_ERR_ARG;
  j->slots = flash->sector_size / REC;
  uint32_t n = flash->sector_count;

  /* The head is the sector with the highest ring number; the ring runs back from it without gaps. */
  int found = 0;
  for (uint32_t s = 0; s < n; s++) {
    record_t h;
    if (read_rec(j, addr_of(j, s, 0), &h) == 1 && h.type == T_HEADER && (!found || h.seq > j->head_ring)) {
      found = 1;
      j->head = s;
      j->head_ring = (uint32_t)h.seq;
    }
  }
  if (!found) {
    if (erase(j, 0) != DEPIN_OK || write_header(j, 0, 1) != DEPIN_OK) return DEPIN_ERR;
    j->head = j->oldest = 0;
    j->head_ring = 1;
    j->head_slot = 1;
    return DEPIN_OK;
  }
  uint32_t used = 1;
  j->oldest = j->head;
  while (used < n) {
    uint32_t prev = (j->oldest + n - 1) % n;
    record_t h;
    if (read_rec(j, addr_of(j, prev, 0), &h) != 1 || h.type != T_HEADER || h.seq != j->head_ring - used) break;
    j->oldest = prev;
    used++;
  }
  int overflow = 0;
  for (uint32_t k = 0; k < used; k++) {
    uint32_t s = (j->oldest + k) % n;
    record_t h;
    if (read_rec(j, addr_of(j, s, 0), &h) == 1 && h.timestamp > j->next_seq) j->next_seq = h.timestamp;
    replay_sector(j, s, &overflow);
  }
  /* A firmware built with a smaller index than the journal needs must not erase what it cannot see. */
  if (overflow) return DEPIN_ERR_FULL;
  /* Sectors outside the ring (a torn erase or header) are garbage: clear them for reuse. */
  for (uint32_t k = used; k < n; k++) {
    uint32_t s = (j->oldest + k) % n;
    if (!sector_blank(j, s) && erase(j, s) != DEPIN_OK) return DEPIN_ERR;
  }
  /* A power cut between copying the oldest sector's readings and erasing it: finish the job. */
  return keep_free(j);
}

int depin_journal_append(depin_journal_t *j, const depin_reading_t *r) {
  int at = depin_journal_find(j, r->seq);
  if (at < 0) {
    if (r->seq != j->next_seq || r->seq == UINT64_MAX) return DEPIN_ERR_ARG;
    if (j->count >= depin_journal_capacity(j)) return DEPIN_ERR_FULL;
  }
  if (r->sig_len != 64 && r->sig_len != 65) return DEPIN_ERR_ARG;
  int rc = room(j);
  if (rc != DEPIN_OK) return rc;
  record_t rec;
  memset(&rec, 0, sizeof rec);
  rec.type = T_READING;
  rec.sig_len = r->sig_len;
  rec.seq = r->seq;
  rec.timestamp = r->timestamp;
  rec.value = r->value;
  memcpy(rec.sig, r->sig, r->sig_len);
  uint32_t addr;
  if (write_head(j, &rec, &addr) != DEPIN_OK) return DEPIN_ERR;
  /* Durable first, then visible: the index and the counter move only after the write. */
  if (index_put(j, r->seq, addr) != DEPIN_OK) return DEPIN_ERR_FULL;
  if (at < 0) j->next_seq = r->seq + 1;
  return DEPIN_OK;
}

int depin_journal_settle(depin_journal_t *j, uint64_t seq, char kind, const char *code) {
  int at = depin_journal_find(j, seq);
  if (at < 0) return 0;
  index_remove(j, at);
  record_t rec;
  memset(&rec, 0, sizeof rec);
  rec.type = kind == 'X' ? T_REFUSED : T_ACK;
  rec.seq = seq;
  if (kind == 'X' && code != NULL) {
    size_t n = strlen(code);
    memcpy(rec.sig, code, n < 64 ? n : 64);
  }
  /*
   * Without room or on a flash error the record is lost: the reading then comes back pending
   * after a restart, is re-sent and answered "duplicate" (or refused again). Nothing is lost.
   */
  uint32_t addr;
  if (room(j) == DEPIN_OK) (void)write_head(j, &rec, &addr);
  return 1;
}

int depin_journal_load(const depin_journal_t *j, uint16_t idx, depin_reading_t *out) {
  record_t r;
  if (idx >= j->count || read_rec(j, j->pending[idx].addr, &r) != 1 || r.type != T_READING ||
      r.seq != j->pending[idx].seq)
    return DEPIN_ERR;
  out->seq = r.seq;
  out->timestamp = r.timestamp;
  out->value = r.value;
  out->sig_len = r.sig_len;
  memcpy(out->sig, r.sig, sizeof out->sig);
  return DEPIN_OK;
}
