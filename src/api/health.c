/*
 * health.c - liveness, readiness and Prometheus metrics; no authentication.
 *
 * Layer: api. Readiness pings the database through the store, so a load balancer takes an
 * instance out when its database is gone (503 unavailable).
 */
#include "api/api.h"

#include "channels/twilio/twilio.h"

static void health(struct http_req *req, struct http_resp *resp)
{
    buf_lit(&resp->body, "{\"status\":\"ok\"}");
}

static void ready(struct http_req *req, struct http_resp *resp)
{
    struct err e;
    err_clear(&e);
    if (store_ping(app_store(req), &e) < 0) {
        http_metrics_db_error();
        resp->status = 503;
        buf_lit(&resp->body, "{\"status\":\"unavailable\",\"database\":\"unreachable\","
                             "\"detail\":\"the database does not answer\","
                             "\"code\":\"unavailable\",\"field\":null}");
        return;
    }
    buf_lit(&resp->body, "{\"status\":\"ready\",\"database\":\"connected\"}");
}

static void metrics(struct http_req *req, struct http_resp *resp)
{
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    http_metrics_render(&resp->body);
}

const struct http_route api_health_routes[] = {
    {"GET", "/health", health, HTTP_PUBLIC, HTTP_BODY_NONE, 0, NULL},
    {"GET", "/health/ready", ready, HTTP_PUBLIC, HTTP_BODY_NONE, 0, NULL},
    {"GET", "/metrics", metrics, HTTP_PUBLIC, HTTP_BODY_NONE, 0, NULL},
    {NULL, NULL, NULL, 0, 0, 0, NULL},
};

void api_register_routes(void)
{
    http_routes_add(api_health_routes);
    http_routes_add(api_auth_routes);
    http_routes_add(api_conversation_routes);
    http_routes_add(api_customer_routes);
    http_routes_add(api_analytics_routes);
    http_routes_add(api_messaging_routes);
    http_routes_add(api_export_routes);
    http_routes_add(twilio_routes);
}
