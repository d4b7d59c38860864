/* Host clock and MQTT transport (libmosquitto). */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depin_host.h"

static uint64_t c_unix(void *ctx) {
  depin_host_clock_t *c = (depin_host_clock_t *)ctx;
  int64_t t = (int64_t)time(NULL) + c->skew_s;
  return t < 0 ? 0 : (uint64_t)t;
}

static uint32_t c_millis(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void depin_host_clock(depin_host_clock_t *c, depin_clock_t *out) {
  out->unix_seconds = c_unix;
  out->millis = c_millis;
  out->ctx = c;
}

static void on_connect(struct mosquitto *m, void *obj, int rc) {
  (void)m;
  depin_host_mqtt_t *t = (depin_host_mqtt_t *)obj;
  if (rc != 0) {
    fprintf(stderr, "depin-device: broker refused the connection (%s)\n", mosquitto_connack_string(rc));
    t->up = 0;
    return;
  }
  t->up = 1;
  depin_device_on_connect(t->dev);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
  (void)m;
  (void)rc;
  depin_host_mqtt_t *t = (depin_host_mqtt_t *)obj;
  t->up = 0;
  depin_device_on_disconnect(t->dev);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg) {
  (void)m;
  depin_host_mqtt_t *t = (depin_host_mqtt_t *)obj;
  depin_device_on_message(t->dev, msg->topic, (const uint8_t *)msg->payload, (size_t)msg->payloadlen);
}

static int t_connect(void *ctx, const char *client_id, const char *username, const char *password) {
  depin_host_mqtt_t *t = (depin_host_mqtt_t *)ctx;
  if (t->m == NULL) {
    t->m = mosquitto_new(client_id, true, t);
    if (t->m == NULL) return DEPIN_ERR;
    mosquitto_int_option(t->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(t->m, on_connect);
    mosquitto_disconnect_callback_set(t->m, on_disconnect);
    mosquitto_message_callback_set(t->m, on_message);
    if (mosquitto_username_pw_set(t->m, username, password) != MOSQ_ERR_SUCCESS) return DEPIN_ERR;
    return mosquitto_connect(t->m, t->host, t->port, 30) == MOSQ_ERR_SUCCESS ? DEPIN_OK : DEPIN_ERR;
  }
  /* Connect tokens expire: every reconnection carries the fresh one. */
  if (mosquitto_username_pw_set(t->m, username, password) != MOSQ_ERR_SUCCESS) return DEPIN_ERR;
  return mosquitto_reconnect(t->m) == MOSQ_ERR_SUCCESS ? DEPIN_OK : DEPIN_ERR;
}

static int t_subscribe(void *ctx, const char *topic) {
  depin_host_mqtt_t *t = (depin_host_mqtt_t *)ctx;
  return mosquitto_subscribe(t->m, NULL, topic, 1) == MOSQ_ERR_SUCCESS ? DEPIN_OK : DEPIN_ERR;
}

static int t_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len) {
  depin_host_mqtt_t *t = (depin_host_mqtt_t *)ctx;
  if (!t->up) return DEPIN_ERR_OFFLINE;
  return mosquitto_publish(t->m, NULL, topic, (int)len, payload, 1, false) == MOSQ_ERR_SUCCESS ? DEPIN_OK
                                                                                               : DEPIN_ERR_OFFLINE;
}

int depin_host_mqtt_init(depin_host_mqtt_t *t, const char *url, depin_transport_t *out) {
  memset(t, 0, sizeof *t);
  const char *p = strncmp(url, "mqtt://", 7) == 0 ? url + 7 : url;
  const char *colon = strrchr(p, ':');
  size_t hl = colon != NULL ? (size_t)(colon - p) : strlen(p);
  if (hl == 0 || hl >= sizeof t->host) return DEPIN_ERR_ARG;
  memcpy(t->host, p, hl);
  t->port = colon != NULL ? atoi(colon + 1) : 1883;
  if (t->port <= 0 || t->port > 65535) return DEPIN_ERR_ARG;
  mosquitto_lib_init();
  out->connect = t_connect;
  out->subscribe = t_subscribe;
  out->publish = t_publish;
  out->ctx = t;
  return DEPIN_OK;
}

int depin_host_mqtt_loop(depin_host_mqtt_t *t, int timeout_ms) {
  if (t->m == NULL) return -1;
  int rc = mosquitto_loop(t->m, timeout_ms, 1);
  if (rc != MOSQ_ERR_SUCCESS) {
    if (t->up) {
      t->up = 0;
      depin_device_on_disconnect(t->dev);
    }
    return -1;
  }
  return 0;
}

void depin_host_mqtt_close(depin_host_mqtt_t *t) {
  if (t->m != NULL) {
    mosquitto_disconnect(t->m);
    mosquitto_destroy(t->m);
  }
  mosquitto_lib_cleanup();
}
