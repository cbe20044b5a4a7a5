/*
 * tx.c - running a unit of work in one write transaction, retried while the database is busy.
 *
 * Layer: domain. SQLite answers SQLITE_BUSY (ERR_AGAIN) when another connection holds the write
 * lock past the busy timeout; PostgreSQL reports serialization failures the same way. The work
 * is rolled back and run again with a growing, jittered pause, so a valid request is answered
 * even under contention.
 */
#include "domain/domain.h"

#include "core/ids.h"
#include "core/log.h"

#include <time.h>

#define MAX_ATTEMPTS 20

int dom_tx(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
           struct err *e)
{
    int rc = 0;
    long pause_us = 2000;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        rc = store_begin(s, true, e);
        if (rc == 0) {
            rc = fn(s, ctx, e);
            if (rc == 0)
                rc = store_commit(s, e);
            else
                store_rollback(s);
        }
        if (rc != ERR_AGAIN)
            return rc;
        unsigned char r = 0;
        random_bytes(&r, 1);
        long us = pause_us + (pause_us * r) / 512;
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        if (pause_us < 500000)
            pause_us *= 2;
        log_debug("domain", "database busy, retrying (attempt %d)", attempt + 2);
    }
    return rc;
}
