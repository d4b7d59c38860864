/* The bridge's answers: signature check, receipts and rejections (sdk receipts.ts, errors.ts). */
#include <string.h>

#include "depin/core.h"
#include "depin/json.h"

const char *const depin_reject_codes[] = {
    /* sdk errors.ts EncodingErrorCode */
    "MALFORMED_JSON", "NOT_AN_OBJECT", "UNKNOWN_FIELD", "MISSING_FIELD", "DUPLICATE_FIELD", "WRONG_TYPE",
    "OUT_OF_RANGE", "FIELD_OVERFLOW", "BAD_SIGNATURE_FORMAT", "UNSUPPORTED_VERSION", "OVERSIZE", "BAD_MERKLE_INPUT",
    /* sdk receipts.ts BridgeRejectCode */
    "WRONG_TOPIC", "UNKNOWN_DEVICE", "DEVICE_NOT_ACTIVE", "KEY_REVOKED", "KEY_NOT_YET_VALID", "BAD_SIGNATURE",
    "SEQ_REPLAYED", "EQUIVOCATION", "TIMESTAMP_IN_FUTURE", "TIMESTAMP_STALE", "DIRECTORY_UNAVAILABLE",
    "STORE_UNAVAILABLE", NULL};

/* sdk NON_FINAL_REJECT_CODES: the reading is kept and re-sent after a back-off. Unknown codes are final. */
int depin_rejection_is_final(const char *code) {
  return !(strcmp(code, "KEY_NOT_YET_VALID") == 0 || strcmp(code, "DIRECTORY_UNAVAILABLE") == 0 ||
           strcmp(code, "STORE_UNAVAILABLE") == 0);
}

void depin_answer_digest(uint64_t network_id, const char *topic, const char *body, size_t body_len, uint8_t digest[32]) {
  char id[21];
  depin_keccak_t k;
  depin_keccak_init(&k);
  depin_keccak_update(&k, "DEPIN-ANSWER\n", 13);
  depin_keccak_update(&k, id, (size_t)depin_u64_to_dec(network_id, id));
  depin_keccak_update(&k, "\n", 1);
  depin_keccak_update(&k, topic, strlen(topic));
  depin_keccak_update(&k, "\n", 1);
  depin_keccak_update(&k, body, body_len);
  depin_keccak_final(&k, digest);
}

int depin_open_answer(const uint8_t *payload, size_t len, uint64_t network_id, const char *topic,
                      const uint8_t signer[20], const depin_keystore_t *ks, size_t *body_len) {
  if (len > DEPIN_MAX_ANSWER_BYTES) return DEPIN_ERR_TOO_BIG;
  size_t nl = len;
  for (size_t i = len; i-- > 0;) {
    if (payload[i] == '\n') {
      nl = i;
      break;
    }
  }
  *body_len = nl;
  if (signer == NULL) return DEPIN_OK;
  /* "\n0x" + 130 hex digits, the whole rest of the payload. */
  if (nl == len || len - nl - 1 != 132) return DEPIN_ERR_FORGED;
  uint8_t sig[65], digest[32], who[20];
  if (depin_hex_decode((const char *)payload + nl + 1, 132, sig, 65) != DEPIN_OK) return DEPIN_ERR_FORGED;
  if (sig[64] != 27 && sig[64] != 28) return DEPIN_ERR_FORGED;
  depin_answer_digest(network_id, topic, (const char *)payload, nl, digest);
  if (ks->recover_address(ks->ctx, digest, sig, who) != DEPIN_OK) return DEPIN_ERR_FORGED;
  /* Not secret-dependent (the address is public), so a plain comparison is fine. */
  return memcmp(who, signer, 20) == 0 ? DEPIN_OK : DEPIN_ERR_FORGED;
}

/* A decimal seq string value (sdk receipts SEQ), or an error. */
static int seq_value(depin_json_t *j, uint64_t *seq) {
  char s[24];
  int n = depin_json_string(j, s, sizeof s);
  if (n < 0) return DEPIN_ERR_PARSE;
  return depin_parse_u64(s, (size_t)n, seq);
}

enum { WALK_CHECK = 0, WALK_LISTS = 1, WALK_SINGLE = 2 };

/*
 * Walks one receipt message. WALK_CHECK only validates and counts (and says which form it is
 * in *form); WALK_LISTS / WALK_SINGLE report each seq of that form (the caller validated
 * first, so no callback runs for a bad message).
 */
static int walk_receipts(const char *body, size_t len, depin_receipt_cb cb, void *ctx, int mode, int *form) {
  depin_json_t j;
  char key[64];
  int seen_seq = 0, seen_status = 0, seen_stored = 0, seen_dup = 0, other = 0, count = 0;
  uint64_t single = 0;
  depin_receipt_status_t single_status = DEPIN_RECEIPT_STORED;
  depin_json_init(&j, body, len);
  if (!depin_json_object(&j)) return DEPIN_ERR_PARSE;
  for (;;) {
    int m = depin_json_member(&j, key, sizeof key);
    if (m < 0) {
      /* A key longer than `key` is not one of ours: the message is still JSON to validate. */
      return DEPIN_ERR_PARSE;
    }
    if (m == 0) break;
    if (strcmp(key, "seq") == 0) {
      if (seen_seq++ || seq_value(&j, &single) != DEPIN_OK) return DEPIN_ERR_PARSE;
    } else if (strcmp(key, "status") == 0) {
      char st[12];
      if (seen_status++ || depin_json_peek(&j) != DEPIN_JSON_STRING) return DEPIN_ERR_PARSE;
      if (depin_json_string(&j, st, sizeof st) < 0) {
        return DEPIN_ERR_PARSE;
      }
      if (strcmp(st, "stored") == 0) single_status = DEPIN_RECEIPT_STORED;
      else if (strcmp(st, "duplicate") == 0) single_status = DEPIN_RECEIPT_DUPLICATE;
      else return DEPIN_ERR_PARSE;
    } else if (strcmp(key, "stored") == 0 || strcmp(key, "duplicate") == 0) {
      depin_receipt_status_t status = key[0] == 's' ? DEPIN_RECEIPT_STORED : DEPIN_RECEIPT_DUPLICATE;
      if ((status == DEPIN_RECEIPT_STORED ? seen_stored++ : seen_dup++) != 0) return DEPIN_ERR_PARSE;
      if (!depin_json_array(&j)) return DEPIN_ERR_PARSE;
      for (;;) {
        int e = depin_json_element(&j);
        if (e < 0) return DEPIN_ERR_PARSE;
        if (e == 0) break;
        uint64_t seq;
        if (seq_value(&j, &seq) != DEPIN_OK) return DEPIN_ERR_PARSE;
        if (mode == WALK_LISTS) cb(ctx, seq, status);
        count++;
      }
    } else {
      other = 1;
      if (depin_json_skip(&j) != 0) return DEPIN_ERR_PARSE;
    }
  }
  if (depin_json_end(&j) != 0) return DEPIN_ERR_PARSE;
  if (seen_seq) {
    /* The single form: {"seq":"5","status":"stored"} (other members are ignored, as in the sdk). */
    if (!seen_status) return DEPIN_ERR_PARSE;
    if (mode == WALK_SINGLE) cb(ctx, single, single_status);
    *form = WALK_SINGLE;
    return 1;
  }
  if (other || (seen_stored + seen_dup) == 0) return DEPIN_ERR_PARSE;
  *form = WALK_LISTS;
  return count;
}

int depin_parse_receipts(const char *body, size_t len, depin_receipt_cb cb, void *ctx) {
  int form = WALK_CHECK;
  int n = walk_receipts(body, len, NULL, NULL, WALK_CHECK, &form);
  if (n < 0 || cb == NULL) return n;
  return walk_receipts(body, len, cb, ctx, form, &form);
}

int depin_parse_rejection(const char *body, size_t len, depin_rejection_t *out) {
  depin_json_t j;
  char key[64];
  int seen_code = 0, seen_message = 0, seen_seq = 0;
  memset(out, 0, sizeof *out);
  depin_json_init(&j, body, len);
  if (!depin_json_object(&j)) return DEPIN_ERR_PARSE;
  for (;;) {
    int m = depin_json_member(&j, key, sizeof key);
    if (m < 0) return DEPIN_ERR_PARSE;
    if (m == 0) break;
    if (strcmp(key, "code") == 0) {
      if (seen_code++ || depin_json_peek(&j) != DEPIN_JSON_STRING) return DEPIN_ERR_PARSE;
      int n = depin_json_string(&j, out->code, sizeof out->code);
      if (n <= 0) return DEPIN_ERR_PARSE;
    } else if (strcmp(key, "message") == 0) {
      if (seen_message++ || depin_json_peek(&j) != DEPIN_JSON_STRING) return DEPIN_ERR_PARSE;
      if (depin_json_string(&j, NULL, 0) < 0) return DEPIN_ERR_PARSE;
    } else if (strcmp(key, "seq") == 0) {
      if (seen_seq++) return DEPIN_ERR_PARSE;
      if (depin_json_peek(&j) == DEPIN_JSON_STRING) {
        char s[24];
        int n = depin_json_string(&j, s, sizeof s);
        /* A seq the device could not have sent (not a u64) answers none of its readings. */
        if (n >= 0) out->has_seq = depin_parse_u64(s, (size_t)n, &out->seq) == DEPIN_OK;
        else if (j.err) return DEPIN_ERR_PARSE;
      } else if (depin_json_skip(&j) != 0) {
        return DEPIN_ERR_PARSE;
      }
    } else if (depin_json_skip(&j) != 0) {
      return DEPIN_ERR_PARSE;
    }
  }
  if (depin_json_end(&j) != 0 || !seen_code || !seen_message) return DEPIN_ERR_PARSE;
  return DEPIN_OK;
}
