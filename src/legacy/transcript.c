/*
 * transcript.c - the two legacy transcript shapes, parsed into segments.
 *
 * Layer: legacy; pure, thread-safe. Plain text: one segment per non-blank line; `Customer:`
 * (any case) is the customer, `Ava:`/`Assistant:` (any case) the assistant, any other line
 * (another label such as `Caller:`, or none, such as `[inaudible]`) an `unknown` segment holding
 * the whole line. The timestamp of a text line is its index (blank lines count). JSON: a list of
 * {speaker, text, timestamp} objects; ISO timestamps become seconds from the call's start. A
 * JSON-looking text that is not such a list is read as plain text.
 */
#include "legacy/legacy.h"

#include "core/buf.h"
#include "core/json.h"
#include "core/timeutil.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *speaker_of(const char *label, size_t n)
{
    if (n == 8 && strncasecmp(label, "customer", 8) == 0)
        return "customer";
    if ((n == 3 && strncasecmp(label, "ava", 3) == 0) ||
        (n == 9 && strncasecmp(label, "assistant", 9) == 0))
        return "assistant";
    return "unknown";
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

/* Trims spaces (and a CR) around s[0..n). */
static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static int parse_json(const char *text, int64_t started_at, struct arena *a,
                      struct transcript *out)
{
    json_t *arr = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return 1;
    }
    size_t n = json_array_size(arr), i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        if (!json_is_object(it) || !json_is_string(json_object_get(it, "text"))) {
            json_decref(arr);
            return 1; /* not the list we know: read as plain text */
        }
    }
    out->segs = arena_alloc(a, sizeof *out->segs * (n ? n : 1));
    if (!out->segs) {
        json_decref(arr);
        return ERR_NOMEM;
    }
    json_array_foreach(arr, i, it)
    {
        struct transcript_seg *sg = &out->segs[out->n];
        const char *sp = json_string_value(json_object_get(it, "speaker"));
        sg->speaker = sp ? speaker_of(sp, strlen(sp)) : "unknown";
        const char *t = json_string_value(json_object_get(it, "text"));
        size_t tl = strlen(t);
        trim(&t, &tl);
        sg->text = arena_strndup(a, t, tl);
        json_t *ts = json_object_get(it, "timestamp");
        int64_t at;
        if (json_is_number(ts))
            sg->timestamp = json_number_value(ts);
        else if (json_is_string(ts) && started_at && time_parse(json_string_value(ts), &at))
            sg->timestamp = (double)(at - started_at) / 1e6;
        else
            sg->timestamp = (double)i;
        if (!sg->text) {
            json_decref(arr);
            return ERR_NOMEM;
        }
        out->n++;
    }
    out->json = true;
    json_decref(arr);
    return 0;
}

int transcript_parse(const char *text, int64_t started_at, struct arena *a,
                     struct transcript *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return 0;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '[') {
        int rc = parse_json(text, started_at, a, out);
        if (rc <= 0)
            return rc;
        memset(out, 0, sizeof *out);
    }
    size_t lines = 1;
    for (const char *q = text; *q; q++)
        lines += *q == '\n';
    out->segs = arena_alloc(a, sizeof *out->segs * lines);
    if (!out->segs)
        return ERR_NOMEM;
    int index = 0;
    for (const char *line = text; line; index++) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        const char *l = line;
        line = nl ? nl + 1 : NULL;
        if (is_blank(l, len))
            continue;
        trim(&l, &len);
        struct transcript_seg *sg = &out->segs[out->n];
        sg->timestamp = index;
        /* a label: letters (and inner spaces), then ':' */
        size_t k = 0;
        while (k < len && k < 24 && (isalpha((unsigned char)l[k]) || l[k] == ' '))
            k++;
        const char *sp = "unknown";
        if (k > 0 && k < len && l[k] == ':')
            sp = speaker_of(l, k - (l[k - 1] == ' ' ? 1 : 0));
        if (strcmp(sp, "unknown") != 0) {
            const char *t = l + k + 1;
            size_t tl = len - k - 1;
            trim(&t, &tl);
            sg->text = arena_strndup(a, t, tl);
        } else {
            sg->text = arena_strndup(a, l, len);
        }
        if (!sg->text)
            return ERR_NOMEM;
        sg->speaker = sp;
        out->n++;
    }
    return 0;
}

char *transcript_render(const struct transcript *t, struct arena *a)
{
    struct buf b;
    buf_init(&b, 256, 64 << 20);
    for (int i = 0; i < t->n; i++) {
        if (i)
            buf_addc(&b, '\n');
        if (strcmp(t->segs[i].speaker, "customer") == 0)
            buf_lit(&b, "Customer: ");
        else if (strcmp(t->segs[i].speaker, "assistant") == 0)
            buf_lit(&b, "Assistant: ");
        buf_adds(&b, t->segs[i].text);
    }
    char *out = buf_ok(&b) ? arena_strdup(a, b.data ? b.data : "") : NULL;
    buf_release(&b);
    return out;
}

char *transcript_segments_json(const struct transcript *t, struct arena *a)
{
    struct buf b;
    buf_init(&b, 256, 128 << 20);
    buf_addc(&b, '[');
    for (int i = 0; i < t->n; i++) {
        if (i)
            buf_addc(&b, ',');
        buf_lit(&b, "{\"speaker\":");
        json_str(&b, t->segs[i].speaker);
        buf_lit(&b, ",\"text\":");
        json_str(&b, t->segs[i].text);
        buf_lit(&b, ",\"timestamp\":");
        json_double(&b, t->segs[i].timestamp);
        buf_addc(&b, '}');
    }
    buf_addc(&b, ']');
    char *out = buf_ok(&b) ? arena_strdup(a, b.data) : NULL;
    buf_release(&b);
    return out;
}

const char *transcript_first_customer(const struct transcript *t)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->segs[i].speaker, "customer") == 0 && t->segs[i].text[0])
            return t->segs[i].text;
    return NULL;
}
