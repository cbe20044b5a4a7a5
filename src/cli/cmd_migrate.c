/*
 * cmd_migrate.c - `switchboard migrate [up|status]`: apply or report schema migrations.
 *
 * Layer: cli. Migrations are forward-only; running `migrate` again is a no-op.
 */
#include "cli/cli.h"

#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_migrate(int argc, char **argv)
{
    char **rest;
    int n;
    int rc = cli_config(argc, argv, &rest, &n);
    if (rc) {
        free(rest);
        return rc;
    }
    const char *what = n > 0 ? rest[0] : "up";
    free(rest);
    if (strcmp(what, "up") != 0 && strcmp(what, "status") != 0) {
        fprintf(stderr, "usage: switchboard migrate [up|status] [--db URL]\n");
        return EXIT_USAGE;
    }
    struct store *s = cli_open_store(false);
    if (!s)
        return EXIT_RUNTIME;
    struct err e;
    err_clear(&e);
    int from = 0, to = 0, latest = 0;
    if (strcmp(what, "status") == 0) {
        rc = store_schema_version(s, &from, &latest, &e);
        if (rc == 0)
            printf("schema version %d of %d (%s)%s\n", from, latest, store_backend(s),
                   from < latest ? ": run `switchboard migrate` to upgrade" : ", up to date");
        int pending = 0;
        if (rc == 0 && store_bulk_pending(s, &pending, &e) == 0 && pending)
            printf("an interrupted bulk load left %d indexes set aside: run `switchboard migrate` "
                   "to rebuild them\n", pending);
    } else {
        rc = store_migrate(s, &from, &to, &e);
        if (rc == 0 && from == to)
            printf("schema already at version %d (%s)\n", to, store_backend(s));
        else if (rc == 0)
            printf("schema migrated from version %d to %d (%s)\n", from, to, store_backend(s));
        if (rc == 0 && cli_finish_bulk(s) != 0)
            rc = ERR_BACKEND;
    }
    if (rc < 0 && e.code)
        fprintf(stderr, "switchboard: migrate: %s\n", e.msg);
    store_close(s);
    return rc < 0 ? EXIT_RUNTIME : 0;
}
