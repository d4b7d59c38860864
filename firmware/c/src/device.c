/* The device state machine (see include/depin/device.h). */
#include "depin/device.h"

#include <string.h>

static uint32_t now_ms(const depin_device_t *d) { return d->hal->clock.millis(d->hal->clock.ctx); }

/* Wrap-safe "a is at or after b" for millisecond stamps less than 2^31 ms apart. */
static int reached(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static void emit(depin_device_t *d, depin_event_type_t type, uint64_t seq, const char *code, uint32_t delay_ms) {
  if (d->cfg.on_event == NULL) return;
  depin_event_t ev = {type, seq, code, delay_ms};
  d->cfg.on_event(d->cfg.event_ctx, &ev);
}

/* xorshift32: jitter only (spreading a fleet's re-sends), not a secret. */
static uint32_t next_random(depin_device_t *d) {
  uint32_t x = d->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  d->rng = x;
  return x;
}

uint32_t depin_retry_delay_ms(uint32_t attempt, uint32_t rnd, uint32_t base_ms, uint32_t cap_ms) {
  uint64_t exp = base_ms;
  for (uint32_t i = 1; i < attempt && exp < cap_ms; i++) exp *= 2u;
  if (exp > cap_ms) exp = cap_ms;
  uint32_t half = (uint32_t)(exp / 2u);
  return half + (uint32_t)(rnd % ((uint32_t)exp - half + 1u));
}

int depin_device_init(depin_device_t *d, const depin_config_t *cfg, const depin_hal_t *hal) {
  memset(d, 0, sizeof *d);
  d->cfg = *cfg;
  d->hal = hal;
  if (depin_check_topic_root(cfg->topic_root) != DEPIN_OK) return DEPIN_ERR_ARG;
  if (d->cfg.receipt_timeout_ms == 0) d->cfg.receipt_timeout_ms = 10000;
  if (d->cfg.max_inflight == 0) d->cfg.max_inflight = 32;
  if (d->cfg.retry_base_ms == 0) d->cfg.retry_base_ms = 500;
  if (d->cfg.retry_cap_ms == 0) d->cfg.retry_cap_ms = 300000;
  if (cfg->bridge_address != NULL) {
    memcpy(d->bridge_address, cfg->bridge_address, 20);
    d->cfg.bridge_address = d->bridge_address;
  }
  if (depin_reading_topic(cfg->topic_root, cfg->device_id, d->reading_topic, sizeof d->reading_topic) < 0 ||
      depin_receipt_topic(cfg->topic_root, cfg->device_id, d->receipt_topic, sizeof d->receipt_topic) < 0 ||
      depin_error_topic(cfg->topic_root, cfg->device_id, d->error_topic, sizeof d->error_topic) < 0)
    return DEPIN_ERR_ARG;
  d->rng = (uint32_t)(cfg->device_id * 2654435761u) ^ (uint32_t)hal->clock.unix_seconds(hal->clock.ctx) ^ 0x9E3779B9u;
  if (d->rng == 0) d->rng = 1;
  return depin_journal_mount(&d->journal, &hal->flash);
}

int depin_device_connect(depin_device_t *d) {
  char client_id[DEPIN_MAX_TOPIC + 32], user[21];
  size_t n = 0;
  for (const char *p = d->cfg.topic_root; *p != '\0'; p++) client_id[n++] = *p == '/' ? '_' : *p;
  memcpy(client_id + n, "-dev-", 5);
  depin_u64_to_dec(d->cfg.device_id, client_id + n + 5);
  depin_u64_to_dec(d->cfg.device_id, user);
  uint64_t now = d->hal->clock.unix_seconds(d->hal->clock.ctx);
  int rc = depin_connect_password(d->cfg.network_id, &d->hal->keystore, d->cfg.device_id, now, d->scratch,
                                  sizeof d->scratch);
  if (rc < 0) return rc;
  return d->hal->transport.connect(d->hal->transport.ctx, client_id, user, d->scratch);
}

void depin_device_on_connect(depin_device_t *d) {
  const depin_transport_t *t = &d->hal->transport;
  if (t->subscribe(t->ctx, d->receipt_topic) != DEPIN_OK || t->subscribe(t->ctx, d->error_topic) != DEPIN_OK) return;
  d->connected = 1;
  /* A clean session: nothing is in flight any more; everything pending goes out again in order. */
  for (uint16_t i = 0; i < d->journal.count; i++) d->journal.pending[i].flags &= (uint8_t)~DEPIN_PENDING_INFLIGHT;
  d->inflight = 0;
  d->last_progress_ms = now_ms(d);
  emit(d, DEPIN_EV_CONNECTED, 0, NULL, 0);
  depin_device_poll(d);
}

void depin_device_on_disconnect(depin_device_t *d) { d->connected = 0; }

uint16_t depin_device_pending(const depin_device_t *d) { return d->journal.count; }

/* Publishes pending reading number idx; 0 on success. */
static int send(depin_device_t *d, uint16_t idx) {
  depin_reading_t r;
  if (depin_journal_load(&d->journal, idx, &r) != DEPIN_OK) return DEPIN_ERR;
  r.device_id = d->cfg.device_id;
  int n = depin_to_wire(&r, d->scratch, sizeof d->scratch);
  if (n < 0) return n;
  const depin_transport_t *t = &d->hal->transport;
  if (t->publish(t->ctx, d->reading_topic, (const uint8_t *)d->scratch, (size_t)n) != DEPIN_OK) return DEPIN_ERR_OFFLINE;
  depin_pending_t *p = &d->journal.pending[idx];
  if (!(p->flags & DEPIN_PENDING_INFLIGHT)) d->inflight++;
  p->flags = (uint8_t)((p->flags | DEPIN_PENDING_INFLIGHT) & ~DEPIN_PENDING_BACKOFF);
  p->sent_ms = now_ms(d);
  return DEPIN_OK;
}

void depin_device_poll(depin_device_t *d) {
  if (!d->connected) return;
  uint32_t now = now_ms(d);
  /* Answers stopped for a whole time-out: what is in flight was lost (broker restart, session gone). */
  int stale = reached(now, d->last_progress_ms + d->cfg.receipt_timeout_ms);
  for (uint16_t i = 0; i < d->journal.count; i++) {
    depin_pending_t *p = &d->journal.pending[i];
    if (p->flags & DEPIN_PENDING_INFLIGHT) {
      if (!stale || !reached(now, p->sent_ms + d->cfg.receipt_timeout_ms)) continue;
      if (send(d, i) != DEPIN_OK) return;
      d->stats.republished++;
      emit(d, DEPIN_EV_REPUBLISHED, p->seq, NULL, 0);
      continue;
    }
    if ((p->flags & DEPIN_PENDING_BACKOFF) && !reached(now, p->due_ms)) continue; /* never a tight loop */
    if (d->inflight >= d->cfg.max_inflight) continue;
    int again = p->attempts > 0;
    if (send(d, i) != DEPIN_OK) return;
    if (again) {
      d->stats.republished++;
      emit(d, DEPIN_EV_REPUBLISHED, p->seq, NULL, 0);
    } else {
      d->stats.published++;
      emit(d, DEPIN_EV_PUBLISHED, p->seq, NULL, 0);
    }
  }
}

int depin_device_record(depin_device_t *d, uint32_t value) {
  depin_reading_t r;
  memset(&r, 0, sizeof r);
  r.device_id = d->cfg.device_id;
  r.seq = d->journal.next_seq;
  r.timestamp = d->hal->clock.unix_seconds(d->hal->clock.ctx);
  r.value = value;
  if (d->journal.count >= depin_journal_capacity(&d->journal)) {
    d->stats.full++;
    return DEPIN_ERR_FULL;
  }
  int rc = depin_sign_reading(d->cfg.network_id, &d->hal->keystore, &r);
  if (rc == DEPIN_OK) rc = depin_journal_append(&d->journal, &r);
  if (rc != DEPIN_OK) {
    if (rc == DEPIN_ERR_FULL) d->stats.full++;
    return rc;
  }
  d->stats.recorded++;
  emit(d, DEPIN_EV_RECORDED, r.seq, NULL, 0);
  depin_device_poll(d);
  return DEPIN_OK;
}

int depin_device_sample(depin_device_t *d) {
  uint32_t v;
  if (d->hal->sensor.read(d->hal->sensor.ctx, &v) != DEPIN_OK) return DEPIN_ERR;
  return depin_device_record(d, v);
}

static void settle(depin_device_t *d, int at, char kind, const char *code) {
  if (d->journal.pending[at].flags & DEPIN_PENDING_INFLIGHT) d->inflight--;
  depin_journal_settle(&d->journal, d->journal.pending[at].seq, kind, code);
}

static void on_receipt(void *ctx, uint64_t seq, depin_receipt_status_t status) {
  depin_device_t *d = (depin_device_t *)ctx;
  int at = depin_journal_find(&d->journal, seq);
  if (at < 0) return; /* answered before (a re-sent copy) */
  settle(d, at, 'A', NULL);
  if (status == DEPIN_RECEIPT_STORED) {
    d->stats.receipts++;
    emit(d, DEPIN_EV_RECEIPT, seq, NULL, 0);
  } else {
    d->stats.duplicates++;
    emit(d, DEPIN_EV_DUPLICATE, seq, NULL, 0);
  }
}

/*
 * A non-final rejection: keep the reading, wait the back-off, and (for KEY_NOT_YET_VALID) sign it
 * again with the key the key store holds now, in case a rotation installed the key in force at
 * its timestamp.
 */
static void back_off(depin_device_t *d, int at, const char *code) {
  depin_pending_t *p = &d->journal.pending[at];
  if (p->flags & DEPIN_PENDING_INFLIGHT) d->inflight--;
  if (p->attempts < 255) p->attempts++;
  uint32_t delay = depin_retry_delay_ms(p->attempts, next_random(d), d->cfg.retry_base_ms, d->cfg.retry_cap_ms);
  p->flags = DEPIN_PENDING_BACKOFF;
  p->due_ms = now_ms(d) + delay;
  uint64_t seq = p->seq;
  d->stats.backoffs++;
  emit(d, DEPIN_EV_BACKOFF, seq, code, delay);
  if (strcmp(code, "KEY_NOT_YET_VALID") != 0) return;
  depin_reading_t r, again;
  if (depin_journal_load(&d->journal, (uint16_t)at, &r) != DEPIN_OK) return;
  r.device_id = d->cfg.device_id;
  again = r;
  if (depin_sign_reading(d->cfg.network_id, &d->hal->keystore, &again) != DEPIN_OK) return;
  if (again.sig_len == r.sig_len && memcmp(again.sig, r.sig, r.sig_len) == 0) return; /* same key: nothing to fix */
  if (depin_journal_append(&d->journal, &again) == DEPIN_OK) {
    d->stats.resigned++;
    emit(d, DEPIN_EV_RESIGNED, seq, NULL, 0);
  }
}

void depin_device_on_message(depin_device_t *d, const char *topic, const uint8_t *payload, size_t len) {
  int receipt = strcmp(topic, d->receipt_topic) == 0;
  if (!receipt && strcmp(topic, d->error_topic) != 0) return; /* not ours */
  size_t body_len = 0;
  int rc = depin_open_answer(payload, len, d->cfg.network_id, topic, d->cfg.bridge_address, &d->hal->keystore, &body_len);
  if (rc == DEPIN_ERR_FORGED) {
    d->stats.forged++;
    emit(d, DEPIN_EV_FORGED, 0, NULL, 0);
    return;
  }
  if (rc != DEPIN_OK) {
    d->stats.malformed++;
    emit(d, DEPIN_EV_MALFORMED, 0, NULL, 0);
    return;
  }
  const char *body = (const char *)payload;
  if (receipt) {
    if (depin_parse_receipts(body, body_len, NULL, NULL) < 0) {
      d->stats.malformed++;
      emit(d, DEPIN_EV_MALFORMED, 0, NULL, 0);
      return;
    }
    d->last_progress_ms = now_ms(d);
    depin_parse_receipts(body, body_len, on_receipt, d);
  } else {
    depin_rejection_t rej;
    if (depin_parse_rejection(body, body_len, &rej) != DEPIN_OK) {
      d->stats.malformed++;
      emit(d, DEPIN_EV_MALFORMED, 0, NULL, 0);
      return;
    }
    d->last_progress_ms = now_ms(d);
    int at = rej.has_seq ? depin_journal_find(&d->journal, rej.seq) : -1;
    if (at < 0) {
      d->stats.rejected++;
      emit(d, DEPIN_EV_REJECTED, rej.seq, rej.code, 0);
    } else if (depin_rejection_is_final(rej.code)) {
      /* Final (EQUIVOCATION included): this reading can never be stored; re-sending it would loop. */
      settle(d, at, 'X', rej.code);
      d->stats.dropped++;
      emit(d, DEPIN_EV_DROPPED, rej.seq, rej.code, 0);
    } else {
      back_off(d, at, rej.code);
    }
  }
  depin_device_poll(d);
}
