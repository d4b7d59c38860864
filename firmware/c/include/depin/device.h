/*
 * The device: records signed readings into the journal, publishes them at QoS 1, and forgets one
 * only on the bridge's receipt or final rejection (sdk counterpart: firmware/device.ts).
 *
 * Single-threaded and non-blocking: the port calls depin_device_poll() from its main loop and
 * forwards transport events (on_connect, on_disconnect, on_message). No heap; the device struct
 * holds every buffer (see README.md for its size).
 */
#ifndef DEPIN_DEVICE_H
#define DEPIN_DEVICE_H

#include "depin/core.h"
#include "depin/hal.h"
#include "depin/journal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  DEPIN_EV_CONNECTED,   /* subscribed to the answer topics */
  DEPIN_EV_RECORDED,    /* seq signed and journaled */
  DEPIN_EV_PUBLISHED,   /* seq handed to the transport (first time) */
  DEPIN_EV_REPUBLISHED, /* seq sent again (no answer within receipt_timeout_ms, or after a back-off) */
  DEPIN_EV_RECEIPT,     /* seq stored by the network: forgotten */
  DEPIN_EV_DUPLICATE,   /* seq was stored before: forgotten */
  DEPIN_EV_DROPPED,     /* seq refused with a final code: forgotten for good */
  DEPIN_EV_BACKOFF,     /* seq refused with a non-final code: kept, re-sent after delay_ms */
  DEPIN_EV_RESIGNED,    /* seq re-signed with the key store's current key before re-sending */
  DEPIN_EV_REJECTED,    /* a rejection for no pending reading (no seq, or already settled) */
  DEPIN_EV_FORGED,      /* an answer without the bridge's valid signature: ignored */
  DEPIN_EV_MALFORMED    /* a signed (or unsigned, when allowed) answer that does not parse: ignored */
} depin_event_type_t;

typedef struct {
  depin_event_type_t type;
  uint64_t seq;
  const char *code; /* rejection code, or NULL */
  uint32_t delay_ms;
} depin_event_t;

typedef struct {
  uint64_t network_id;
  uint64_t device_id;
  const char *topic_root;    /* the bridge's /status topicRoot, e.g. "depin/31337/5fbdb231" */
  const uint8_t *bridge_address; /* 20 bytes (the bridge's /status answerAddress), or NULL = accept unsigned answers */
  uint32_t receipt_timeout_ms;   /* re-send when the network stopped answering (default 10000) */
  uint16_t max_inflight;         /* published readings awaiting an answer (default 32) */
  uint32_t retry_base_ms;        /* back-off after a non-final rejection (default 500) … */
  uint32_t retry_cap_ms;         /* … doubling up to this (default 300000) */
  void (*on_event)(void *ctx, const depin_event_t *ev);
  void *event_ctx;
} depin_config_t;

typedef struct {
  uint32_t recorded, published, republished, receipts, duplicates, dropped, backoffs, resigned, rejected, forged,
      malformed, full;
} depin_stats_t;

typedef struct {
  depin_config_t cfg;
  const depin_hal_t *hal;
  depin_journal_t journal;
  depin_stats_t stats;
  uint8_t bridge_address[20];
  uint8_t connected;
  uint16_t inflight;
  uint32_t last_progress_ms;
  uint32_t rng;
  char reading_topic[DEPIN_MAX_TOPIC];
  char receipt_topic[DEPIN_MAX_TOPIC];
  char error_topic[DEPIN_MAX_TOPIC];
  char scratch[DEPIN_MAX_WIRE_BYTES + 1]; /* wire JSON, connect password, client id */
} depin_device_t;

/** Checks the configuration and mounts the journal. */
int depin_device_init(depin_device_t *d, const depin_config_t *cfg, const depin_hal_t *hal);
/** Starts a (re)connection: client id "<root with '_' for '/'>-dev-<id>", username = id, password = a fresh connect token. */
int depin_device_connect(depin_device_t *d);
void depin_device_on_connect(depin_device_t *d);
void depin_device_on_disconnect(depin_device_t *d);
/** Signs `value` stamped now, journals it (durably), and publishes it when online. Returns DEPIN_OK or an error (the reading is then not recorded). */
int depin_device_record(depin_device_t *d, uint32_t value);
/** Reads the sensor and records its value. */
int depin_device_sample(depin_device_t *d);
/** An MQTT message on one of the device's answer topics. */
void depin_device_on_message(depin_device_t *d, const char *topic, const uint8_t *payload, size_t len);
/** Publishes what is due (new readings, re-sends after a time-out or a back-off). Call often. */
void depin_device_poll(depin_device_t *d);
/** Readings recorded and not yet answered. */
uint16_t depin_device_pending(const depin_device_t *d);
/**
 * Back-off before re-sending a reading refused `attempt` times (1, 2, …) with a non-final code:
 * base·2^(attempt-1) capped at cap, with equal jitter (uniform in the upper half), as the sdk's
 * retryDelayMs. `rnd` is a uniform 32-bit random value.
 */
uint32_t depin_retry_delay_ms(uint32_t attempt, uint32_t rnd, uint32_t base_ms, uint32_t cap_ms);

#ifdef __cplusplus
}
#endif
#endif
