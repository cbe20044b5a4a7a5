/*
 * timeutil.h - time as int64 microseconds since the Unix epoch (UTC), and its text forms.
 *
 * Layer: core; pure and thread-safe. The store keeps every timestamp in this form, so sorting,
 * keyset cursors and arithmetic are integer operations; JSON shows RFC 3339 UTC with microseconds
 * and `Z` (2025-11-08T03:18:30.730807Z), written without locale or libc time formatting.
 */
#ifndef SB_TIMEUTIL_H
#define SB_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_US_PER_SEC INT64_C(1000000)
#define TIME_RFC3339_LEN 27 /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" */

/* Wall-clock now / a monotonic clock, in microseconds. */
int64_t time_now_us(void);
int64_t time_mono_us(void);

/* Writes the RFC 3339 form of t into out (at least TIME_RFC3339_LEN + 1 bytes); returns the
 * length (27). */
size_t time_format(int64_t t, char *out);

/* Parses RFC 3339 / ISO 8601: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.frac]]" with "Z", "+HH:MM" or
 * no zone (= UTC); a space may stand for "T". Returns false on anything else. */
bool time_parse(const char *s, int64_t *out);

/* Days since the epoch of a civil date and back (proleptic Gregorian). */
int64_t time_days_from_civil(int y, unsigned m, unsigned d);
void time_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

#endif
