/*
 * phone.h - normalise phone numbers typed by people to E.164 (providers.md section 10).
 *
 * Layer: core. The normaliser turns input such as "(415) 555-0100", "+44 (0)20 7946 0958",
 * "tel:+1-415-555-0100" or the same typed with full-width digits into "+<7..15 digits>", with
 * NANP (+1) as the only default region, or rejects it. There is no per-country metadata, so the
 * result is deterministic. Channel prefixes such as "whatsapp:" must be stripped by the caller.
 * Every function here is pure: no allocation, no global or static state, no locale, so all of
 * them are thread-safe.
 */
#ifndef SB_PHONE_H
#define SB_PHONE_H

#include <stdbool.h>

#define PHONE_E164_MAX 17 /* '+' + up to 15 digits + NUL */

/* Normalises a phone number typed by a person to E.164 (default region NANP) following
 * providers.md §10. in: NUL-terminated UTF-8 (may be invalid UTF-8: then reject). out: caller
 * buffer of PHONE_E164_MAX bytes. Returns true and writes "+<digits>" into out, or false (out set
 * to "") when the input must be rejected. A NULL in, or an input longer than 256 bytes, is
 * rejected. */
bool phone_to_e164(const char *in, char out[PHONE_E164_MAX]);

/* True when s is already canonical E.164: '+', first digit 1-9, 7..15 digits total, and for +1
 * the NANP checks. Anything else, trailing spaces included, is false; so is NULL. */
bool phone_is_e164(const char *s);

/* Writes the last four digits of an E.164 number to out (5 bytes), for display names like
 * "Customer ••1234". Only the digits at the very end of e164 count: when there are fewer than
 * four, out gets those (maybe ""). out is always NUL-terminated. */
void phone_last4(const char *e164, char out[5]);

#endif
