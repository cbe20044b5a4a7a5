/*
 * cursor.c - fuzz target: opaque keyset cursors (api/api.h, api/params.c).
 *
 * The input is the text of a ?cursor= parameter (up to its first NUL). api_cursor_decode() must
 * never crash or overflow its 64-byte scratch buffer. When it accepts the text, the id must be a
 * lower-case UUID, and api_cursor_encode() of (key, id) must decode again to the same key and
 * id and be a fixed point (encoding that gives the same text). Independently, a (key, id) pair
 * built from the first 24 input bytes (any int64 key, any UUID) must survive encode + decode,
 * so the encoder side is covered over its whole domain, extreme keys included.
 */
#include "fuzz.h"

#include "api/api.h"
#include "core/arena.h"
#include "core/ids.h"

static bool lower_uuid(const char *id)
{
    if (!uuid_is_valid(id) || strlen(id) != UUID_STR_LEN)
        return false;
    for (const char *p = id; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return false;
    return true;
}

/* Encodes (key, id), decodes it back and checks both match; returns the cursor text. */
static char *round_trip(struct arena *a, int64_t key, const char *id)
{
    char *text = api_cursor_encode(a, key, id);
    FUZZ_CHECK(text != NULL, "encode failed");
    int64_t k2 = 0;
    char id2[37];
    FUZZ_CHECK(api_cursor_decode(text, &k2, id2), "own cursor \"%s\" (%lld, %s) rejected", text,
               (long long)key, id);
    FUZZ_CHECK(k2 == key && strcmp(id, id2) == 0, "\"%s\": (%lld, %s) became (%lld, %s)", text,
               (long long)key, id, (long long)k2, id2);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new(0, 0);
    if (!a)
        abort();
    char *s = fuzz_cstr(data, size);
    int64_t key = 0;
    char id[37];
    if (api_cursor_decode(s, &key, id)) {
        FUZZ_CHECK(lower_uuid(id), "\"%s\" decoded to id \"%s\"", s, id);
        char *text = round_trip(a, key, id);
        char *text2 = round_trip(a, key, id);
        FUZZ_CHECK(strcmp(text, text2) == 0, "encoding is not stable");
    }
    free(s);

    if (size >= 24) {
        static const char HEX[] = "0123456789abcdef";
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = u << 8 | data[i];
        memcpy(&key, &u, sizeof key);
        char *p = id;
        for (int i = 8; i < 24; i++) {
            if (i == 12 || i == 14 || i == 16 || i == 18)
                *p++ = '-';
            *p++ = HEX[data[i] >> 4];
            *p++ = HEX[data[i] & 15];
        }
        *p = '\0';
        round_trip(a, key, id);
    }
    arena_free(a);
    return 0;
}
