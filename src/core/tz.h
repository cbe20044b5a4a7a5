/*
 * tz.h - IANA time zones: validating names, local calendar fields, local midnights.
 *
 * Layer: core. Built on the C library's zone database (tzdata), which takes the zone from the
 * TZ environment variable. tz_enter() takes one process-wide lock and sets TZ; the conversion
 * calls below are valid only between tz_enter() and tz_exit(), which restores TZ and releases
 * the lock. Nothing else in the program uses local time, so this is thread-safe; callers enter
 * once per computation (not per row), because changing TZ reloads the zone file.
 */
#ifndef SB_TZ_H
#define SB_TZ_H

#include <stdbool.h>
#include <stdint.h>

/* True when name is "UTC" or a zone present in the system's zone database. */
bool tz_valid(const char *name);

struct tz_cal {
    int y, m, d;
    int wday; /* 0 = Sunday */
    int hour;
};

void tz_enter(const char *zone);
void tz_exit(void);

/* Local calendar fields of instant t (microseconds). */
void tz_civil(int64_t t, struct tz_cal *out);

/* The instant of local (y, m, d, hour:00); day overflow is normalised (d = 32 is next month). */
int64_t tz_to_utc(int y, int m, int d, int hour);

#endif
