/*
 * form.h - application/x-www-form-urlencoded decoding.
 *
 * Layer: http (pure, thread-safe). Pairs keep their order and empty values (Twilio signs them);
 * `+` decodes to a space and %XX to a byte; a malformed escape is an error, not a guess. Values
 * are NUL-terminated copies in the arena (a decoded %00 makes the value invalid: ERR_INVALID).
 */
#ifndef SB_FORM_H
#define SB_FORM_H

#include "core/arena.h"

#include <stddef.h>

struct form_pair {
    const char *name, *value;
    size_t value_len;
};

struct form {
    struct form_pair *pairs;
    int n;
};

/* Decodes n bytes of s into f (arena memory). At most max_pairs pairs. Returns 0,
 * ERR_INVALID (bad escape, NUL byte, too many pairs) or ERR_NOMEM. */
int form_decode(const char *s, size_t n, int max_pairs, struct arena *a, struct form *f);

/* Appends name=value (percent-encoded, '&' first when b is not empty) to b. */
struct buf;
void form_add(struct buf *b, const char *name, const char *value);

/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);

#endif
