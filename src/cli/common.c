/*
 * common.c - helpers every subcommand shares: configuration flags and opening the store.
 *
 * Layer: cli.
 */
#include "cli/cli.h"

#include "core/config.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>

const char *const SWITCHBOARD_VERSION = "0.1.0";

int cli_config(int argc, char **argv, char ***rest, int *n_rest)
{
    cfg_init();
    *rest = calloc((size_t)argc + 1, sizeof **rest);
    *n_rest = 0;
    if (!*rest)
        return EXIT_RUNTIME;
    struct err e;
    err_clear(&e);
    for (int i = 1; i < argc;) {
        int rc = cfg_apply_flag(argc, argv, &i, &e);
        if (rc < 0) {
            fprintf(stderr, "switchboard: %s\n", e.msg);
            return EXIT_USAGE;
        }
        if (rc == 0)
            (*rest)[(*n_rest)++] = argv[i++];
    }
    if (cfg_validate(&e) < 0) {
        fprintf(stderr, "switchboard: invalid configuration: %s\n", e.msg);
        return EXIT_USAGE;
    }
    int lvl = log_level_parse(cfg.log_level);
    log_min_level = lvl < 0 ? LOG_INFO : (enum log_level)lvl;
    return 0;
}

struct store *cli_open_store(bool migrate)
{
    struct err e;
    err_clear(&e);
    struct store *s = store_open(cfg.db, &e);
    if (!s) {
        fprintf(stderr, "switchboard: %s\n", e.msg);
        return NULL;
    }
    if (migrate) {
        int from, to;
        if (store_migrate(s, &from, &to, &e) < 0) {
            fprintf(stderr, "switchboard: %s\n", e.msg);
            store_close(s);
            return NULL;
        }
    }
    return s;
}

static void bulk_step(void *ctx, const char *what, int i, int n, bool joins_ready)
{
    (void)ctx, (void)joins_ready;
    log_info("store", "rebuilding %s (%d/%d)", what, i, n);
}

int cli_finish_bulk(struct store *s)
{
    struct err e;
    err_clear(&e);
    int pending = 0;
    if (store_bulk_pending(s, &pending, &e) == 0 && pending == 0)
        return 0;
    if (e.code == 0) {
        log_warn("store", "an interrupted bulk load left %d indexes set aside; rebuilding them "
                          "first", pending);
        if (store_bulk_finish(s, bulk_step, NULL, &e) == 0) {
            log_info("store", "indexes rebuilt");
            return 0;
        }
    }
    fprintf(stderr, "switchboard: cannot rebuild the indexes of an interrupted bulk load: %s\n",
            e.msg);
    return EXIT_RUNTIME;
}
