/*
 * cmd_legacy.c - `switchboard legacy-migrate` and `switchboard legacy-verify`.
 *
 * Layer: cli. Parses the flags of legacy.md, opens (and migrates) the target store, and hands
 * over to src/legacy. Exit status: 0 success, 1 runtime failure or mismatch, 2 usage error or a
 * missing/non-legacy source.
 */
#include "cli/cli.h"

#include "core/config.h"
#include "legacy/legacy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(const char *cmd)
{
    fprintf(stderr,
            "usage: switchboard %s --from sqlite:PATH|postgres://... [--db TARGET]%s\n", cmd,
            strcmp(cmd, "legacy-migrate") == 0
                ? "\n           [--dry-run] [--limit N] [--session-ids a,b,...] [--batch N] [--json]"
                  "\n           [--keep-indexes]"
                : "");
    return EXIT_USAGE;
}

static bool parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Splits "a,b,c" in place into a NULL-free array (heap, caller frees the array). */
static const char **split_ids(char *list, int *n)
{
    int cap = 1;
    for (char *p = list; *p; p++)
        cap += *p == ',';
    const char **ids = calloc((size_t)cap, sizeof *ids);
    *n = 0;
    if (!ids)
        return NULL;
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        if (*tok)
            ids[(*n)++] = tok;
    }
    return ids;
}

static int run(int argc, char **argv, bool migrate)
{
    const char *cmd = migrate ? "legacy-migrate" : "legacy-verify";
    char **rest;
    int n;
    int rc = cli_config(argc, argv, &rest, &n);
    if (rc) {
        free(rest);
        return rc;
    }
    struct legacy_opts o = {.batch = 1000, .out = stdout, .log = stderr};
    const char **ids = NULL;
    char *ids_text = NULL;
    for (int i = 0; i < n; i++) {
        const char *a = rest[i];
        const char *v = i + 1 < n ? rest[i + 1] : NULL;
        int64_t num;
        if (strcmp(a, "--from") == 0 && v) {
            o.from = v;
            i++;
        } else if (strncmp(a, "--from=", 7) == 0) {
            o.from = a + 7;
        } else if (migrate && strcmp(a, "--dry-run") == 0) {
            o.dry_run = true;
        } else if (migrate && strcmp(a, "--keep-indexes") == 0) {
            o.keep_indexes = true;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (migrate && strcmp(a, "--limit") == 0 && v && parse_i64(v, 1, INT64_MAX, &num)) {
            o.limit = num;
            i++;
        } else if (migrate && strcmp(a, "--batch") == 0 && v && parse_i64(v, 1, 100000, &num)) {
            o.batch = (int)num;
            i++;
        } else if (migrate && strcmp(a, "--session-ids") == 0 && v) {
            free(ids_text);
            ids_text = strdup(v);
            i++;
        } else {
            fprintf(stderr, "switchboard %s: unknown or malformed argument '%s'\n", cmd, a);
            free(rest);
            free(ids_text);
            return usage(cmd);
        }
    }
    free(rest);
    if (!o.from) {
        free(ids_text);
        return usage(cmd);
    }
    if (ids_text) {
        int k = 0;
        ids = split_ids(ids_text, &k);
        if (!ids || k == 0 || k > 10000) {
            fprintf(stderr, "switchboard %s: --session-ids needs 1 to 10000 ids\n", cmd);
            free(ids);
            free(ids_text);
            return EXIT_USAGE;
        }
        o.session_ids = ids;
        o.n_session_ids = k;
    }
    o.progress = isatty(STDERR_FILENO) && !o.json;
    /* a missing or non-legacy source is refused before the target is opened (or created) */
    struct err se;
    err_clear(&se);
    struct legacy_src *probe = legacy_src_open(o.from, &se);
    if (!probe) {
        fprintf(stderr, "switchboard %s: %s\n", cmd, se.msg);
        free(ids);
        free(ids_text);
        return EXIT_USAGE;
    }
    legacy_src_close(probe);
    /* the schema is brought up to date even for a dry run, which then writes no data */
    struct store *s = cli_open_store(migrate);
    if (s && !migrate) {
        int cur = 0, latest = 0;
        struct err e;
        err_clear(&e);
        if (store_schema_version(s, &cur, &latest, &e) < 0 || cur < latest) {
            fprintf(stderr, "switchboard %s: the target database is not migrated (run "
                            "`switchboard migrate`)\n", cmd);
            store_close(s);
            s = NULL;
        } else if (cli_finish_bulk(s) != 0) { /* the comparison reads through the indexes */
            store_close(s);
            s = NULL;
        }
    }
    if (!s) {
        free(ids);
        free(ids_text);
        return EXIT_RUNTIME;
    }
    rc = migrate ? legacy_migrate(s, &o) : legacy_verify(s, &o);
    store_close(s);
    free(ids);
    free(ids_text);
    return rc;
}

int cmd_legacy_migrate(int argc, char **argv)
{
    return run(argc, argv, true);
}

int cmd_legacy_verify(int argc, char **argv)
{
    return run(argc, argv, false);
}
