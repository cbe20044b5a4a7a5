/*
 * form.c - fuzz target: application/x-www-form-urlencoded decoding and encoding (http/form.h).
 *
 * The input is a request body. form_decode() must never crash or read past the body, whatever
 * the bytes. When it succeeds, the pairs are encoded again with form_add() and the result must
 * decode to the same pairs (same order, names, values and value lengths), and encoding those
 * must give the same bytes again: form_add() output is canonical. A failed decode must be
 * ERR_INVALID (bad escape, NUL, too many pairs), never ERR_NOMEM with this arena.
 */
#include "fuzz.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "http/form.h"

#define MAX_PAIRS 1000

/* The contents of b as a C string ("" before the first append). */
static const char *text(const struct buf *b)
{
    return b->data ? b->data : "";
}

static void encode_all(const struct form *f, struct buf *b)
{
    for (int i = 0; i < f->n; i++)
        form_add(b, f->pairs[i].name, f->pairs[i].value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new(0, 0);
    if (!a)
        abort();
    struct form f1, f2, f3;
    struct buf b1, b2;
    buf_init(&b1, 0, (size_t)64 << 20);
    buf_init(&b2, 0, (size_t)64 << 20);

    int rc = form_decode((const char *)data, size, MAX_PAIRS, a, &f1);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_INVALID, "form_decode returned %d", rc);
        goto out;
    }
    FUZZ_CHECK(f1.n >= 0 && f1.n <= MAX_PAIRS, "n = %d", f1.n);
    for (int i = 0; i < f1.n; i++) {
        FUZZ_CHECK(f1.pairs[i].name && f1.pairs[i].value, "pair %d has a NULL part", i);
        FUZZ_CHECK(strlen(f1.pairs[i].value) == f1.pairs[i].value_len,
                   "pair %d: value_len %zu, strlen %zu", i, f1.pairs[i].value_len,
                   strlen(f1.pairs[i].value));
    }

    encode_all(&f1, &b1);
    FUZZ_CHECK(buf_ok(&b1), "encoding failed");
    rc = form_decode(text(&b1), b1.len, MAX_PAIRS, a, &f2);
    FUZZ_CHECK(rc == 0, "re-decoding \"%s\" returned %d", text(&b1), rc);
    FUZZ_CHECK(f2.n == f1.n, "%d pairs became %d through \"%s\"", f1.n, f2.n, text(&b1));
    for (int i = 0; i < f1.n; i++) {
        const struct form_pair *p = &f1.pairs[i], *q = &f2.pairs[i];
        FUZZ_CHECK(strcmp(p->name, q->name) == 0, "pair %d name \"%s\" became \"%s\"", i,
                   p->name, q->name);
        FUZZ_CHECK(p->value_len == q->value_len && memcmp(p->value, q->value, p->value_len) == 0,
                   "pair %d value \"%s\" became \"%s\"", i, p->value, q->value);
    }

    encode_all(&f2, &b2);
    FUZZ_CHECK(buf_ok(&b2), "encoding failed");
    FUZZ_CHECK(b1.len == b2.len && memcmp(text(&b1), text(&b2), b1.len) == 0,
               "encoding is not stable: \"%s\" then \"%s\"", text(&b1), text(&b2));
    rc = form_decode(text(&b2), b2.len, MAX_PAIRS, a, &f3);
    FUZZ_CHECK(rc == 0 && f3.n == f1.n, "third decode: rc %d, %d pairs", rc, f3.n);

out:
    buf_release(&b1);
    buf_release(&b2);
    arena_free(a);
    return 0;
}
