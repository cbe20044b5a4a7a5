/*
 * phone.c - phone number normalisation to E.164, following providers.md section 10.
 *
 * phone_to_e164 runs the spec's steps in order on a fixed stack buffer. First it decodes the
 * UTF-8 input into one ASCII byte per code point: full-width digits and plus become '0'-'9' and
 * '+', tab and the three Unicode spaces become ' ', the Unicode hyphens and the minus sign become
 * '-', and any other non-ASCII code point, or invalid UTF-8, rejects the input. Then it trims,
 * strips a "tel:" prefix and its parameters, cuts a trailing extension, drops "(0)" after an
 * international prefix, removes separators, resolves the prefix and checks the digits. There is
 * no allocation, no static state and no locale-dependent call, so the functions are pure and
 * thread-safe. Inputs longer than IN_MAX bytes are rejected before any work is done.
 */
#include "phone.h"

#include <stddef.h>
#include <string.h>

#define IN_MAX 256 /* longest accepted input, in bytes */
#define EXT_MAX 7  /* longest extension that step 3 removes, in digits */

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Separators of step 5, after decode() has folded the Unicode ones into ' ' and '-'. */
static bool sep(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}

/* The ASCII byte that code point cp stands for, or 0 when cp is not allowed. */
static char fold(unsigned long cp)
{
    if (cp == '\t' || cp == 0xA0 || cp == 0x2007 || cp == 0x202F)
        return ' ';
    if (cp < 0x80)
        return (char)cp;
    if (cp >= 0xFF10 && cp <= 0xFF19)
        return (char)('0' + (cp - 0xFF10));
    if (cp == 0xFF0B)
        return '+';
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
        return '-';
    return 0;
}

static bool cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/*
 * Decodes the NUL-terminated UTF-8 string in into buf (at least IN_MAX + 1 bytes), one folded
 * ASCII byte per code point, and returns the length, or -1 for input that is too long, not valid
 * UTF-8 (overlong forms and surrogates included) or has a code point fold() does not allow.
 * Every code point allowed is below U+10000, so four-byte sequences are rejected outright.
 */
static long decode(const char *in, char buf[IN_MAX + 1])
{
    const unsigned char *s = (const unsigned char *)in;
    size_t n = 0;

    while (n <= IN_MAX && s[n])
        n++;
    if (n > IN_MAX)
        return -1;

    size_t i = 0, m = 0;
    while (i < n) {
        unsigned long cp;
        unsigned char c = s[i];
        if (c < 0x80) {
            cp = c;
            i += 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (!cont(s[i + 1]))
                return -1;
            cp = ((unsigned long)(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            /* s[i + 1] is read only if it is not the NUL, so s[i + 2] stays in bounds. */
            if (!cont(s[i + 1]) || !cont(s[i + 2]))
                return -1;
            cp = ((unsigned long)(c & 0x0F) << 12) | ((unsigned long)(s[i + 1] & 0x3F) << 6) |
                 (s[i + 2] & 0x3F);
            if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
                return -1;
            i += 3;
        } else {
            return -1;
        }
        char a = fold(cp);
        if (!a)
            return -1;
        buf[m++] = a;
    }
    buf[m] = '\0';
    return (long)m;
}

/* True when s[0..n) starts with lit, ignoring ASCII case (lit is lower case). */
static bool starts(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower(s[i]) != lit[i])
            return false;
    return true;
}

/* True when s[0..n) ends with lit, ignoring ASCII case (lit is lower case). */
static bool ends(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && starts(s + n - k, k, lit);
}

/*
 * Step 2, after "tel:" was removed: drops every ";param" from s[0..n) in place except those
 * starting ";ext=", and returns the new length. A parameter runs up to the next ';'.
 */
static size_t params(char *s, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n && s[r] != ';')
        s[w++] = s[r++];
    while (r < n) {
        size_t e = r + 1;
        while (e < n && s[e] != ';')
            e++;
        if (starts(s + r, e - r, ";ext=")) {
            while (r < e)
                s[w++] = s[r++];
        }
        r = e;
    }
    return w;
}

/*
 * Step 3: the length of s[0..n) without a trailing extension, that is optional spaces, a marker
 * (";ext=", "ext", "ext.", "extension", "x", "#" or a run of ','), optional spaces and 1..EXT_MAX
 * digits at the very end. Returns n when there is no such extension.
 */
static size_t cutext(const char *s, size_t n)
{
    static const char marks[][10] = {";ext=", "extension", "ext.", "ext", "x", "#"};
    size_t e = n;

    while (e > 0 && digit(s[e - 1]))
        e--;
    if (e == n || n - e > EXT_MAX)
        return n;
    while (e > 0 && s[e - 1] == ' ')
        e--;

    size_t k = 0;
    if (e > 0 && s[e - 1] == ',') {
        while (e > 0 && s[e - 1] == ',')
            e--;
        k = 1;
    }
    for (size_t i = 0; !k && i < sizeof marks / sizeof marks[0]; i++) {
        if (ends(s, e, marks[i])) {
            e -= strlen(marks[i]);
            k = 1;
        }
    }
    if (!k)
        return n;
    while (e > 0 && s[e - 1] == ' ')
        e--;
    return e;
}

/* Step 7: whether the n digits at d, the number after its international prefix, are acceptable. */
static bool check(const char *d, size_t n)
{
    if (n == 0 || d[0] == '0')
        return false;
    if (d[0] == '1')
        return n == 11 && d[1] >= '2' && d[1] <= '9' && !(d[2] == '1' && d[3] == '1') &&
               d[4] >= '2' && d[4] <= '9';
    return n >= 7 && n <= 15;
}

bool phone_to_e164(const char *in, char out[PHONE_E164_MAX])
{
    char buf[IN_MAX + 1];
    char num[IN_MAX + 1];

    if (!out)
        return false;
    out[0] = '\0';
    if (!in)
        return false;

    /* Step 1: decode and fold, then trim spaces (tab and Unicode spaces are ' ' by now). */
    long got = decode(in, buf);
    if (got < 0)
        return false;
    char *s = buf;
    size_t n = (size_t)got;
    while (n > 0 && s[0] == ' ') {
        s++;
        n--;
    }
    while (n > 0 && s[n - 1] == ' ')
        n--;

    /* Step 2: a tel: URI keeps its number and any ;ext= parameter. */
    if (starts(s, n, "tel:")) {
        s += 4;
        n = params(s, n - 4);
    }

    /* Step 3. */
    n = cutext(s, n);

    /* Steps 4 and 5 in one pass: "(0)" goes only after an international prefix. */
    bool intl = starts(s, n, "+") || starts(s, n, "00") || starts(s, n, "011");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (intl && i + 3 <= n && s[i] == '(' && s[i + 1] == '0' && s[i + 2] == ')') {
            i += 2;
            continue;
        }
        if (!sep(s[i]))
            num[m++] = s[i];
    }
    size_t p = (m > 0 && num[0] == '+') ? 1 : 0;
    if (p == m)
        return false;
    for (size_t i = p; i < m; i++)
        if (!digit(num[i]))
            return false;

    /* Step 6: find the digits after the international prefix. */
    const char *d = num;
    size_t dn = m;
    if (p) {
        d += 1;
        dn -= 1;
    } else if (starts(num, m, "011")) {
        d += 3;
        dn -= 3;
    } else if (starts(num, m, "00")) {
        d += 2;
        dn -= 2;
    } else if (m == 10) {
        memmove(num + 1, num, m);
        num[0] = '1';
        dn = 11;
    } else if (!(m == 11 && num[0] == '1')) {
        return false;
    }

    /* Steps 7 and 8. */
    if (!check(d, dn))
        return false;
    out[0] = '+';
    memcpy(out + 1, d, dn);
    out[dn + 1] = '\0';
    return true;
}

bool phone_is_e164(const char *s)
{
    if (!s || s[0] != '+')
        return false;
    size_t n = 0;
    while (n <= 15 && digit(s[n + 1]))
        n++;
    return s[n + 1] == '\0' && check(s + 1, n);
}

void phone_last4(const char *e164, char out[5])
{
    size_t n = 0, k = 0;

    if (!out)
        return;
    if (e164)
        n = strlen(e164);
    while (k < 4 && k < n && digit(e164[n - 1 - k]))
        k++;
    if (k)
        memcpy(out, e164 + n - k, k);
    out[k] = '\0';
}
