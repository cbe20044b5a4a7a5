/*
 * ids.c - UUIDv7, randomness, hashing and base64url (see ids.h). Layer: core.
 */
#include "core/ids.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

static const char HEX[] = "0123456789abcdef";

/* The random part of ids, drawn from the CSPRNG a block at a time per thread: one RAND_bytes
 * call per id was a tenth of a legacy migration's mapping time. */
#define ID_RANDOM_BLOCK 640
static _Thread_local unsigned char id_random[ID_RANDOM_BLOCK];
static _Thread_local size_t id_random_used = ID_RANDOM_BLOCK;

static void id_random_take(unsigned char *p, size_t n)
{
    if (id_random_used + n > ID_RANDOM_BLOCK) {
        if (random_bytes(id_random, sizeof id_random) < 0) {
            random_bytes(p, n); /* (the CSPRNG failed: nothing better to try) */
            return;
        }
        id_random_used = 0;
    }
    memcpy(p, id_random + id_random_used, n);
    memset(id_random + id_random_used, 0, n); /* what was handed out is not kept */
    id_random_used += n;
}

void uuid_v7(int64_t t_us, char out[UUID_STR_LEN + 1])
{
    unsigned char u[16];
    uint64_t ms = (uint64_t)((t_us ? t_us : time_now_us()) / 1000);
    id_random_take(u + 6, 10);
    for (int i = 0; i < 6; i++)
        u[i] = (unsigned char)(ms >> (40 - 8 * i));
    u[6] = (unsigned char)(0x70 | (u[6] & 0x0F));
    u[8] = (unsigned char)(0x80 | (u[8] & 0x3F));
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = HEX[u[i] >> 4];
        *p++ = HEX[u[i] & 15];
    }
    *p = '\0';
}

bool uuid_is_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < UUID_STR_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!isxdigit((unsigned char)c)) {
            return false;
        }
    }
    return s[UUID_STR_LEN] == '\0';
}

void uuid_lower(const char *s, char out[UUID_STR_LEN + 1])
{
    for (int i = 0; i < UUID_STR_LEN; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[UUID_STR_LEN] = '\0';
}

int random_bytes(void *p, size_t n)
{
    return RAND_bytes(p, (int)n) == 1 ? 0 : ERR_BACKEND;
}

/* SHA-256 with the algorithm fetched once and a context per thread: OpenSSL 3's one-shot
 * SHA256() looks the algorithm up on every call, under a lock every thread shares (a tenth of
 * legacy-verify's time, and one lookup per authenticated request). */
static EVP_MD *sha256_md;
static pthread_key_t sha256_key;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_ctx_free(void *ctx) { EVP_MD_CTX_free(ctx); }

static void sha256_init(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (pthread_key_create(&sha256_key, sha256_ctx_free) != 0) {
        EVP_MD_free(sha256_md);
        sha256_md = NULL;
    }
}

void sha256(const void *p, size_t n, unsigned char out[32])
{
    pthread_once(&sha256_once, sha256_init);
    EVP_MD_CTX *ctx = sha256_md ? pthread_getspecific(sha256_key) : NULL;
    if (sha256_md && !ctx && (ctx = EVP_MD_CTX_new()) != NULL &&
        pthread_setspecific(sha256_key, ctx) != 0) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, p, n) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
        SHA256(p, n, out); /* (out of memory: the slow way) */
}

int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    sha256(p, n, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    out[64] = '\0';
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64url_encode(const void *p, size_t n, char *out)
{
    const unsigned char *s = p;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[(v >> 12) & 63];
        out[o++] = B64URL[(v >> 6) & 63];
        out[o++] = B64URL[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[(v >> 12) & 63];
        out[o++] = B64URL[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

long base64url_decode(const char *s, size_t len, unsigned char *out)
{
    while (len && s[len - 1] == '=')
        len--;
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

bool ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
