/*
 * timeutil.c - fuzz target: RFC 3339 parsing and formatting (core/timeutil.h).
 *
 * The input is text handed to time_parse() (up to its first NUL). When it parses, the time is
 * formatted with time_format(), which must give 27 bytes of "YYYY-MM-DDTHH:MM:SS.ffffffZ"; that
 * text must parse again, to the same time whenever the year is within 0000..9999 (outside them
 * time_format clamps the instant, see cycle()), and format again to the same text. Independently,
 * the first eight input bytes (little-endian) are taken as any int64 timestamp and run through
 * the same format-parse cycle, so time_format() is exercised over its whole domain. Day counts
 * are also checked against the civil-date helpers (days -> civil -> days).
 */
#include "fuzz.h"

#include "core/timeutil.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in microseconds. */
#define T_MIN (INT64_C(-62167219200) * TIME_US_PER_SEC)
#define T_MAX (INT64_C(253402300800) * TIME_US_PER_SEC - 1)

static bool shaped(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    for (int i = 0; i < TIME_RFC3339_LEN; i++) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return false;
    }
    return s[TIME_RFC3339_LEN] == '\0';
}

/* Formats t and checks the text parses back to t, or, outside the four-digit years, to the
 * nearest instant inside them (time_format clamps the instant; until fbbfa4a it clamped only the
 * year, and overflowed on t near INT64_MIN: see the crash-* inputs). */
static void cycle(int64_t t, const char *from)
{
    char text[TIME_RFC3339_LEN + 1], text2[TIME_RFC3339_LEN + 1];
    size_t n = time_format(t, text);
    FUZZ_CHECK(n == TIME_RFC3339_LEN && shaped(text), "time_format(%lld) gave \"%.*s\"",
               (long long)t, (int)sizeof text, text);
    int64_t want = t < T_MIN ? T_MIN : t > T_MAX ? T_MAX : t, back = 0;
    FUZZ_CHECK(time_parse(text, &back), "\"%s\" (from %s, %lld) does not parse", text, from,
               (long long)t);
    FUZZ_CHECK(back == want, "\"%s\" (from %s): %lld became %lld", text, from, (long long)t,
               (long long)back);
    time_format(back, text2);
    FUZZ_CHECK(strcmp(text, text2) == 0, "\"%s\" formats again as \"%s\"", text, text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int64_t t = 0;
    if (time_parse(s, &t))
        cycle(t, "the input text");
    free(s);

    if (size >= 8) {
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = u << 8 | data[i];
        int64_t raw;
        memcpy(&raw, &u, sizeof raw);
        cycle(raw, "the first 8 bytes");

        /* civil dates over +-2^31 days: days -> (y, m, d) -> days */
        int64_t days = (int32_t)(uint32_t)u;
        int y;
        unsigned m, d;
        time_civil_from_days(days, &y, &m, &d);
        FUZZ_CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31, "day %lld: %d-%u-%u",
                   (long long)days, y, m, d);
        FUZZ_CHECK(time_days_from_civil(y, m, d) == days, "day %lld: %d-%u-%u maps back to %lld",
                   (long long)days, y, m, d, (long long)time_days_from_civil(y, m, d));
    }
    return 0;
}
