/*
 * err.c - filling struct err and naming error codes. Layer: core; pure, thread-safe.
 */
#include "core/err.h"

#include <stdio.h>

int err_set(struct err *e, int code, const char *field, const char *fmt, ...)
{
    if (!e)
        return code;
    e->code = code;
    e->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

void err_clear(struct err *e)
{
    if (!e)
        return;
    e->code = ERR_OK;
    e->field = NULL;
    e->msg[0] = '\0';
}

const char *err_name(int code)
{
    switch (code) {
    case ERR_OK: return "ok";
    case ERR_NOMEM: return "nomem";
    case ERR_INVALID: return "invalid";
    case ERR_NOTFOUND: return "notfound";
    case ERR_CONFLICT: return "conflict";
    case ERR_IO: return "io";
    case ERR_TIMEOUT: return "timeout";
    case ERR_BACKEND: return "backend";
    case ERR_AGAIN: return "again";
    case ERR_TOOBIG: return "toobig";
    case ERR_UNAVAILABLE: return "unavailable";
    }
    return "unknown";
}
