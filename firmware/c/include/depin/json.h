/*
 * A strict, bounded JSON pull parser over a byte buffer (RFC 8259 syntax; no heap, no recursion
 * beyond DEPIN_JSON_MAX_DEPTH). Used for the bridge's answers and the host port's key file.
 * Any syntax error sets `err` and makes every later call fail.
 */
#ifndef DEPIN_JSON_H
#define DEPIN_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEPIN_JSON_MAX_DEPTH 8

typedef struct {
  const char *p;
  const char *end;
  int err;
  uint8_t first; /* next member/element is the first of its object/array */
} depin_json_t;

typedef enum {
  DEPIN_JSON_NONE = 0,
  DEPIN_JSON_OBJECT,
  DEPIN_JSON_ARRAY,
  DEPIN_JSON_STRING,
  DEPIN_JSON_NUMBER,
  DEPIN_JSON_LITERAL /* true, false, null */
} depin_json_type_t;

void depin_json_init(depin_json_t *j, const char *text, size_t len);
/** Type of the next value (skips whitespace), or DEPIN_JSON_NONE on error/end. */
depin_json_type_t depin_json_peek(depin_json_t *j);
/** Consumes '{' (1) or fails (0). */
int depin_json_object(depin_json_t *j);
/**
 * Next member of the current object: 1 with its key decoded into `key` (NUL-terminated; a key
 * longer than cap-1 is an error) and the ':' consumed; 0 at the closing '}'; -1 on error.
 */
int depin_json_member(depin_json_t *j, char *key, size_t cap);
/** Consumes '[' (1) or fails (0). */
int depin_json_array(depin_json_t *j);
/** 1 when another element follows (its value is next), 0 at the closing ']', -1 on error. */
int depin_json_element(depin_json_t *j);
/**
 * A string value, unescaped into `out` (UTF-8, NUL-terminated). `out` may be NULL to only check
 * it. Returns its decoded length, or -1 (syntax error, or longer than cap-1).
 */
int depin_json_string(depin_json_t *j, char *out, size_t cap);
/** Skips any value (nested to DEPIN_JSON_MAX_DEPTH). 0 on success, -1 on error. */
int depin_json_skip(depin_json_t *j);
/** 0 when only whitespace remains and no error occurred, else -1. */
int depin_json_end(depin_json_t *j);

#ifdef __cplusplus
}
#endif
#endif
