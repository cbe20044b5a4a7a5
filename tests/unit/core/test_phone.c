/*
 * test_phone.c - unit tests for src/core/phone.c, the E.164 phone number normaliser.
 *
 * The first table is every case of shared/specs/vectors/phone_e164.json, copied as C data
 * (non-ASCII bytes as octal escapes); NULL means the normaliser must reject the input. The other
 * tests pin the readings of providers.md section 10 that the vectors do not cover (tel: parameters,
 * extension markers, "(0)" after 00/011, the Unicode separators), then invalid UTF-8, over-long
 * inputs, junk, phone_is_e164 and phone_last4. The module under test is pure and thread-safe, so
 * the cases need no set-up; the .c file is included to build the test as one translation unit.
 */
#include "../../../src/core/phone.c"
#include "../testlib.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct vec {
    const char *in;
    const char *want; /* NULL: rejected */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Runs phone_to_e164 over a table, prints every mismatch and returns how many there were. */
static int run(const struct vec *v, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char out[PHONE_E164_MAX];
        memset(out, 'Z', sizeof out);
        bool ok = phone_to_e164(v[i].in, out);
        const char *want = v[i].want ? v[i].want : "";
        if (ok != (v[i].want != NULL) || memchr(out, '\0', sizeof out) == NULL ||
            strcmp(out, want) != 0 || (ok && !phone_is_e164(out))) {
            fprintf(stderr, "  case %zu \"%s\": got %s \"%.*s\", want %s \"%s\"\n", i, v[i].in,
                    ok ? "true" : "false", (int)sizeof out, out, v[i].want ? "true" : "false",
                    want);
            bad++;
        }
    }
    return bad;
}

/* Every case of shared/specs/vectors/phone_e164.json, in file order. */
static const struct vec vectors[] = {
    /* E.164 with spaces */
    {"+1 415 555 0100", "+14155550100"},
    /* already E.164 */
    {"+14155550100", "+14155550100"},
    /* NANP national, default region */
    {"(415) 555-0100", "+14155550100"},
    /* dots */
    {"415.555.0100", "+14155550100"},
    /* dashes */
    {"415-555-0100", "+14155550100"},
    /* NANP trunk prefix 1 */
    {"1 (415) 555-0100", "+14155550100"},
    /* 11 digits starting with 1 */
    {"14155550100", "+14155550100"},
    /* toll-free */
    {"1-800-555-0199", "+18005550199"},
    /* no-break spaces */
    {"\302\240+1\302\240415\302\240555\302\2400100\302\240", "+14155550100"},
    /* U+2011 non-breaking hyphens */
    {"+1\342\200\221415\342\200\221555\342\200\2210100", "+14155550100"},
    /* full-width digits and plus */
    {"\357\274\213\357\274\221 \357\274\224\357\274\221\357\274\225 \357\274\225\357\274\225\357"
     "\274\225 \357\274\220\357\274\221\357\274\220\357\274\220",
     "+14155550100"},
    /* RFC 3966 tel URI */
    {"tel:+1-415-555-0100", "+14155550100"},
    /* extension dropped */
    {"+1 415 555 0100 ext. 25", "+14155550100"},
    /* x extension dropped */
    {"415-555-0100x7", "+14155550100"},
    /* NANP international access prefix 011 */
    {"011 44 20 7946 0958", "+442079460958"},
    /* international access prefix 00 */
    {"0044 20 7946 0958", "+442079460958"},
    /* (0) trunk marker removed */
    {"+44 (0)20 7946 0958", "+442079460958"},
    /* UK London */
    {"+44 20 7946 0958", "+442079460958"},
    /* Germany, short subscriber number */
    {"+49 30 901820", "+4930901820"},
    /* France */
    {"+33 1 23 45 67 89", "+33123456789"},
    /* Japan */
    {"+81 3-1234-5678", "+81312345678"},
    /* India mobile */
    {"+91 98765 43210", "+919876543210"},
    /* Australia mobile */
    {"+61 491 570 156", "+61491570156"},
    /* pitfall: '+' then a US number without 1 is read as country code 41 */
    {"+4155550100", "+4155550100"},
    /* 7-digit local number: no area code */
    {"555-0100", NULL},
    /* non-NANP national format needs a region the normaliser does not guess */
    {"020 7946 0958", NULL},
    /* NANP number one digit short */
    {"+1 415 555 010", NULL},
    /* N11 area code */
    {"+1 911 555 0100", NULL},
    /* exchange starting with 1 */
    {"+1 415 155 0100", NULL},
    /* area code starting with 0 */
    {"+1 015 555 0100", NULL},
    /* 11 digits not starting with 1 */
    {"24155550100", NULL},
    /* letters (vanity numbers) rejected */
    {"1-800-FLOWERS", NULL},
    /* doubled plus */
    {"++14155550100", NULL},
    /* country code cannot start with 0 */
    {"+0 20 7946 0958", NULL},
    /* 16 digits exceeds E.164 maximum of 15 */
    {"+1234567890123456", NULL},
    /* too short */
    {"+44 123", NULL},
    /* empty */
    {"", NULL},
    /* short code is not an E.164 number */
    {"12345", NULL},
    /* channel address: strip the channel prefix before normalising */
    {"whatsapp:+14155550100", NULL},
};

TEST(spec_vectors)
{
    CHECK_INT(COUNT(vectors), 39);
    CHECK_INT(run(vectors, COUNT(vectors)), 0);
}

/* Every accepted vector's output is canonical, and normalising it again changes nothing. */
TEST(spec_vectors_idempotent)
{
    for (size_t i = 0; i < COUNT(vectors); i++) {
        if (!vectors[i].want)
            continue;
        char out[PHONE_E164_MAX];
        CHECK(phone_is_e164(vectors[i].want));
        CHECK(phone_to_e164(vectors[i].want, out));
        CHECK_STR(out, vectors[i].want);
    }
}

/* Step 2: "tel:" is case-insensitive; its parameters are dropped except ";ext=". */
TEST(tel_uri)
{
    static const struct vec v[] = {
        {"TEL:+14155550100", "+14155550100"},
        {"Tel:+1-415-555-0100", "+14155550100"},
        {"tel:+1-415-555-0100;phone-context=example.com", "+14155550100"},
        {"tel:+1-415-555-0100;ext=25", "+14155550100"},
        {"tel:+1-415-555-0100;isub=12;EXT=25", "+14155550100"},
        {"tel:+1-415-555-0100;ext=25;isub=1", "+14155550100"},
        {"tel:+1-415-555-0100;isub=1;phone-context=x", "+14155550100"},
        {"tel:+44-20-7946-0958;ext=abc", NULL},
        {"tel:", NULL},
        {"tel:;ext=25", NULL},
        {"tel:tel:+14155550100", NULL},
        {"tel +14155550100", NULL},
        /* Without "tel:" nothing is a parameter, so a stray ';' is junk. */
        {"+1-415-555-0100;foo=bar", NULL},
        {"+1-415-555-0100;", NULL},
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Step 3: every extension marker, case-insensitive, with and without spaces, 1..7 digits. */
TEST(extensions)
{
    static const struct vec v[] = {
        {"+1 415 555 0100;ext=25", "+14155550100"},
        {"+1 415 555 0100 ;EXT=25", "+14155550100"},
        {"+1 415 555 0100 ext 25", "+14155550100"},
        {"+1 415 555 0100 EXT25", "+14155550100"},
        {"+1 415 555 0100ext.25", "+14155550100"},
        {"+1 415 555 0100 Ext. 25", "+14155550100"},
        {"+1 415 555 0100 extension 1234567", "+14155550100"},
        {"+1 415 555 0100 EXTENSION 1", "+14155550100"},
        {"+1 415 555 0100 X 7", "+14155550100"},
        {"415 555 0100 #25", "+14155550100"},
        {"415 555 0100#25", "+14155550100"},
        {"415 555 0100,25", "+14155550100"},
        {"415 555 0100,,,25", "+14155550100"},
        {"415 555 0100 , 25", "+14155550100"},
        {"+1 415 555 0100\tx\t25", "+14155550100"},
        {"+1 415 555 0100 ext. \357\274\222\357\274\225", "+14155550100"}, /* full-width 25 */
        {"+44 20 7946 0958 x 123", "+442079460958"},
        {"+1 415 555 0100 x12345678", NULL}, /* 8 digits is no extension */
        {"+1 415 555 0100 x", NULL},
        {"+1 415 555 0100 ext", NULL},
        {"+1 415 555 0100 extn 25", NULL},
        {"+1 415 555 0100 x 25 x 3", NULL}, /* only one extension is removed */
        {"+1 415 555 0100 x 2-5", NULL},
        {"+1 415 555 0100 ; ext=25", NULL},
        {"x25", NULL},
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Step 4: "(0)" is removed only when the string starts with '+', "00" or "011", and literally. */
TEST(trunk_zero)
{
    static const struct vec v[] = {
        {"0044 (0)20 7946 0958", "+442079460958"},
        {"011 44 (0)20 7946 0958", "+442079460958"},
        {"+44(0)2079460958", "+442079460958"},
        {"+44 (0) 20 7946 0958", "+442079460958"},
        {"tel:+44(0)20-7946-0958", "+442079460958"},
        {"+49 (0)30 901820", "+4930901820"},
        {"+1 (415) 555-0100", "+14155550100"},
        {"+(44) 20 7946 0958", "+442079460958"},
        /* Not literally "(0)": the parentheses go as separators and the 0 stays. */
        {"+44 ( 0 )20 7946 0958", "+4402079460958"},
        /* National: no international prefix, so the 0 stays and the number has no region. */
        {"(0)20 7946 0958", NULL},
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Steps 1 and 5: the Unicode spaces, hyphens and minus sign; tab; full-width digits and plus. */
TEST(unicode_separators)
{
    static const struct vec v[] = {
        {"\t+1 415 555 0100\t", "+14155550100"},
        {"\342\200\207+1\342\200\207415\342\200\207555\342\200\2070100\342\200\207",
         "+14155550100"}, /* U+2007 */
        {"\342\200\257+1\342\200\257415\342\200\257555\342\200\2570100\342\200\257",
         "+14155550100"}, /* U+202F */
        {"+1\342\200\220415\342\200\220555\342\200\2200100", "+14155550100"}, /* U+2010 */
        {"+1\342\200\222415\342\200\223555\342\200\2240100", "+14155550100"}, /* U+2012..14 */
        {"+1\342\200\225415\342\200\225555\342\200\2250100", "+14155550100"}, /* U+2015 */
        {"+1\342\210\222415\342\210\222555\342\210\2220100", "+14155550100"}, /* U+2212 */
        {"+1/415/555/0100", "+14155550100"},
        {"\357\274\213\357\274\224\357\274\224 \357\274\222\357\274\220 7946 0958",
         "+442079460958"}, /* full-width +44 20 */
        {"\357\274\220\357\274\220\357\274\224\357\274\224 20 7946 0958",
         "+442079460958"}, /* full-width 0044 */
        {"\357\274\213\357\274\213\357\274\221 415 555 0100", NULL}, /* full-width ++1 */
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Steps 6 and 7: prefixes, national lengths, the NANP checks and the 7..15 digit range. */
TEST(prefixes_and_lengths)
{
    static const struct vec v[] = {
        {"4155550100", "+14155550100"},
        {"0111 415 555 0100", "+14155550100"},
        {"001 415 555 0100", "+14155550100"},
        {"+1 212 555 0100", "+12125550100"},
        {"+1 415 911 0100", "+14159110100"}, /* only the area code may not be N11 */
        {"+2345678", "+2345678"},
        {"+234567890123456", "+234567890123456"},
        {"00234567890123456", "+234567890123456"},
        {"+1", NULL},
        {"+1234567", NULL}, /* starts with 1, so NANP: 11 digits needed */
        {"+234567", NULL},
        {"+2345678901234567", NULL},
        {"+1 415 555 01000", NULL},
        {"+1 211 555 0100", NULL},
        {"+1 411 555 0100", NULL},
        {"+1 115 555 0100", NULL},
        {"+1 415 055 0100", NULL},
        {"1415555010", NULL}, /* 10 digits, so "1" + digits: area code 141 starts with 1 */
        {"0155550100", NULL},
        {"141555501000", NULL},
        {"00", NULL},
        {"011", NULL},
        {"+", NULL},
        {"0", NULL},
        {"000441234567", NULL},
        {"0110441234567", NULL},
        {"   ", NULL},
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Invalid UTF-8 anywhere, and valid code points the spec does not name, reject the input. */
TEST(invalid_utf8)
{
    static const struct vec v[] = {
        {"+1 415 555 0100\200", NULL},             /* lone continuation byte */
        {"\200+14155550100", NULL},                /* lone continuation byte first */
        {"+14155550100\302", NULL},                /* truncated two-byte sequence */
        {"+1\302 415 555 0100", NULL},             /* lead byte then ASCII */
        {"+14155550100\342\200", NULL},            /* truncated three-byte sequence */
        {"+1\342\200 415 555 0100", NULL},         /* truncated three-byte sequence, then ASCII */
        {"+1\342\200\221\221415 555 0100", NULL},  /* extra continuation byte */
        {"+1\340\202\240415 555 0100", NULL},      /* overlong U+00A0 */
        {"+1\300\240415 555 0100", NULL},          /* overlong (C0) */
        {"\301\253" "14155550100", NULL},          /* overlong '+' (C1 AB) */
        {"+1\355\240\200415 555 0100", NULL},      /* surrogate U+D800 */
        {"+1\360\237\223\236415 555 0100", NULL},  /* U+1F4DE, valid but four bytes */
        {"+1\360\200\200\261415 555 0100", NULL},  /* overlong four-byte '1' */
        {"+1\364\220\200\200415 555 0100", NULL},  /* above U+10FFFF */
        {"+1\370\210\200\200\200415 555 0100", NULL},
        {"+1\376415 555 0100", NULL},
        {"+1\377415 555 0100", NULL},
        {"+1 415 555 0100 \303\251", NULL},        /* U+00E9 */
        {"\357\273\277+14155550100", NULL},        /* U+FEFF byte order mark */
        {"+1 \357\274\210415\357\274\211 555 0100", NULL}, /* full-width parentheses */
        {"+1\357\274\215415 555 0100", NULL},      /* U+FF0D full-width hyphen-minus */
        {"+1\342\200\226415 555 0100", NULL},      /* U+2016, just past the hyphens */
        {"+1\342\200\211415 555 0100", NULL},      /* U+2009 thin space, not named */
        {"+1\343\200\200415 555 0100", NULL},      /* U+3000 ideographic space */
        {"+1 \331\244\331\241\331\245 555 0100", NULL}, /* Arabic-Indic digits */
        {"+1\342\210\222\342\210", NULL},          /* minus sign, then truncated */
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Letters, symbols, controls and stray '+' are rejected, not skipped. */
TEST(embedded_junk)
{
    static const struct vec v[] = {
        {"+1 415 555 0100 abc", NULL},
        {"+1 415*555 0100", NULL},
        {"+1_415_555_0100", NULL},
        {"+1 415 555+0100", NULL},
        {"14155550100+", NULL},
        {"+1,415,555,0100", NULL},
        {"+1 415 555 0100\n", NULL},
        {"\n+14155550100", NULL},
        {"+1 415 555 0100\r\n", NULL},
        {"+1 415 555\0010100", NULL},
        {"+1 415 555 0100\177", NULL},
        {"+1 415 555 0100 :", NULL},
        {"sms:+14155550100", NULL},
        {"mailto:+14155550100", NULL},
        {"+1 (415) 555-0100 (cell)", NULL},
        {"call 415-555-0100", NULL},
        {"+1 415 555 O1OO", NULL},
        {"+1 415 555 01OO", NULL},
    };
    CHECK_INT(run(v, COUNT(v)), 0);
}

/* Inputs up to 256 bytes are read; longer ones are rejected whatever they hold. */
TEST(overlong_input)
{
    char in[4097];
    char out[PHONE_E164_MAX];

    /* 12 bytes of number and 244 trailing spaces: 256 bytes, accepted. */
    memset(in, ' ', sizeof in);
    memcpy(in, "+14155550100", 12);
    in[256] = '\0';
    CHECK(phone_to_e164(in, out));
    CHECK_STR(out, "+14155550100");
    /* One more space: 257 bytes, rejected. */
    in[256] = ' ';
    in[257] = '\0';
    CHECK(!phone_to_e164(in, out));
    CHECK_STR(out, "");
    /* 4096 bytes. */
    in[4096] = '\0';
    CHECK(!phone_to_e164(in, out));
    CHECK_STR(out, "");

    /* 256 digits: within the byte limit, but far too many digits. */
    memset(in, '7', 256);
    in[256] = '\0';
    CHECK(!phone_to_e164(in, out));
    in[0] = '+';
    CHECK(!phone_to_e164(in, out));
    CHECK_STR(out, "");

    /* 85 full-width digits is 255 bytes that decode to 85 digits. */
    for (int i = 0; i < 85; i++)
        memcpy(in + 3 * i, "\357\274\221", 3);
    in[255] = '\0';
    CHECK(!phone_to_e164(in, out));

    /* 240 separators inside a number. */
    memset(in, '-', 252);
    memcpy(in, "+1", 2);
    memcpy(in + 242, "4155550100", 10);
    in[252] = '\0';
    CHECK(phone_to_e164(in, out));
    CHECK_STR(out, "+14155550100");

    /* 80 trunk-zero markers after +44: 253 bytes. */
    memcpy(in, "+44", 3);
    for (int i = 0; i < 80; i++)
        memcpy(in + 3 + 3 * i, "(0)", 3);
    memcpy(in + 243, "2079460958", 10);
    in[253] = '\0';
    CHECK(phone_to_e164(in, out));
    CHECK_STR(out, "+442079460958");
}

/* A rejection always leaves out empty, also after an earlier success; NULL input is rejected. */
TEST(reject_clears_out)
{
    char out[PHONE_E164_MAX];

    CHECK(phone_to_e164("+14155550100", out));
    CHECK_STR(out, "+14155550100");
    CHECK(!phone_to_e164("nope", out));
    CHECK_STR(out, "");
    memcpy(out, "garbage12345678", 16);
    CHECK(!phone_to_e164(NULL, out));
    CHECK_STR(out, "");
    CHECK(!phone_to_e164("+1 415 555 0100", NULL));
}

TEST(is_e164)
{
    static const char *const yes[] = {
        "+14155550100", "+18005550199",     "+442079460958", "+4930901820",
        "+4155550100",  "+234567890123456", "+2345678",      "+12125550100",
    };
    static const char *const no[] = {
        "",
        "+",
        "+1",
        "14155550100",
        "+1415555010",
        "+141555501000",
        "+19115550100",
        "+12115550100",
        "+14151550100",
        "+14150550100",
        "+10155550100",
        "+1234567",
        "+234567",
        "+2345678901234567",
        "+0441234567",
        "++14155550100",
        "+1 4155550100",
        "+1-415-555-0100",
        "+14155550100 ",
        " +14155550100",
        "+1415555010a",
        "+44 20 7946 0958",
        ("\357\274\213" "14155550100"), /* full-width '+' */
        "+1415555\357\274\220100",
        "tel:+14155550100",
        "00442079460958",
    };
    for (size_t i = 0; i < COUNT(yes); i++) {
        if (!phone_is_e164(yes[i]))
            fprintf(stderr, "  yes[%zu] \"%s\"\n", i, yes[i]);
        CHECK(phone_is_e164(yes[i]));
    }
    for (size_t i = 0; i < COUNT(no); i++) {
        if (phone_is_e164(no[i]))
            fprintf(stderr, "  no[%zu] \"%s\"\n", i, no[i]);
        CHECK(!phone_is_e164(no[i]));
    }
    CHECK(!phone_is_e164(NULL));

    /* A very long run of digits is rejected without reading it all as a number. */
    char big[302];
    memset(big, '9', sizeof big);
    big[0] = '+';
    big[301] = '\0';
    CHECK(!phone_is_e164(big));
    big[16] = '\0';
    CHECK(phone_is_e164(big)); /* '+' and 15 nines */
    big[16] = '9';
    big[17] = '\0';
    CHECK(!phone_is_e164(big)); /* 16 nines */
}

TEST(last4)
{
    char out[5];

    memset(out, 'Z', sizeof out);
    phone_last4("+14155550100", out);
    CHECK_STR(out, "0100");
    phone_last4("+442079460958", out);
    CHECK_STR(out, "0958");
    phone_last4("+4930901820", out);
    CHECK_STR(out, "1820");
    phone_last4("+234567890123456", out);
    CHECK_STR(out, "3456");
    phone_last4("1234", out);
    CHECK_STR(out, "1234");
    phone_last4("+12", out);
    CHECK_STR(out, "12");
    phone_last4("+", out);
    CHECK_STR(out, "");
    phone_last4("", out);
    CHECK_STR(out, "");
    phone_last4("+1415555010x", out);
    CHECK_STR(out, "");
    memset(out, 'Z', sizeof out);
    phone_last4(NULL, out);
    CHECK_STR(out, "");

    /* Straight from the normaliser, as the display-name code will use it. */
    char e164[PHONE_E164_MAX];
    CHECK(phone_to_e164("(415) 555-0199 x 12", e164));
    phone_last4(e164, out);
    CHECK_STR(out, "0199");
}

TEST_MAIN(T(spec_vectors), T(spec_vectors_idempotent), T(tel_uri), T(extensions), T(trunk_zero),
          T(unicode_separators), T(prefixes_and_lengths), T(invalid_utf8), T(embedded_junk),
          T(overlong_input), T(reject_clears_out), T(is_e164), T(last4))
