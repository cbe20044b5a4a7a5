/*
 * err.h - the project's short, fixed list of error codes and the error detail carrier.
 *
 * Layer: core. Every action returns 0 or a negative ERR_* code; the human detail goes into a
 * caller-supplied struct err (message text owned by the struct, fixed size, so filling it never
 * allocates). Backends translate driver errors to these codes at their edge and keep the original
 * text in the message. The API layer maps codes to HTTP statuses in one place (api/reply.c).
 */
#ifndef SB_ERR_H
#define SB_ERR_H

#include <stdarg.h>

enum {
    ERR_OK = 0,
    ERR_NOMEM = -1,    /* allocation failed or a bounded buffer is full */
    ERR_INVALID = -2,  /* bad input; err.field names it when known */
    ERR_NOTFOUND = -3, /* the addressed object does not exist */
    ERR_CONFLICT = -4, /* a uniqueness rule or a state rule refused the change */
    ERR_IO = -5,       /* file or socket failure */
    ERR_TIMEOUT = -6,  /* a deadline passed */
    ERR_BACKEND = -7,  /* the database (or a provider) failed */
    ERR_AGAIN = -8,    /* transient: busy database, retry */
    ERR_TOOBIG = -9,   /* a size bound was exceeded */
    ERR_UNAVAILABLE = -10, /* the service is not configured or is stopping */
};

/* Detail of the last failure. `field` names the offending input (static string or NULL). */
struct err {
    int code;
    const char *field;
    char msg[256];
};

/* Sets code, field and a printf-style message; returns code so callers can `return err_set(...)`. */
int err_set(struct err *e, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Clears e to ERR_OK with an empty message. e may be NULL. */
void err_clear(struct err *e);

/* A short, stable name for a code ("invalid", "notfound", ...), for logs. */
const char *err_name(int code);

#endif
