/*
 * twilio_signature.c - fuzz target: X-Twilio-Signature validation (channels/twilio/twilio.h).
 *
 * The input is "token\nurl\nheader\nbody": the first three lines are the auth token, the URL
 * the server reconstructed and the signature header; the rest is the raw form body (missing
 * parts are empty). The body is decoded as a form; when that fails the validator gets no pairs,
 * like a JSON webhook. twilio_signature_valid() must never crash. With a non-empty token, the
 * signature computed over (url, pairs) must be 28 base64 characters and must validate; changing
 * one character of it must not; the pairs' order and an identical duplicate pair must not change
 * it (Twilio sorts and deduplicates); and for a plain "http(s)://host[:port]/..." URL the
 * signature of the other port variant (default port added, or the port removed) must validate
 * too (providers.md section 2, step 7). An empty token never validates.
 */
#include "fuzz.h"

#include "channels/twilio/twilio.h"
#include "core/arena.h"
#include "http/form.h"

/* Splits off the text up to the next '\n' (or the end) as a new C string; advances *p. */
static char *line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    char *s = fuzz_cstr(*p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

static bool is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* Writes the other port variant of a plain http(s) URL into alt (strlen(url) + 8 bytes) as the
 * spec describes it; false when url is not of the plain form this check covers. */
static bool other_port(const char *url, char *alt)
{
    size_t len = strlen(url);
    const char *port;
    size_t skip;
    if (strncmp(url, "https://", 8) == 0) {
        port = ":443";
        skip = 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        port = ":80";
        skip = 7;
    } else {
        return false;
    }
    const char *host = url + skip;
    size_t hn = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    if (hn == 0)
        return false;
    const char *rest = host + hn;
    if (*rest == ':') {
        size_t pn = strspn(rest + 1, "0123456789");
        if (pn == 0 || (rest[1 + pn] != '\0' && !strchr("/?#", rest[1 + pn])))
            return false;
        snprintf(alt, len + 8, "%.*s%s", (int)(rest - url), url, rest + 1 + pn);
        return true;
    }
    if (*rest != '\0' && !strchr("/?#", *rest))
        return false;
    snprintf(alt, len + 8, "%.*s%s%s", (int)(rest - url), url, port, rest);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *token = line(&p, end);
    char *url = line(&p, end);
    char *header = line(&p, end);
    struct arena *a = arena_new(0, 0);
    if (!a)
        abort();
    struct form form;
    const struct form *pairs = NULL;
    if (form_decode((const char *)p, (size_t)(end - p), 1000, a, &form) == 0)
        pairs = &form;

    bool ok = twilio_signature_valid(token, url, pairs, header);
    FUZZ_CHECK(!ok || *token, "an empty token validated");
    FUZZ_CHECK(!twilio_signature_valid(token, url, pairs, NULL), "a NULL header validated");
    if (!*token)
        goto out;

    char sig[29], again[29];
    twilio_signature_compute(token, url, pairs, sig);
    FUZZ_CHECK(strlen(sig) == 28 && sig[27] == '=', "signature \"%s\"", sig);
    for (int i = 0; i < 27; i++)
        FUZZ_CHECK(is_b64(sig[i]), "signature \"%s\"", sig);
    FUZZ_CHECK(twilio_signature_valid(token, url, pairs, sig), "own signature rejected");
    FUZZ_CHECK(ok || strcmp(header, sig) != 0, "the header equals the signature but failed");

    memcpy(again, sig, sizeof again);
    again[size % 27] = again[size % 27] == 'A' ? 'B' : 'A';
    FUZZ_CHECK(!twilio_signature_valid(token, url, pairs, again), "altered signature accepted");

    if (pairs && pairs->n > 0) {
        /* reversed order plus a copy of the first pair: same signature */
        struct form rev = {arena_alloc(a, sizeof *rev.pairs * (size_t)(pairs->n + 1)),
                           pairs->n + 1};
        if (!rev.pairs)
            abort();
        for (int i = 0; i < pairs->n; i++)
            rev.pairs[i] = pairs->pairs[pairs->n - 1 - i];
        rev.pairs[pairs->n] = pairs->pairs[0];
        twilio_signature_compute(token, url, &rev, again);
        FUZZ_CHECK(strcmp(sig, again) == 0, "order or a duplicate changed the signature");
    }

    char *alt = malloc(strlen(url) + 8);
    if (!alt)
        abort();
    if (other_port(url, alt)) {
        twilio_signature_compute(token, alt, pairs, again);
        FUZZ_CHECK(twilio_signature_valid(token, url, pairs, again),
                   "signature of port variant \"%s\" rejected for \"%s\"", alt, url);
    }
    free(alt);

out:
    arena_free(a);
    free(token);
    free(url);
    free(header);
    return 0;
}
