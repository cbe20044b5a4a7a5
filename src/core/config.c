/*
 * config.c - the configuration table and its loaders (see config.h). Layer: core.
 */
#include "core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct config cfg;

/* Which options a flag has set (so a bad environment value under them is not an error). */
static bool set_by_flag[64];

enum opt_type { OPT_STR, OPT_INT, OPT_BOOL, OPT_SECRET };

struct option_def {
    const char *name; /* flag without the leading dashes */
    const char *env;
    enum opt_type type;
    size_t offset;
    const char *def; /* default as text; NULL = unset */
    long min, max;   /* bounds for OPT_INT */
    const char *choices; /* "a|b|c" for enumerated strings, or NULL */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)

static const struct option_def OPTIONS[] = {
    {"db", "SWITCHBOARD_DB", OPT_STR, OFF(db), "./switchboard.db", 0, 0, NULL,
     "Database: a file path, `sqlite:PATH` or `postgres://...`."},
    {"listen", "SWITCHBOARD_LISTEN", OPT_STR, OFF(listen), "127.0.0.1:8080", 0, 0, NULL,
     "Address to serve on, `host:port` (port 0 picks a free port)."},
    {"public-url", "SWITCHBOARD_PUBLIC_URL", OPT_STR, OFF(public_url), NULL, 0, 0, NULL,
     "External base URL providers call; Twilio signatures are checked against it. Default "
     "`http://<listen>`."},
    {"threads", "SWITCHBOARD_THREADS", OPT_INT, OFF(threads), "0", 0, 256, NULL,
     "HTTP worker threads; 0 = one per CPU core."},
    {"log-level", "SWITCHBOARD_LOG_LEVEL", OPT_STR, OFF(log_level), "info", 0, 0,
     "debug|info|warn|error|off", "Lowest level of log lines written to stderr."},
    {"access-log", "SWITCHBOARD_ACCESS_LOG", OPT_BOOL, OFF(access_log), "true", 0, 0, NULL,
     "One line per request: method, route, status, microseconds."},
    {"twilio-account-sid", "SWITCHBOARD_TWILIO_ACCOUNT_SID", OPT_STR, OFF(twilio_account_sid),
     NULL, 0, 0, NULL, "Twilio account SID (AC...)."},
    {"twilio-auth-token", "SWITCHBOARD_TWILIO_AUTH_TOKEN", OPT_SECRET, OFF(twilio_auth_token),
     NULL, 0, 0, NULL, "Twilio auth token: signs webhooks and authenticates REST calls."},
    {"twilio-from", "SWITCHBOARD_TWILIO_FROM", OPT_STR, OFF(twilio_from), NULL, 0, 0, NULL,
     "Sending number for outbound SMS (E.164)."},
    {"twilio-api-base", "SWITCHBOARD_TWILIO_API_BASE", OPT_STR, OFF(twilio_api_base),
     "https://api.twilio.com", 0, 0, NULL, "Twilio REST base URL."},
    {"sendgrid-api-key", "SWITCHBOARD_SENDGRID_API_KEY", OPT_SECRET, OFF(sendgrid_api_key), NULL,
     0, 0, NULL, "SendGrid API key for sending e-mail."},
    {"sendgrid-api-base", "SWITCHBOARD_SENDGRID_API_BASE", OPT_STR, OFF(sendgrid_api_base),
     "https://api.sendgrid.com", 0, 0, NULL, "SendGrid REST base URL."},
    {"email-from", "SWITCHBOARD_EMAIL_FROM", OPT_STR, OFF(email_from), NULL, 0, 0, NULL,
     "Sender address of outbound e-mail."},
    {"sendgrid-inbound-user", "SWITCHBOARD_SENDGRID_INBOUND_USER", OPT_STR,
     OFF(sendgrid_inbound_user), NULL, 0, 0, NULL,
     "Basic-auth user expected on Inbound Parse posts."},
    {"sendgrid-inbound-password", "SWITCHBOARD_SENDGRID_INBOUND_PASSWORD", OPT_SECRET,
     OFF(sendgrid_inbound_password), NULL, 0, 0, NULL,
     "Basic-auth password expected on Inbound Parse posts."},
    {"sendgrid-event-public-key", "SWITCHBOARD_SENDGRID_EVENT_PUBLIC_KEY", OPT_STR,
     OFF(sendgrid_event_public_key), NULL, 0, 0, NULL,
     "Base64 DER P-256 public key that signs SendGrid event webhooks."},
    {"idle-minutes", "SWITCHBOARD_IDLE_MINUTES", OPT_INT, OFF(idle_minutes), "45", 1, 10080, NULL,
     "Idle window after which an SMS/e-mail thread is completed and a new one starts."},
    {"tz", "SWITCHBOARD_TZ", OPT_STR, OFF(tz), "UTC", 0, 0, NULL,
     "IANA time zone for analytics buckets."},
    {"legacy-write", "SWITCHBOARD_LEGACY_WRITE", OPT_STR, OFF(legacy_write), "off", 0, 0,
     "off|dual", "Also write finished calls to the legacy schema during a cutover."},
    {"legacy-db", "SWITCHBOARD_LEGACY_DB", OPT_STR, OFF(legacy_db), NULL, 0, 0, NULL,
     "Legacy database URL for dual write."},
    {"insecure-dev", "SWITCHBOARD_INSECURE_DEV", OPT_BOOL, OFF(insecure_dev), "false", 0, 0, NULL,
     "Development only: accept webhooks whose secret is not configured."},
    {"max-json-body", "SWITCHBOARD_MAX_JSON_BODY", OPT_INT, OFF(max_json_body), "1048576", 1024,
     67108864, NULL, "Largest JSON request body in bytes (413 above)."},
    {"max-sms-body", "SWITCHBOARD_MAX_SMS_BODY", OPT_INT, OFF(max_sms_body), "65536", 1024,
     16777216, NULL, "Largest Twilio webhook body in bytes."},
    {"max-email-body", "SWITCHBOARD_MAX_EMAIL_BODY", OPT_INT, OFF(max_email_body), "36700160",
     1024, 268435456, NULL, "Largest SendGrid Inbound Parse body in bytes."},
    {"grace-seconds", "SWITCHBOARD_GRACE_SECONDS", OPT_INT, OFF(grace_seconds), "10", 0, 600, NULL,
     "On SIGTERM/SIGINT, how long requests in flight may take to finish."},
    {"read-timeout", "SWITCHBOARD_READ_TIMEOUT", OPT_INT, OFF(read_timeout), "10", 1, 3600, NULL,
     "Seconds a client may take to send a request's headers and body."},
    {"idle-timeout", "SWITCHBOARD_IDLE_TIMEOUT", OPT_INT, OFF(idle_timeout), "60", 1, 86400, NULL,
     "Seconds an idle keep-alive connection stays open."},
    {"max-connections", "SWITCHBOARD_MAX_CONNECTIONS", OPT_INT, OFF(max_connections), "10000", 1,
     1000000, NULL, "Most simultaneous client connections."},
};

#define N_OPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])
_Static_assert(N_OPTIONS <= 64, "set_by_flag is too small");

static int set_value(const struct option_def *o, const char *v, struct err *e)
{
    char *field = (char *)&cfg + o->offset;
    switch (o->type) {
    case OPT_STR:
    case OPT_SECRET:
        *(const char **)field = v;
        return 0;
    case OPT_INT: {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < o->min || n > o->max)
            return err_set(e, ERR_INVALID, o->name, "%s must be an integer from %ld to %ld, got '%s'",
                           o->env, o->min, o->max, v);
        *(long *)field = n;
        return 0;
    }
    case OPT_BOOL:
        if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
            !strcasecmp(v, "on"))
            *(bool *)field = true;
        else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
                 !strcasecmp(v, "off"))
            *(bool *)field = false;
        else
            return err_set(e, ERR_INVALID, o->name, "%s must be true or false, got '%s'", o->env, v);
        return 0;
    }
    return 0;
}

void cfg_init(void)
{
    memset(&cfg, 0, sizeof cfg);
    memset(set_by_flag, 0, sizeof set_by_flag);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &OPTIONS[i];
        if (o->def)
            set_value(o, o->def, NULL);
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &OPTIONS[i];
        const char *v = getenv(o->env);
        if (v && *v)
            set_value(o, v, NULL); /* a bad value is reported by cfg_validate */
    }
}

int cfg_apply_flag(int argc, char **argv, int *i, struct err *e)
{
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0)
        return 0;
    a += 2;
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    for (size_t k = 0; k < N_OPTIONS; k++) {
        const struct option_def *o = &OPTIONS[k];
        if (strlen(o->name) != n || strncmp(o->name, a, n) != 0)
            continue;
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (o->type == OPT_BOOL && (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)) {
            v = "true";
        } else {
            if (*i + 1 >= argc)
                return err_set(e, ERR_INVALID, o->name, "--%s needs a value", o->name);
            v = argv[++*i];
        }
        int rc = set_value(o, v, e);
        if (rc < 0)
            return rc;
        set_by_flag[k] = true;
        (*i)++;
        return 1;
    }
    return 0;
}

static bool in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}

static bool is_http_url(const char *s)
{
    return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
           strlen(s) > 8;
}

int cfg_validate(struct err *e)
{
    /* Environment values are re-checked here so a bad one stops start-up with a message. */
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &OPTIONS[i];
        const char *v = getenv(o->env);
        if (v && *v && !set_by_flag[i] && (o->type == OPT_INT || o->type == OPT_BOOL)) {
            struct config saved = cfg;
            int rc = set_value(o, v, e);
            cfg = saved;
            if (rc < 0)
                return rc;
        }
        if (o->choices && (o->type == OPT_STR)) {
            const char *cur = *(const char **)((const char *)&cfg + o->offset);
            if (cur && !in_choices(o->choices, cur))
                return err_set(e, ERR_INVALID, o->name, "%s must be one of %s, got '%s'", o->env,
                               o->choices, cur);
        }
    }
    if (!cfg.db || !*cfg.db)
        return err_set(e, ERR_INVALID, "db", "SWITCHBOARD_DB must name a database");
    const char *colon = cfg.listen ? strrchr(cfg.listen, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == cfg.listen || !end || *end || end == colon + 1 || port < 0 ||
        port > 65535)
        return err_set(e, ERR_INVALID, "listen",
                       "SWITCHBOARD_LISTEN must be host:port (e.g. 127.0.0.1:8080), got '%s'",
                       cfg.listen ? cfg.listen : "");
    char host[128];
    size_t hl = (size_t)(colon - cfg.listen);
    struct in_addr ignored;
    snprintf(host, sizeof host, "%.*s", (int)(hl < sizeof host ? hl : sizeof host - 1), cfg.listen);
    if (strcmp(host, "localhost") != 0 && inet_pton(AF_INET, host, &ignored) != 1)
        return err_set(e, ERR_INVALID, "listen",
                       "SWITCHBOARD_LISTEN host must be an IPv4 address or localhost, got '%s'",
                       host);
    if (cfg.public_url && *cfg.public_url && !is_http_url(cfg.public_url))
        return err_set(e, ERR_INVALID, "public-url",
                       "SWITCHBOARD_PUBLIC_URL must start with http:// or https://, got '%s'",
                       cfg.public_url);
    if (!is_http_url(cfg.twilio_api_base))
        return err_set(e, ERR_INVALID, "twilio-api-base",
                       "SWITCHBOARD_TWILIO_API_BASE must be an http(s) URL");
    if (!is_http_url(cfg.sendgrid_api_base))
        return err_set(e, ERR_INVALID, "sendgrid-api-base",
                       "SWITCHBOARD_SENDGRID_API_BASE must be an http(s) URL");
    if (strcmp(cfg.legacy_write, "dual") == 0 && (!cfg.legacy_db || !*cfg.legacy_db))
        return err_set(e, ERR_INVALID, "legacy-db",
                       "SWITCHBOARD_LEGACY_WRITE=dual needs SWITCHBOARD_LEGACY_DB");
    return 0;
}

void cfg_listen_addr(char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(cfg.listen, ':');
    size_t n = (size_t)(colon - cfg.listen);
    if (n >= hostlen)
        n = hostlen - 1;
    memcpy(host, cfg.listen, n);
    host[n] = '\0';
    *port = atoi(colon + 1);
}

static const char *type_name(const struct option_def *o)
{
    switch (o->type) {
    case OPT_INT: return "integer";
    case OPT_BOOL: return "boolean";
    case OPT_SECRET: return "secret";
    default: return o->choices ? o->choices : "string";
    }
}

void cfg_print_help(FILE *f)
{
    fprintf(f, "Configuration (flag, environment variable, default):\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &OPTIONS[i];
        fprintf(f, "  --%-28s %s\n", o->name, o->env);
        fprintf(f, "      %s", o->help);
        if (o->type == OPT_INT)
            fprintf(f, " (%ld..%ld)", o->min, o->max);
        fprintf(f, " [default: %s]\n", o->def ? o->def : "unset");
    }
}

void cfg_print_markdown(FILE *f)
{
    fprintf(f, "# Configuration\n\n"
               "Generated from the configuration table in `src/core/config.c` by\n"
               "`switchboard help config`; do not edit by hand. Every setting is an environment\n"
               "variable and a flag of the same name; a flag beats the environment, which beats\n"
               "the default. Invalid values stop start-up with one message naming the setting.\n\n"
               "| flag | environment | type | default | meaning |\n"
               "|---|---|---|---|---|\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *o = &OPTIONS[i];
        fprintf(f, "| `--%s` | `%s` | %s", o->name, o->env, type_name(o));
        if (o->type == OPT_INT)
            fprintf(f, " %ld..%ld", o->min, o->max);
        fprintf(f, " | %s%s%s | %s |\n", o->def ? "`" : "", o->def ? o->def : "unset",
                o->def ? "`" : "", o->help);
    }
}
