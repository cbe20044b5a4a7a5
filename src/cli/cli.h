/*
 * cli.h - the subcommands of the `switchboard` binary and their shared helpers.
 *
 * Layer: cli (the top: may call everything below, and may exit). main.c holds the table of
 * commands; each lives in cli/cmd_<name>.c. Exit status: 0 success, 1 runtime failure, 2 usage
 * error (api.md §12).
 */
#ifndef SB_CLI_H
#define SB_CLI_H

#include "store/store.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_legacy_migrate(int argc, char **argv);
int cmd_legacy_verify(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);

/* Applies the configuration flags in argv (all of them; other arguments are left for the
 * command), validates the configuration, and returns 0 or prints the problem and returns
 * EXIT_USAGE. `rest` receives the non-configuration arguments (argv[0] excluded). */
int cli_config(int argc, char **argv, char ***rest, int *n_rest);

/* Opens the configured database, printing a clear message on failure (NULL). With migrate,
 * applies pending migrations first. */
struct store *cli_open_store(bool migrate);

/* Finishes a bulk load that was interrupted with indexes set aside (store_bulk_finish), logging
 * each step; 0, or prints the problem and returns EXIT_RUNTIME. */
int cli_finish_bulk(struct store *s);

/* The version string. */
extern const char *const SWITCHBOARD_VERSION;

#endif
