/*
 * cmd_serve.c - `switchboard serve`: the HTTP server until SIGTERM/SIGINT.
 *
 * Layer: cli. Start-up order: configuration (one clear message on a bad value), database
 * (refuses to serve an unmigrated schema), routes, HTTP. SIGTERM/SIGINT are blocked in every
 * thread and taken by sigwait() here, so shutdown runs in one known place: stop accepting,
 * finish requests in flight for up to the grace period, close the database, exit 0.
 */
#include "cli/cli.h"

#include "api/api.h"
#include "channels/provider.h"
#include "core/config.h"
#include "core/log.h"
#include "domain/domain.h"
#include "legacy/legacy.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void api_error_hook(struct http_resp *resp, int status, const char *code,
                           const char *detail)
{
    api_server_error(resp, status, code, detail);
}

int cmd_serve(int argc, char **argv)
{
    char **rest;
    int n;
    int rc = cli_config(argc, argv, &rest, &n);
    if (rc) {
        free(rest);
        return rc;
    }
    if (n > 0 && (strcmp(rest[0], "--help") == 0 || strcmp(rest[0], "-h") == 0)) {
        free(rest);
        printf("usage: switchboard serve [options]\n\n");
        cfg_print_help(stdout);
        return 0;
    }
    if (n > 0) {
        fprintf(stderr, "switchboard serve: unknown argument '%s' (see switchboard help config)\n",
                rest[0]);
        free(rest);
        return EXIT_USAGE;
    }
    free(rest);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct store *s = cli_open_store(false);
    if (!s)
        return EXIT_RUNTIME;
    struct err e;
    err_clear(&e);
    int cur = 0, latest = 0;
    if (store_schema_version(s, &cur, &latest, &e) < 0 || cur < latest) {
        fprintf(stderr, "switchboard serve: %s\n",
                e.code ? e.msg : "the database schema is not up to date: run `switchboard migrate`");
        store_close(s);
        return EXIT_RUNTIME;
    }
    if (cli_finish_bulk(s) != 0) {
        store_close(s);
        return EXIT_RUNTIME;
    }

    char host[128];
    int port;
    cfg_listen_addr(host, sizeof host, &port);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cfg.threads ? (unsigned)cfg.threads : (unsigned)(cores > 0 ? cores : 1) * 2;
    if (!cfg.threads && threads < 4)
        threads = 4;

    provider_init((int)(threads / 2 > 0 ? threads / 2 : 1));
    if (dom_group_commit_start(s) < 0) {
        fprintf(stderr, "switchboard serve: cannot start the database writer\n");
        store_close(s);
        return EXIT_RUNTIME;
    }
    if (strcmp(cfg.legacy_write, "dual") == 0 &&
        legacy_dual_start(s, cfg.db, cfg.legacy_db, &e) < 0) {
        fprintf(stderr, "switchboard serve: dual write: %s\n", e.msg);
        dom_group_commit_stop();
        store_close(s);
        return EXIT_RUNTIME;
    }
    struct app app = {.store = s, .public_url = cfg.public_url};
    api_register_routes();
    char public_url[300];
    struct http_server_opts o = {
        .host = host,
        .port = port,
        .threads = threads,
        .max_connections = (unsigned)cfg.max_connections,
        .idle_timeout = (unsigned)cfg.idle_timeout,
        .read_timeout = (unsigned)cfg.read_timeout,
        .max_json_body = (size_t)cfg.max_json_body,
        .access_log = cfg.access_log,
        .app = &app,
        .authorize = api_authorize,
        .after = api_after,
        .error = api_error_hook,
        .protected_prefix = "/api/admin/",
    };
    struct http_server *srv = http_server_start(&o);
    if (!srv) {
        store_close(s);
        return EXIT_RUNTIME;
    }
    if (!app.public_url || !*app.public_url) {
        snprintf(public_url, sizeof public_url, "http://%s:%d", host, http_server_port(srv));
        app.public_url = public_url;
    } else {
        snprintf(public_url, sizeof public_url, "%s", cfg.public_url);
        size_t len = strlen(public_url);
        while (len && public_url[len - 1] == '/')
            public_url[--len] = '\0';
        app.public_url = public_url;
    }
    log_info("serve", "switchboard %s listening on http://%s:%d (%u threads, %s database '%s')",
             SWITCHBOARD_VERSION, host, http_server_port(srv), threads, store_backend(s), cfg.db);

    int sig = 0;
    sigwait(&set, &sig);
    log_info("serve", "received %s: finishing requests in flight (up to %lds)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.grace_seconds);
    http_server_stop(srv, (unsigned)cfg.grace_seconds);
    legacy_dual_stop();
    dom_group_commit_stop();
    store_close(s);
    provider_cleanup();
    log_info("serve", "stopped");
    return 0;
}
