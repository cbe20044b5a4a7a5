/*
 * main.c - the `switchboard` binary: the table of subcommands and dispatch.
 *
 * Layer: top. Each command is a function in cli/cmd_<name>.c; this file only finds it. Only
 * main.c and cli/ may exit.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct command COMMANDS[] = {
    {"serve", cmd_serve, "serve the API and dashboard (configuration: switchboard help config)"},
    {"migrate", cmd_migrate, "apply schema migrations (`migrate status` shows the version)"},
    {"token", cmd_token, "`token create --role admin|staff|viewer --name NAME`: new API token"},
    {"legacy-migrate", cmd_legacy_migrate,
     "move a legacy voice database in: --from URL [--dry-run] [--limit N] [--session-ids a,b] "
     "[--batch N] [--json]"},
    {"legacy-verify", cmd_legacy_verify, "compare a legacy database with this one: --from URL"},
    {"demo", cmd_demo, "load deterministic demo data (`--conversations N`)"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "this list; `help config` prints the configuration reference"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: switchboard <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-15s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(f, "\nEvery command takes --db PATH|sqlite:PATH (or SWITCHBOARD_DB).\n");
}

int cmd_help(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "config") == 0) {
        extern void cfg_print_markdown(FILE *);
        cfg_print_markdown(stdout);
        return 0;
    }
    usage(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    if (strcmp(name, "--version") == 0)
        name = "version";
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return COMMANDS[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "switchboard: unknown command '%s'\n\n", name);
    usage(stderr);
    return EXIT_USAGE;
}
