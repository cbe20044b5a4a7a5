/*
 * json.h - writing JSON into a struct buf in one pass.
 *
 * Layer: core. Response building is the hottest path of the server, so documents are written
 * straight into a preallocated buffer with literal keys (json_key(b, "\"id\":") style) instead of
 * building a tree first. Strings are escaped per RFC 8259; invalid UTF-8 bytes become U+FFFD so the
 * output is always valid JSON. Parsing request bodies is jansson's job (api/ uses it directly).
 */
#ifndef SB_JSON_H
#define SB_JSON_H

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

/* A quoted, escaped string, or `null` when s is NULL. */
void json_str(struct buf *b, const char *s);
/* The same for n bytes of s (not NUL-terminated). */
void json_strn(struct buf *b, const char *s, size_t n);
/* An integer. */
static inline void json_int(struct buf *b, int64_t v)
{
    buf_add_i64(b, v);
}
/* An integer, or `null` when is_null. */
void json_int_or_null(struct buf *b, int64_t v, bool is_null);
/* A double with up to 4 decimals (trailing zeros trimmed), or `null` when not finite. */
void json_double(struct buf *b, double v);
/* A timestamp (microseconds since the epoch) as an RFC 3339 string, or `null` when t == 0. */
void json_ts(struct buf *b, int64_t t);
/* `true` / `false`. */
void json_bool(struct buf *b, bool v);
/* Text that is already JSON (stored metadata), or `fallback` when raw is NULL or empty. */
void json_raw(struct buf *b, const char *raw, const char *fallback);
/* True when s (n bytes) is valid UTF-8. */
bool json_utf8_valid(const char *s, size_t n);

#endif
