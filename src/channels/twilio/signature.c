/*
 * signature.c - X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted form pairs.
 *
 * Layer: channels/twilio; pure and thread-safe. Pairs are sorted by (name, value) in byte order
 * and identical duplicates count once, which equals "distinct names sorted, each name's distinct
 * values sorted" (providers.md §2 step 3). The URL is tried as given and with its port removed
 * (when it has one) or the scheme's default port added (when it has none).
 */
#include "channels/twilio/twilio.h"

#include "core/ids.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_pair(const void *a, const void *b)
{
    const struct form_pair *x = *(const struct form_pair *const *)a;
    const struct form_pair *y = *(const struct form_pair *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

void twilio_signature_compute(const char *token, const char *url, const struct form *pairs,
                              char out[29])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA1", 0),
                           OSSL_PARAM_construct_end()};
    out[0] = '\0';
    if (!ctx || !EVP_MAC_init(ctx, (const unsigned char *)token, strlen(token), params))
        goto done;
    EVP_MAC_update(ctx, (const unsigned char *)url, strlen(url));
    if (pairs && pairs->n > 0) {
        const struct form_pair **sorted = malloc(sizeof *sorted * (size_t)pairs->n);
        if (!sorted)
            goto done;
        for (int i = 0; i < pairs->n; i++)
            sorted[i] = &pairs->pairs[i];
        qsort(sorted, (size_t)pairs->n, sizeof *sorted, cmp_pair);
        for (int i = 0; i < pairs->n; i++) {
            if (i > 0 && cmp_pair(&sorted[i - 1], &sorted[i]) == 0)
                continue;
            EVP_MAC_update(ctx, (const unsigned char *)sorted[i]->name, strlen(sorted[i]->name));
            EVP_MAC_update(ctx, (const unsigned char *)sorted[i]->value, sorted[i]->value_len);
        }
        free(sorted);
    }
    size_t len = 0;
    if (EVP_MAC_final(ctx, mac, &len, sizeof mac)) {
        maclen = (unsigned)len;
        EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
    }
done:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
}

/* Writes the other port variant of url into alt; false when url cannot be parsed. */
static bool port_variant(const char *url, char *alt, size_t cap)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return false;
    size_t scheme_len = (size_t)(sep - url);
    const char *host = sep + 3;
    const char *end = host + strcspn(host, "/?#");
    const char *colon = memchr(host, ':', (size_t)(end - host));
    if (colon) { /* drop the port */
        int n = snprintf(alt, cap, "%.*s%s", (int)(colon - url), url, end);
        return n > 0 && (size_t)n < cap;
    }
    const char *port = NULL;
    if (scheme_len == 5 && strncmp(url, "https", 5) == 0)
        port = "443";
    else if (scheme_len == 4 && strncmp(url, "http", 4) == 0)
        port = "80";
    if (!port)
        return false;
    int n = snprintf(alt, cap, "%.*s:%s%s", (int)(end - url), url, port, end);
    return n > 0 && (size_t)n < cap;
}

static bool same(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

bool twilio_signature_valid(const char *token, const char *url, const struct form *pairs,
                            const char *header)
{
    if (!token || !*token || !header || strlen(header) != 28)
        return false;
    char sig[29];
    twilio_signature_compute(token, url, pairs, sig);
    bool ok = same(sig, header);
    size_t cap = strlen(url) + 16;
    char *alt = malloc(cap);
    if (alt && port_variant(url, alt, cap)) {
        twilio_signature_compute(token, alt, pairs, sig);
        ok |= same(sig, header);
    }
    free(alt);
    return ok;
}
