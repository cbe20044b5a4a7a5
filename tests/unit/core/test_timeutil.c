/*
 * test_timeutil.c - unit tests for src/core/timeutil.c: microsecond timestamps and RFC 3339.
 *
 * Covers: time_format of known instants (the epoch, the API's example instant, leap days, the
 * microsecond edges, negative times, the 0000/9999 year clamp); the time_parse accept table
 * (date only, 'T'/'t'/space, no seconds, 1..9 fraction digits truncated to microseconds, Z,
 * +HH:MM, -HH:MM, +HHMM) and reject table (bad months and days, Feb 29 of non-leap years, bad
 * hours and offsets, junk before/after, empty, NULL); format/parse round trips; and
 * time_days_from_civil/time_civil_from_days agreeing over a range of ~10,000 years. The .c file
 * is included (timeutil.o is left out of this link).
 */
#include "../../../src/core/timeutil.c"
#include "../testlib.h"

#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define US TIME_US_PER_SEC

/* The API's example instant, 2025-11-08T03:18:30.730807Z. */
#define EXAMPLE INT64_C(1762571910730807)

TEST(format_known_instants)
{
    static const struct {
        int64_t t;
        const char *want;
    } v[] = {
        {0, "1970-01-01T00:00:00.000000Z"},
        {1, "1970-01-01T00:00:00.000001Z"},
        {999999, "1970-01-01T00:00:00.999999Z"},
        {US, "1970-01-01T00:00:01.000000Z"},
        {EXAMPLE, "2025-11-08T03:18:30.730807Z"},
        {INT64_C(1709208000000000), "2024-02-29T12:00:00.000000Z"},  /* leap day */
        {INT64_C(951782400000000), "2000-02-29T00:00:00.000000Z"},   /* leap day of a 400 year */
        {INT64_C(951868800000000), "2000-03-01T00:00:00.000000Z"},
        {INT64_C(1709251199999999), "2024-02-29T23:59:59.999999Z"},
        {INT64_C(1735689599999999), "2024-12-31T23:59:59.999999Z"},
        {INT64_C(1735689600000000), "2025-01-01T00:00:00.000000Z"},
        {INT64_C(4102444800000000), "2100-01-01T00:00:00.000000Z"},
        {INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z"}, /* the last instant */
        /* before the epoch */
        {-1, "1969-12-31T23:59:59.999999Z"},
        {-US, "1969-12-31T23:59:59.000000Z"},
        {-US - 1, "1969-12-31T23:59:58.999999Z"},
        {-86400 * US, "1969-12-31T00:00:00.000000Z"},
        {INT64_C(-62135596800000000), "0001-01-01T00:00:00.000000Z"},
        {INT64_C(-62167219200000000), "0000-01-01T00:00:00.000000Z"},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        char out[TIME_RFC3339_LEN + 1];
        memset(out, 'Z', sizeof out);
        size_t n = time_format(v[i].t, out);
        CHECK_INT(n, TIME_RFC3339_LEN);
        CHECK_INT(strlen(out), TIME_RFC3339_LEN);
        CHECK_STR(out, v[i].want);
    }
}

/* Years outside 0000..9999 keep the 27-character shape, with the year clamped. */
TEST(format_year_clamp)
{
    char out[TIME_RFC3339_LEN + 1];
    /* 10000-01-01T00:00:00Z */
    CHECK_INT(time_format(INT64_C(253402300800000000), out), TIME_RFC3339_LEN);
    CHECK_INT(strlen(out), TIME_RFC3339_LEN);
    CHECK(strncmp(out, "9999-", 5) == 0);
    CHECK(out[26] == 'Z');
    /* Far in the future: still four digits. */
    time_format(INT64_MAX / 2, out);
    CHECK_INT(strlen(out), TIME_RFC3339_LEN);
    CHECK(strncmp(out, "9999-", 5) == 0);
    /* Before year 0. */
    time_format(INT64_C(-62167219200000000) - 86400 * US, out);
    CHECK_INT(strlen(out), TIME_RFC3339_LEN);
    CHECK(strncmp(out, "0000-", 5) == 0);
    time_format(INT64_MIN / 2, out);
    CHECK_INT(strlen(out), TIME_RFC3339_LEN);
    CHECK(strncmp(out, "0000-", 5) == 0);
}

struct parse_case {
    const char *in;
    int64_t want;
};

static const struct parse_case accept[] = {
    {"1970-01-01", 0},
    {"2025-11-08", EXAMPLE - (3 * 3600 + 18 * 60 + 30) * US - 730807},
    {"2025-11-08T03:18:30.730807Z", EXAMPLE},
    {"2025-11-08 03:18:30.730807Z", EXAMPLE},
    {"2025-11-08t03:18:30.730807z", EXAMPLE},
    {"2025-11-08T03:18:30.730807", EXAMPLE}, /* no zone = UTC */
    {"2025-11-08T03:18:30Z", EXAMPLE - 730807},
    {"2025-11-08T03:18:30", EXAMPLE - 730807},
    {"2025-11-08T03:18Z", EXAMPLE - 30 * US - 730807},
    {"2025-11-08T03:18", EXAMPLE - 30 * US - 730807},
    /* fractions of 1..9 digits; beyond microseconds they are truncated */
    {"2025-11-08T03:18:30.7Z", EXAMPLE - 30807},
    {"2025-11-08T03:18:30.73Z", EXAMPLE - 807},
    {"2025-11-08T03:18:30.730Z", EXAMPLE - 807},
    {"2025-11-08T03:18:30.7308Z", EXAMPLE - 7},
    {"2025-11-08T03:18:30.73080Z", EXAMPLE - 7},
    {"2025-11-08T03:18:30.730807Z", EXAMPLE},
    {"2025-11-08T03:18:30.7308071Z", EXAMPLE},
    {"2025-11-08T03:18:30.73080799Z", EXAMPLE},
    {"2025-11-08T03:18:30.730807999Z", EXAMPLE},
    {"2025-11-08T03:18:30.000000001Z", EXAMPLE - 730807},
    {"2025-11-08T03:18:30,5Z", EXAMPLE - 230807}, /* ISO 8601 decimal comma */
    /* offsets */
    {"2025-11-08T03:18:30.730807+00:00", EXAMPLE},
    {"2025-11-08T03:18:30.730807-00:00", EXAMPLE},
    {"2025-11-08T05:18:30.730807+02:00", EXAMPLE},
    {"2025-11-07T22:18:30.730807-05:00", EXAMPLE},
    {"2025-11-08T08:48:30.730807+05:30", EXAMPLE},
    {"2025-11-07T15:33:30.730807-11:45", EXAMPLE},
    {"2025-11-08T05:18:30.730807+0200", EXAMPLE},
    {"2025-11-08T05:18+02:00", EXAMPLE - 30 * US - 730807},
    {"2025-11-09T02:18:30.730807+23:00", EXAMPLE},
    /* calendar edges */
    {"2024-02-29", INT64_C(1709164800000000)},
    {"2000-02-29T00:00:00Z", INT64_C(951782400000000)},
    {"2025-12-31T23:59:59.999999Z", INT64_C(1767225599999999)},
    {"2025-01-31", INT64_C(1738281600000000)},
    {"2025-04-30", INT64_C(1745971200000000)},
    {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999)},
    {"0001-01-01T00:00:00Z", INT64_C(-62135596800000000)},
    {"1969-12-31T23:59:59.999999Z", -1},
    {"2016-12-31T23:59:60Z", INT64_C(1483228800000000)}, /* leap second: the next second */
};

static const char *const reject[] = {
    "",
    "2025",
    "2025-11",
    "2025-11-8",
    "2025-1-08",
    "25-11-08",
    "2025/11/08",
    "20251108",
    "2025-13-01",
    "2025-00-10",
    "2025-11-00",
    "2025-11-32",
    "2025-11-31",
    "2025-04-31",
    "2025-06-31",
    "2025-02-30",
    "2023-02-29",
    "2025-02-29",
    "1900-02-29", /* divisible by 100, not by 400 */
    "2100-02-29",
    "abcd-ef-gh",
    " 2025-11-08",
    "2025-11-08 ",
    "2025-11-08x",
    "2025-11-08Z", /* a zone needs a time */
    "2025-11-08T",
    "2025-11-08T03",
    "2025-11-08T3:18",
    "2025-11-08T03:8",
    "2025-11-08T03-18",
    "2025-11-08T24:00",
    "2025-11-08T23:60",
    "2025-11-08T03:18:61",
    "2025-11-08T03:18:3",
    "2025-11-08T03:18:30.",
    "2025-11-08T03:18:30.Z",
    "2025-11-08T03:18:30.5x",
    "2025-11-08T03:18.5Z",
    "2025-11-08T03:18:30Zjunk",
    "2025-11-08T03:18:30ZZ",
    "2025-11-08T03:18:30 Z",
    "2025-11-08T03:18:30+2",
    "2025-11-08T03:18:30+02",
    "2025-11-08T03:18:30+02:",
    "2025-11-08T03:18:30+02:0",
    "2025-11-08T03:18:30+24:00",
    "2025-11-08T03:18:30+05:60",
    "2025-11-08T03:18:30+02:00 ",
    "2025-11-08T03:18:30UTC",
    "2025-11-08T03:18:30.730807Z\n",
    "2025-11-08TT03:18:30Z",
    "\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x95-11-08", /* full-width digits */
    "+2025-11-08",
    "-001-01-01",
};

TEST(parse_accept_table)
{
    int bad = 0;
    for (size_t i = 0; i < COUNT(accept); i++) {
        int64_t got = INT64_C(0x5A5A5A5A);
        if (!time_parse(accept[i].in, &got) || got != accept[i].want) {
            fprintf(stderr, "  \"%s\": got %lld, want %lld\n", accept[i].in, (long long)got,
                    (long long)accept[i].want);
            bad++;
        }
    }
    CHECK_INT(bad, 0);
}

TEST(parse_reject_table)
{
    int bad = 0;
    for (size_t i = 0; i < COUNT(reject); i++) {
        int64_t got = 12345;
        if (time_parse(reject[i], &got) || got != 12345) {
            fprintf(stderr, "  \"%s\" accepted (%lld) or out written\n", reject[i],
                    (long long)got);
            bad++;
        }
    }
    int64_t got = 12345;
    CHECK(!time_parse(NULL, &got));
    CHECK_INT(got, 12345);
    CHECK_INT(bad, 0);
}

/* Every leap-year rule, over 400 years of Feb 29ths. */
TEST(parse_feb29_every_year)
{
    for (int y = 1800; y < 2200; y++) {
        char s[24];
        snprintf(s, sizeof s, "%04d-02-29", y);
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int64_t t;
        if (time_parse(s, &t) != leap)
            fprintf(stderr, "  %s\n", s);
        CHECK(time_parse(s, &t) == leap);
        if (leap) {
            char out[TIME_RFC3339_LEN + 1];
            time_format(t, out);
            CHECK(strncmp(out, s, 10) == 0);
        }
    }
}

/* format then parse gives the same instant, across the whole supported range. */
TEST(round_trip_format_parse)
{
    static const int64_t fixed[] = {
        0, 1, -1, EXAMPLE, INT64_C(253402300799999999), INT64_C(-62167219200000000),
        INT64_C(951782400000000), INT64_C(-86400000000),
    };
    char out[TIME_RFC3339_LEN + 1];
    int64_t back;
    for (size_t i = 0; i < COUNT(fixed); i++) {
        time_format(fixed[i], out);
        CHECK(time_parse(out, &back));
        CHECK_INT(back, fixed[i]);
    }
    /* A deterministic spread of instants between 0000-01-01 and 9999-12-31. */
    const int64_t lo = INT64_C(-62167219200000000), hi = INT64_C(253402300799999999);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t t = lo + (int64_t)(x % (uint64_t)(hi - lo));
        time_format(t, out);
        if (!time_parse(out, &back) || back != t)
            fprintf(stderr, "  %lld -> %s -> %lld\n", (long long)t, out, (long long)back);
        CHECK(time_parse(out, &back));
        CHECK_INT(back, t);
    }
}

/* parse then format gives the canonical text back. */
TEST(round_trip_parse_format)
{
    static const struct {
        const char *in, *canonical;
    } v[] = {
        {"2025-11-08T03:18:30.730807Z", "2025-11-08T03:18:30.730807Z"},
        {"2025-11-08 03:18:30Z", "2025-11-08T03:18:30.000000Z"},
        {"2025-11-07T22:18:30.730807-05:00", "2025-11-08T03:18:30.730807Z"},
        {"2025-11-08T00:30+01:00", "2025-11-07T23:30:00.000000Z"},
        {"2024-02-29", "2024-02-29T00:00:00.000000Z"},
        {"1999-12-31T23:59:59.9999999Z", "1999-12-31T23:59:59.999999Z"},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        int64_t t;
        char out[TIME_RFC3339_LEN + 1];
        CHECK(time_parse(v[i].in, &t));
        time_format(t, out);
        CHECK_STR(out, v[i].canonical);
    }
}

TEST(civil_known_days)
{
    static const struct {
        int y;
        unsigned m, d;
        int64_t days;
    } v[] = {
        {1970, 1, 1, 0},      {1970, 1, 2, 1},      {1969, 12, 31, -1},  {2000, 2, 29, 11016},
        {2000, 3, 1, 11017},  {2025, 11, 8, 20400}, {1, 1, 1, -719162},  {0, 3, 1, -719468},
        {0, 1, 1, -719528},   {-1, 12, 31, -719529}, {9999, 12, 31, 2932896},
        {1900, 3, 1, -25508}, {2100, 3, 1, 47541},
    };
    for (size_t i = 0; i < COUNT(v); i++) {
        CHECK_INT(time_days_from_civil(v[i].y, v[i].m, v[i].d), v[i].days);
        int y;
        unsigned m, d;
        time_civil_from_days(v[i].days, &y, &m, &d);
        CHECK_INT(y, v[i].y);
        CHECK_INT(m, v[i].m);
        CHECK_INT(d, v[i].d);
    }
}

/* Walking day by day from year -400 to 10400, the two functions agree and the calendar only
 * ever moves to the next day, month or year. */
TEST(civil_round_trip_range)
{
    int64_t start = time_days_from_civil(-400, 1, 1);
    int64_t end = time_days_from_civil(10400, 12, 31);
    int py;
    unsigned pm, pd;
    time_civil_from_days(start, &py, &pm, &pd);
    CHECK_INT(py, -400);
    CHECK_INT(pm, 1);
    CHECK_INT(pd, 1);
    long long bad = 0;
    for (int64_t z = start + 1; z <= end; z++) {
        int y;
        unsigned m, d;
        time_civil_from_days(z, &y, &m, &d);
        bool next = (y == py && m == pm && d == pd + 1) ||
                    (y == py && m == pm + 1 && d == 1 && pd >= 28) ||
                    (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
        if (!next || time_days_from_civil(y, m, d) != z || m < 1 || m > 12 || d < 1 || d > 31) {
            if (bad++ < 5)
                fprintf(stderr, "  day %lld: %d-%u-%u after %d-%u-%u\n", (long long)z, y, m, d,
                        py, pm, pd);
        }
        py = y;
        pm = m;
        pd = d;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(py, 10400);
    CHECK_INT(pm, 12);
    CHECK_INT(pd, 31);
}

TEST(clocks)
{
    int64_t now = time_now_us();
    CHECK(now > INT64_C(1704067200000000)); /* after 2024-01-01 */
    int64_t a = time_mono_us(), b = time_mono_us();
    CHECK(b >= a);
}

TEST_MAIN(T(format_known_instants), T(format_year_clamp), T(parse_accept_table),
          T(parse_reject_table), T(parse_feb29_every_year), T(round_trip_format_parse),
          T(round_trip_parse_format), T(civil_known_days), T(civil_round_trip_range), T(clocks))
