/*
 * voice.c - finalising a voice call: complete, score, and hand it to the final hook (dual write)
 * in one transaction, exactly once.
 *
 * Layer: domain. The voice channel calls this when a call ends (hang-up, end_session or the
 * sweeper); the legacy module registers the hook when dual write is on. The hook is process
 * wide and set at start-up, before any request is served.
 */
#include "domain/domain.h"

#include <string.h>

static dom_voice_final_hook final_hook;
static void *final_hook_ctx;

void dom_set_voice_final_hook(dom_voice_final_hook fn, void *ctx)
{
    final_hook = fn;
    final_hook_ctx = ctx;
}

struct fin {
    const char *id;
    int64_t at;
    struct arena *a;
    bool *done;
};

static int finalize(struct store *s, void *vctx, struct err *e)
{
    struct fin *x = vctx;
    struct conversation c;
    *x->done = false;
    int rc = store_conv_get(s, x->id, x->a, &c, e);
    if (rc < 0)
        return rc;
    if (strcmp(c.channel, "voice") != 0)
        return err_set(e, ERR_INVALID, "id", "conversation %s is not a voice call", x->id);
    if (strcmp(c.status, "active") != 0)
        return 0; /* finalised before: nothing to do */
    if ((rc = dom_conv_complete(s, x->id, x->at, x->a, NULL, e)) < 0)
        return rc;
    if (final_hook && (rc = final_hook(s, x->id, x->a, final_hook_ctx, e)) < 0)
        return rc;
    *x->done = true;
    return 0;
}

int dom_voice_finalize(struct store *s, const char *conv_id, int64_t at, struct arena *a,
                       bool *done, struct err *e)
{
    bool ignored;
    struct fin x = {conv_id, at, a, done ? done : &ignored};
    return dom_tx(s, finalize, &x, e);
}
