/*
 * test_router.c - unit tests for src/http/router.c, the route table and matcher.
 *
 * Registers a small table of its own (the .c file is included, so the route list is this test's
 * alone) and checks, case by case: which route a method and path select, the {param} values
 * (arena copies, in pattern order), HEAD served by GET, 405 information (path_known and the Allow
 * list in table order), a trailing slash or an empty segment not matching, unknown paths,
 * case-sensitive paths and methods, the first of two equal routes winning, a short Allow buffer,
 * and the route index functions used by the metrics.
 */
#include "../../../src/http/router.c"
#include "../testlib.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void h_a(struct http_req *req, struct http_resp *resp) {}
static void h_b(struct http_req *req, struct http_resp *resp) {}

static const struct http_route table[] = {
    {"GET", "/api/health", h_a, HTTP_PUBLIC, HTTP_BODY_NONE, NULL, "health"},
    {"GET", "/api/x/{id}/y", h_a, HTTP_VIEWER, HTTP_BODY_NONE, NULL, NULL},
    {"POST", "/api/x/{id}/y", h_b, HTTP_STAFF, HTTP_BODY_JSON, NULL, NULL},
    {"GET", "/api/x/{id}", h_a, HTTP_VIEWER, HTTP_BODY_NONE, NULL, NULL},
    {"PATCH", "/api/x/{id}", h_b, HTTP_STAFF, HTTP_BODY_JSON, NULL, NULL},
    {"DELETE", "/api/x/{id}", h_b, HTTP_ADMIN, HTTP_BODY_NONE, NULL, NULL},
    {"GET", "/api/a/{p}/b/{q}", h_a, HTTP_VIEWER, HTTP_BODY_NONE, NULL, NULL},
    {"GET", "/api/x/special", h_b, HTTP_VIEWER, HTTP_BODY_NONE, NULL, NULL}, /* after {id} */
    {"POST", "/webhooks/twilio/sms", h_b, HTTP_PUBLIC, HTTP_BODY_FORM, NULL, NULL},
    {"GET", "/", h_a, HTTP_PUBLIC, HTTP_BODY_NONE, NULL, NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};

static const struct http_route second_table[] = {
    {"PUT", "/api/second/{id}", h_b, HTTP_STAFF, HTTP_BODY_JSON, NULL, NULL},
    {NULL, NULL, NULL, 0, 0, NULL, NULL},
};

static void setup(void)
{
    if (n_routes == 0) {
        http_routes_add(table);
        http_routes_add(second_table);
    }
}

struct match_case {
    const char *method, *path;
    int route;          /* index into table (second_table: 100 + i), or -1 for no match */
    bool known;         /* the path exists with some method */
    const char *allow;  /* expected Allow list (always filled); NULL = not checked */
    const char *params[HTTP_MAX_PARAMS];
};

static const struct match_case cases[] = {
    {"GET", "/api/health", 0, true, "GET", {NULL}},
    {"HEAD", "/api/health", 0, true, "GET", {NULL}},
    {"POST", "/api/health", -1, true, "GET", {NULL}},
    {"GET", "/api/x/42/y", 1, true, "GET, POST", {"42"}},
    {"POST", "/api/x/42/y", 2, true, "GET, POST", {"42"}},
    {"HEAD", "/api/x/42/y", 1, true, "GET, POST", {"42"}},
    {"PUT", "/api/x/42/y", -1, true, "GET, POST", {NULL}},
    {"DELETE", "/api/x/42/y", -1, true, "GET, POST", {NULL}},
    {"GET", "/api/x/0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091", 3, true, "GET, PATCH, DELETE",
     {"0199a0b1-6c1e-7d2f-8a3b-4c5d6e7f8091"}},
    {"PATCH", "/api/x/7", 4, true, "GET, PATCH, DELETE", {"7"}},
    {"DELETE", "/api/x/7", 5, true, "GET, PATCH, DELETE", {"7"}},
    {"POST", "/api/x/7", -1, true, "GET, PATCH, DELETE", {NULL}},
    {"GET", "/api/a/one/b/two", 6, true, "GET", {"one", "two"}},
    {"GET", "/api/a/%2F/b/x%20y", 6, true, "GET", {"%2F", "x%20y"}}, /* raw, not decoded */
    /* a literal segment that also fits {id}: the first registered route wins (register literal
     * routes before parameter routes of the same shape) */
    {"GET", "/api/x/special", 3, true, NULL, {"special"}},
    {"POST", "/webhooks/twilio/sms", 8, true, "POST", {NULL}},
    {"GET", "/webhooks/twilio/sms", -1, true, "POST", {NULL}},
    {"HEAD", "/webhooks/twilio/sms", -1, true, "POST", {NULL}}, /* HEAD only stands in for GET */
    {"GET", "/", 9, true, "GET", {NULL}},
    {"PUT", "/api/second/9", 100, true, "PUT", {"9"}},
    /* trailing slashes, empty and extra segments do not match */
    {"GET", "/api/health/", -1, false, "", {NULL}},
    {"GET", "/api/x/42/y/", -1, false, "", {NULL}},
    {"GET", "/api/x/", -1, false, "", {NULL}},
    {"GET", "/api/x//y", -1, false, "", {NULL}},
    {"GET", "/api/x/42/y/z", -1, false, "", {NULL}},
    {"GET", "/api/a/one/b/", -1, false, "", {NULL}},
    {"GET", "/api/a/one/b", -1, false, "", {NULL}},
    {"GET", "//api/health", -1, false, "", {NULL}},
    {"GET", "/api/healthz", -1, false, "", {NULL}},
    {"GET", "/api/healt", -1, false, "", {NULL}},
    {"GET", "", -1, false, "", {NULL}},
    /* unknown paths, case-sensitive paths and methods */
    {"GET", "/nope", -1, false, "", {NULL}},
    {"GET", "/API/health", -1, false, "", {NULL}},
    {"get", "/api/health", -1, true, "GET", {NULL}},
    {"GETX", "/api/health", -1, true, "GET", {NULL}},
};

static int route_index_of(const struct http_route *r)
{
    if (!r)
        return -1;
    if (r >= table && r < table + COUNT(table))
        return (int)(r - table);
    if (r >= second_table && r < second_table + COUNT(second_table))
        return 100 + (int)(r - second_table);
    return -2;
}

TEST(match_table)
{
    setup();
    int bad = 0;
    for (size_t i = 0; i < COUNT(cases); i++) {
        const struct match_case *c = &cases[i];
        struct arena *a = arena_new(0, 0);
        const char *params[HTTP_MAX_PARAMS] = {NULL};
        bool known = !c->known;
        char allow[128];
        memset(allow, 'Z', sizeof allow);
        const struct http_route *r =
            http_route_match(c->method, c->path, params, &known, allow, sizeof allow, a);
        bool ok = route_index_of(r) == c->route && known == c->known &&
                  (!c->allow || strcmp(allow, c->allow) == 0);
        for (int k = 0; ok && k < HTTP_MAX_PARAMS; k++) {
            if (r && c->params[k])
                ok = params[k] && strcmp(params[k], c->params[k]) == 0;
            else if (r)
                ok = params[k] == NULL;
        }
        if (!ok) {
            fprintf(stderr, "  case %zu %s %s: route %d (want %d), known %d, allow \"%s\"",
                    i, c->method, c->path, route_index_of(r), c->route, known, allow);
            for (int k = 0; r && k < HTTP_MAX_PARAMS && params[k]; k++)
                fprintf(stderr, " p%d=%s", k, params[k]);
            fprintf(stderr, "\n");
            bad++;
        }
        arena_free(a);
    }
    CHECK_INT(bad, 0);
}

/* Parameters are copies in the arena, not pointers into the path. */
TEST(params_are_copies)
{
    setup();
    struct arena *a = arena_new(0, 0);
    char path[] = "/api/a/first/b/second";
    const char *params[HTTP_MAX_PARAMS] = {NULL};
    bool known;
    const struct http_route *r = http_route_match("GET", path, params, &known, NULL, 0, a);
    CHECK(r == &table[6]);
    memset(path, 'x', sizeof path - 1);
    CHECK_STR(params[0], "first");
    CHECK_STR(params[1], "second");
    arena_free(a);
}

/* params, allow and the arena are optional. */
TEST(optional_outputs)
{
    setup();
    bool known = false;
    CHECK(http_route_match("GET", "/api/x/1/y", NULL, &known, NULL, 0, NULL) == &table[1]);
    CHECK(known);
    const struct http_route *r = http_route_match("PUT", "/api/x/1", NULL, &known, NULL, 0, NULL);
    CHECK(r == NULL);
    CHECK(known);
}

/* A short Allow buffer is truncated, never overrun, and stays NUL-terminated. */
TEST(allow_buffer_short)
{
    setup();
    for (size_t len = 1; len <= 24; len++) {
        char allow[32];
        memset(allow, 'Z', sizeof allow);
        bool known;
        http_route_match("POST", "/api/x/1", NULL, &known, allow, len, NULL);
        CHECK(known);
        CHECK(strlen(allow) < len);
        CHECK(strncmp(allow, "GET, PATCH, DELETE", strlen(allow)) == 0);
        CHECK(allow[len] == 'Z'); /* nothing written past len */
    }
}

TEST(route_index_functions)
{
    setup();
    CHECK_INT(http_route_count(), (int)COUNT(table) - 1 + (int)COUNT(second_table) - 1);
    for (int i = 0; i < (int)COUNT(table) - 1; i++) {
        CHECK(http_route_at(i) == &table[i]);
        CHECK_INT(http_route_index(&table[i]), i);
    }
    CHECK(http_route_at(http_route_count() - 1) == &second_table[0]);
    CHECK(http_route_at(-1) == NULL);
    CHECK(http_route_at(http_route_count()) == NULL);
    CHECK_INT(http_route_index(NULL), -1);
    static const struct http_route stranger = {"GET", "/x", h_a, HTTP_PUBLIC, HTTP_BODY_NONE,
                                               NULL, NULL};
    CHECK_INT(http_route_index(&stranger), -1);
}

TEST_MAIN(T(match_table), T(params_are_copies), T(optional_outputs), T(allow_buffer_short),
          T(route_index_functions))
