/*
 * log.c - leveled logging (see log.h). Layer: core.
 */
#include "core/log.h"
#include "core/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum log_level log_min_level = LOG_INFO;

static _Thread_local const char *current_request;

static const char *const NAMES[] = {"debug", "info", "warn", "error", "off"};

int log_level_parse(const char *s)
{
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, NAMES[i]) == 0)
            return i;
    return -1;
}

void log_set_request(const char *request_id)
{
    current_request = request_id;
}

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
{
    char line[2048];
    char ts[TIME_RFC3339_LEN + 1];
    time_format(time_now_us(), ts);
    int n;
    if (current_request)
        n = snprintf(line, sizeof line, "%s %-5s %s [%s] ", ts, NAMES[lvl], module,
                     current_request);
    else
        n = snprintf(line, sizeof line, "%s %-5s %s ", ts, NAMES[lvl], module);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
