/*
 * The device journal: the persisted monotonic sequence counter and the store-and-forward queue,
 * as a log of fixed-size records in a ring of flash sectors (sdk counterpart: firmware/journal.ts).
 *
 * Records (DEPIN_JOURNAL_RECORD bytes each, CRC-32 protected):
 *   H  sector header: the sector's place in the ring and the counter when it was opened
 *   R  a signed reading (appended BEFORE it is published; a later R for a pending seq re-signs it)
 *   A  the network's receipt for a seq (delivered)
 *   X  the network's final rejection of a seq (with its code, for the operator)
 * Mounting replays the ring: the counter is the highest seq ever written + 1 (sector headers keep
 * it after old sectors are erased) and the pending readings are the R records without an A or X.
 * When a new head sector is opened, the oldest sector's still-pending readings are copied to the
 * head and it is erased, so two sectors are always free (needs at least 4 sectors). A power cut at any point loses no
 * reading and never reuses a seq: a torn record fails its CRC and is skipped.
 *
 * RAM: an index of the pending readings (seq, flash address, delivery state), no reading bodies.
 */
#ifndef DEPIN_JOURNAL_H
#define DEPIN_JOURNAL_H

#include "depin/core.h"
#include "depin/hal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DEPIN_JOURNAL_RECORD 96u
/** Readings awaiting a receipt at most (RAM: 24 bytes each). Must not shrink across updates. */
#ifndef DEPIN_JOURNAL_MAX_PENDING
#define DEPIN_JOURNAL_MAX_PENDING 128u
#endif

/* Delivery state of a pending reading, kept by the device (not persisted). */
#define DEPIN_PENDING_INFLIGHT 0x01u /* published, no answer yet */
#define DEPIN_PENDING_BACKOFF 0x02u  /* refused with a non-final code: not before due_ms */

typedef struct {
  uint64_t seq;
  uint32_t addr;    /* flash address of its latest R record */
  uint32_t sent_ms; /* last publish (DEPIN_PENDING_INFLIGHT) */
  uint32_t due_ms;  /* next attempt (DEPIN_PENDING_BACKOFF) */
  uint8_t attempts; /* non-final rejections so far (saturates) */
  uint8_t flags;
} depin_pending_t;

typedef struct {
  const depin_flash_t *flash;
  uint32_t slots;       /* records per sector (slot 0 is the header) */
  uint32_t head;        /* sector being appended to */
  uint32_t head_slot;   /* next free slot in it */
  uint32_t oldest;      /* oldest sector in use */
  uint32_t head_ring;   /* ring sequence number of the head sector */
  uint64_t next_seq;    /* the counter: the seq the next new reading gets */
  uint16_t count;       /* pending readings */
  uint32_t erases;      /* sectors erased since mount */
  uint32_t torn;        /* unreadable records skipped at mount */
  depin_pending_t pending[DEPIN_JOURNAL_MAX_PENDING]; /* ascending seq */
} depin_journal_t;

/** Replays (or formats, when no sector holds a valid header) the journal in `flash`. */
int depin_journal_mount(depin_journal_t *j, const depin_flash_t *flash);
/** Readings the journal can hold pending (RAM index and flash, whichever is smaller). */
uint32_t depin_journal_capacity(const depin_journal_t *j);
/**
 * Appends reading `r`: a new one must carry r->seq == next_seq (the counter then moves on); one
 * with a pending seq replaces that reading's signature. DEPIN_ERR_FULL when there is no room.
 */
int depin_journal_append(depin_journal_t *j, const depin_reading_t *r);
/** Records the receipt ('A') or final rejection ('X', with `code`) of a pending seq: 1 if it was pending, 0 if not. */
int depin_journal_settle(depin_journal_t *j, uint64_t seq, char kind, const char *code);
/** Index of pending `seq`, or -1. */
int depin_journal_find(const depin_journal_t *j, uint64_t seq);
/** Reads pending reading number `idx` (0 = oldest) back from flash. */
int depin_journal_load(const depin_journal_t *j, uint16_t idx, depin_reading_t *out);

#ifdef __cplusplus
}
#endif
#endif
