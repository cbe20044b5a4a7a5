/*
 * tokens.c - API tokens: 32 random bytes shown once, only their SHA-256 stored.
 *
 * Layer: domain. The secret is "sb_" + base64url(32 bytes), so it is recognisable in logs and
 * secret scanners without revealing anything.
 */
#include "domain/domain.h"

#include <string.h>

int dom_token_create(struct store *s, const char *name, const char *role, char secret[64],
                     struct err *e)
{
    if (!dom_is_role(role))
        return err_set(e, ERR_INVALID, "role", "role must be admin, staff or viewer");
    if (!name || !*name || strlen(name) > 64)
        return err_set(e, ERR_INVALID, "name", "name must be 1 to 64 characters");
    unsigned char raw[32];
    if (random_bytes(raw, sizeof raw) < 0)
        return err_set(e, ERR_BACKEND, NULL, "no randomness available");
    memcpy(secret, "sb_", 3);
    base64url_encode(raw, sizeof raw, secret + 3);
    char hash[65];
    sha256_hex(secret, strlen(secret), hash);
    int64_t id;
    return store_token_insert(s, name, role, hash, &id, e);
}

int dom_token_check(struct store *s, const char *secret, char role[16], int64_t *id,
                    char name[64], struct err *e)
{
    size_t n = strlen(secret);
    if (n < 8 || n > 256)
        return err_set(e, ERR_NOTFOUND, NULL, "unknown token");
    char hash[65];
    sha256_hex(secret, n, hash);
    return store_token_lookup(s, hash, role, id, name, e);
}
