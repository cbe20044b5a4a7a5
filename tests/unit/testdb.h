/*
 * testdb.h - a fresh, migrated SQLite database per test case, removed afterwards (also when a
 * case fails half-way). Include after testlib.h; G.s is the store, G.a a scratch arena.
 */
#ifndef SB_TESTDB_H
#define SB_TESTDB_H

#include "core/arena.h"
#include "core/log.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct {
    struct store *s;
    struct arena *a;
    char path[64];
    bool registered;
} G;

static void db_close(void)
{
    if (G.s)
        store_close(G.s);
    G.s = NULL;
    arena_free(G.a);
    G.a = NULL;
    if (G.path[0]) {
        static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
            char p[80];
            snprintf(p, sizeof p, "%s%s", G.path, sfx[i]);
            unlink(p);
        }
        G.path[0] = '\0';
    }
}

/* Opens a new migrated database in G; false (with the reason on stderr) on failure. */
static bool db_open(void)
{
    db_close();
    if (!G.registered) {
        atexit(db_close);
        G.registered = true;
        log_min_level = LOG_WARN; /* no "applied migration" line per case */
    }
    snprintf(G.path, sizeof G.path, "/tmp/sb_unit_db_XXXXXX");
    int fd = mkstemp(G.path);
    if (fd < 0) {
        G.path[0] = '\0';
        return false;
    }
    close(fd);
    struct err e = {0};
    G.s = store_open(G.path, &e);
    G.a = arena_new(0, 0);
    int from, to;
    if (!G.s || !G.a || store_migrate(G.s, &from, &to, &e) < 0) {
        fprintf(stderr, "  cannot open a test database: %s\n", e.msg);
        return false;
    }
    return true;
}

#endif
