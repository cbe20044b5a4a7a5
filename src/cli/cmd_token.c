/*
 * cmd_token.c - `switchboard token create --role admin|staff|viewer --name NAME`.
 *
 * Layer: cli. Prints the new token alone on stdout (details on stderr), so
 * TOKEN=$(switchboard token create ...) works. Only the token's SHA-256 is stored.
 */
#include "cli/cli.h"

#include "core/config.h"
#include "domain/domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: switchboard token create --role admin|staff|viewer --name NAME "
                    "[--db URL]\n");
    return EXIT_USAGE;
}

int cmd_token(int argc, char **argv)
{
    char **rest;
    int n;
    int rc = cli_config(argc, argv, &rest, &n);
    if (rc) {
        free(rest);
        return rc;
    }
    const char *role = NULL, *name = NULL;
    bool create = false;
    for (int i = 0; i < n; i++) {
        if (strcmp(rest[i], "create") == 0)
            create = true;
        else if (strcmp(rest[i], "--role") == 0 && i + 1 < n)
            role = rest[++i];
        else if (strncmp(rest[i], "--role=", 7) == 0)
            role = rest[i] + 7;
        else if (strcmp(rest[i], "--name") == 0 && i + 1 < n)
            name = rest[++i];
        else if (strncmp(rest[i], "--name=", 7) == 0)
            name = rest[i] + 7;
        else {
            fprintf(stderr, "switchboard token: unknown argument '%s'\n", rest[i]);
            free(rest);
            return usage();
        }
    }
    free(rest);
    if (!create || !role)
        return usage();
    if (!dom_is_role(role)) {
        fprintf(stderr, "switchboard token: role must be admin, staff or viewer\n");
        return EXIT_USAGE;
    }
    if (!name)
        name = role;
    struct store *s = cli_open_store(true);
    if (!s)
        return EXIT_RUNTIME;
    char secret[64];
    struct err e;
    err_clear(&e);
    rc = dom_token_create(s, name, role, secret, &e);
    store_close(s);
    if (rc < 0) {
        fprintf(stderr, "switchboard token: %s\n", e.msg);
        return rc == ERR_INVALID ? EXIT_USAGE : EXIT_RUNTIME;
    }
    fprintf(stderr, "created %s token '%s' (shown once; only its hash is stored)\n", role, name);
    printf("%s\n", secret);
    return 0;
}
