/*
 * test_signature.c - unit tests for src/channels/twilio/signature.c, X-Twilio-Signature checks.
 *
 * The first table is every form-encoded POST case of shared/specs/vectors/twilio_signature.json
 * (the JSON-body and GET cases are left out), copied as C data: the URL the server reconstructs,
 * the auth token, the raw request body, the X-Twilio-Signature header and the expected result.
 * Where Twilio signed another URL (the vectors' "signed_url": port, scheme, proxy and encoding
 * cases) the server-side "url" is what is validated, as the webhook handler does. Each body goes
 * through form_decode, as in the handler. Further tests cover a missing, empty or wrong-length
 * header, a missing token, the port variants (https with/without :443, http with/without :80,
 * non-default ports, a colon in the query), the order independence of the pairs and
 * twilio_signature_compute itself. The .c file is included (signature.o is left out).
 */
#include "../../../../src/channels/twilio/signature.c"
#include "../../testlib.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct sig_vec {
    const char *url, *token, *body, *signature;
    bool valid;
};

/* Every form-encoded POST case of twilio_signature.json, in file order. */
static const struct sig_vec vectors[] = {
    /* published_docs_example */
    {"https://mycompany.com/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&"
     "To=%2B18005551212",
     "GvWf1cFY/Q7PnoempGyD5oXAezc=", true},
    /* published_library_test_base */
    {"https://mycompany.com/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&"
     "To=%2B18005551212",
     "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
    /* published_docs_example_2349013030 */
    {"https://mycompany.com/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&"
     "To=%2B18005551212",
     "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", true},
    /* published_repeated_params_dedup */
    {"https://mycompany.com/myapp.php?foo=1&bar=2", "12345",
     "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234",
     "IK+Dwps556ElfBT0I3Rgjkr1wJU=", true},
    /* published_https_server_sees_port_1234: Twilio signed
     * https://mycompany.com/myapp.php?foo=1&bar=2 */
    {"https://mycompany.com:1234/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&"
     "To=%2B18005551212",
     "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true},
    /* published_https_signed_with_443: Twilio signed
     * https://mycompany.com:443/myapp.php?foo=1&bar=2 */
    {"https://mycompany.com/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&"
     "To=%2B18005551212",
     "kvajT1Ptam85bY51eRf/AJRuM3w=", true},
    /* published_http_signed_with_80: Twilio signed
     * http://mycompany.com:80/myapp.php?foo=1&bar=2 */
    {"http://mycompany.com/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&"
     "To=%2B18005551212",
     "0ZXoZLH/DfblKGATFgpif+LLRf4=", true},
    /* published_http_nondefault_port_1234 */
    {"http://mycompany.com:1234/myapp.php?foo=1&bar=2", "12345",
     "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&"
     "To=%2B18005551212",
     "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", true},
    /* inbound_sms_form */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "ToCountry=US&ToState=CA&SmsMessageSid=SM0a0b0c0d0e0f10111213141516171819&NumMedia=0&"
     "ToCity=SAN+FRANCISCO&FromZip=&SmsSid=SM0a0b0c0d0e0f10111213141516171819&FromState=NY&"
     "SmsStatus=received&FromCity=&Body=Hello%2C+is+this+thing+on%3F&FromCountry=US&"
     "To=%2B14155550100&MessagingServiceSid=MG55555555555555555555555555555555&ToZip=94105&"
     "NumSegments=1&MessageSid=SM0a0b0c0d0e0f10111213141516171819&"
     "AccountSid=AC11111111111111111111111111111111&From=%2B12125550123&ApiVersion=2010-04-01",
     "mfK9kBe4aiSkQ+PCG97hVy32njs=", true},
    /* query_string_and_form */
    {"https://sms.example.com/twilio/status?tenant=acme&msgid=42",
     "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "SmsSid=SM2222222222222222222222222222aaaa&SmsStatus=delivered&MessageStatus=delivered&"
     "To=%2B12125550123&MessagingServiceSid=MG55555555555555555555555555555555&"
     "MessageSid=SM2222222222222222222222222222aaaa&AccountSid=AC11111111111111111111111111111111&"
     "From=%2B14155550100&ApiVersion=2010-04-01&RawDlrDoneDate=2406141230",
     "kumfBR/D8cZdK9oJ1FT1V6e6sw8=", true},
    /* repeated_params */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "To=%2B14155550100&Tag=zeta&From=%2B12125550123&Tag=alpha&Tag=Mu",
     "QMgZ0o1Ry0HUsYzx8ioRiHbKlGA=", true},
    /* unicode_body */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "AccountSid=AC11111111111111111111111111111111&Body=Gr%C3%BC%C3%9Fe+aus+K%C3%B6ln+"
     "%F0%9F%91%8B+%E4%BD%A0%E5%A5%BD+%E2%80%94+%C2%BFqu%C3%A9+tal%3F&From=%2B12125550123&"
     "MessageSid=SM4444444444444444444444444444cccc&To=%2B14155550100",
     "+6owXuB4jAQBWJl6vk1sQtIgRic=", true},
    /* empty_body */
    {"https://sms.example.com/twilio/ping", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "",
     "JY7cOGGD2X2sDmUUX7S5kGEw+I4=", true},
    /* plus_and_percent_decoding */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=a%2Bb+%3D+c+%26+d%25&From=%2B12125550123&To=%2B14155550100",
     "qDts7Vwsk91NPOokVsyNJV6KwIg=", true},
    /* case_sensitive_name_order */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "body=lower&a=1&_ref=x&To=%2B14155550100&Body=Upper",
     "TY2groH3+Mn1BpUkbiNb9OodHVc=", true},
    /* https_signed_with_443_server_without_port: Twilio signed
     * https://sms.example.com:443/twilio/sms */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=port+test&From=%2B12125550123&To=%2B14155550100",
     "nX2pVqA5vwPOAxyMUoHDKi1akJE=", true},
    /* https_signed_without_port_server_with_443: Twilio signed
     * https://sms.example.com/twilio/sms */
    {"https://sms.example.com:443/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=port+test&From=%2B12125550123&To=%2B14155550100",
     "0kI4hvsJFme/dz7ApoO0GiEmaFo=", true},
    /* https_nondefault_port_match */
    {"https://sms.example.com:8443/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=port+test&From=%2B12125550123&To=%2B14155550100",
     "pSFiX6nSg2+XPbS7Mv6OyS2SXNQ=", true},
    /* https_nondefault_port_lost_behind_proxy: Twilio signed
     * https://sms.example.com:8443/twilio/sms */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=port+test&From=%2B12125550123&To=%2B14155550100",
     "pSFiX6nSg2+XPbS7Mv6OyS2SXNQ=", false},
    /* scheme_mismatch_behind_tls_proxy: Twilio signed
     * https://sms.example.com/twilio/sms */
    {"http://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=scheme+test&From=%2B12125550123&To=%2B14155550100",
     "lA+xYRK5j5zKe7XyH/4o1YLaHac=", false},
    /* internal_host_behind_proxy: Twilio signed
     * https://sms.example.com/twilio/sms */
    {"http://10.0.0.7:8080/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=host+test&From=%2B12125550123&To=%2B14155550100",
     "+yn+71TeAFEL9iyEbzxkCUZ19gA=", false},
    /* percent_encoded_query_kept */
    {"https://sms.example.com/twilio/sms?name=J%C3%BCrgen&note=a%20b%2Bc",
     "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=q&From=%2B12125550123",
     "6fp3E3LnTowngRhvsWl5Yvap+UQ=", true},
    /* percent_decoded_query_rejected: Twilio signed
     * https://sms.example.com/twilio/sms?name=J%C3%BCrgen&note=a%20b%2Bc */
    {"https://sms.example.com/twilio/sms?name=J\303\274rgen&note=a b+c",
     "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=q&From=%2B12125550123",
     "6fp3E3LnTowngRhvsWl5Yvap+UQ=", false},
    /* trailing_slash_mismatch: Twilio signed
     * https://sms.example.com/twilio/sms */
    {"https://sms.example.com/twilio/sms/", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=slash&From=%2B12125550123",
     "JoOqKpKa+BFzsLzqAxh+scuQIAw=", false},
    /* tampered_body_param */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "ToCountry=US&ToState=CA&SmsMessageSid=SM0a0b0c0d0e0f10111213141516171819&NumMedia=0&"
     "ToCity=SAN+FRANCISCO&FromZip=&SmsSid=SM0a0b0c0d0e0f10111213141516171819&FromState=NY&"
     "SmsStatus=received&FromCity=&Body=Hello%2C+is+this+thing+on%3F%21&FromCountry=US&"
     "To=%2B14155550100&MessagingServiceSid=MG55555555555555555555555555555555&ToZip=94105&"
     "NumSegments=1&MessageSid=SM0a0b0c0d0e0f10111213141516171819&"
     "AccountSid=AC11111111111111111111111111111111&From=%2B12125550123&ApiVersion=2010-04-01",
     "mfK9kBe4aiSkQ+PCG97hVy32njs=", false},
    /* tampered_signature */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "ToCountry=US&ToState=CA&SmsMessageSid=SM0a0b0c0d0e0f10111213141516171819&NumMedia=0&"
     "ToCity=SAN+FRANCISCO&FromZip=&SmsSid=SM0a0b0c0d0e0f10111213141516171819&FromState=NY&"
     "SmsStatus=received&FromCity=&Body=Hello%2C+is+this+thing+on%3F&FromCountry=US&"
     "To=%2B14155550100&MessagingServiceSid=MG55555555555555555555555555555555&ToZip=94105&"
     "NumSegments=1&MessageSid=SM0a0b0c0d0e0f10111213141516171819&"
     "AccountSid=AC11111111111111111111111111111111&From=%2B12125550123&ApiVersion=2010-04-01",
     "mfK9kAe4aiSkQ+PCG97hVy32njs=", false},
    /* empty_params_dropped_by_parser */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "ToCountry=US&ToState=CA&SmsMessageSid=SM0a0b0c0d0e0f10111213141516171819&NumMedia=0&"
     "ToCity=SAN+FRANCISCO&SmsSid=SM0a0b0c0d0e0f10111213141516171819&FromState=NY&"
     "SmsStatus=received&Body=Hello%2C+is+this+thing+on%3F&FromCountry=US&To=%2B14155550100&"
     "MessagingServiceSid=MG55555555555555555555555555555555&ToZip=94105&NumSegments=1&"
     "MessageSid=SM0a0b0c0d0e0f10111213141516171819&AccountSid=AC11111111111111111111111111111111&"
     "From=%2B12125550123&ApiVersion=2010-04-01",
     "mfK9kBe4aiSkQ+PCG97hVy32njs=", false},
    /* wrong_auth_token */
    {"https://sms.example.com/twilio/sms", "f3a1c9e2b7d84e6a9c0b1d2e3f405162",
     "Body=token&From=%2B12125550123",
     "i9sDw3kyABFhAxUnvbrF/Vow1VU=", false},
};

/* Decodes body into f (arena memory); 0 or the form_decode error. */
static int decode(const char *body, struct arena *a, struct form *f)
{
    return form_decode(body, strlen(body), 1000, a, f);
}

TEST(spec_vectors)
{
    CHECK_INT(COUNT(vectors), 28);
    int bad = 0;
    for (size_t i = 0; i < COUNT(vectors); i++) {
        const struct sig_vec *v = &vectors[i];
        struct arena *a = arena_new(0, 0);
        struct form f;
        int rc = decode(v->body, a, &f);
        bool got = rc == 0 && twilio_signature_valid(v->token, v->url, &f, v->signature);
        if (rc != 0 || got != v->valid) {
            fprintf(stderr, "  case %zu (%s): decode %d, valid %d, want %d\n", i, v->url, rc,
                    got, v->valid);
            bad++;
        }
        arena_free(a);
    }
    CHECK_INT(bad, 0);
}

/* For the valid vectors whose URL is the signed one, compute gives the header exactly. */
TEST(compute_matches_vectors)
{
    static const size_t same_url[] = {0, 1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 17, 21};
    for (size_t k = 0; k < COUNT(same_url); k++) {
        const struct sig_vec *v = &vectors[same_url[k]];
        CHECK(v->valid);
        struct arena *a = arena_new(0, 0);
        struct form f;
        CHECK_INT(decode(v->body, a, &f), 0);
        char sig[29];
        memset(sig, 'Z', sizeof sig);
        twilio_signature_compute(v->token, v->url, &f, sig);
        arena_free(a);
        CHECK_INT(strlen(sig), 28);
        CHECK_STR(sig, v->signature);
    }
}

/* The header must be present and exactly the 28 characters of the signature. */
TEST(header_and_token_required)
{
    const struct sig_vec *v = &vectors[0];
    struct arena *a = arena_new(0, 0);
    struct form f;
    CHECK_INT(decode(v->body, a, &f), 0);
    CHECK(twilio_signature_valid(v->token, v->url, &f, v->signature));

    char hdr[64];
    size_t n = strlen(v->signature);
    static const char *const fixed_bad[] = {
        "", "=", "GvWf1cFY/Q7PnoempGyD5oXAezc", "GvWf1cFY/Q7PnoempGyD5oXAezc==",
        "gvwf1cfy/q7pnoempgyd5oxaezc=", "GvWf1cFY_Q7PnoempGyD5oXAezc=", /* base64url spelling */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    };
    bool any = false;
    any |= twilio_signature_valid(v->token, v->url, &f, NULL);
    for (size_t i = 0; i < COUNT(fixed_bad); i++)
        any |= twilio_signature_valid(v->token, v->url, &f, fixed_bad[i]);
    /* with a space before or after */
    snprintf(hdr, sizeof hdr, " %s", v->signature);
    any |= twilio_signature_valid(v->token, v->url, &f, hdr);
    snprintf(hdr, sizeof hdr, "%s ", v->signature);
    any |= twilio_signature_valid(v->token, v->url, &f, hdr);
    /* the signature followed by more characters */
    snprintf(hdr, sizeof hdr, "%s%s", v->signature, v->signature);
    any |= twilio_signature_valid(v->token, v->url, &f, hdr);
    /* one character changed, at every position */
    for (size_t i = 0; i < n; i++) {
        memcpy(hdr, v->signature, n + 1);
        hdr[i] = hdr[i] == 'A' ? 'B' : 'A';
        any |= twilio_signature_valid(v->token, v->url, &f, hdr);
    }
    /* no token configured, or another token */
    any |= twilio_signature_valid(NULL, v->url, &f, v->signature);
    any |= twilio_signature_valid("", v->url, &f, v->signature);
    any |= twilio_signature_valid("12346", v->url, &f, v->signature);
    any |= twilio_signature_valid("12345 ", v->url, &f, v->signature);
    arena_free(a);
    CHECK(!any);
}

/* Signs with signed_url and validates against server_url (the URL the server rebuilt). */
TEST(port_variants)
{
    static const struct {
        const char *signed_url, *server_url;
        bool valid;
    } v[] = {
        {"https://h.example.com/sms", "https://h.example.com/sms", true},
        {"https://h.example.com:443/sms", "https://h.example.com/sms", true},
        {"https://h.example.com/sms", "https://h.example.com:443/sms", true},
        {"http://h.example.com:80/sms", "http://h.example.com/sms", true},
        {"http://h.example.com/sms", "http://h.example.com:80/sms", true},
        {"https://h.example.com/sms", "https://h.example.com:8443/sms", true}, /* port dropped */
        {"https://h.example.com:443/sms?t=12:30&a=b", "https://h.example.com/sms?t=12:30&a=b",
         true},
        {"https://h.example.com/sms?t=12:30", "https://h.example.com:443/sms?t=12:30", true},
        {"https://h.example.com:443?x=1", "https://h.example.com?x=1", true},
        {"https://h.example.com:443", "https://h.example.com", true},
        /* the wrong default port for the scheme is not a variant */
        {"https://h.example.com:80/sms", "https://h.example.com/sms", false},
        {"http://h.example.com:443/sms", "http://h.example.com/sms", false},
        /* a non-default port the server does not know about */
        {"https://h.example.com:8443/sms", "https://h.example.com/sms", false},
        {"https://h.example.com:8443/sms", "https://h.example.com:443/sms", false},
        /* scheme, host, path and query are all signed */
        {"https://h.example.com/sms", "http://h.example.com/sms", false},
        {"https://h.example.com/sms", "https://H.example.com/sms", false},
        {"https://h.example.com/sms", "https://h.example.com/sms/", false},
        {"https://h.example.com/sms?a=1", "https://h.example.com/sms", false},
        {"https://h.example.com/sms?a=1", "https://h.example.com/sms?a=2", false},
        /* a URL without a scheme has no variant but still validates as given */
        {"not a url", "not a url", true},
    };
    struct arena *a = arena_new(0, 0);
    struct form f;
    const char *body = "Body=port+test&From=%2B12125550123&To=%2B14155550100";
    CHECK_INT(decode(body, a, &f), 0);
    int bad = 0;
    for (size_t i = 0; i < COUNT(v); i++) {
        char sig[29];
        twilio_signature_compute("f3a1c9e2b7d84e6a9c0b1d2e3f405162", v[i].signed_url, &f, sig);
        bool got =
            twilio_signature_valid("f3a1c9e2b7d84e6a9c0b1d2e3f405162", v[i].server_url, &f, sig);
        if (got != v[i].valid) {
            fprintf(stderr, "  signed %s, server %s: %d\n", v[i].signed_url, v[i].server_url,
                    got);
            bad++;
        }
    }
    arena_free(a);
    CHECK_INT(bad, 0);
}

/* The pairs' order on the wire does not matter; identical duplicates count once; a value
 * differing only in a duplicate does matter. */
TEST(pair_order_and_duplicates)
{
    struct arena *a = arena_new(0, 0);
    struct form f1, f2, f3, f4;
    CHECK_INT(decode("To=%2B14155550100&Tag=zeta&From=%2B12125550123&Tag=alpha&Tag=Mu", a, &f1),
              0);
    CHECK_INT(decode("Tag=Mu&Tag=alpha&From=%2B12125550123&Tag=zeta&To=%2B14155550100", a, &f2),
              0);
    CHECK_INT(decode("Tag=Mu&Tag=alpha&From=%2B12125550123&Tag=zeta&To=%2B14155550100&Tag=Mu",
                     a, &f3),
              0);
    CHECK_INT(decode("Tag=Mu&Tag=alpha&From=%2B12125550123&Tag=zeta&To=%2B14155550100&Tag=mu",
                     a, &f4),
              0);
    const char *url = "https://sms.example.com/twilio/sms";
    char s1[29], s2[29], s3[29], s4[29];
    twilio_signature_compute("tok", url, &f1, s1);
    twilio_signature_compute("tok", url, &f2, s2);
    twilio_signature_compute("tok", url, &f3, s3);
    twilio_signature_compute("tok", url, &f4, s4);
    arena_free(a);
    CHECK_STR(s1, s2);
    CHECK_STR(s1, s3);
    CHECK(strcmp(s1, s4) != 0);
}

/* No pairs (NULL) signs the URL alone, the same as an empty body. */
TEST(url_only)
{
    struct arena *a = arena_new(0, 0);
    struct form empty;
    CHECK_INT(decode("", a, &empty), 0);
    char s1[29], s2[29];
    twilio_signature_compute("f3a1c9e2b7d84e6a9c0b1d2e3f405162",
                             "https://sms.example.com/twilio/ping", NULL, s1);
    twilio_signature_compute("f3a1c9e2b7d84e6a9c0b1d2e3f405162",
                             "https://sms.example.com/twilio/ping", &empty, s2);
    arena_free(a);
    CHECK_STR(s1, "JY7cOGGD2X2sDmUUX7S5kGEw+I4="); /* the empty_body vector */
    CHECK_STR(s2, s1);
    CHECK(twilio_signature_valid("f3a1c9e2b7d84e6a9c0b1d2e3f405162",
                                 "https://sms.example.com/twilio/ping", NULL, s1));
}

TEST_MAIN(T(spec_vectors), T(compute_matches_vectors), T(header_and_token_required),
          T(port_variants), T(pair_order_and_duplicates), T(url_only))
