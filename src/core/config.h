/*
 * config.h - the one configuration table: every setting's name, environment variable, flag,
 * type, default, bounds and help text.
 *
 * Layer: core. Precedence: command-line flag, then environment variable, then default. The table
 * also produces `switchboard serve --help` and docs/config.md (`switchboard help config`), and a
 * test fails when the committed docs drift from the table. cfg_validate() checks everything at
 * start-up and reports the first problem in one clear sentence. The global `cfg` is written only
 * while the program starts (single thread) and is read-only afterwards.
 */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include "core/err.h"

#include <stdbool.h>
#include <stdio.h>

struct config {
    const char *db;
    const char *listen;
    const char *public_url;
    long threads;
    const char *log_level;
    bool access_log;
    const char *twilio_account_sid, *twilio_auth_token, *twilio_from, *twilio_api_base;
    const char *sendgrid_api_key, *sendgrid_api_base, *email_from;
    const char *sendgrid_inbound_user, *sendgrid_inbound_password;
    const char *sendgrid_event_public_key;
    long idle_minutes;
    const char *tz;
    const char *legacy_write, *legacy_db;
    bool insecure_dev;
    long max_json_body, max_sms_body, max_email_body;
    long grace_seconds, read_timeout, idle_timeout, max_connections;
};

extern struct config cfg;

/* Fills cfg with defaults, then the environment. Call once at start-up. */
void cfg_init(void);

/* If argv[*i] is a configuration flag (`--name value` or `--name=value`), applies it, advances
 * *i past its value and returns 1; returns 0 when it is not a configuration flag, or
 * ERR_INVALID (message in e) when its value is missing or malformed. */
int cfg_apply_flag(int argc, char **argv, int *i, struct err *e);

/* Checks bounds and formats of the whole configuration; 0 or ERR_INVALID with a message. */
int cfg_validate(struct err *e);

/* Writes the options as `--help` text / as the Markdown of docs/config.md. */
void cfg_print_help(FILE *f);
void cfg_print_markdown(FILE *f);

/* The listen host and port split from cfg.listen (valid after cfg_validate). */
void cfg_listen_addr(char *host, size_t hostlen, int *port);

#endif
