/* Host key store: a 0600 key file; secp256k1 with libsecp256k1, P-256 with mbedTLS. */
#include <fcntl.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depin/json.h"
#include "depin_host.h"

static secp256k1_context *k1(void) {
  static secp256k1_context *ctx;
  if (ctx == NULL) {
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    unsigned char seed[32];
    /* Randomises the context against side channels; signatures stay deterministic (RFC 6979). */
    int randomized = getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed && secp256k1_context_randomize(ctx, seed);
    (void)randomized; /* an unrandomised context still signs correctly */
  }
  return ctx;
}

static int os_random(void *ctx, unsigned char *out, size_t len) {
  (void)ctx;
  return getrandom(out, len, 0) == (ssize_t)len ? 0 : -1;
}

static int k1_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[65]) {
  secp256k1_ecdsa_recoverable_signature rs;
  int recid = 0;
  /* libsecp256k1 always produces low-s signatures; NULL nonce function = RFC 6979. */
  if (!secp256k1_ecdsa_sign_recoverable(k1(), &rs, digest, priv, NULL, NULL)) return DEPIN_ERR_CRYPTO;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(k1(), sig, &recid, &rs);
  sig[64] = (uint8_t)(27 + recid);
  return DEPIN_OK;
}

static int p256_sign(const uint8_t priv[32], const uint8_t digest[32], uint8_t sig[64]) {
  mbedtls_ecp_group grp;
  mbedtls_mpi d, r, s, half;
  int ok = 0;
  mbedtls_ecp_group_init(&grp);
  mbedtls_mpi_init(&d);
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  mbedtls_mpi_init(&half);
  if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 && mbedtls_mpi_read_binary(&d, priv, 32) == 0 &&
      mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, digest, 32, MBEDTLS_MD_SHA256, os_random, NULL) == 0 &&
      mbedtls_mpi_copy(&half, &grp.N) == 0 && mbedtls_mpi_shift_r(&half, 1) == 0) {
    /* Low-s: s > n/2 becomes n - s (the same signature for ECDSA; what OpenZeppelin's P256 accepts). */
    if (mbedtls_mpi_cmp_mpi(&s, &half) > 0) ok = mbedtls_mpi_sub_mpi(&s, &grp.N, &s) == 0;
    else ok = 1;
    ok = ok && mbedtls_mpi_write_binary(&r, sig, 32) == 0 && mbedtls_mpi_write_binary(&s, sig + 32, 32) == 0;
  }
  mbedtls_mpi_free(&d);
  mbedtls_mpi_free(&r);
  mbedtls_mpi_free(&s);
  mbedtls_mpi_free(&half);
  mbedtls_ecp_group_free(&grp);
  return ok ? DEPIN_OK : DEPIN_ERR_CRYPTO;
}

static int host_sign(void *ctx, const uint8_t digest[32], uint8_t sig[65], size_t *sig_len) {
  depin_host_key_t *k = (depin_host_key_t *)ctx;
  if (k == NULL) return DEPIN_ERR_CRYPTO;
  if (k->type == DEPIN_KEY_SECP256K1) {
    *sig_len = 65;
    return k1_sign(k->priv, digest, sig);
  }
  *sig_len = 64;
  return p256_sign(k->priv, digest, sig);
}

static int host_recover(void *ctx, const uint8_t digest[32], const uint8_t sig[65], uint8_t address[20]) {
  (void)ctx;
  secp256k1_ecdsa_recoverable_signature rs;
  secp256k1_ecdsa_signature plain;
  secp256k1_pubkey pub;
  uint8_t raw[65], hash[32];
  size_t len = sizeof raw;
  if (sig[64] != 27 && sig[64] != 28) return DEPIN_ERR_FORGED;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(k1(), &rs, sig, sig[64] - 27)) return DEPIN_ERR_FORGED;
  secp256k1_ecdsa_recoverable_signature_convert(k1(), &plain, &rs);
  /* normalize returns 1 when s was high: a malleated copy, refused as the sdk and ecrecover users do. */
  if (secp256k1_ecdsa_signature_normalize(k1(), NULL, &plain)) return DEPIN_ERR_FORGED;
  if (!secp256k1_ecdsa_recover(k1(), &pub, &rs, digest)) return DEPIN_ERR_FORGED;
  secp256k1_ec_pubkey_serialize(k1(), raw, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  depin_keccak256(raw + 1, 64, hash);
  memcpy(address, hash + 12, 20);
  return DEPIN_OK;
}

void depin_host_keystore(depin_host_key_t *k, depin_keystore_t *ks) {
  ks->type = k != NULL ? k->type : DEPIN_KEY_SECP256K1;
  ks->sign = host_sign;
  ks->recover_address = host_recover;
  ks->ctx = k;
}

int depin_host_key_from_private(depin_host_key_t *k, depin_key_type_t type, const uint8_t priv[32]) {
  memset(k, 0, sizeof *k);
  k->type = type;
  memcpy(k->priv, priv, 32);
  if (type == DEPIN_KEY_SECP256K1) {
    secp256k1_pubkey pub;
    uint8_t raw[65], hash[32];
    size_t len = sizeof raw;
    if (!secp256k1_ec_pubkey_create(k1(), &pub, priv)) return DEPIN_ERR_ARG;
    secp256k1_ec_pubkey_serialize(k1(), raw, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    depin_keccak256(raw + 1, 64, hash);
    memcpy(k->public_id, hash + 12, 20);
    k->public_id_len = 20;
    return DEPIN_OK;
  }
  mbedtls_ecp_group grp;
  mbedtls_ecp_point q;
  mbedtls_mpi d;
  uint8_t raw[65];
  size_t len = 0;
  int ok;
  mbedtls_ecp_group_init(&grp);
  mbedtls_ecp_point_init(&q);
  mbedtls_mpi_init(&d);
  ok = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) == 0 && mbedtls_mpi_read_binary(&d, priv, 32) == 0 &&
       mbedtls_ecp_check_privkey(&grp, &d) == 0 && mbedtls_ecp_mul(&grp, &q, &d, &grp.G, os_random, NULL) == 0 &&
       mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &len, raw, sizeof raw) == 0 && len == 65;
  mbedtls_mpi_free(&d);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_group_free(&grp);
  if (!ok) return DEPIN_ERR_ARG;
  memcpy(k->public_id, raw + 1, 64);
  k->public_id_len = 64;
  return DEPIN_OK;
}

long depin_host_read_file(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  int big = !feof(f);
  fclose(f);
  if (big) return -1;
  buf[n] = '\0';
  return (long)n;
}

int depin_host_key_load(const char *path, depin_host_key_t *k, char *err, size_t errcap) {
  char text[1024], key[32], val[200], type[16] = "";
  uint8_t priv[32], pub[64];
  int have_priv = 0, have_pub = 0, have_id = 0;
  size_t pub_len = 0;
  uint64_t device_id = 0;
  struct stat st;
  if (stat(path, &st) != 0) return snprintf(err, errcap, "%s: cannot read", path), DEPIN_ERR;
  if (st.st_mode & 077) return snprintf(err, errcap, "%s: readable by others (chmod 600)", path), DEPIN_ERR;
  long n = depin_host_read_file(path, text, sizeof text);
  if (n < 0) return snprintf(err, errcap, "%s: cannot read (or larger than %zu bytes)", path, sizeof text - 1), DEPIN_ERR;
  depin_json_t j;
  depin_json_init(&j, text, (size_t)n);
  if (!depin_json_object(&j)) return snprintf(err, errcap, "%s: not a JSON object", path), DEPIN_ERR_PARSE;
  for (;;) {
    int m = depin_json_member(&j, key, sizeof key);
    if (m < 0) return snprintf(err, errcap, "%s: malformed JSON", path), DEPIN_ERR_PARSE;
    if (m == 0) break;
    if (depin_json_peek(&j) != DEPIN_JSON_STRING) {
      if (depin_json_skip(&j) != 0) return snprintf(err, errcap, "%s: malformed JSON", path), DEPIN_ERR_PARSE;
      continue;
    }
    int len = depin_json_string(&j, val, sizeof val);
    if (len < 0) return snprintf(err, errcap, "%s: field %s is too long", path, key), DEPIN_ERR_PARSE;
    if (strcmp(key, "deviceId") == 0) {
      if (depin_parse_u64(val, (size_t)len, &device_id) != DEPIN_OK)
        return snprintf(err, errcap, "%s: deviceId is not a u64", path), DEPIN_ERR_PARSE;
      have_id = 1;
    } else if (strcmp(key, "type") == 0) {
      if ((size_t)len < sizeof type) memcpy(type, val, (size_t)len + 1);
    } else if (strcmp(key, "privateKey") == 0) {
      if (depin_hex_decode(val, (size_t)len, priv, 32) != DEPIN_OK)
        return snprintf(err, errcap, "%s: privateKey must be 0x + 64 hex digits", path), DEPIN_ERR_PARSE;
      have_priv = 1;
    } else if (strcmp(key, "publicId") == 0) {
      pub_len = len == 42 ? 20 : 64;
      if (depin_hex_decode(val, (size_t)len, pub, pub_len) != DEPIN_OK)
        return snprintf(err, errcap, "%s: publicId must be 0x + 40 or 128 hex digits", path), DEPIN_ERR_PARSE;
      have_pub = 1;
    }
  }
  if (depin_json_end(&j) != 0) return snprintf(err, errcap, "%s: trailing data after the JSON object", path), DEPIN_ERR_PARSE;
  depin_key_type_t kt;
  if (strcmp(type, "secp256k1") == 0) kt = DEPIN_KEY_SECP256K1;
  else if (strcmp(type, "p256") == 0) kt = DEPIN_KEY_P256;
  else return snprintf(err, errcap, "%s: type must be secp256k1 or p256", path), DEPIN_ERR_PARSE;
  if (!have_priv || !have_id) return snprintf(err, errcap, "%s: deviceId and privateKey are required", path), DEPIN_ERR_PARSE;
  if (depin_host_key_from_private(k, kt, priv) != DEPIN_OK)
    return snprintf(err, errcap, "%s: privateKey is not a valid %s key", path, type), DEPIN_ERR_PARSE;
  if (have_pub && (pub_len != k->public_id_len || memcmp(pub, k->public_id, pub_len) != 0))
    return snprintf(err, errcap, "%s: publicId does not match the private key", path), DEPIN_ERR_PARSE;
  k->device_id = device_id;
  memset(priv, 0, sizeof priv);
  return DEPIN_OK;
}
