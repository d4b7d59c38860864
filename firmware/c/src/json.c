/* Strict bounded JSON pull parser (see include/depin/json.h). */
#include "depin/json.h"

#include <string.h>

static int fail(depin_json_t *j) {
  j->err = 1;
  return -1;
}

static void ws(depin_json_t *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

void depin_json_init(depin_json_t *j, const char *text, size_t len) {
  j->p = text;
  j->end = text + len;
  j->err = 0;
  j->first = 0;
}

depin_json_type_t depin_json_peek(depin_json_t *j) {
  if (j->err) return DEPIN_JSON_NONE;
  ws(j);
  if (j->p >= j->end) return DEPIN_JSON_NONE;
  switch (*j->p) {
    case '{': return DEPIN_JSON_OBJECT;
    case '[': return DEPIN_JSON_ARRAY;
    case '"': return DEPIN_JSON_STRING;
    case 't': case 'f': case 'n': return DEPIN_JSON_LITERAL;
    default:
      return (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) ? DEPIN_JSON_NUMBER : DEPIN_JSON_NONE;
  }
}

static int open_char(depin_json_t *j, char c) {
  if (j->err) return 0;
  ws(j);
  if (j->p >= j->end || *j->p != c) {
    fail(j);
    return 0;
  }
  j->p++;
  j->first = 1;
  return 1;
}

int depin_json_object(depin_json_t *j) { return open_char(j, '{'); }
int depin_json_array(depin_json_t *j) { return open_char(j, '['); }

/* Before the next member/element: the closing bracket (0), a separator (1), or an error. */
static int next_item(depin_json_t *j, char close) {
  if (j->err) return -1;
  ws(j);
  if (j->p >= j->end) return fail(j);
  if (*j->p == close) {
    j->p++;
    j->first = 0;
    return 0;
  }
  if (!j->first) {
    if (*j->p != ',') return fail(j);
    j->p++;
    ws(j);
    if (j->p >= j->end || *j->p == close) return fail(j); /* no trailing comma */
  }
  j->first = 0;
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int read_hex4(depin_json_t *j, uint32_t *out) {
  if (j->end - j->p < 4) return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(j->p[i]);
    if (h < 0) return -1;
    v = (v << 4) | (uint32_t)h;
  }
  j->p += 4;
  *out = v;
  return 0;
}

/* Appends code point cp as UTF-8; counts the length even when out is NULL. */
static int put_utf8(char *out, size_t cap, size_t *n, uint32_t cp) {
  uint8_t b[4];
  size_t k;
  if (cp < 0x80) { b[0] = (uint8_t)cp; k = 1; }
  else if (cp < 0x800) { b[0] = (uint8_t)(0xC0 | (cp >> 6)); b[1] = (uint8_t)(0x80 | (cp & 0x3F)); k = 2; }
  else if (cp < 0x10000) {
    b[0] = (uint8_t)(0xE0 | (cp >> 12)); b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (uint8_t)(0x80 | (cp & 0x3F)); k = 3;
  } else {
    b[0] = (uint8_t)(0xF0 | (cp >> 18)); b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (uint8_t)(0x80 | (cp & 0x3F)); k = 4;
  }
  if (out != NULL) {
    if (*n + k + 1 > cap) return -1;
    memcpy(out + *n, b, k);
  }
  *n += k;
  return 0;
}

int depin_json_string(depin_json_t *j, char *out, size_t cap) {
  if (j->err) return -1;
  ws(j);
  if (j->p >= j->end || *j->p != '"') return fail(j);
  j->p++;
  size_t n = 0;
  while (j->p < j->end) {
    uint8_t c = (uint8_t)*j->p++;
    if (c == '"') {
      if (out != NULL) {
        if (cap == 0) return fail(j);
        out[n] = '\0';
      }
      return n > 0x7FFFFFFF ? fail(j) : (int)n;
    }
    if (c < 0x20) return fail(j); /* control characters must be escaped */
    if (c != '\\') {
      if (out != NULL) {
        if (n + 2 > cap) return fail(j);
        out[n] = (char)c;
      }
      n++;
      continue;
    }
    if (j->p >= j->end) return fail(j);
    char e = *j->p++;
    uint32_t cp;
    switch (e) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u':
        if (read_hex4(j, &cp) != 0) return fail(j);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') return fail(j);
          j->p += 2;
          if (read_hex4(j, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) return fail(j);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return fail(j); /* a lone low surrogate */
        }
        break;
      default:
        return fail(j);
    }
    if (put_utf8(out, cap, &n, cp) != 0) return fail(j);
  }
  return fail(j); /* unterminated */
}

static int skip_number(depin_json_t *j) {
  const char *p = j->p;
  if (p < j->end && *p == '-') p++;
  if (p >= j->end) return fail(j);
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') while (p < j->end && *p >= '0' && *p <= '9') p++;
  else return fail(j);
  if (p < j->end && *p == '.') {
    p++;
    if (p >= j->end || *p < '0' || *p > '9') return fail(j);
    while (p < j->end && *p >= '0' && *p <= '9') p++;
  }
  if (p < j->end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < j->end && (*p == '+' || *p == '-')) p++;
    if (p >= j->end || *p < '0' || *p > '9') return fail(j);
    while (p < j->end && *p >= '0' && *p <= '9') p++;
  }
  j->p = p;
  return 0;
}

static int skip_literal(depin_json_t *j) {
  static const char *const words[3] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
      j->p += n;
      return 0;
    }
  }
  return fail(j);
}

/*
 * Skips one value without recursion: a stack of open brackets (bounded depth) and the
 * object/array member rules applied as the brackets close.
 */
int depin_json_skip(depin_json_t *j) {
  char stack[DEPIN_JSON_MAX_DEPTH];
  int depth = 0;
  for (;;) {
    switch (depin_json_peek(j)) {
      case DEPIN_JSON_STRING:
        if (depin_json_string(j, NULL, 0) < 0) return -1;
        break;
      case DEPIN_JSON_NUMBER:
        if (skip_number(j) != 0) return -1;
        break;
      case DEPIN_JSON_LITERAL:
        if (skip_literal(j) != 0) return -1;
        break;
      case DEPIN_JSON_OBJECT:
      case DEPIN_JSON_ARRAY: {
        if (depth == DEPIN_JSON_MAX_DEPTH) return fail(j);
        char open = *j->p;
        stack[depth++] = open;
        j->p++;
        j->first = 1;
        /* fall into the loop below, which reads the first member/element or the close */
        break;
      }
      default:
        return fail(j);
    }
    /* After a value (or an opening bracket): close brackets or start the next member/element. */
    for (;;) {
      if (depth == 0) return 0;
      char close = stack[depth - 1] == '{' ? '}' : ']';
      int r = next_item(j, close);
      if (r < 0) return -1;
      if (r == 0) {
        depth--;
        continue;
      }
      if (close == '}') {
        if (depin_json_string(j, NULL, 0) < 0) return -1;
        ws(j);
        if (j->p >= j->end || *j->p != ':') return fail(j);
        j->p++;
      }
      break; /* the member's/element's value is next */
    }
  }
}

int depin_json_member(depin_json_t *j, char *key, size_t cap) {
  int r = next_item(j, '}');
  if (r <= 0) return r;
  if (depin_json_string(j, key, cap) < 0) return -1;
  ws(j);
  if (j->p >= j->end || *j->p != ':') return fail(j);
  j->p++;
  return 1;
}

int depin_json_element(depin_json_t *j) { return next_item(j, ']'); }

int depin_json_end(depin_json_t *j) {
  if (j->err) return -1;
  ws(j);
  return j->p == j->end ? 0 : fail(j);
}
