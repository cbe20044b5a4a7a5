/*
 * tz.c - local time in IANA zones (see tz.h). Layer: core.
 */
#include "core/tz.h"

#include "core/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *saved_tz;
static bool had_tz;

bool tz_valid(const char *name)
{
    if (!name || !*name || strlen(name) > 64 || strstr(name, "..") || name[0] == '/')
        return false;
    if (strcmp(name, "UTC") == 0)
        return true;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void tz_enter(const char *zone)
{
    pthread_mutex_lock(&lock);
    const char *old = getenv("TZ");
    had_tz = old != NULL;
    saved_tz = old ? strdup(old) : NULL;
    setenv("TZ", zone, 1);
    tzset();
}

void tz_exit(void)
{
    if (had_tz && saved_tz)
        setenv("TZ", saved_tz, 1);
    else
        unsetenv("TZ");
    free(saved_tz);
    saved_tz = NULL;
    tzset();
    pthread_mutex_unlock(&lock);
}

void tz_civil(int64_t t, struct tz_cal *out)
{
    int64_t s = t >= 0 ? t / TIME_US_PER_SEC : -((-t + TIME_US_PER_SEC - 1) / TIME_US_PER_SEC);
    time_t secs = (time_t)s;
    struct tm tm;
    localtime_r(&secs, &tm);
    out->y = tm.tm_year + 1900;
    out->m = tm.tm_mon + 1;
    out->d = tm.tm_mday;
    out->wday = tm.tm_wday;
    out->hour = tm.tm_hour;
}

int64_t tz_to_utc(int y, int m, int d, int hour)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = hour;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * TIME_US_PER_SEC;
}
