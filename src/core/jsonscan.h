/*
 * jsonscan.h - reading JSON text without building a tree: checking it, finding an object's
 * member, and rewriting a value compactly.
 *
 * Layer: core. For the hot loops that only need to know that stored text is JSON (a legacy
 * load checks millions of event payloads) or to lift one member out of it. Acceptance is
 * jansson's, so text checked here parses anywhere else in the project: RFC 8259 with one value
 * of any type at the top, valid UTF-8, no \u0000, integers within int64, reals that stay finite,
 * at most JSON_SCAN_MAX_DEPTH nested values (a scalar inside counts as one level). The compact
 * form is jansson's json_dumps(JSON_COMPACT) of the parsed value; where that form would differ
 * from the text minus its whitespace (real numbers, escapes, -0, a repeated key), the functions
 * say so and the caller asks jansson.
 */
#ifndef SB_JSONSCAN_H
#define SB_JSONSCAN_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define JSON_SCAN_MAX_DEPTH 2048

/* True when the n bytes at text are one JSON value (surrounded by optional whitespace). A NUL
 * byte anywhere is refused (jansson, reading a buffer, skips one right after a number; text from
 * a C string never has one). */
bool json_check(const char *text, size_t n);

/* The member `key` of the object that `text` (n bytes, accepted by json_check) holds: 1 with
 * its value's bytes in *v, *vn; 0 when the object has no such member; -1 when text is not an
 * object; -2 when the key appears more than once or a key has escapes (jansson's answer then
 * depends on decoding: ask it). */
int json_member(const char *text, size_t n, const char *key, const char **v, size_t *vn);

/* Appends the value at v (vn bytes, from a checked text) as jansson's compact dump writes it:
 * the text without its whitespace. False, with nothing appended, when the dump would differ (a
 * real number, an escape, -0, a repeated key in an object). */
bool json_compact(struct buf *b, const char *v, size_t vn);

#endif
