/*
 * enums.c - the contract's enumerations (api.md §0) and the legacy outcome mapping.
 *
 * Layer: domain; pure, thread-safe.
 */
#include "domain/domain.h"

#include <string.h>

static bool one_of(const char *s, const char *const *list)
{
    if (!s)
        return false;
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

bool dom_is_channel(const char *s)
{
    static const char *const L[] = {"voice", "sms", "email", NULL};
    return one_of(s, L);
}

bool dom_is_status(const char *s)
{
    static const char *const L[] = {"active", "completed", "failed", NULL};
    return one_of(s, L);
}

bool dom_is_sentiment(const char *s)
{
    static const char *const L[] = {"positive", "neutral", "negative", "mixed", NULL};
    return one_of(s, L);
}

static const char *const OUTCOMES[] = {"appointment_scheduled", "appointment_rescheduled",
                                       "appointment_cancelled", "info_request", "complaint",
                                       "escalated", "abandoned", "unresolved", NULL};

bool dom_is_outcome(const char *s)
{
    return one_of(s, OUTCOMES);
}

bool dom_is_role(const char *s)
{
    static const char *const L[] = {"admin", "staff", "viewer", NULL};
    return one_of(s, L);
}

bool dom_is_event_type(const char *s)
{
    if (!s || !*s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return false;
    }
    return n <= 64;
}

const char *dom_outcome_from_legacy(const char *s)
{
    static const char *const MAP[][2] = {
        {"booked", "appointment_scheduled"},      {"rescheduled", "appointment_rescheduled"},
        {"cancelled", "appointment_cancelled"},   {"info_only", "info_request"},
        {"escalated", "escalated"},               {"abandoned", "abandoned"},
        {"browsing", "unresolved"},
    };
    if (!s)
        return NULL;
    for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; i++)
        if (strcmp(s, MAP[i][0]) == 0)
            return MAP[i][1];
    for (const char *const *o = OUTCOMES; *o; o++) /* a static copy, never the argument */
        if (strcmp(s, *o) == 0)
            return *o;
    return NULL;
}
