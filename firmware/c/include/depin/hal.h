/*
 * depin-kit device firmware: the hardware abstraction layer (HAL).
 *
 * The core (src/) touches the outside world only through these five interfaces. A port fills
 * each struct with function pointers and a context pointer; the core never allocates, never
 * blocks, and never calls the HAL from an interrupt. See firmware/c/README.md (porting guide).
 */
#ifndef DEPIN_HAL_H
#define DEPIN_HAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Return codes shared by the core and the HAL: 0 is success, negative is an error. */
enum {
  DEPIN_OK = 0,
  DEPIN_ERR = -1,          /* HAL or I/O failure (the operation may be retried) */
  DEPIN_ERR_ARG = -2,      /* an argument is out of its protocol range */
  DEPIN_ERR_FULL = -3,     /* the journal has no room: the reading was NOT recorded */
  DEPIN_ERR_CRYPTO = -4,   /* the key store refused or failed to sign */
  DEPIN_ERR_OFFLINE = -5,  /* the transport is not connected */
  DEPIN_ERR_PARSE = -6,    /* malformed input (answer, key file) */
  DEPIN_ERR_FORGED = -7,   /* an answer without the bridge's valid signature */
  DEPIN_ERR_TOO_BIG = -8   /* input or output larger than its fixed buffer */
};

/** Clock. `unix_seconds` stamps readings and connect tokens; `millis` paces re-sends (may wrap). */
typedef struct {
  uint64_t (*unix_seconds)(void *ctx);
  uint32_t (*millis)(void *ctx);
  void *ctx;
} depin_clock_t;

typedef enum { DEPIN_KEY_SECP256K1 = 0, DEPIN_KEY_P256 = 1 } depin_key_type_t;

/**
 * Key store: the device key never leaves it (a secure element such as ATECC608 or SE050
 * implements `sign` in hardware; the Linux port keeps the key in a 0600 file).
 *
 * `sign` signs a 32-byte digest as is (no extra hash), low-s normalised:
 *   secp256k1 → 65 bytes r‖s‖v with v = 27 + recovery id; P-256 → 64 bytes r‖s.
 * Deterministic (RFC 6979) signing is recommended; the test vectors assume it.
 *
 * `recover_address` checks the bridge's answers: the Ethereum address (20 bytes) of the
 * secp256k1 signer of `digest`, or an error when `sig` (r‖s‖v) is invalid or has a high s.
 * It needs no secret: a secure element without secp256k1 leaves it to a software library.
 */
typedef struct {
  depin_key_type_t type;
  int (*sign)(void *ctx, const uint8_t digest[32], uint8_t sig[65], size_t *sig_len);
  int (*recover_address)(void *ctx, const uint8_t digest[32], const uint8_t sig[65], uint8_t address[20]);
  void *ctx;
} depin_keystore_t;

/**
 * Flash: `sector_count` sectors of `sector_size` bytes (NOR semantics: `erase` sets a sector
 * to 0xFF, `program` only clears bits and is called at most once per byte between erases).
 * Addresses are relative to the journal's region. A power cut may leave the last `program`
 * partly done; the journal detects that with a CRC.
 */
typedef struct {
  uint32_t sector_size;
  uint32_t sector_count;
  int (*read)(void *ctx, uint32_t addr, void *buf, uint32_t len);
  int (*program)(void *ctx, uint32_t addr, const void *buf, uint32_t len);
  int (*erase)(void *ctx, uint32_t sector);
  void *ctx;
} depin_flash_t;

/**
 * Transport: an MQTT 3.1.1 client. The core publishes readings and subscribes to its answers at
 * QoS 1; the port delivers what arrives with depin_device_on_message and reports the session's
 * state with depin_device_on_connect / depin_device_on_disconnect. `publish` only queues the
 * message (returns at once); `connect` starts a (re)connection with a clean session.
 */
typedef struct {
  int (*connect)(void *ctx, const char *client_id, const char *username, const char *password);
  int (*subscribe)(void *ctx, const char *topic);
  int (*publish)(void *ctx, const char *topic, const uint8_t *payload, size_t len);
  void *ctx;
} depin_transport_t;

/** Sensor: one measurement in the network's unsigned fixed-point unit (u32). */
typedef struct {
  int (*read)(void *ctx, uint32_t *value);
  void *ctx;
} depin_sensor_t;

typedef struct {
  depin_clock_t clock;
  depin_keystore_t keystore;
  depin_flash_t flash;
  depin_transport_t transport;
  depin_sensor_t sensor;
} depin_hal_t;

#ifdef __cplusplus
}
#endif
#endif
