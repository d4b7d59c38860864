#include "support.h"

#include <string.h>

int g_failures, g_checks;

int test_done(const char *name) {
  printf("%s: %d passed, %d failed\n", name, g_checks - g_failures, g_failures);
  return g_failures ? 1 : 0;
}

static int rf_read(void *ctx, uint32_t addr, void *buf, uint32_t len) {
  ram_flash_t *f = (ram_flash_t *)ctx;
  if (f->dead || addr + len > f->sector_size * f->sector_count) return DEPIN_ERR;
  memcpy(buf, f->mem + addr, len);
  return DEPIN_OK;
}

static int rf_program(void *ctx, uint32_t addr, const void *buf, uint32_t len) {
  ram_flash_t *f = (ram_flash_t *)ctx;
  const uint8_t *in = (const uint8_t *)buf;
  if (f->dead || addr + len > f->sector_size * f->sector_count) return DEPIN_ERR;
  for (uint32_t i = 0; i < len; i++) {
    if ((f->mem[addr + i] & in[i]) != in[i]) {
      fprintf(stderr, "ram flash: programming a 0 bit back to 1 at %u\n", addr + i);
      abort(); /* the journal must never do this */
    }
    if (f->program_budget == 0) {
      f->dead = 1; /* power cut in the middle of the write: the rest stays as it was */
      return DEPIN_ERR;
    }
    if (f->program_budget > 0) f->program_budget--;
    f->mem[addr + i] &= in[i];
  }
  return DEPIN_OK;
}

static int rf_erase(void *ctx, uint32_t sector) {
  ram_flash_t *f = (ram_flash_t *)ctx;
  if (f->dead || sector >= f->sector_count) return DEPIN_ERR;
  memset(f->mem + sector * f->sector_size, 0xFF, f->sector_size);
  return DEPIN_OK;
}

void ram_flash_init(ram_flash_t *f, uint32_t sector_size, uint32_t sector_count, depin_flash_t *out) {
  f->sector_size = sector_size;
  f->sector_count = sector_count;
  f->program_budget = -1;
  f->dead = 0;
  memset(f->mem, 0xFF, sizeof f->mem);
  out->sector_size = sector_size;
  out->sector_count = sector_count;
  out->read = rf_read;
  out->program = rf_program;
  out->erase = rf_erase;
  out->ctx = f;
}

void ram_flash_power_on(ram_flash_t *f) {
  f->dead = 0;
  f->program_budget = -1;
}

static int ft_connect(void *ctx, const char *client_id, const char *username, const char *password) {
  fake_transport_t *t = (fake_transport_t *)ctx;
  (void)client_id;
  (void)username;
  snprintf(t->password, sizeof t->password, "%s", password);
  return DEPIN_OK;
}

static int ft_subscribe(void *ctx, const char *topic) {
  fake_transport_t *t = (fake_transport_t *)ctx;
  if (t->subs < 4) snprintf(t->subscribed[t->subs++], DEPIN_MAX_TOPIC, "%s", topic);
  return DEPIN_OK;
}

static int ft_publish(void *ctx, const char *topic, const uint8_t *payload, size_t len) {
  fake_transport_t *t = (fake_transport_t *)ctx;
  if (!t->up) return DEPIN_ERR_OFFLINE;
  unsigned i = t->published % FAKE_MAX_MSGS;
  snprintf(t->topics[i], sizeof t->topics[i], "%s", topic);
  memcpy(t->payloads[i], payload, len);
  t->payloads[i][len] = '\0';
  t->published++;
  return DEPIN_OK;
}

void fake_transport_init(fake_transport_t *t, depin_transport_t *out) {
  memset(t, 0, sizeof *t);
  out->connect = ft_connect;
  out->subscribe = ft_subscribe;
  out->publish = ft_publish;
  out->ctx = t;
}

static uint64_t fc_unix(void *ctx) { return ((fake_clock_t *)ctx)->unix_s; }
static uint32_t fc_ms(void *ctx) { return ((fake_clock_t *)ctx)->ms; }

void fake_clock_init(fake_clock_t *c, depin_clock_t *out) {
  c->unix_s = 1767225600u;
  c->ms = 0xFFFFF000u; /* close to the wrap: the device must compare stamps wrap-safely */
  out->unix_seconds = fc_unix;
  out->millis = fc_ms;
  out->ctx = c;
}

int sign_answer(depin_host_key_t *key, uint64_t network_id, const char *topic, const char *body, char *out, size_t cap) {
  depin_keystore_t ks;
  uint8_t digest[32], sig[65];
  size_t sig_len = 0;
  depin_host_keystore(key, &ks);
  depin_answer_digest(network_id, topic, body, strlen(body), digest);
  if (ks.sign(ks.ctx, digest, sig, &sig_len) != DEPIN_OK) return -1;
  size_t n = strlen(body);
  if (n + 1 + 133 > cap) return -1;
  memcpy(out, body, n);
  out[n] = '\n';
  depin_hex_encode(sig, 65, out + n + 1, cap - n - 1);
  return (int)strlen(out);
}
