/*
 * router.c - the route table: patterns with {param} segments, matched segment by segment.
 *
 * Layer: http. Tables are registered once at start-up (single thread) and only read afterwards,
 * so matching needs no lock. With a few dozen routes a linear scan costs well under a
 * microsecond, less than any index would save.
 */
#include "http/http.h"

#include <stdio.h>
#include <string.h>

#define MAX_ROUTES 128

static const struct http_route *routes[MAX_ROUTES];
static int n_routes;

void http_routes_add(const struct http_route *table)
{
    for (; table->pattern && n_routes < MAX_ROUTES; table++)
        routes[n_routes++] = table;
}

int http_route_index(const struct http_route *r)
{
    for (int i = 0; i < n_routes; i++)
        if (routes[i] == r)
            return i;
    return -1;
}

int http_route_count(void)
{
    return n_routes;
}

const struct http_route *http_route_at(int i)
{
    return i >= 0 && i < n_routes ? routes[i] : NULL;
}

/* Matches path against pattern; fills params (arena copies) on success. */
static bool match(const char *pattern, const char *path, const char **params, struct arena *a)
{
    const char *p = pattern, *s = path;
    int np = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || np >= HTTP_MAX_PARAMS)
                return false;
            if (params)
                params[np] = a ? arena_strndup(a, s, len) : NULL;
            np++;
            p = close + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

const struct http_route *http_route_match(const char *method, const char *path,
                                          const char **params, bool *path_known, char *allow,
                                          size_t allow_len, struct arena *a)
{
    *path_known = false;
    if (allow && allow_len)
        allow[0] = '\0';
    const struct http_route *found = NULL;
    for (int i = 0; i < n_routes; i++) {
        const struct http_route *r = routes[i];
        if (!match(r->pattern, path, NULL, NULL))
            continue;
        *path_known = true;
        if (allow && !strstr(allow, r->method)) {
            size_t n = strlen(allow);
            snprintf(allow + n, allow_len - n, "%s%s", n ? ", " : "", r->method);
        }
        if (!found && (strcmp(r->method, method) == 0 ||
                       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)))
            found = r;
    }
    if (found)
        match(found->pattern, path, params, a);
    return found;
}
