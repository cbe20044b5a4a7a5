/*
 * json_escape.c - fuzz target: JSON string escaping (core/json.h json_strn).
 *
 * The input is any bytes, NULs and invalid UTF-8 included. json_strn() must write one valid JSON
 * string: jansson parses it back (NUL allowed) into a string equal to the input when the input
 * is valid UTF-8, and otherwise equal to the input with each byte that does not start a
 * well-formed sequence replaced by U+FFFD (the reference here is written from Unicode Table 3-7,
 * independently of json.c). json_utf8_valid() must agree with that reference, and the output
 * may contain no raw control character. json_str() on the text up to the first NUL must give the
 * same bytes as json_strn() on that prefix.
 */
#include "fuzz.h"

#include "core/buf.h"
#include "core/json.h"

#include <jansson.h>

/* The expected decoded value: valid sequences kept, every other byte replaced by U+FFFD. */
static char *expected(const char *s, size_t n, size_t *len)
{
    char *out = malloc(n * 3 + 1);
    if (!out)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = fuzz_utf8_seq((const unsigned char *)s + i, n - i);
        if (l) {
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *len = o;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct buf b, b2;
    buf_init(&b, 0, (size_t)64 << 20);
    buf_init(&b2, 0, (size_t)64 << 20);

    bool valid = json_utf8_valid(s, size);
    FUZZ_CHECK(valid == fuzz_utf8_valid(s, size), "json_utf8_valid says %d", valid);

    json_strn(&b, s, size);
    FUZZ_CHECK(buf_ok(&b) && b.len >= 2, "json_strn failed");
    FUZZ_CHECK(b.data[0] == '"' && b.data[b.len - 1] == '"', "not a quoted string");
    for (size_t i = 0; i < b.len; i++)
        FUZZ_CHECK((unsigned char)b.data[i] >= 0x20, "raw control byte 0x%02x at %zu",
                   (unsigned char)b.data[i], i);
    FUZZ_CHECK(fuzz_utf8_valid(b.data, b.len), "output is not valid UTF-8");

    json_error_t err;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    FUZZ_CHECK(v != NULL, "jansson rejects %s: %s", b.data, err.text);
    FUZZ_CHECK(json_is_string(v), "not a string: %s", b.data);
    size_t want_len;
    char *want = expected(s, size, &want_len);
    FUZZ_CHECK(json_string_length(v) == want_len &&
                   memcmp(json_string_value(v), want, want_len) == 0,
               "%s decodes to %zu bytes, want %zu", b.data, json_string_length(v), want_len);
    FUZZ_CHECK(!valid || (want_len == size && memcmp(want, s, size) == 0),
               "valid input changed");
    free(want);
    json_decref(v);

    size_t prefix = strnlen(s, size);
    char *c = fuzz_cstr(data, prefix);
    buf_clear(&b);
    json_strn(&b, c, prefix);
    json_str(&b2, c);
    FUZZ_CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0,
               "json_str and json_strn differ");
    free(c);

    buf_release(&b);
    buf_release(&b2);
    return 0;
}
