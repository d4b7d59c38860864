/*
 * depin-kit device firmware: the protocol formats (no HAL, no state, no heap).
 * Each function mirrors one in sdk/src (named in its comment); test/vectors/readings.json holds
 * the values both must produce.
 */
#ifndef DEPIN_CORE_H
#define DEPIN_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "depin/hal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- keccak-256 (sdk uses @noble/hashes keccak_256) ---- */
typedef struct {
  uint64_t st[25];
  uint32_t pos; /* bytes absorbed into the current block */
} depin_keccak_t;

void depin_keccak_init(depin_keccak_t *k);
void depin_keccak_update(depin_keccak_t *k, const void *data, size_t len);
void depin_keccak_final(depin_keccak_t *k, uint8_t out[32]);
void depin_keccak256(const void *data, size_t len, uint8_t out[32]);

/* ---- readings (sdk reading.ts) ---- */
#define DEPIN_CANONICAL_LENGTH 39u
#define DEPIN_MAX_TIMESTAMP 0xFFFFFFFFFFull /* u40 */
/** Largest wire message the network accepts (sdk MAX_WIRE_BYTES). */
#define DEPIN_MAX_WIRE_BYTES 512u
/** Largest answer (receipt/rejection + signature line) the device reads; larger ones are dropped. */
#define DEPIN_MAX_ANSWER_BYTES 1024u
/** Longest topic the core builds: root (≤ 4 × 64 + 3) + "/r/15/" + 20 digits. */
#define DEPIN_MAX_TOPIC 288u

typedef struct {
  uint64_t device_id;
  uint64_t seq;
  uint64_t timestamp; /* u40, unix seconds */
  uint32_t value;
  uint8_t sig_len;    /* 65 (secp256k1 r‖s‖v) or 64 (P-256 r‖s); 0 = unsigned */
  uint8_t sig[65];
} depin_reading_t;

/** encodeReading: "DEPIN1" ‖ networkId u64 ‖ deviceId u64 ‖ seq u64 ‖ timestamp u40 ‖ value u32. */
int depin_encode_reading(uint64_t network_id, const depin_reading_t *r, uint8_t out[DEPIN_CANONICAL_LENGTH]);
/** readingDigest: keccak256 of the canonical encoding. */
int depin_reading_digest(uint64_t network_id, const depin_reading_t *r, uint8_t digest[32]);
/** signReading through the key store; fills r->sig / r->sig_len. */
int depin_sign_reading(uint64_t network_id, const depin_keystore_t *ks, depin_reading_t *r);
/**
 * toWire: {"v":1,"deviceId":"…","seq":"…","timestamp":…,"value":…,"sig":"0x…"} (lower-case hex).
 * Writes a NUL-terminated string; returns its length or DEPIN_ERR_TOO_BIG.
 */
int depin_to_wire(const depin_reading_t *r, char *out, size_t cap);

/* ---- connect token (sdk auth.ts) ---- */
/** connectDigest: keccak256("DEPINC" ‖ networkId u64 ‖ deviceId u64 ‖ timestamp u40). */
int depin_connect_digest(uint64_t network_id, uint64_t device_id, uint64_t timestamp, uint8_t digest[32]);
/** connectPassword: "<timestamp>.<0x signature>"; returns its length or an error. */
int depin_connect_password(uint64_t network_id, const depin_keystore_t *ks, uint64_t device_id, uint64_t timestamp,
                           char *out, size_t cap);

/* ---- topics (sdk topics.ts) ---- */
#define DEPIN_TOPIC_SHARDS 16u
/** checkTopicRoot: 1-4 levels of [A-Za-z0-9_-]{1,64} separated by '/'. */
int depin_check_topic_root(const char *root);
int depin_reading_topic(const char *root, uint64_t device_id, char *out, size_t cap);
int depin_receipt_topic(const char *root, uint64_t device_id, char *out, size_t cap);
int depin_error_topic(const char *root, uint64_t device_id, char *out, size_t cap);

/* ---- answers (sdk receipts.ts, errors.ts) ---- */
/** answerDigest: keccak256("DEPIN-ANSWER\n<networkId>\n<topic>\n<body>"). */
void depin_answer_digest(uint64_t network_id, const char *topic, const char *body, size_t body_len, uint8_t digest[32]);

/**
 * openAnswer: the JSON body of an answer received on `topic`. With `signer` (the bridge's
 * 20-byte address) the payload must end in "\n0x<130 hex>", a valid low-s signature by that
 * address over answerDigest, else DEPIN_ERR_FORGED; without it a signature line is ignored.
 * On success *body_len is the length of the body (it starts at payload[0]).
 */
int depin_open_answer(const uint8_t *payload, size_t len, uint64_t network_id, const char *topic,
                      const uint8_t signer[20], const depin_keystore_t *ks, size_t *body_len);

typedef enum { DEPIN_RECEIPT_STORED = 0, DEPIN_RECEIPT_DUPLICATE = 1 } depin_receipt_status_t;
typedef void (*depin_receipt_cb)(void *ctx, uint64_t seq, depin_receipt_status_t status);
/**
 * parseReceipts: {"seq":"5","status":"stored"} or {"stored":[…],"duplicate":[…]}. The whole
 * message is validated before `cb` (may be NULL) sees any seq; returns the count or DEPIN_ERR_PARSE.
 */
int depin_parse_receipts(const char *body, size_t len, depin_receipt_cb cb, void *ctx);

#define DEPIN_MAX_CODE 32u
typedef struct {
  char code[DEPIN_MAX_CODE]; /* NUL-terminated */
  int has_seq;
  uint64_t seq;
} depin_rejection_t;
/** parseRejection: {"code":"…","message":"…","seq":"…"?}; DEPIN_ERR_PARSE when malformed. */
int depin_parse_rejection(const char *body, size_t len, depin_rejection_t *out);
/** isFinalRejection: every code but KEY_NOT_YET_VALID, DIRECTORY_UNAVAILABLE, STORE_UNAVAILABLE. */
int depin_rejection_is_final(const char *code);
/** Every code sdk errors.ts/receipts.ts defines, NULL-terminated (tests compare it with the sdk). */
extern const char *const depin_reject_codes[];

/* ---- helpers ---- */
/** "0x" + lower-case hex of `len` bytes; returns the string length or DEPIN_ERR_TOO_BIG. */
int depin_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/** Decodes exactly `len` bytes from "0x…" hex of exactly 2·len digits (either case). */
int depin_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t len);
/** Decimal u64 with no sign, no leading zeros ("0" allowed), ≤ 2^64-1. */
int depin_parse_u64(const char *s, size_t len, uint64_t *out);
/** Decimal text of v; returns its length. `out` needs 21 bytes. */
int depin_u64_to_dec(uint64_t v, char out[21]);

#ifdef __cplusplus
}
#endif
#endif
