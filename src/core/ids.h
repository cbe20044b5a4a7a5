/*
 * ids.h - identifiers and secrets: UUIDv7, random tokens, SHA-256, base64url.
 *
 * Layer: core; thread-safe. UUIDv7 (RFC 9562) puts the millisecond time first so ids sort by
 * creation time, which keeps B-tree inserts at the right edge. Randomness comes from OpenSSL.
 */
#ifndef SB_IDS_H
#define SB_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UUID_STR_LEN 36

/* A new UUIDv7 for time t_us (0 = now), lower-case hyphenated, into out[37]. */
void uuid_v7(int64_t t_us, char out[UUID_STR_LEN + 1]);

/* True when s is a lower- or upper-case hyphenated UUID (8-4-4-4-12 hex). */
bool uuid_is_valid(const char *s);

/* Copies a valid UUID into out[37] in lower case. */
void uuid_lower(const char *s, char out[UUID_STR_LEN + 1]);

/* n cryptographically random bytes; 0 or ERR_BACKEND. */
int random_bytes(void *p, size_t n);

/* The value of one hexadecimal digit (either case), or -1. */
int hex_digit(int c);

/* SHA-256 of n bytes as 64 lower-case hex characters into out[65]. */
void sha256_hex(const void *p, size_t n, char out[65]);
void sha256(const void *p, size_t n, unsigned char out[32]);

/* base64url without padding of n bytes into out (4*ceil(n/3)+1 bytes); returns the length. */
size_t base64url_encode(const void *p, size_t n, char *out);

/* Decodes base64url (padding optional) into out (at least 3*len/4 bytes); returns the number
 * of bytes, or -1 on a character outside the alphabet. */
long base64url_decode(const char *s, size_t len, unsigned char *out);

/* Compares n bytes in time independent of their contents. */
bool ct_equal(const void *a, const void *b, size_t n);

#endif
