/*
 * params.c - strict parsing of query parameters, path ids, JSON bodies and cursors.
 *
 * Layer: api. Anything malformed is answered here with 422 (query/body) or 400 (path, syntax)
 * naming the field, so handlers only see valid values (api.md §0: never a silent default).
 */
#include "api/api.h"

#include "core/ids.h"
#include "core/timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool api_query_int(struct http_req *req, struct http_resp *resp, const char *name, int64_t lo,
                   int64_t hi, int64_t def, int64_t *out)
{
    const char *v = http_query(req, name);
    if (!v) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    const char *digits = v[0] == '-' ? v + 1 : v; /* no '+', spaces or other prefixes */
    bool plain = *digits && strspn(digits, "0123456789") == strlen(digits);
    long long n = plain ? strtoll(v, &end, 10) : 0;
    if (!plain || errno || n < lo || n > hi) {
        api_error(resp, 422, NULL, name, "%s must be an integer from %lld to %lld", name,
                  (long long)lo, (long long)hi);
        return false;
    }
    *out = n;
    return true;
}

bool api_query_enum(struct http_req *req, struct http_resp *resp, const char *name,
                    bool (*valid)(const char *), const char **out)
{
    const char *v = http_query(req, name);
    *out = NULL;
    if (!v)
        return true;
    if (!valid(v)) {
        api_error(resp, 422, NULL, name, "unknown %s '%.64s'", name, v);
        return false;
    }
    *out = v;
    return true;
}

bool api_query_time(struct http_req *req, struct http_resp *resp, const char *name,
                    int64_t *out)
{
    const char *v = http_query(req, name);
    *out = 0;
    if (!v)
        return true;
    if (!time_parse(v, out) || *out <= 0) {
        api_error(resp, 422, NULL, name,
                  "%s must be an RFC 3339 timestamp such as 2025-11-08T03:18:30Z", name);
        return false;
    }
    return true;
}

static void release_json(void *p)
{
    json_decref(p);
}

json_t *api_json_body(struct http_req *req, struct http_resp *resp)
{
    json_error_t je;
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        api_error(resp, 400, NULL, NULL, "malformed JSON body: %s (line %d, column %d)", je.text,
                  je.line, je.column);
        return NULL;
    }
    if (arena_on_free(req->arena, release_json, j) < 0) {
        json_decref(j);
        api_error(resp, 500, NULL, NULL, "out of memory");
        return NULL;
    }
    if (!json_is_object(j)) {
        api_error(resp, 400, NULL, NULL, "the JSON body must be an object");
        return NULL;
    }
    return j;
}

bool api_path_uuid(struct http_req *req, struct http_resp *resp, int i, char out[37])
{
    const char *v = req->params[i];
    if (!v || !uuid_is_valid(v)) {
        api_error(resp, 400, NULL, "id", "id must be a UUID");
        return false;
    }
    uuid_lower(v, out);
    return true;
}

bool api_path_id(struct http_req *req, struct http_resp *resp, int i, int64_t *out)
{
    const char *v = req->params[i];
    char *end = NULL;
    errno = 0;
    bool digits = v && *v && strspn(v, "0123456789") == strlen(v);
    long long n = digits ? strtoll(v, &end, 10) : 0;
    if (!digits || errno || n <= 0) {
        api_error(resp, 400, NULL, "id", "id must be a positive integer");
        return false;
    }
    *out = n;
    return true;
}

char *api_cursor_encode(struct arena *a, int64_t key, const char *id)
{
    char raw[64];
    int n = snprintf(raw, sizeof raw, "%lld|%s", (long long)key, id);
    char *out = arena_alloc(a, (size_t)n * 2 + 4);
    if (out)
        base64url_encode(raw, (size_t)n, out);
    return out;
}

bool api_cursor_decode(const char *s, int64_t *key, char id[37])
{
    size_t len = strlen(s);
    if (len == 0 || len > 80)
        return false;
    unsigned char raw[64];
    long n = base64url_decode(s, len, raw);
    if (n <= 0 || n >= (long)sizeof raw)
        return false;
    raw[n] = '\0';
    char *bar = strchr((char *)raw, '|');
    if (!bar)
        return false;
    *bar = '\0';
    char *end;
    errno = 0;
    long long k = strtoll((char *)raw, &end, 10);
    if (errno || *end || end == (char *)raw || !uuid_is_valid(bar + 1))
        return false;
    *key = k;
    uuid_lower(bar + 1, id);
    return true;
}
