/*
 * log.h - leveled, line-oriented logging to stderr.
 *
 * Layer: core; thread-safe (one write(2) per line). The macros test the level before any
 * formatting, so disabled debug lines cost one comparison. Each line carries the time, level and
 * module; lines written while a request is being served also carry its request id, set for the
 * current thread by the HTTP layer with log_set_request(). Never pass secrets to these functions.
 */
#ifndef SB_LOG_H
#define SB_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

extern enum log_level log_min_level;

/* Parses "debug|info|warn|error|off"; returns -1 when unknown. */
int log_level_parse(const char *s);

/* The request id of the current thread, or NULL (the string must outlive the request). */
void log_set_request(const char *request_id);

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_at(lvl, mod, ...)                                                                  \
    do {                                                                                       \
        if ((lvl) >= log_min_level)                                                            \
            log_write((lvl), (mod), __VA_ARGS__);                                              \
    } while (0)
#define log_debug(mod, ...) log_at(LOG_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...) log_at(LOG_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...) log_at(LOG_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_at(LOG_ERROR, mod, __VA_ARGS__)

#endif
