/*
 * phone.c - fuzz target: phone number normalisation to E.164 (core/phone.h).
 *
 * The input is what a person typed (up to its first NUL). phone_to_e164() must never crash or
 * read outside its input; it either rejects (false, out == "") or writes a canonical number:
 * phone_is_e164(out) holds, and normalising out again gives out (idempotence). An input that is
 * already canonical must come back unchanged. phone_last4() of a result must be its last four
 * digits.
 */
#include "fuzz.h"

#include "core/phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_cstr(data, size);
    char out[PHONE_E164_MAX], again[PHONE_E164_MAX];
    memset(out, 'X', sizeof out);

    bool ok = phone_to_e164(in, out);
    if (!ok) {
        FUZZ_CHECK(out[0] == '\0', "rejected \"%s\" but out is not empty", in);
    } else {
        size_t n = strnlen(out, sizeof out);
        FUZZ_CHECK(n < sizeof out, "out is not terminated for \"%s\"", in);
        FUZZ_CHECK(phone_is_e164(out), "\"%s\" gave non-canonical \"%s\"", in, out);
        FUZZ_CHECK(phone_to_e164(out, again), "\"%s\" gave \"%s\", which is rejected", in, out);
        FUZZ_CHECK(strcmp(out, again) == 0, "\"%s\" gave \"%s\", which gives \"%s\"", in, out,
                   again);
        char last4[5];
        phone_last4(out, last4);
        FUZZ_CHECK(strlen(last4) == 4 && strcmp(last4, out + n - 4) == 0,
                   "last4 of \"%s\" is \"%s\"", out, last4);
    }
    if (phone_is_e164(in)) {
        FUZZ_CHECK(ok && strcmp(in, out) == 0, "canonical \"%s\" gave \"%s\"", in, out);
    }
    free(in);
    return 0;
}
