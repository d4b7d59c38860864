/* Reading encoding, signing digest, wire JSON, connect token, topics (sdk reading.ts, auth.ts, topics.ts). */
#include <string.h>

#include "depin/core.h"

static const char READING_TAG[6] = {'D', 'E', 'P', 'I', 'N', '1'};
static const char CONNECT_TAG[6] = {'D', 'E', 'P', 'I', 'N', 'C'};

static void put_be(uint8_t *out, uint64_t v, unsigned bytes) {
  for (unsigned i = bytes; i-- > 0;) {
    out[i] = (uint8_t)v;
    v >>= 8;
  }
}

int depin_encode_reading(uint64_t network_id, const depin_reading_t *r, uint8_t out[DEPIN_CANONICAL_LENGTH]) {
  if (r->timestamp > DEPIN_MAX_TIMESTAMP) return DEPIN_ERR_ARG;
  memcpy(out, READING_TAG, 6);
  put_be(out + 6, network_id, 8);
  put_be(out + 14, r->device_id, 8);
  put_be(out + 22, r->seq, 8);
  put_be(out + 30, r->timestamp, 5);
  put_be(out + 35, r->value, 4);
  return DEPIN_OK;
}

int depin_reading_digest(uint64_t network_id, const depin_reading_t *r, uint8_t digest[32]) {
  uint8_t buf[DEPIN_CANONICAL_LENGTH];
  int rc = depin_encode_reading(network_id, r, buf);
  if (rc != DEPIN_OK) return rc;
  depin_keccak256(buf, sizeof buf, digest);
  return DEPIN_OK;
}

/* Signs and checks the shape the key type promises (65 bytes with v 27/28, or 64). */
static int sign_digest(const depin_keystore_t *ks, const uint8_t digest[32], uint8_t sig[65], uint8_t *sig_len) {
  size_t n = 0;
  if (ks->sign(ks->ctx, digest, sig, &n) != DEPIN_OK) return DEPIN_ERR_CRYPTO;
  if (ks->type == DEPIN_KEY_SECP256K1 ? (n != 65 || (sig[64] != 27 && sig[64] != 28)) : n != 64) return DEPIN_ERR_CRYPTO;
  *sig_len = (uint8_t)n;
  return DEPIN_OK;
}

int depin_sign_reading(uint64_t network_id, const depin_keystore_t *ks, depin_reading_t *r) {
  uint8_t digest[32];
  int rc = depin_reading_digest(network_id, r, digest);
  if (rc != DEPIN_OK) return rc;
  return sign_digest(ks, digest, r->sig, &r->sig_len);
}

int depin_u64_to_dec(uint64_t v, char out[21]) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + (v % 10u));
    v /= 10u;
  } while (v != 0);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\0';
  return n;
}

int depin_parse_u64(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) return DEPIN_ERR_PARSE;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return DEPIN_ERR_PARSE;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10u) return DEPIN_ERR_PARSE;
    v = v * 10u + d;
  }
  *out = v;
  return DEPIN_OK;
}

int depin_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap) {
  static const char digits[] = "0123456789abcdef";
  if (cap < 2 * len + 3) return DEPIN_ERR_TOO_BIG;
  out[0] = '0';
  out[1] = 'x';
  for (size_t i = 0; i < len; i++) {
    out[2 + 2 * i] = digits[in[i] >> 4];
    out[3 + 2 * i] = digits[in[i] & 15];
  }
  out[2 + 2 * len] = '\0';
  return (int)(2 + 2 * len);
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int depin_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t len) {
  if (in_len != 2 + 2 * len || in[0] != '0' || in[1] != 'x') return DEPIN_ERR_PARSE;
  for (size_t i = 0; i < len; i++) {
    int hi = nibble(in[2 + 2 * i]), lo = nibble(in[3 + 2 * i]);
    if (hi < 0 || lo < 0) return DEPIN_ERR_PARSE;
    out[i] = (uint8_t)((hi << 4) | lo);
  }
  return DEPIN_OK;
}

/* A bounded string builder: every append checks the room left; `len` stays < cap. */
typedef struct {
  char *out;
  size_t cap;
  size_t len;
  int err;
} sb_t;

static void sb_str(sb_t *b, const char *s) {
  size_t n = strlen(s);
  if (b->err || b->len + n + 1 > b->cap) {
    b->err = 1;
    return;
  }
  memcpy(b->out + b->len, s, n + 1);
  b->len += n;
}

static void sb_u64(sb_t *b, uint64_t v) {
  char d[21];
  depin_u64_to_dec(v, d);
  sb_str(b, d);
}

static int sb_done(sb_t *b) { return b->err ? DEPIN_ERR_TOO_BIG : (int)b->len; }

int depin_to_wire(const depin_reading_t *r, char *out, size_t cap) {
  char sig[2 * 65 + 3];
  if (r->timestamp > DEPIN_MAX_TIMESTAMP || (r->sig_len != 64 && r->sig_len != 65)) return DEPIN_ERR_ARG;
  depin_hex_encode(r->sig, r->sig_len, sig, sizeof sig);
  sb_t b = {out, cap, 0, cap == 0};
  /* Field order and number forms are JSON.stringify's in sdk toWire. */
  sb_str(&b, "{\"v\":1,\"deviceId\":\"");
  sb_u64(&b, r->device_id);
  sb_str(&b, "\",\"seq\":\"");
  sb_u64(&b, r->seq);
  sb_str(&b, "\",\"timestamp\":");
  sb_u64(&b, r->timestamp);
  sb_str(&b, ",\"value\":");
  sb_u64(&b, r->value);
  sb_str(&b, ",\"sig\":\"");
  sb_str(&b, sig);
  sb_str(&b, "\"}");
  return sb_done(&b);
}

int depin_connect_digest(uint64_t network_id, uint64_t device_id, uint64_t timestamp, uint8_t digest[32]) {
  uint8_t buf[6 + 8 + 8 + 5];
  if (timestamp > DEPIN_MAX_TIMESTAMP) return DEPIN_ERR_ARG;
  memcpy(buf, CONNECT_TAG, 6);
  put_be(buf + 6, network_id, 8);
  put_be(buf + 14, device_id, 8);
  put_be(buf + 22, timestamp, 5);
  depin_keccak256(buf, sizeof buf, digest);
  return DEPIN_OK;
}

int depin_connect_password(uint64_t network_id, const depin_keystore_t *ks, uint64_t device_id, uint64_t timestamp,
                           char *out, size_t cap) {
  uint8_t digest[32], sig[65], sig_len = 0;
  char hex[2 * 65 + 3];
  int rc = depin_connect_digest(network_id, device_id, timestamp, digest);
  if (rc == DEPIN_OK) rc = sign_digest(ks, digest, sig, &sig_len);
  if (rc != DEPIN_OK) return rc;
  depin_hex_encode(sig, sig_len, hex, sizeof hex);
  sb_t b = {out, cap, 0, cap == 0};
  sb_u64(&b, timestamp);
  sb_str(&b, ".");
  sb_str(&b, hex);
  return sb_done(&b);
}

int depin_check_topic_root(const char *root) {
  unsigned levels = 1, run = 0;
  if (root == NULL || *root == '\0') return DEPIN_ERR_ARG;
  for (const char *p = root; *p != '\0'; p++) {
    char c = *p;
    if (c == '/') {
      if (run == 0 || ++levels > 4) return DEPIN_ERR_ARG;
      run = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      if (++run > 64) return DEPIN_ERR_ARG;
    } else {
      return DEPIN_ERR_ARG;
    }
  }
  return run == 0 ? DEPIN_ERR_ARG : DEPIN_OK;
}

int depin_reading_topic(const char *root, uint64_t device_id, char *out, size_t cap) {
  sb_t b = {out, cap, 0, cap == 0};
  sb_str(&b, root);
  sb_str(&b, "/r/");
  sb_u64(&b, device_id % DEPIN_TOPIC_SHARDS);
  sb_str(&b, "/");
  sb_u64(&b, device_id);
  return sb_done(&b);
}

static int answer_topic(const char *root, uint64_t device_id, const char *leaf, char *out, size_t cap) {
  sb_t b = {out, cap, 0, cap == 0};
  sb_str(&b, root);
  sb_str(&b, "/d/");
  sb_u64(&b, device_id);
  sb_str(&b, leaf);
  return sb_done(&b);
}

int depin_receipt_topic(const char *root, uint64_t device_id, char *out, size_t cap) {
  return answer_topic(root, device_id, "/receipt", out, cap);
}

int depin_error_topic(const char *root, uint64_t device_id, char *out, size_t cap) {
  return answer_topic(root, device_id, "/error", out, cap);
}
