/*
 * customers.c - customer identity: E.164 phones, lower-case e-mails, find-or-create.
 *
 * Layer: domain. Phones go through core/phone (providers.md §10); e-mails are trimmed and
 * lower-cased. find-or-create tolerates a concurrent creator: when the insert loses a race on
 * the unique column it reads the winner's row.
 */
#include "domain/domain.h"

#include "core/json.h"
#include "core/phone.h"

#include <ctype.h>
#include <string.h>

#define NAME_MAX_BYTES 200

char *dom_email_normalise(const char *in, struct arena *a)
{
    if (!in)
        return NULL;
    while (isspace((unsigned char)*in))
        in++;
    size_t n = strlen(in);
    while (n && isspace((unsigned char)in[n - 1]))
        n--;
    if (n < 3 || n > 254)
        return NULL;
    char *out = arena_strndup(a, in, n);
    if (!out)
        return NULL;
    const char *at = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '(' ||
            c == ')' || c == '\\')
            return NULL;
        if (c == '@') {
            if (at)
                return NULL;
            at = out + i;
        }
        out[i] = (char)tolower(c);
    }
    if (!at || at == out || !at[1] || !strchr(at + 1, '.') || at[1] == '.' ||
        out[n - 1] == '.' || !json_utf8_valid(out, n))
        return NULL;
    return out;
}

static const char *default_name(const char *phone, const char *email, struct arena *a)
{
    if (phone) {
        char last4[5];
        phone_last4(phone, last4);
        return arena_printf(a, "Customer \xE2\x80\xA2\xE2\x80\xA2%s", last4);
    }
    const char *at = strchr(email, '@');
    return arena_strndup(a, email, (size_t)(at - email));
}

/* The name without surrounding white space (arena copy), or NULL when nothing is left. */
static const char *trimmed(const char *name, struct arena *a)
{
    while (isspace((unsigned char)*name))
        name++;
    size_t n = strlen(name);
    while (n && isspace((unsigned char)name[n - 1]))
        n--;
    return n ? arena_strndup(a, name, n) : NULL;
}

static int check_name(const char *name, struct err *e)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return err_set(e, ERR_INVALID, "name", "name must not be empty");
    if (n > NAME_MAX_BYTES)
        return err_set(e, ERR_INVALID, "name", "name is longer than %d bytes", NAME_MAX_BYTES);
    if (!json_utf8_valid(name, n))
        return err_set(e, ERR_INVALID, "name", "name is not valid UTF-8");
    return 0;
}

/* Normalises the phone and email of in into *phone / *email (NULL when absent). */
static int normalise(const struct dom_customer_input *in, struct arena *a, const char **phone,
                     const char **email, struct err *e)
{
    *phone = *email = NULL;
    if (in->has_phone && !in->phone_null && in->phone && *in->phone) {
        char buf[PHONE_E164_MAX];
        if (!phone_to_e164(in->phone, buf))
            return err_set(e, ERR_INVALID, "phone",
                           "phone is not a valid number (E.164, or a 10-digit NANP number)");
        *phone = arena_strdup(a, buf);
    }
    if (in->has_email && !in->email_null && in->email && *in->email) {
        *email = dom_email_normalise(in->email, a);
        if (!*email)
            return err_set(e, ERR_INVALID, "email", "email is not a valid address");
    }
    return 0;
}

struct create_ctx {
    struct customer *c;
};

static int insert_customer(struct store *s, void *vctx, struct err *e)
{
    struct create_ctx *x = vctx;
    return store_customer_insert(s, x->c, e);
}

int dom_customer_create(struct store *s, const struct dom_customer_input *in, struct arena *a,
                        struct customer *out, struct err *e)
{
    const char *phone, *email;
    int rc = normalise(in, a, &phone, &email, e);
    if (rc < 0)
        return rc;
    if (!phone && !email) {
        if (in->has_phone && in->phone && *in->phone)
            return err_set(e, ERR_INVALID, "phone", "phone is not a valid number");
        return err_set(e, ERR_INVALID, in->has_email ? "email" : "phone",
                       "a customer needs a phone number or an email address");
    }
    const char *name = in->has_name && in->name ? trimmed(in->name, a) : NULL;
    if (name && (rc = check_name(name, e)) < 0)
        return rc;
    memset(out, 0, sizeof *out);
    out->name = name ? name : default_name(phone, email, a);
    out->phone = phone;
    out->email = email;
    out->is_new_client = true;
    struct create_ctx x = {out};
    rc = dom_tx(s, insert_customer, &x, e);
    if (rc == ERR_CONFLICT && e && !e->field)
        e->field = phone ? "phone" : "email";
    return rc;
}

struct patch_ctx {
    int64_t id;
    const struct customer_update *u;
    struct arena *a;
    struct customer *out;
};

static int patch_customer(struct store *s, void *vctx, struct err *e)
{
    struct patch_ctx *x = vctx;
    const struct customer_update *u = x->u;
    struct customer cur;
    int rc = store_customer_get(s, x->id, x->a, &cur, e);
    if (rc < 0)
        return rc;
    if ((u->clear_phone ? NULL : (u->phone ? u->phone : cur.phone)) == NULL &&
        (u->clear_email ? NULL : (u->email ? u->email : cur.email)) == NULL)
        return err_set(e, ERR_INVALID, u->clear_phone ? "phone" : "email",
                       "a customer needs a phone number or an email address");
    if ((rc = store_customer_update(s, x->id, u, e)) < 0)
        return rc;
    return store_customer_get(s, x->id, x->a, x->out, e);
}

int dom_customer_patch(struct store *s, int64_t id, const struct dom_customer_input *in,
                       struct arena *a, struct customer *out, struct err *e)
{
    const char *phone, *email;
    int rc = normalise(in, a, &phone, &email, e);
    if (rc < 0)
        return rc;
    struct customer_update u = {0};
    if (in->has_name) {
        if (!in->name)
            return err_set(e, ERR_INVALID, "name", "name cannot be null");
        u.name = trimmed(in->name, a);
        if ((rc = check_name(u.name, e)) < 0)
            return rc;
    }
    u.phone = phone;
    u.email = email;
    u.clear_phone = in->has_phone && (in->phone_null || (in->phone && !*in->phone));
    u.clear_email = in->has_email && (in->email_null || (in->email && !*in->email));
    struct patch_ctx x = {id, &u, a, out};
    return dom_tx(s, patch_customer, &x, e);
}

static int for_key(struct store *s, const char *phone, const char *email, const char *name,
                   struct arena *a, struct customer *out, bool *created, struct err *e)
{
    *created = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = phone ? store_customer_by_phone(s, phone, a, out, e)
                       : store_customer_by_email(s, email, a, out, e);
        if (rc != ERR_NOTFOUND)
            return rc;
        memset(out, 0, sizeof *out);
        out->name = name && *name ? arena_strdup(a, name) : default_name(phone, email, a);
        out->phone = phone;
        out->email = email;
        out->is_new_client = true;
        rc = store_customer_insert(s, out, e);
        if (rc == 0) {
            *created = true;
            return 0;
        }
        if (rc != ERR_CONFLICT)
            return rc;
    }
    return err_set(e, ERR_CONFLICT, phone ? "phone" : "email", "customer changed concurrently");
}

int dom_customer_for_phone(struct store *s, const char *e164, const char *name, struct arena *a,
                           struct customer *out, bool *created, struct err *e)
{
    if (!phone_is_e164(e164))
        return err_set(e, ERR_INVALID, "phone", "not an E.164 number");
    return for_key(s, e164, NULL, name, a, out, created, e);
}

int dom_customer_for_email(struct store *s, const char *email, const char *name,
                           struct arena *a, struct customer *out, bool *created, struct err *e)
{
    char *norm = dom_email_normalise(email, a);
    if (!norm)
        return err_set(e, ERR_INVALID, "email", "not an email address");
    return for_key(s, NULL, norm, name, a, out, created, e);
}
