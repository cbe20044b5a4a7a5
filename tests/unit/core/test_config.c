/*
 * test_config.c - unit tests for src/core/config.c, the configuration table and its loaders.
 *
 * Covers: the defaults; environment variables overriding them (empty ones ignored); flags beating
 * the environment; `--name=value` and `--name value` forms and how far they advance argv; a bool
 * flag without a value; non-configuration arguments left alone; a bad integer or boolean flag and
 * a missing value reported as ERR_INVALID naming the setting; a bad environment value reported by
 * cfg_validate; cfg_validate's checks of SWITCHBOARD_LISTEN, the public URL, enumerated settings
 * and legacy-write=dual without legacy-db; cfg_listen_addr; and that the --help text and the
 * Markdown of docs/config.md name every flag and environment variable of the table. Every test
 * starts from a clean environment (all SWITCHBOARD_* variables of the table unset). The .c file
 * is included to reach the OPTIONS table (config.o is left out of this link).
 */
#include "../../../src/core/config.c"
#include "../testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Unsets every environment variable of the table and loads the defaults. */
static void fresh(void)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        unsetenv(OPTIONS[i].env);
    cfg_init();
}

/* Applies every configuration flag of argv (a NULL-terminated list); returns the first error or
 * the number of flags applied. *stopped gets the index of the first argument not consumed. */
static int apply(char **argv, int *stopped, struct err *e)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    int i = 0, applied = 0;
    while (i < argc) {
        int rc = cfg_apply_flag(argc, argv, &i, e);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        applied++;
    }
    if (stopped)
        *stopped = i;
    return applied;
}

TEST(defaults)
{
    fresh();
    CHECK_STR(cfg.db, "./switchboard.db");
    CHECK_STR(cfg.listen, "127.0.0.1:8080");
    CHECK(cfg.public_url == NULL);
    CHECK_INT(cfg.threads, 0);
    CHECK_STR(cfg.log_level, "info");
    CHECK(cfg.access_log);
    CHECK(cfg.twilio_auth_token == NULL);
    CHECK_STR(cfg.twilio_api_base, "https://api.twilio.com");
    CHECK_STR(cfg.sendgrid_api_base, "https://api.sendgrid.com");
    CHECK_INT(cfg.idle_minutes, 45);
    CHECK_STR(cfg.tz, "UTC");
    CHECK_STR(cfg.legacy_write, "off");
    CHECK(cfg.legacy_db == NULL);
    CHECK(!cfg.insecure_dev);
    CHECK_INT(cfg.max_json_body, 1048576);
    CHECK_INT(cfg.max_sms_body, 65536);
    CHECK_INT(cfg.max_email_body, 36700160);
    CHECK_INT(cfg.grace_seconds, 10);
    CHECK_INT(cfg.read_timeout, 10);
    CHECK_INT(cfg.idle_timeout, 60);
    CHECK_INT(cfg.max_connections, 10000);
    struct err e = {0};
    CHECK_INT(cfg_validate(&e), 0);
}

/* Every default in the table is itself a valid value (what --help and the docs show). */
TEST(table_defaults_are_valid)
{
    fresh();
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &OPTIONS[i];
        CHECK(o->name && o->env && o->help && *o->help);
        CHECK(strncmp(o->env, "SWITCHBOARD_", 12) == 0);
        if (o->def) {
            struct err e = {0};
            if (set_value(o, o->def, &e) != 0)
                fprintf(stderr, "  default of %s: %s\n", o->name, e.msg);
            CHECK_INT(set_value(o, o->def, &e), 0);
        }
        if (o->type == OPT_INT)
            CHECK(o->min <= o->max);
        /* Names are unique. */
        for (size_t k = i + 1; k < N_OPTIONS; k++) {
            CHECK(strcmp(o->name, OPTIONS[k].name) != 0);
            CHECK(strcmp(o->env, OPTIONS[k].env) != 0);
        }
    }
}

TEST(env_overrides_defaults)
{
    fresh();
    setenv("SWITCHBOARD_DB", "/var/lib/sb/sb.db", 1);
    setenv("SWITCHBOARD_IDLE_MINUTES", "30", 1);
    setenv("SWITCHBOARD_ACCESS_LOG", "off", 1);
    setenv("SWITCHBOARD_INSECURE_DEV", "YES", 1);
    setenv("SWITCHBOARD_PUBLIC_URL", "https://sb.example.com", 1);
    setenv("SWITCHBOARD_TWILIO_AUTH_TOKEN", "secret-token", 1);
    setenv("SWITCHBOARD_LOG_LEVEL", "debug", 1);
    setenv("SWITCHBOARD_LISTEN", "", 1); /* empty: ignored, default kept */
    cfg_init();
    CHECK_STR(cfg.db, "/var/lib/sb/sb.db");
    CHECK_INT(cfg.idle_minutes, 30);
    CHECK(!cfg.access_log);
    CHECK(cfg.insecure_dev);
    CHECK_STR(cfg.public_url, "https://sb.example.com");
    CHECK_STR(cfg.twilio_auth_token, "secret-token");
    CHECK_STR(cfg.log_level, "debug");
    CHECK_STR(cfg.listen, "127.0.0.1:8080");
    struct err e = {0};
    CHECK_INT(cfg_validate(&e), 0);
    fresh();
}

TEST(bool_spellings)
{
    static const struct {
        const char *v;
        int want; /* 1 true, 0 false, -1 invalid */
    } v[] = {
        {"1", 1},     {"true", 1},  {"TRUE", 1}, {"yes", 1},  {"On", 1},  {"0", 0},
        {"false", 0}, {"False", 0}, {"no", 0},   {"OFF", 0},  {"2", -1},  {"y", -1},
        {"enable", -1}, {"true ", -1}, {"", -1},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        fresh();
        char flag[64];
        snprintf(flag, sizeof flag, "--insecure-dev=%s", v[i].v);
        char *argv[] = {flag, NULL};
        struct err e = {0};
        int rc = apply(argv, NULL, &e);
        if (v[i].want < 0) {
            CHECK_INT(rc, ERR_INVALID);
            CHECK_STR(e.field, "insecure-dev");
            CHECK(strstr(e.msg, "SWITCHBOARD_INSECURE_DEV") != NULL);
        } else {
            CHECK_INT(rc, 1);
            CHECK_INT(cfg.insecure_dev, v[i].want);
        }
    }
}

TEST(flags_beat_env)
{
    fresh();
    setenv("SWITCHBOARD_THREADS", "8", 1);
    setenv("SWITCHBOARD_DB", "/from/env.db", 1);
    setenv("SWITCHBOARD_ACCESS_LOG", "true", 1);
    cfg_init();
    CHECK_INT(cfg.threads, 8);
    char *argv[] = {"--threads", "4", "--db=/from/flag.db", "--access-log=false", NULL};
    struct err e = {0};
    CHECK_INT(apply(argv, NULL, &e), 3);
    CHECK_INT(cfg.threads, 4);
    CHECK_STR(cfg.db, "/from/flag.db");
    CHECK(!cfg.access_log);
    CHECK_INT(cfg_validate(&e), 0);
    CHECK_INT(cfg.threads, 4); /* validation does not reload the environment */
    fresh();
}

TEST(flag_forms_and_argv_advance)
{
    fresh();
    char *argv[] = {"--db",
                    "/a b/c.db",
                    "--threads=3",
                    "--insecure-dev",
                    "--access-log",
                    "no",
                    "--listen",
                    "0.0.0.0:9000",
                    "--public-url=https://x.example/p",
                    "positional",
                    "--tz=Europe/Paris",
                    NULL};
    int argc = (int)COUNT(argv) - 1;
    struct err e = {0};
    int i = 0;
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_INT(i, 2); /* --name value: two arguments */
    CHECK_STR(cfg.db, "/a b/c.db");
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_INT(i, 3); /* --name=value: one */
    CHECK_INT(cfg.threads, 3);
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_INT(i, 4); /* a bool followed by another flag takes no value */
    CHECK(cfg.insecure_dev);
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_INT(i, 6); /* a bool followed by a word takes it as its value */
    CHECK(!cfg.access_log);
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_INT(i, 8);
    CHECK_STR(cfg.listen, "0.0.0.0:9000");
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_INT(i, 9);
    CHECK_STR(cfg.public_url, "https://x.example/p");
    /* Not a flag: 0 and i unchanged. */
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 0);
    CHECK_INT(i, 9);
    i = 10;
    CHECK_INT(cfg_apply_flag(argc, argv, &i, &e), 1);
    CHECK_STR(cfg.tz, "Europe/Paris");
    CHECK_INT(i, 11);
    CHECK_INT(cfg_validate(&e), 0);
}

TEST(bool_flag_without_value)
{
    fresh();
    char *argv[] = {"--insecure-dev", NULL};
    int i = 0;
    struct err e = {0};
    CHECK(!cfg.insecure_dev);
    CHECK_INT(cfg_apply_flag(1, argv, &i, &e), 1);
    CHECK(cfg.insecure_dev);
    CHECK_INT(i, 1);

    fresh();
    cfg.access_log = false;
    char *argv2[] = {"--access-log", "--threads=2", NULL};
    i = 0;
    CHECK_INT(cfg_apply_flag(2, argv2, &i, &e), 1);
    CHECK(cfg.access_log);
    CHECK_INT(i, 1);
}

TEST(not_configuration_flags)
{
    fresh();
    static const char *const others[] = {"serve", "-h", "--help", "--nope", "--db-x=1",
                                         "--d",   "--", "-db",    "--DB=x", "--threads_=1"};
    for (size_t k = 0; k < COUNT(others); k++) {
        char *argv[] = {(char *)others[k], "value", NULL};
        int i = 0;
        struct err e = {0};
        CHECK_INT(cfg_apply_flag(2, argv, &i, &e), 0);
        CHECK_INT(i, 0);
    }
    CHECK_STR(cfg.db, "./switchboard.db");
}

TEST(bad_flag_values_name_the_setting)
{
    static const struct {
        const char *args[3];
        const char *field, *mention;
    } v[] = {
        {{"--threads=abc"}, "threads", "SWITCHBOARD_THREADS"},
        {{"--threads=4x"}, "threads", "SWITCHBOARD_THREADS"},
        {{"--threads="}, "threads", "SWITCHBOARD_THREADS"},
        {{"--threads=257"}, "threads", "0 to 256"},
        {{"--threads=-1"}, "threads", "SWITCHBOARD_THREADS"},
        {{"--threads", "many"}, "threads", "many"},
        {{"--idle-minutes=0"}, "idle-minutes", "SWITCHBOARD_IDLE_MINUTES"},
        {{"--idle-minutes=99999999999999999999"}, "idle-minutes", "SWITCHBOARD_IDLE_MINUTES"},
        {{"--max-json-body=1023"}, "max-json-body", "SWITCHBOARD_MAX_JSON_BODY"},
        {{"--access-log=maybe"}, "access-log", "SWITCHBOARD_ACCESS_LOG"},
        {{"--db"}, "db", "--db"},              /* missing value */
        {{"--threads"}, "threads", "--threads"}, /* missing value */
    };
    for (size_t k = 0; k < COUNT(v); k++) {
        fresh();
        int argc = v[k].args[1] ? 2 : 1;
        char *argv[3] = {(char *)v[k].args[0], (char *)v[k].args[1], NULL};
        int i = 0;
        struct err e = {0};
        int rc = cfg_apply_flag(argc, argv, &i, &e);
        if (rc != ERR_INVALID || !e.field || strcmp(e.field, v[k].field) != 0 ||
            !strstr(e.msg, v[k].mention))
            fprintf(stderr, "  %s: rc %d field %s msg \"%s\"\n", v[k].args[0], rc,
                    e.field ? e.field : "(null)", e.msg);
        CHECK_INT(rc, ERR_INVALID);
        CHECK_STR(e.field, v[k].field);
        CHECK(strstr(e.msg, v[k].mention) != NULL);
    }
    /* A rejected value leaves the setting as it was. */
    fresh();
    char *argv[] = {"--threads=abc", NULL};
    int i = 0;
    struct err e = {0};
    cfg_apply_flag(1, argv, &i, &e);
    CHECK_INT(cfg.threads, 0);
}

/* A bad environment value does not abort cfg_init; cfg_validate reports it by name. */
TEST(bad_env_reported_by_validate)
{
    static const struct {
        const char *env, *value, *field;
    } v[] = {
        {"SWITCHBOARD_IDLE_MINUTES", "soon", "idle-minutes"},
        {"SWITCHBOARD_THREADS", "1000", "threads"},
        {"SWITCHBOARD_MAX_CONNECTIONS", "0", "max-connections"},
        {"SWITCHBOARD_ACCESS_LOG", "sometimes", "access-log"},
        {"SWITCHBOARD_LOG_LEVEL", "loud", "log-level"},
        {"SWITCHBOARD_LEGACY_WRITE", "triple", "legacy-write"},
    };
    for (size_t k = 0; k < COUNT(v); k++) {
        fresh();
        setenv(v[k].env, v[k].value, 1);
        cfg_init();
        struct err e = {0};
        int rc = cfg_validate(&e);
        if (rc != ERR_INVALID || !e.field || strcmp(e.field, v[k].field) != 0)
            fprintf(stderr, "  %s=%s: rc %d field %s\n", v[k].env, v[k].value, rc,
                    e.field ? e.field : "(null)");
        CHECK_INT(rc, ERR_INVALID);
        CHECK_STR(e.field, v[k].field);
        CHECK(strstr(e.msg, v[k].env) != NULL);
        CHECK(strstr(e.msg, v[k].value) != NULL);
    }
    fresh();
}

TEST(validate_listen)
{
    static const struct {
        const char *listen;
        bool ok;
        const char *host;
        int port;
    } v[] = {
        {"127.0.0.1:8080", true, "127.0.0.1", 8080},
        {"0.0.0.0:0", true, "0.0.0.0", 0},
        {"localhost:65535", true, "localhost", 65535},
        {"[::1]:8080", false, NULL, 0}, /* the server listens on IPv4 only */
        {"nonsense:8080", false, NULL, 0},
        {"8080", false, NULL, 0},
        {":8080", false, NULL, 0},
        {"127.0.0.1:", false, NULL, 0},
        {"127.0.0.1:65536", false, NULL, 0},
        {"127.0.0.1:-1", false, NULL, 0},
        {"127.0.0.1:http", false, NULL, 0},
        {"127.0.0.1:80x", false, NULL, 0},
        {"127.0.0.1:99999999999999999999", false, NULL, 0},
        {"", false, NULL, 0},
    };
    for (size_t k = 0; k < COUNT(v); k++) {
        fresh();
        cfg.listen = v[k].listen;
        struct err e = {0};
        int rc = cfg_validate(&e);
        if ((rc == 0) != v[k].ok)
            fprintf(stderr, "  listen \"%s\": rc %d\n", v[k].listen, rc);
        CHECK((rc == 0) == v[k].ok);
        if (!v[k].ok) {
            CHECK_INT(rc, ERR_INVALID);
            CHECK_STR(e.field, "listen");
            CHECK(strstr(e.msg, "SWITCHBOARD_LISTEN") != NULL);
        } else {
            char host[64];
            int port = -1;
            cfg_listen_addr(host, sizeof host, &port);
            CHECK_STR(host, v[k].host);
            CHECK_INT(port, v[k].port);
        }
    }
}

TEST(validate_urls)
{
    static const struct {
        const char *url;
        bool ok;
    } v[] = {
        {"https://sb.example.com", true},
        {"http://localhost:8080", true},
        {"https://sb.example.com/base/path", true},
        {"", true}, /* empty = unset */
        {"ftp://sb.example.com", false},
        {"sb.example.com", false},
        {"//sb.example.com", false},
        {"https://", false},
        {"http://", false},
        {" https://sb.example.com", false},
    };
    for (size_t k = 0; k < COUNT(v); k++) {
        fresh();
        cfg.public_url = v[k].url;
        struct err e = {0};
        int rc = cfg_validate(&e);
        if ((rc == 0) != v[k].ok)
            fprintf(stderr, "  public url \"%s\": rc %d\n", v[k].url, rc);
        CHECK((rc == 0) == v[k].ok);
        if (!v[k].ok) {
            CHECK_STR(e.field, "public-url");
            CHECK(strstr(e.msg, "SWITCHBOARD_PUBLIC_URL") != NULL);
        }
    }
    /* The provider base URLs are checked the same way. */
    fresh();
    cfg.twilio_api_base = "api.twilio.com";
    struct err e = {0};
    CHECK_INT(cfg_validate(&e), ERR_INVALID);
    CHECK_STR(e.field, "twilio-api-base");
    fresh();
    cfg.sendgrid_api_base = "";
    CHECK_INT(cfg_validate(&e), ERR_INVALID);
    CHECK_STR(e.field, "sendgrid-api-base");
    fresh();
    cfg.db = "";
    CHECK_INT(cfg_validate(&e), ERR_INVALID);
    CHECK_STR(e.field, "db");
}

TEST(validate_legacy_dual_needs_db)
{
    fresh();
    char *argv[] = {"--legacy-write=dual", NULL};
    struct err e = {0};
    CHECK_INT(apply(argv, NULL, &e), 1);
    CHECK_INT(cfg_validate(&e), ERR_INVALID);
    CHECK_STR(e.field, "legacy-db");
    CHECK(strstr(e.msg, "SWITCHBOARD_LEGACY_DB") != NULL);

    char *argv2[] = {"--legacy-db", "sqlite:/srv/legacy.db", NULL};
    CHECK_INT(apply(argv2, NULL, &e), 1);
    CHECK_INT(cfg_validate(&e), 0);

    char *argv3[] = {"--legacy-db=", NULL}; /* empty is not a database */
    CHECK_INT(apply(argv3, NULL, &e), 1);
    CHECK_INT(cfg_validate(&e), ERR_INVALID);
    CHECK_STR(e.field, "legacy-db");

    char *argv4[] = {"--legacy-write=off", NULL};
    CHECK_INT(apply(argv4, NULL, &e), 1);
    CHECK_INT(cfg_validate(&e), 0);

    char *argv5[] = {"--legacy-write=DUAL", NULL}; /* choices are exact */
    CHECK_INT(apply(argv5, NULL, &e), 1);
    CHECK_INT(cfg_validate(&e), ERR_INVALID);
    CHECK_STR(e.field, "legacy-write");
}

/* Prints with f into a heap string (caller frees). */
static char *capture(void (*print)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    print(f);
    fclose(f);
    return text;
}

TEST(markdown_names_every_setting)
{
    fresh();
    char *md = capture(cfg_print_markdown);
    CHECK(md != NULL);
    int missing = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char env[80], flag[80];
        snprintf(env, sizeof env, "`%s`", OPTIONS[i].env);
        snprintf(flag, sizeof flag, "`--%s`", OPTIONS[i].name);
        if (!strstr(md, env) || !strstr(md, flag)) {
            fprintf(stderr, "  %s / %s missing from the Markdown\n", env, flag);
            missing++;
        }
    }
    /* One table row per setting. */
    int rows = 0;
    for (const char *p = md; (p = strstr(p, "\n| `--")) != NULL; p++)
        rows++;
    bool header = strstr(md, "# Configuration") == md &&
                  strstr(md, "| flag | environment | type | default | meaning |") != NULL;
    free(md);
    CHECK_INT(missing, 0);
    CHECK_INT(rows, N_OPTIONS);
    CHECK(header);
}

TEST(help_names_every_setting)
{
    fresh();
    char *help = capture(cfg_print_help);
    CHECK(help != NULL);
    int missing = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char flag[80];
        snprintf(flag, sizeof flag, "--%s ", OPTIONS[i].name);
        if (!strstr(help, OPTIONS[i].env) || !strstr(help, flag)) {
            fprintf(stderr, "  %s missing from --help\n", OPTIONS[i].env);
            missing++;
        }
    }
    /* Secrets have no default to show. */
    bool token_unset = strstr(help, "[default: unset]") != NULL;
    free(help);
    CHECK_INT(missing, 0);
    CHECK(token_unset);
}

TEST_MAIN(T(defaults), T(table_defaults_are_valid), T(env_overrides_defaults), T(bool_spellings),
          T(flags_beat_env), T(flag_forms_and_argv_advance), T(bool_flag_without_value),
          T(not_configuration_flags), T(bad_flag_values_name_the_setting),
          T(bad_env_reported_by_validate), T(validate_listen), T(validate_urls),
          T(validate_legacy_dual_needs_db), T(markdown_names_every_setting),
          T(help_names_every_setting))
