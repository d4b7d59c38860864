/*
 * The C core against test/vectors/readings.json (written by tools/vectors.ts from the sdk):
 * canonical bytes, digest, signature (both curves, RFC 6979 so byte-exact), public id, wire
 * JSON, connect password, and the signed bridge answers.
 */
#include <string.h>

#include "depin/json.h"
#include "support.h"

static char g_text[256 * 1024];

typedef struct {
  char keyType[16], publicId[200], deviceId[24], seq[24], timestamp[24], value[24], canonical[200], digest[80],
      signature[200], privateKey[80], wire[600], connectPassword[200];
} vec_reading_t;

typedef struct {
  char signer[64], privateKey[80], topic[128], body[512], digest[80], payload[700];
} vec_answer_t;

/* Reads an object of string members into the named fields (others skipped). */
static int read_fields(depin_json_t *j, const char *const *names, char **fields, const size_t *caps, int n) {
  char key[32];
  if (!depin_json_object(j)) return -1;
  for (;;) {
    int m = depin_json_member(j, key, sizeof key);
    if (m < 0) return -1;
    if (m == 0) return 0;
    int hit = -1;
    for (int i = 0; i < n; i++)
      if (strcmp(key, names[i]) == 0) hit = i;
    if (hit < 0 || depin_json_peek(j) != DEPIN_JSON_STRING) {
      if (depin_json_skip(j) != 0) return -1;
    } else if (depin_json_string(j, fields[hit], caps[hit]) < 0) {
      return -1;
    }
  }
}

static uint64_t u64(const char *s) {
  uint64_t v = 0;
  CHECK(depin_parse_u64(s, strlen(s), &v) == DEPIN_OK);
  return v;
}

static void check_reading(uint64_t network_id, vec_reading_t *v) {
  depin_host_key_t key;
  uint8_t priv[32], canon[DEPIN_CANONICAL_LENGTH], digest[32];
  char hex[300], wire[DEPIN_MAX_WIRE_BYTES + 1], pw[200];
  depin_keystore_t ks;
  depin_key_type_t type = strcmp(v->keyType, "p256") == 0 ? DEPIN_KEY_P256 : DEPIN_KEY_SECP256K1;
  CHECK(depin_hex_decode(v->privateKey, strlen(v->privateKey), priv, 32) == DEPIN_OK);
  CHECK(depin_host_key_from_private(&key, type, priv) == DEPIN_OK);
  depin_hex_encode(key.public_id, key.public_id_len, hex, sizeof hex);
  CHECK(strcmp(hex, v->publicId) == 0);
  depin_host_keystore(&key, &ks);

  depin_reading_t r;
  memset(&r, 0, sizeof r);
  r.device_id = u64(v->deviceId);
  r.seq = u64(v->seq);
  r.timestamp = u64(v->timestamp);
  r.value = (uint32_t)u64(v->value);
  CHECK(depin_encode_reading(network_id, &r, canon) == DEPIN_OK);
  depin_hex_encode(canon, sizeof canon, hex, sizeof hex);
  CHECK(strcmp(hex, v->canonical) == 0);
  CHECK(depin_reading_digest(network_id, &r, digest) == DEPIN_OK);
  depin_hex_encode(digest, 32, hex, sizeof hex);
  CHECK(strcmp(hex, v->digest) == 0);
  CHECK(depin_sign_reading(network_id, &ks, &r) == DEPIN_OK);
  depin_hex_encode(r.sig, r.sig_len, hex, sizeof hex);
  if (strcmp(hex, v->signature) != 0) fprintf(stderr, "signature %s\n   wanted %s\n", hex, v->signature);
  CHECK(strcmp(hex, v->signature) == 0);
  CHECK(depin_to_wire(&r, wire, sizeof wire) == (int)strlen(v->wire));
  CHECK(strcmp(wire, v->wire) == 0);
  CHECK(depin_connect_password(network_id, &ks, r.device_id, r.timestamp, pw, sizeof pw) > 0);
  CHECK(strcmp(pw, v->connectPassword) == 0);
  printf("reading %s/%s (%s): canonical, digest, signature, wire, connect token match\n", v->deviceId, v->seq,
         v->keyType);
}

static void count_receipt(void *ctx, uint64_t seq, depin_receipt_status_t status) {
  (void)seq;
  (void)status;
  ++*(int *)ctx;
}

static void check_answer(uint64_t network_id, vec_answer_t *a) {
  uint8_t digest[32], signer[20];
  char hex[80];
  depin_keystore_t verify;
  depin_host_keystore(NULL, &verify);
  depin_answer_digest(network_id, a->topic, a->body, strlen(a->body), digest);
  depin_hex_encode(digest, 32, hex, sizeof hex);
  CHECK(strcmp(hex, a->digest) == 0);
  CHECK(depin_hex_decode(a->signer, strlen(a->signer), signer, 20) == DEPIN_OK);
  size_t body_len = 0, n = strlen(a->payload);
  CHECK(depin_open_answer((const uint8_t *)a->payload, n, network_id, a->topic, signer, &verify, &body_len) == DEPIN_OK);
  CHECK(body_len == strlen(a->body));
  /* One changed byte anywhere, another topic, or another network: forged. */
  a->payload[1] ^= 1;
  CHECK(depin_open_answer((const uint8_t *)a->payload, n, network_id, a->topic, signer, &verify, &body_len) == DEPIN_ERR_FORGED);
  a->payload[1] ^= 1;
  CHECK(depin_open_answer((const uint8_t *)a->payload, n, network_id + 1, a->topic, signer, &verify, &body_len) == DEPIN_ERR_FORGED);
  CHECK(depin_open_answer((const uint8_t *)a->payload, n, network_id, "depin/31337/5fbdb231/d/2/receipt", signer, &verify,
                          &body_len) == DEPIN_ERR_FORGED);
  if (strstr(a->topic, "/receipt") != NULL) {
    int count = 0;
    CHECK(depin_parse_receipts(a->body, strlen(a->body), count_receipt, &count) > 0);
    CHECK(count > 0);
  } else {
    depin_rejection_t rej;
    CHECK(depin_parse_rejection(a->body, strlen(a->body), &rej) == DEPIN_OK);
    CHECK(rej.has_seq);
    CHECK(!depin_rejection_is_final(rej.code));
  }
  printf("answer on %s: digest and signature check match\n", a->topic);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_vectors test/vectors/readings.json\n");
    return 2;
  }
  long n = depin_host_read_file(argv[1], g_text, sizeof g_text);
  if (n < 0) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  depin_json_t j;
  char key[32], nid[24] = "";
  int readings = 0, answers = 0;
  depin_json_init(&j, g_text, (size_t)n);
  CHECK(depin_json_object(&j));
  /* networkId comes first in the file; readings and answers need it. */
  for (;;) {
    int m = depin_json_member(&j, key, sizeof key);
    CHECK(m >= 0);
    if (m <= 0) break;
    if (strcmp(key, "networkId") == 0) {
      CHECK(depin_json_string(&j, nid, sizeof nid) > 0);
    } else if (strcmp(key, "readings") == 0) {
      CHECK(depin_json_array(&j));
      while (depin_json_element(&j) == 1) {
        static vec_reading_t v;
        static const char *const names[] = {"keyType", "publicId",  "deviceId",   "seq",        "timestamp", "value",
                                            "canonical", "digest", "signature", "privateKey", "wire",      "connectPassword"};
        char *fields[] = {v.keyType, v.publicId, v.deviceId, v.seq, v.timestamp, v.value, v.canonical, v.digest,
                          v.signature, v.privateKey, v.wire, v.connectPassword};
        const size_t caps[] = {sizeof v.keyType, sizeof v.publicId, sizeof v.deviceId, sizeof v.seq, sizeof v.timestamp,
                               sizeof v.value, sizeof v.canonical, sizeof v.digest, sizeof v.signature,
                               sizeof v.privateKey, sizeof v.wire, sizeof v.connectPassword};
        memset(&v, 0, sizeof v);
        CHECK(read_fields(&j, names, fields, caps, 12) == 0);
        check_reading(u64(nid), &v);
        readings++;
      }
    } else if (strcmp(key, "answers") == 0) {
      CHECK(depin_json_array(&j));
      while (depin_json_element(&j) == 1) {
        static vec_answer_t a;
        static const char *const names[] = {"signer", "privateKey", "topic", "body", "digest", "payload"};
        char *fields[] = {a.signer, a.privateKey, a.topic, a.body, a.digest, a.payload};
        const size_t caps[] = {sizeof a.signer, sizeof a.privateKey, sizeof a.topic, sizeof a.body, sizeof a.digest,
                               sizeof a.payload};
        memset(&a, 0, sizeof a);
        CHECK(read_fields(&j, names, fields, caps, 6) == 0);
        check_answer(u64(nid), &a);
        answers++;
      }
    } else {
      CHECK(depin_json_skip(&j) == 0);
    }
  }
  CHECK(depin_json_end(&j) == 0);
  CHECK(readings >= 3);
  CHECK(answers >= 3);
  return test_done("vectors");
}
