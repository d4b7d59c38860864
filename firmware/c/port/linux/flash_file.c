/* Host flash: a file with NOR semantics (erase = 0xFF, program only clears bits). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "depin_host.h"

typedef struct {
  depin_host_flash_t *f;
  uint32_t sector_size;
} flash_ctx_t;

static flash_ctx_t g_ctx; /* one flash per process in this port */

static int f_read(void *ctx, uint32_t addr, void *buf, uint32_t len) {
  flash_ctx_t *c = (flash_ctx_t *)ctx;
  return pread(c->f->fd, buf, len, addr) == (ssize_t)len ? DEPIN_OK : DEPIN_ERR;
}

static int f_program(void *ctx, uint32_t addr, const void *buf, uint32_t len) {
  flash_ctx_t *c = (flash_ctx_t *)ctx;
  uint8_t old[256];
  const uint8_t *in = (const uint8_t *)buf;
  for (uint32_t off = 0; off < len; off += sizeof old) {
    uint32_t n = len - off < sizeof old ? len - off : (uint32_t)sizeof old;
    if (pread(c->f->fd, old, n, addr + off) != (ssize_t)n) return DEPIN_ERR;
    /* NOR flash cannot set a bit without an erase: a port bug the emulation must catch. */
    for (uint32_t i = 0; i < n; i++)
      if ((old[i] & in[off + i]) != in[off + i]) return DEPIN_ERR;
  }
  if (pwrite(c->f->fd, buf, len, addr) != (ssize_t)len) return DEPIN_ERR;
  if (c->f->sync && fdatasync(c->f->fd) != 0) return DEPIN_ERR;
  return DEPIN_OK;
}

static int f_erase(void *ctx, uint32_t sector) {
  flash_ctx_t *c = (flash_ctx_t *)ctx;
  uint8_t ff[256];
  memset(ff, 0xFF, sizeof ff);
  for (uint32_t off = 0; off < c->sector_size; off += sizeof ff)
    if (pwrite(c->f->fd, ff, sizeof ff, (off_t)sector * c->sector_size + off) != (ssize_t)sizeof ff) return DEPIN_ERR;
  if (c->f->sync && fdatasync(c->f->fd) != 0) return DEPIN_ERR;
  return DEPIN_OK;
}

int depin_host_flash_open(depin_host_flash_t *f, const char *path, uint32_t sector_size, uint32_t sector_count, int sync,
                          depin_flash_t *out) {
  if (sector_size % 256 != 0) return DEPIN_ERR_ARG;
  f->fd = open(path, O_RDWR | O_CREAT, 0600);
  f->sync = sync;
  if (f->fd < 0) return DEPIN_ERR;
  struct stat st;
  off_t size = (off_t)sector_size * sector_count;
  if (fstat(f->fd, &st) != 0) return DEPIN_ERR;
  if (st.st_size != 0 && st.st_size != size) return DEPIN_ERR_ARG; /* another geometry: refuse, never reformat */
  if (st.st_size == 0) {
    uint8_t ff[256];
    memset(ff, 0xFF, sizeof ff);
    for (off_t off = 0; off < size; off += (off_t)sizeof ff)
      if (pwrite(f->fd, ff, sizeof ff, off) != (ssize_t)sizeof ff) return DEPIN_ERR;
    if (fsync(f->fd) != 0) return DEPIN_ERR;
  }
  g_ctx.f = f;
  g_ctx.sector_size = sector_size;
  out->sector_size = sector_size;
  out->sector_count = sector_count;
  out->read = f_read;
  out->program = f_program;
  out->erase = f_erase;
  out->ctx = &g_ctx;
  return DEPIN_OK;
}

void depin_host_flash_close(depin_host_flash_t *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
}
