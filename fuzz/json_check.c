/*
 * json_check.c - fuzz target: core/jsonscan.h against jansson.
 *
 * The input is any bytes up to the first NUL (a C string: jansson skips a NUL that follows a
 * number, which no stored text has). json_check() must accept exactly what jansson's json_loadb
 * (one value of any type) accepts. For an accepted text, json_compact() of the whole value, when it does
 * not decline, must equal jansson's compact dump; and for an object, json_member() of the keys
 * a legacy function call carries (and of the first key) must find the member jansson finds, with
 * the same compact form.
 */
#include "fuzz.h"

#include "core/buf.h"
#include "core/jsonscan.h"

#include <jansson.h>

static void same_compact(const char *v, size_t n, json_t *ref)
{
    struct buf b;
    buf_init(&b, 0, (size_t)64 << 20);
    if (json_compact(&b, v, n)) {
        char *want = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
        FUZZ_CHECK(want && strcmp(b.data, want) == 0, "compact '%s', jansson '%s'", b.data,
                   want ? want : "(null)");
        free(want);
    } else {
        FUZZ_CHECK(b.len == 0, "declined after writing");
    }
    buf_release(&b);
}

static void same_member(const char *text, size_t n, json_t *obj, const char *key)
{
    const char *v = NULL;
    size_t vn = 0;
    int found = json_member(text, n, key, &v, &vn);
    json_t *ref = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!json_is_object(obj)) {
        FUZZ_CHECK(found == -1, "member of a non-object: %d", found);
        return;
    }
    FUZZ_CHECK(found != -1, "an object read as a non-object");
    if (found == -2)
        return; /* declined: repeated or escaped keys */
    FUZZ_CHECK((found == 1) == (ref != NULL), "member '%s': found %d, jansson %s", key, found,
               ref ? "has it" : "has not");
    if (found == 1) {
        FUZZ_CHECK(json_check(v, vn), "member value is not JSON");
        same_compact(v, vn, ref);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size = strnlen(text, size);
    json_error_t err;
    json_t *ref = json_loadb(text, size, JSON_DECODE_ANY, &err);
    bool ok = json_check(text, size);
    FUZZ_CHECK(ok == (ref != NULL), "json_check %d, jansson %s", ok, ref ? "accepts" : err.text);
    if (ref) {
        same_compact(text, size, ref);
        same_member(text, size, ref, "function");
        same_member(text, size, ref, "arguments");
        same_member(text, size, ref, "result");
        if (json_is_object(ref) && json_object_size(ref) > 0) {
            const char *first = json_object_iter_key(json_object_iter(ref));
            same_member(text, size, ref, first);
        }
    }
    json_decref(ref);
    return 0;
}
