/*
 * The Linux host port: the HAL over a key file (secp256k1 via libsecp256k1, P-256 via mbedTLS),
 * a file that behaves like NOR flash, libmosquitto, and the system clock.
 */
#ifndef DEPIN_HOST_H
#define DEPIN_HOST_H

#include <stdio.h>

#include "depin/device.h"
#include "depin/hal.h"

typedef struct {
  depin_key_type_t type;
  uint8_t priv[32];
  uint8_t public_id[64]; /* secp256k1: 20-byte address; P-256: x‖y */
  size_t public_id_len;
  uint64_t device_id;
} depin_host_key_t;

/** Derives the public id of a private key. */
int depin_host_key_from_private(depin_host_key_t *k, depin_key_type_t type, const uint8_t priv[32]);
/**
 * Loads the key file firmware/keystore.ts writes: {"deviceId","type","privateKey","publicId"}
 * (mode 0600; refused when readable by others or when publicId does not match the key).
 */
int depin_host_key_load(const char *path, depin_host_key_t *k, char *err, size_t errcap);
/** A key store over `k` (k may be NULL for a verify-only key store). */
void depin_host_keystore(depin_host_key_t *k, depin_keystore_t *ks);

/** NOR-flash emulation in a file (created erased); `sync` = fdatasync after each write. */
typedef struct {
  int fd;
  int sync;
} depin_host_flash_t;
int depin_host_flash_open(depin_host_flash_t *f, const char *path, uint32_t sector_size, uint32_t sector_count, int sync,
                          depin_flash_t *out);
void depin_host_flash_close(depin_host_flash_t *f);

/** System clock; `skew_s` is added to unix time (fault injection). */
typedef struct {
  int64_t skew_s;
} depin_host_clock_t;
void depin_host_clock(depin_host_clock_t *c, depin_clock_t *out);

/** MQTT over libmosquitto, driven by depin_host_mqtt_loop from the main loop. */
typedef struct {
  struct mosquitto *m;
  depin_device_t *dev;
  char host[128];
  int port;
  int up;
} depin_host_mqtt_t;
int depin_host_mqtt_init(depin_host_mqtt_t *t, const char *url, depin_transport_t *out);
/** Runs the network for up to timeout_ms; returns 0, or -1 when the connection failed or dropped. */
int depin_host_mqtt_loop(depin_host_mqtt_t *t, int timeout_ms);
void depin_host_mqtt_close(depin_host_mqtt_t *t);

/** Reads a whole file into buf (NUL-terminated); returns its length or -1. */
long depin_host_read_file(const char *path, char *buf, size_t cap);

#endif
