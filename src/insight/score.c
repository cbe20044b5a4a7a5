/*
 * score.c - conversation scoring: tokenizer, lexicon, rules and explanation (see score.h).
 *
 * Layer: insight; calls only core/. Pure and thread-safe: the only static data is const, the
 * scratch state lives on the heap for the duration of one call, results go to the caller's arena.
 *
 * Reading. Each message is read line by line. A line belongs to the customer or to the business:
 * by the message direction, or for voice by its "Customer:" / "Assistant:" label. Quoted lines and
 * the quoted history of an e-mail ("> ...", "On ... wrote:", "-----Original Message-----") are
 * skipped. Words are runs of ASCII letters and digits, lower-cased by hand (no <ctype.h>, so no
 * locale), with inner apostrophes kept (the typographic U+2019 counts as one). '?' is a token of
 * its own; other punctuation ends a clause; every other byte, non-ASCII included, separates words.
 *
 * Matching. Tokens flow through a small sliding window. At each token the lexicon patterns whose
 * first word can start there are tried, and the longest match wins (leftmost-longest, so "thank
 * you so much" beats "thank", and "speak to a manager" beats "manager"); the matched tokens are
 * consumed. A pattern is words separated by spaces; a slot lists alternatives with '|', a slot
 * starting with '~' is optional, and "?" matches the question-mark token. A negator among the
 * three words before a match, within the same clause ("but" also ends a clause), negates it; an
 * intensifier right before a sentiment word adds 1 to its weight.
 *
 * Rules. Negating a positive word makes it as negative ("not happy"); negating a negative word
 * makes it mildly positive, +1 ("not bad", "no complaints"); a negated escalation, request or
 * confirmation has no effect. The customer's weighted hits give the positive and negative sums:
 * mixed when both sides have a hit of weight >= 2 and neither sum is more than twice the other,
 * else the sign of their difference. The outcome comes from the first rule that holds: booking
 * call succeeded, reschedule call succeeded, cancel call succeeded, escalation (event, transfer
 * call, the customer asking for a person, the assistant transferring), complaint word; then, for
 * sms/email only, a customer request confirmed by a business message in or after the request's
 * message (reschedule, cancel, booking; a "yes" answering an earlier business offer to book counts
 * as a booking request); a customer question or an availability check (info_request); no customer
 * content, or a voice call under 10 s with fewer than 2 customer lines (abandoned); else
 * unresolved. The score starts at 5; sentiment adds up to +-3 (half the sum, rounded away from
 * zero; 0 when mixed), the outcome +2 booked, +1 rescheduled, -1 escalated or abandoned, -2
 * complaint; gratitude +1; two or more clarifications -1; then it is clamped to 1..10. The
 * explanation lists each rule with its delta, so base + deltas = score.
 */
#include "insight/score.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- lexicon ------------------------------------------------------------------------------ */

enum kind {
    K_SENT,        /* plain sentiment word */
    K_GRAT,        /* gratitude */
    K_COMPL,       /* complaint */
    K_ESC,         /* asking for (or handing over to) a person */
    K_CLAR,        /* a clarification: "what?", "can you repeat" */
    K_WANT_BOOK,   /* customer requests (the sms/email outcome rules) */
    K_WANT_MOVE,
    K_WANT_CANCEL,
    K_DONE_BOOK,   /* business confirmations (the sms/email outcome rules) */
    K_DONE_MOVE,
    K_DONE_CANCEL,
    K_OFFER,       /* the business offers to book ("would you like to book?") */
    K_ACCEPT,      /* the customer says yes to such an offer in a later message */
    K_IGNORE,      /* a phrase not to be read as its parts: "no thanks", "cancellation policy" */
};

static const char *const KIND_NAME[] = {
    "sentiment", "gratitude", "complaint", "escalation", "clarification",
    "booking_request", "reschedule_request", "cancel_request",
    "booking_confirmed", "reschedule_confirmed", "cancel_confirmed", "booking_offer",
    "booking_accepted", "ignore",
};

enum { CUST = 1, BIZ = 2, BOTH = 3 }; /* which side's lines an entry is matched on */

struct lex {
    const char *pat;
    signed char weight;
    unsigned char kind, side;
};

/* Longest pattern, in tokens (a test checks every entry against it). */
#define SLOTS 6

static const struct lex LEX[] = {
    /* gratitude */
    {"thank|thanks ~you so|very|ever much", 3, K_GRAT, CUST},
    {"thank|thanks ~you a lot|ton|bunch|million", 3, K_GRAT, CUST},
    {"can't|cant|cannot thank ~you enough", 3, K_GRAT, CUST},
    {"many|huge thanks", 3, K_GRAT, CUST},
    {"much|greatly appreciated", 3, K_GRAT, CUST},
    {"tysm", 3, K_GRAT, CUST},
    {"thank|thanks|thankyou|thx|appreciate|appreciated|grateful|thankful", 2, K_GRAT, CUST},
    {"thank|thanks ~you for nothing", -2, K_SENT, CUST},
    {"no thanks|thank|thx", 0, K_IGNORE, CUST},
    /* positive */
    {"perfect|awesome|amazing|excellent|wonderful|fantastic|fabulous|outstanding|brilliant|"
     "incredible",
     3, K_SENT, CUST},
    {"you're|youre the best", 3, K_SENT, CUST},
    {"couldn't|couldnt|not be happier|better", 3, K_SENT, CUST},
    {"love|loved|lovely|great|happy|glad|pleased|helpful|excited|delighted|beautiful|satisfied|"
     "impressed|recommend|recommended",
     2, K_SENT, CUST},
    {"can't|cant|cannot wait", 2, K_SENT, CUST},
    {"good|nice|cool|fine|easy|convenient|friendly|yay", 1, K_SENT, CUST},
    {"works for me", 1, K_SENT, CUST},
    {"no problem|problems|worries|worry", 1, K_SENT, CUST},
    {"good morning|afternoon|evening|night", 0, K_IGNORE, CUST},
    /* negative */
    {"awful|horrible|hate|hated|disgusting|furious|angry|pathetic|appalling|horrendous|livid", -3,
     K_SENT, CUST},
    {"never again", -3, K_SENT, CUST},
    {"waste|wasted ~of my time|money", -3, K_SENT, CUST},
    {"bad|upset|annoyed|annoying|disappointed|disappointing|unhappy|useless|ridiculous|mad|poor|"
     "sucks|ugh",
     -2, K_SENT, CUST},
    {"still waiting", -2, K_SENT, CUST},
    {"hung up", -2, K_SENT, CUST},
    {"confused|confusing|problem|problems|issue|issues|wrong|mistake|difficult|unfortunately|"
     "expensive|pricey|sad|worried|inconvenient",
     -1, K_SENT, CUST},
    /* complaints */
    {"charged|billed ~me twice|double", -3, K_COMPL, CUST},
    {"double charged|billed|charge|charging", -3, K_COMPL, CUST},
    {"overcharged|scam|scammed|unacceptable|unprofessional|terrible|rude|worst", -3, K_COMPL, CUST},
    {"ripped off", -3, K_COMPL, CUST},
    {"refund|refunds|refunded|complaint|complaints|complain|complaining", -2, K_COMPL, CUST},
    {"frustrated|frustrating|frustration", -2, K_COMPL, CUST},
    {"manager", -1, K_COMPL, CUST},
    {"refund|cancellation|cancel policy|policies|fee|fees", 0, K_IGNORE, BOTH},
    /* escalation */
    {"speak|talk|chat to|with ~a|an|the|your|some|someone|real|live|actual ~real|live|actual "
     "human|humans|person|manager|someone|somebody|representative|rep|agent|receptionist|staff|"
     "supervisor|owner|operator",
     -1, K_ESC, CUST},
    {"real|actual|live person|human|people", -1, K_ESC, CUST},
    {"transfer me", -1, K_ESC, CUST},
    {"operator|representative", -1, K_ESC, CUST},
    {"transfer|transferring you", 0, K_ESC, BIZ},
    /* clarifications */
    {"what|sorry|pardon|huh|eh|hmm ?", 0, K_CLAR, BOTH},
    {"excuse|pardon me ?", 0, K_CLAR, BOTH},
    {"don't|dont|didn't|didnt|doesn't|doesnt understand", 0, K_CLAR, BOTH},
    {"do|did|does not understand", 0, K_CLAR, BOTH},
    {"didn't|didnt catch|get|hear that|it|you ~?", 0, K_CLAR, BOTH},
    {"did not catch|get|hear that|it|you ~?", 0, K_CLAR, BOTH},
    {"can't|cant|cannot|couldn't|couldnt hear|understand you", 0, K_CLAR, BOTH},
    {"can|could|would you ~please repeat|rephrase ~that|it ~?", 0, K_CLAR, BOTH},
    {"say that|it again ~?", 0, K_CLAR, BOTH},
    {"come again ~?", 0, K_CLAR, BOTH},
    {"repeat that ~?", 0, K_CLAR, BOTH},
    {"what did you say ~?", 0, K_CLAR, BOTH},
    {"you're|youre breaking up", 0, K_CLAR, CUST},
    /* customer requests */
    {"reschedule|rescheduling|rebook|rebooking", 0, K_WANT_MOVE, CUST},
    {"re schedule|book", 0, K_WANT_MOVE, CUST},
    {"move|change|switch|push ~my|the|our appointment|appt|booking|time|visit", 0, K_WANT_MOVE,
     CUST},
    {"cancel|cancelling|canceling|cancellation", 0, K_WANT_CANCEL, CUST},
    {"book|booking|appointment|appointments|appt|schedule|scheduling|reserve", 0, K_WANT_BOOK,
     CUST},
    {"yes|yeah|yep|yup|sure|ok|okay|please|absolutely|definitely", 0, K_ACCEPT, CUST},
    /* business confirmations */
    {"rescheduled|moved", 0, K_DONE_MOVE, BIZ},
    {"cancelled|canceled", 0, K_DONE_CANCEL, BIZ},
    {"cancellation ~is|has ~been confirmed|complete|completed|processed", 0, K_DONE_CANCEL, BIZ},
    {"fully|completely booked", 0, K_IGNORE, BIZ},
    {"booked up|solid", 0, K_IGNORE, BIZ},
    {"booked|confirmed|scheduled|reserved", 0, K_DONE_BOOK, BIZ},
    {"see|seeing you", 0, K_DONE_BOOK, BIZ},
    {"all set", 0, K_DONE_BOOK, BIZ},
    {"book|booking|schedule|appointment|appt", 0, K_OFFER, BIZ},
};

#define LEX_N (sizeof LEX / sizeof LEX[0])
_Static_assert(LEX_N < 256, "lexicon indexes are bytes");

static const char *const NEGATORS[] = {
    "not", "never", "no", "don't", "dont", "isn't", "isnt", "wasn't", "wasnt", "can't", "cant",
    "cannot", "won't", "wont", "didn't", "didnt", "doesn't", "doesnt", "couldn't", "couldnt",
    "wouldn't", "wouldnt", "aren't", "arent", "weren't", "werent", "haven't", "havent", "hasn't",
    "hasnt", "shouldn't", "shouldnt", "ain't", "aint", "nothing", "nobody", "none", "neither",
    "nor", "without", "hardly", "barely", NULL,
};

static const char *const INTENSIFIERS[] = {
    "very", "really", "so", "super", "extremely", "absolutely", "incredibly", "totally", "truly",
    "completely", "seriously", "highly", "deeply", "too", "soo", "sooo", NULL,
};

static const char *const WH_WORDS[] = {
    "what", "what's", "whats", "when", "when's", "where", "where's", "how", "how's", "hows",
    "which", "who", "who's", "why", NULL,
};

static const char *const WHO_CUSTOMER[] = {
    "customer", "caller", "client", "patient", "user", "guest", "human", NULL,
};

static const char *const WHO_BUSINESS[] = {
    "assistant", "ava", "agent", "ai", "bot", "receptionist", "system", "staff", "business", NULL,
};

/* ---- outcomes, functions, events ---------------------------------------------------------- */

enum outcome { O_BOOK, O_MOVE, O_CANCEL, O_INFO, O_COMPL, O_ESC, O_ABANDON, O_UNRES };

static const struct {
    const char *name, *phrase, *subject;
    int delta;
} OUTCOMES[] = {
    [O_BOOK] = {"appointment_scheduled", "customer booked an appointment", "Appointment booking",
                2},
    [O_MOVE] = {"appointment_rescheduled", "customer rescheduled an appointment",
                "Appointment rescheduling", 1},
    [O_CANCEL] = {"appointment_cancelled", "customer cancelled an appointment",
                  "Appointment cancellation", 0},
    [O_INFO] = {"info_request", "customer asked for information", NULL, 0},
    [O_COMPL] = {"complaint", "customer complained", NULL, -2},
    [O_ESC] = {"escalated", "escalated to a person", "Customer escalation", -1},
    [O_ABANDON] = {"abandoned", "customer did not engage", NULL, -1},
    [O_UNRES] = {"unresolved", "no clear resolution", NULL, 0},
};

enum fn { F_BOOK, F_MOVE, F_CANCEL, F_TRANSFER, F_AVAIL };

static const struct {
    const char *name;
    enum fn fn;
} FUNCTIONS[] = {
    {"book_appointment", F_BOOK},     {"schedule_appointment", F_BOOK},
    {"create_appointment", F_BOOK},   {"reschedule_appointment", F_MOVE},
    {"cancel_appointment", F_CANCEL}, {"transfer_to_human", F_TRANSFER},
    {"transfer_call", F_TRANSFER},    {"escalate_to_human", F_TRANSFER},
    {"check_availability", F_AVAIL},
};

static const char *const FN_EFFECT[] = {"booking", "reschedule", "cancel", "transfer",
                                        "availability"};

enum ev { E_ESC, E_OPTOUT };

static const char *const EV_EFFECT[] = {"escalation", "opt_out"};

/* ---- scratch state ------------------------------------------------------------------------ */

#define TOK_MAX 24 /* longest word kept, with its NUL; longer words match nothing */
#define WIN 64     /* tokens in the sliding window */
#define BACK 4     /* tokens kept before the examined one (negation looks back 3 words) */
#define SIG_WORD 48

enum { T_WORD, T_QMARK, T_BREAK };

struct tok {
    char w[TOK_MAX];
    unsigned char type;
    bool first; /* the first word of its line */
};

enum { S_LEX, S_CALL, S_EVENT, S_QUESTION };

struct sig {
    unsigned char type, kind; /* kind: enum kind (S_LEX), enum fn (S_CALL), enum ev (S_EVENT) */
    signed char weight;
    bool negated, intensified, ok, customer;
    size_t index, line; /* message, call or event index; line within the message (1-based) */
    const char *name;   /* the call name or event type (points into the input) */
    char word[SIG_WORD];
};

enum { W_BOOK, W_MOVE, W_CANCEL };

struct st {
    const struct score_input *in;
    bool voice, email;
    struct sig sigs[SCORE_SIGNAL_MAX];
    size_t n_sigs, dropped;
    int pos, neg, max_pos, max_neg; /* customer sentiment */
    bool grat, complained, call_book, call_move, call_cancel, avail, truncated, content, q_listed;
    const char *esc; /* why the conversation counts as escalated, or NULL */
    int clar, questions;
    size_t turns, total;
    long want[3], done[3]; /* first message with a request / last with a confirmation, or -1 */
    long offer;            /* last business message offering to book, or -1 */
    char compl_word[SIG_WORD];
    const char *first, *first3, *first_q; /* subject candidates: lines of customer text */
    size_t first_len, first3_len, first_q_len;
    /* the line being read */
    size_t msg, line, words;
    bool cust, msg_words;
    const char *lp;
    size_t ln;
    struct tok win[WIN];
    size_t wn, wpos;
    unsigned char idx[27][LEX_N], nidx[27];
};

/* ---- small helpers ------------------------------------------------------------------------ */

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

static char lower(unsigned char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

static bool in_list(const char *w, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(w, *list) == 0)
            return true;
    return false;
}

/* True when the n bytes at p start with lit, ignoring ASCII case. */
static bool prefix_ci(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n < l)
        return false;
    for (size_t i = 0; i < l; i++)
        if (lower((unsigned char)p[i]) != lit[i])
            return false;
    return true;
}

static bool suffix(const char *s, const char *lit)
{
    size_t n = strlen(s), l = strlen(lit);
    return n >= l && memcmp(s + n - l, lit, l) == 0;
}

/* Length of the valid UTF-8 sequence at p (n bytes available), or 0. */
static size_t u8len(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    size_t l = 0;
    if (c < 0x80)
        l = 1;
    else if (c >= 0xC2 && c <= 0xDF)
        l = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        l = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        l = 4;
    return l && l <= n && json_utf8_valid(p, l) ? l : 0;
}

/* The next signal slot, or NULL (counted as dropped) when the cap is reached. */
static struct sig *add_sig(struct st *s, unsigned char type)
{
    if (s->n_sigs == SCORE_SIGNAL_MAX) {
        s->dropped++;
        return NULL;
    }
    struct sig *g = &s->sigs[s->n_sigs++];
    memset(g, 0, sizeof *g);
    g->type = type;
    return g;
}

static void escalate(struct st *s, const char *why)
{
    if (!s->esc)
        s->esc = why;
}

/* ---- matching ----------------------------------------------------------------------------- */

static int bucket(char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' : 26;
}

/* Files every entry under the first letters of its first slot's alternatives. */
static void build_index(struct st *s)
{
    for (size_t i = 0; i < LEX_N; i++) {
        unsigned mask = 0;
        for (const char *p = LEX[i].pat; *p && *p != ' '; p++) {
            if (p == LEX[i].pat || p[-1] == '|') {
                int b = bucket(*p);
                if (!(mask & (1u << b))) {
                    mask |= 1u << b;
                    s->idx[b][s->nidx[b]++] = (unsigned char)i;
                }
            }
        }
    }
}

/* True when token w is one of the '|'-separated alternatives in [a, end). */
static bool slot_has(const char *a, const char *end, const char *w)
{
    while (a < end) {
        const char *e = a;
        while (e < end && *e != '|')
            e++;
        size_t n = (size_t)(e - a);
        if (strncmp(a, w, n) == 0 && w[n] == '\0')
            return true;
        a = e + 1;
    }
    return false;
}

/* Matches the pattern from slot pat against the window from token i; returns the number of
 * tokens matched since start, or 0. Optional slots are taken when they can be (longest). */
static size_t match(const struct st *s, const char *pat, size_t i, size_t start)
{
    if (!*pat)
        return i - start;
    bool opt = *pat == '~';
    if (opt)
        pat++;
    const char *end = pat;
    while (*end && *end != ' ')
        end++;
    const char *next = *end ? end + 1 : end;
    if (i < s->wn && slot_has(pat, end, s->win[i].w)) {
        size_t r = match(s, next, i + 1, start);
        if (r)
            return r;
    }
    return opt ? match(s, next, i, start) : 0;
}

/* True when a negator is among the 3 words before token p, in the same clause. */
static bool negated(const struct st *s, size_t p)
{
    size_t words = 0;
    while (p > 0 && words < 3) {
        const struct tok *t = &s->win[--p];
        if (t->type != T_WORD || strcmp(t->w, "but") == 0)
            return false;
        if (in_list(t->w, NEGATORS))
            return true;
        words++;
    }
    return false;
}

static void question(struct st *s)
{
    if (!s->q_listed) {
        struct sig *g = add_sig(s, S_QUESTION);
        if (!g)
            return;
        g->customer = true;
        g->index = s->msg;
        g->line = s->line;
        s->q_listed = true;
        s->first_q = s->lp;
        s->first_q_len = s->ln;
    }
    s->questions++;
}

/* Records the lexicon hit e at tokens [p, p + len) and applies its effect. */
static void hit(struct st *s, const struct lex *e, size_t p, size_t len)
{
    if (e->kind == K_IGNORE)
        return;
    bool weighted = e->kind == K_SENT || e->kind == K_GRAT || e->kind == K_COMPL;
    bool neg = e->kind != K_CLAR && negated(s, p);
    bool inten = weighted && p > 0 && s->win[p - 1].type == T_WORD &&
                 in_list(s->win[p - 1].w, INTENSIFIERS);
    int w = s->cust ? e->weight : 0;
    if (inten && w)
        w += w > 0 ? 1 : -1;
    if (neg)
        w = weighted ? (w > 0 ? -w : w < 0 ? 1 : 0) : 0;

    struct sig *g = add_sig(s, S_LEX);
    if (!g)
        return;
    g->kind = e->kind;
    g->weight = (signed char)w;
    g->negated = neg;
    g->intensified = inten;
    g->customer = s->cust;
    g->index = s->msg;
    g->line = s->line;
    size_t n = 0;
    for (size_t i = p; i < p + len; i++) {
        const char *t = s->win[i].w;
        size_t l = strlen(t);
        bool sp = i > p && s->win[i].type == T_WORD;
        if (n + l + sp >= SIG_WORD)
            break;
        if (sp)
            g->word[n++] = ' ';
        memcpy(g->word + n, t, l);
        n += l;
    }
    g->word[n] = '\0';

    if (w > 0) {
        s->pos += w;
        s->max_pos = w > s->max_pos ? w : s->max_pos;
    } else if (w < 0) {
        s->neg -= w;
        s->max_neg = -w > s->max_neg ? -w : s->max_neg;
    }
    if (neg)
        return;
    switch (e->kind) {
    case K_GRAT: s->grat = true; break;
    case K_COMPL:
        if (!s->complained)
            memcpy(s->compl_word, g->word, sizeof g->word);
        s->complained = true;
        break;
    case K_ESC:
        escalate(s, s->cust ? "customer asked for a person" : "assistant transferred the customer");
        break;
    case K_CLAR: s->clar++; break;
    case K_WANT_BOOK:
    case K_WANT_MOVE:
    case K_WANT_CANCEL:
        if (s->want[e->kind - K_WANT_BOOK] < 0)
            s->want[e->kind - K_WANT_BOOK] = (long)s->msg;
        break;
    case K_DONE_BOOK:
    case K_DONE_MOVE:
    case K_DONE_CANCEL: s->done[e->kind - K_DONE_BOOK] = (long)s->msg; break;
    case K_OFFER: s->offer = (long)s->msg; break;
    case K_ACCEPT:
        if (s->want[W_BOOK] < 0)
            s->want[W_BOOK] = (long)s->msg;
        break;
    default: break;
    }
}

/* Examines the token at window position p; returns the position of the next one to examine. */
static size_t examine(struct st *s, size_t p)
{
    const struct tok *t = &s->win[p];
    if (t->type == T_QMARK && s->cust)
        question(s);
    if (t->type != T_WORD)
        return p + 1;
    int b = bucket(t->w[0]);
    const struct lex *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < s->nidx[b]; i++) {
        const struct lex *e = &LEX[s->idx[b][i]];
        if (!(e->side & (s->cust ? CUST : BIZ)))
            continue;
        if (e->kind == K_ACCEPT && !(s->offer >= 0 && s->offer < (long)s->msg))
            continue; /* "yes" means something only as the answer to an offer */
        size_t len = match(s, e->pat, p, p);
        if (len > best_len) {
            best = e;
            best_len = len;
        }
    }
    if (t->first && s->cust && (!best || best->kind != K_CLAR) && in_list(t->w, WH_WORDS))
        question(s);
    if (!best)
        return p + 1;
    hit(s, best, p, best_len);
    return p + best_len;
}

/* Adds a token to the window, examining the tokens that have enough lookahead. */
static void push(struct st *s, unsigned char type, const char *w, size_t n)
{
    if (type == T_BREAK && (s->wn == 0 || s->win[s->wn - 1].type == T_BREAK))
        return;
    if (type == T_QMARK && s->wn > 0 && s->win[s->wn - 1].type == T_QMARK)
        return;
    if (s->wn == WIN) {
        size_t k = s->wpos - BACK; /* wpos > WIN - SLOTS > BACK here */
        memmove(s->win, s->win + k, (s->wn - k) * sizeof s->win[0]);
        s->wn -= k;
        s->wpos -= k;
    }
    struct tok *t = &s->win[s->wn++];
    t->type = type;
    t->first = type == T_WORD && s->words == 0;
    if (n < TOK_MAX) {
        memcpy(t->w, w, n);
        t->w[n] = '\0';
    } else {
        memcpy(t->w, "#", 2);
    }
    if (type == T_WORD)
        s->words++;
    while (s->wn - s->wpos >= SLOTS)
        s->wpos = examine(s, s->wpos);
}

/* Tokenizes and matches one line of n bytes (label already removed). */
static void scan_line(struct st *s, const char *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    s->lp = p;
    s->ln = n;
    s->words = 0;
    s->wn = s->wpos = 0;
    bool blank = true;
    size_t j = 0;
    while (j < n) {
        unsigned char c = b[j];
        if (!is_space(c))
            blank = false;
        if (is_alnum(c)) {
            char w[TOK_MAX];
            size_t l = 0;
            while (j < n) {
                c = b[j];
                size_t adv = 0;
                char add = 0;
                if (is_alnum(c)) {
                    add = lower(c);
                    adv = 1;
                } else if (c == '\'' && j + 1 < n && is_alpha(b[j + 1])) {
                    add = '\'';
                    adv = 1;
                } else if (c == 0xE2 && j + 3 < n && b[j + 1] == 0x80 && b[j + 2] == 0x99 &&
                           is_alpha(b[j + 3])) {
                    add = '\'';
                    adv = 3;
                } else {
                    break;
                }
                if (l < TOK_MAX)
                    w[l] = add;
                l++;
                j += adv;
            }
            push(s, T_WORD, w, l);
            continue;
        }
        if (c == '?')
            push(s, T_QMARK, "?", 1);
        else if (c == '.' || c == '!' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')')
            push(s, T_BREAK, ".", 1);
        j++;
    }
    while (s->wpos < s->wn)
        s->wpos = examine(s, s->wpos);
    s->wn = s->wpos = 0;
    if (s->cust && !blank)
        s->content = true;
    if (s->cust && s->words > 0) {
        if (!s->first) {
            s->first = p;
            s->first_len = n;
        }
        if (!s->first3 && s->words >= 3) {
            s->first3 = p;
            s->first3_len = n;
        }
        if (s->voice)
            s->turns++;
        s->msg_words = true;
    }
}

/* The speaker a voice transcript label names: 1 customer, 0 business, -1 no known label. *skip
 * gets the bytes to drop (the label and its colon). */
static int label(const char *p, size_t n, size_t *skip)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    char w[16];
    size_t k = 0;
    while (i < n && k < sizeof w - 1 && is_alpha((unsigned char)p[i]))
        w[k++] = lower((unsigned char)p[i++]);
    w[k] = '\0';
    if (k == 0 || i >= n || p[i] != ':')
        return -1;
    int who = in_list(w, WHO_CUSTOMER) ? 1 : in_list(w, WHO_BUSINESS) ? 0 : -1;
    if (who >= 0)
        *skip = i + 1;
    return who;
}

/* Reads one line; false when the rest of the message is quoted e-mail history. */
static bool do_line(struct st *s, const char *p, size_t n)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (s->email) {
        size_t k = 0;
        while (k < n && (p[k] == ' ' || p[k] == '\t'))
            k++;
        if (k < n && p[k] == '>')
            return true;
        if (prefix_ci(p + k, n - k, "-----original message") ||
            prefix_ci(p + k, n - k, "__________") || (n == 3 && memcmp(p, "-- ", 3) == 0) ||
            (n == 2 && memcmp(p, "--", 2) == 0))
            return false;
        size_t e = n;
        while (e > k && is_space((unsigned char)p[e - 1]))
            e--;
        if (prefix_ci(p + k, e - k, "on ") && e - k >= 6 && prefix_ci(p + e - 6, 6, "wrote:"))
            return false;
    }
    if (s->voice) {
        size_t skip = 0;
        int who = label(p, n, &skip);
        if (who >= 0) {
            s->cust = who == 1;
            p += skip;
            n -= skip;
        }
    }
    scan_line(s, p, n);
    return true;
}

static void scan_msg(struct st *s, size_t mi)
{
    const struct score_msg *m = &s->in->msgs[mi];
    const char *c = m->content;
    if (!c)
        return;
    s->cust = !(m->direction && strcmp(m->direction, "outbound") == 0);
    s->msg = mi;
    s->line = 0;
    s->msg_words = false;
    size_t room = SCORE_TOTAL_CAP - s->total;
    size_t cap = room < SCORE_MSG_CAP ? room : SCORE_MSG_CAP;
    size_t i = 0;
    bool stop = false;
    while (i < cap && c[i]) {
        size_t b = i;
        while (i < cap && c[i] && c[i] != '\n')
            i++;
        size_t e = i;
        if (i < cap && c[i] == '\n')
            i++;
        s->line++;
        if (!do_line(s, c + b, e - b)) {
            stop = true; /* quoted history: not examined, not a truncation */
            break;
        }
    }
    s->total += i;
    if (!stop && i == cap && c[i] != '\0')
        s->truncated = true; /* c[0..cap) were all checked, so c[cap] is readable */
    if (!s->voice && s->cust && s->msg_words)
        s->turns++;
}

/* ---- function results and events ---------------------------------------------------------- */

static size_t skip_ws(const char *j, size_t i)
{
    while (i < SCORE_MSG_CAP && (j[i] == ' ' || j[i] == '\t' || j[i] == '\n' || j[i] == '\r'))
        i++;
    return i;
}

/* 1, -1 or 0: what the value v of key k (kl bytes) says about success. */
static int verdict(const char *k, size_t kl, const char *v)
{
    static const char *const BOOL_KEYS[] = {
        "success", "ok", "booked", "confirmed", "scheduled", "rescheduled", "cancelled",
        "canceled", "succeeded", NULL,
    };
    static const char *const STATUS_KEYS[] = {"status", "result", "state", "outcome", NULL};
    static const char *const GOOD[] = {
        "booked", "confirmed", "scheduled", "rescheduled", "cancelled", "canceled", "success",
        "succeeded", "ok", "completed", "done", "created", "updated", "transferred", NULL,
    };
    static const char *const BAD[] = {
        "failed", "failure", "error", "unavailable", "conflict", "rejected", "declined",
        "not_found", "invalid", NULL,
    };
    char key[16];
    if (kl >= sizeof key)
        return 0;
    for (size_t i = 0; i < kl; i++)
        key[i] = lower((unsigned char)k[i]);
    key[kl] = '\0';
    if (in_list(key, BOOL_KEYS)) {
        if (strncmp(v, "true", 4) == 0)
            return 1;
        if (strncmp(v, "false", 5) == 0)
            return -1;
        return 0;
    }
    if (in_list(key, STATUS_KEYS) && *v == '"') {
        char val[16];
        size_t n = 0;
        for (v++; *v && *v != '"' && n < sizeof val - 1; v++)
            val[n++] = lower((unsigned char)*v);
        val[n] = '\0';
        if (*v != '"')
            return 0;
        return in_list(val, GOOD) ? 1 : in_list(val, BAD) ? -1 : 0;
    }
    if (strcmp(key, "error") == 0 || strcmp(key, "errors") == 0) {
        if (strncmp(v, "null", 4) == 0 || strncmp(v, "false", 5) == 0 ||
            strncmp(v, "\"\"", 2) == 0 || strncmp(v, "[]", 2) == 0 || strncmp(v, "{}", 2) == 0)
            return 0;
        return -1;
    }
    return 0;
}

/* Whether a function result says it succeeded: the shallowest decisive key wins, and at equal
 * depth a failure beats a success. NULL or unknown -> false. */
static bool result_ok(const char *j)
{
    if (!j)
        return false;
    int depth = 0, best = INT_MAX, state = 0;
    size_t i = 0;
    while (i < SCORE_MSG_CAP && j[i]) {
        char c = j[i];
        if (c == '{' || c == '[') {
            depth++;
            i++;
            continue;
        }
        if (c == '}' || c == ']') {
            depth--;
            i++;
            continue;
        }
        if (c != '"') {
            i++;
            continue;
        }
        size_t ks = ++i;
        while (i < SCORE_MSG_CAP && j[i] && j[i] != '"') {
            if (j[i] == '\\' && j[i + 1])
                i++;
            i++;
        }
        if (i >= SCORE_MSG_CAP || j[i] != '"')
            break;
        size_t ke = i++;
        size_t k = skip_ws(j, i);
        if (k >= SCORE_MSG_CAP || j[k] != ':')
            continue;
        k = skip_ws(j, k + 1);
        if (k >= SCORE_MSG_CAP)
            break;
        int v = verdict(j + ks, ke - ks, j + k);
        if (v && depth < best) {
            best = depth;
            state = v;
        } else if (v < 0 && depth == best) {
            state = -1;
        }
        i = k;
    }
    return state > 0;
}

static void scan_calls(struct st *s)
{
    const struct score_input *in = s->in;
    for (size_t i = 0; in->calls && i < in->n_calls; i++) {
        const char *name = in->calls[i].name;
        if (!name)
            continue;
        size_t f = 0;
        while (f < sizeof FUNCTIONS / sizeof FUNCTIONS[0] && strcmp(FUNCTIONS[f].name, name) != 0)
            f++;
        if (f == sizeof FUNCTIONS / sizeof FUNCTIONS[0])
            continue;
        struct sig *g = add_sig(s, S_CALL);
        if (!g)
            continue;
        g->kind = (unsigned char)FUNCTIONS[f].fn;
        g->name = FUNCTIONS[f].name;
        g->index = i;
        g->ok = result_ok(in->calls[i].result_json);
        switch (FUNCTIONS[f].fn) {
        case F_BOOK: s->call_book |= g->ok; break;
        case F_MOVE: s->call_move |= g->ok; break;
        case F_CANCEL: s->call_cancel |= g->ok; break;
        case F_TRANSFER: escalate(s, "transfer function called"); break;
        case F_AVAIL: s->avail = true; break;
        }
    }
}

static void scan_events(struct st *s)
{
    const struct score_input *in = s->in;
    for (size_t i = 0; in->event_types && i < in->n_events; i++) {
        const char *t = in->event_types[i];
        if (!t || strlen(t) > 64)
            continue;
        int ev = -1;
        if (strcmp(t, "escalated") == 0 || strcmp(t, "escalation") == 0 ||
            strcmp(t, "transferred_to_human") == 0 || suffix(t, ".escalated"))
            ev = E_ESC;
        else if (strcmp(t, "opt_out") == 0 || suffix(t, ".opt_out"))
            ev = E_OPTOUT;
        if (ev < 0)
            continue;
        struct sig *g = add_sig(s, S_EVENT);
        if (!g)
            continue;
        g->kind = (unsigned char)ev;
        g->name = t;
        g->index = i;
        if (ev == E_ESC) {
            escalate(s, "escalation event");
        } else {
            g->weight = -1; /* an opted-out customer is taken as mildly unhappy */
            s->neg += 1;
            s->max_neg = s->max_neg > 1 ? s->max_neg : 1;
        }
    }
}

/* ---- decisions ---------------------------------------------------------------------------- */

static const char *decide_sentiment(const struct st *s)
{
    if (s->max_pos >= 2 && s->max_neg >= 2 && s->pos * 2 >= s->neg && s->neg * 2 >= s->pos)
        return "mixed";
    int sum = s->pos - s->neg;
    return sum > 0 ? "positive" : sum < 0 ? "negative" : "neutral";
}

/* True when the business confirmed (kind w) in or after the message of the customer's request. */
static bool confirmed(const struct st *s, int want, int w)
{
    return s->want[want] >= 0 && s->done[w] >= s->want[want];
}

static enum outcome decide_outcome(const struct st *s, const char **rule)
{
    double d = s->in->duration_seconds;
    enum outcome o;
    if (s->call_book) {
        o = O_BOOK;
        *rule = "booking function succeeded";
    } else if (s->call_move) {
        o = O_MOVE;
        *rule = "reschedule function succeeded";
    } else if (s->call_cancel) {
        o = O_CANCEL;
        *rule = "cancel function succeeded";
    } else if (s->esc) {
        o = O_ESC;
        *rule = s->esc;
    } else if (s->complained) {
        o = O_COMPL;
        *rule = "complaint words from the customer";
    } else if (!s->voice && (confirmed(s, W_MOVE, W_MOVE) || confirmed(s, W_MOVE, W_BOOK))) {
        o = O_MOVE;
        *rule = "reschedule request confirmed by the business";
    } else if (!s->voice && confirmed(s, W_CANCEL, W_CANCEL)) {
        o = O_CANCEL;
        *rule = "cancel request confirmed by the business";
    } else if (!s->voice && confirmed(s, W_BOOK, W_BOOK)) {
        o = O_BOOK;
        *rule = "booking request confirmed by the business";
    } else if (s->questions > 0) {
        o = O_INFO;
        *rule = "question from the customer";
    } else if (s->avail) {
        o = O_INFO;
        *rule = "availability checked";
    } else if (!s->content) {
        o = O_ABANDON;
        *rule = "no customer content";
    } else if (s->voice && d > 0 && d < 10 && s->turns < 2) {
        o = O_ABANDON;
        *rule = "voice call under 10 s with fewer than 2 customer lines";
    } else {
        o = O_UNRES;
        *rule = "no rule matched";
    }
    return o;
}

static int min3(int v)
{
    return v > 3 ? 3 : v;
}

/* ---- output ------------------------------------------------------------------------------- */

static const char *channel_name(const struct st *s)
{
    const char *c = s->in->channel;
    if (s->voice)
        return "voice";
    if (c && strcmp(c, "sms") == 0)
        return "sms";
    if (s->email)
        return "email";
    return "other";
}

static const char *channel_label(const struct st *s)
{
    const char *c = channel_name(s);
    return strcmp(c, "voice") == 0 ? "Voice call"
           : strcmp(c, "sms") == 0 ? "SMS conversation"
           : strcmp(c, "email") == 0 ? "E-mail conversation"
                                     : "Conversation";
}

/* Whole seconds of the voice duration, 0 when unknown or absurd. */
static long long seconds(const struct st *s)
{
    double d = s->in->duration_seconds;
    if (!(d > 0) || d > 1e9)
        return 0;
    return (long long)(d + 0.5);
}

static void put_sig(struct buf *b, const struct sig *g)
{
    switch (g->type) {
    case S_LEX:
        buf_lit(b, "{\"signal\":\"lexicon\",\"kind\":");
        json_str(b, KIND_NAME[g->kind]);
        buf_lit(b, ",\"word\":");
        json_str(b, g->word);
        buf_lit(b, ",\"weight\":");
        json_int(b, g->weight);
        buf_lit(b, ",\"negated\":");
        json_bool(b, g->negated);
        buf_lit(b, ",\"intensified\":");
        json_bool(b, g->intensified);
        buf_lit(b, ",\"speaker\":");
        json_str(b, g->customer ? "customer" : "business");
        buf_lit(b, ",\"message\":");
        json_int(b, (int64_t)g->index);
        buf_lit(b, ",\"line\":");
        json_int(b, (int64_t)g->line);
        break;
    case S_CALL:
        buf_lit(b, "{\"signal\":\"function\",\"name\":");
        json_str(b, g->name);
        buf_lit(b, ",\"effect\":");
        json_str(b, FN_EFFECT[g->kind]);
        buf_lit(b, ",\"success\":");
        json_bool(b, g->ok);
        buf_lit(b, ",\"call\":");
        json_int(b, (int64_t)g->index);
        break;
    case S_EVENT:
        buf_lit(b, "{\"signal\":\"event\",\"type\":");
        json_str(b, g->name);
        buf_lit(b, ",\"effect\":");
        json_str(b, EV_EFFECT[g->kind]);
        buf_lit(b, ",\"weight\":");
        json_int(b, g->weight);
        buf_lit(b, ",\"event\":");
        json_int(b, (int64_t)g->index);
        break;
    default:
        buf_lit(b, "{\"signal\":\"question\",\"speaker\":\"customer\",\"message\":");
        json_int(b, (int64_t)g->index);
        buf_lit(b, ",\"line\":");
        json_int(b, (int64_t)g->line);
        break;
    }
    buf_addc(b, '}');
}

static void put_rule(struct buf *b, bool *first, const char *name, int delta)
{
    if (!*first)
        buf_addc(b, ',');
    *first = false;
    buf_lit(b, "{\"rule\":");
    json_str(b, name);
    buf_lit(b, ",\"delta\":");
    json_int(b, delta);
    buf_addc(b, '}');
}

/* A subject from n bytes of customer text: white space collapsed, invalid UTF-8 replaced, cut at
 * a word boundary with "..." (U+2026) when longer than SCORE_SUBJECT_MAX. NULL when empty. */
static char *subject_from(struct arena *a, const char *p, size_t n, bool *nomem)
{
    char out[SCORE_SUBJECT_MAX + 1];
    const size_t room = SCORE_SUBJECT_MAX - 3;
    size_t j = 0, cut = 0;
    bool space = false, more = false;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c == 0x7f) {
            space = j > 0;
            i++;
            continue;
        }
        size_t l = u8len(p + i, n - i), adv = l;
        const char *src = p + i;
        if (!l) {
            src = "\xEF\xBF\xBD";
            l = 3;
            adv = 1;
        }
        if (j + l + space > room) {
            more = true;
            break;
        }
        if (space) {
            cut = j;
            out[j++] = ' ';
            space = false;
        }
        memcpy(out + j, src, l);
        j += l;
        i += adv;
    }
    if (j == 0)
        return NULL;
    if (more) {
        if (cut >= room / 2)
            j = cut;
        memcpy(out + j, "\xE2\x80\xA6", 3);
        j += 3;
    }
    char *r = arena_strndup(a, out, j);
    if (!r)
        *nomem = true;
    return r;
}

static char *make_subject(const struct st *s, struct arena *a, enum outcome o)
{
    const char *c = s->in->subject;
    bool nomem = false;
    if (c) {
        for (const char *q = c; *q; q++)
            if (!is_space((unsigned char)*q))
                return arena_strdup(a, c);
    }
    if (OUTCOMES[o].subject)
        return arena_strdup(a, OUTCOMES[o].subject);
    if (o == O_COMPL)
        return arena_printf(a, "Complaint: %s", s->compl_word);
    char *r = NULL;
    if (o == O_INFO && s->first_q)
        r = subject_from(a, s->first_q, s->first_q_len, &nomem);
    if (!r && !nomem && s->first3)
        r = subject_from(a, s->first3, s->first3_len, &nomem);
    if (!r && !nomem && s->first)
        r = subject_from(a, s->first, s->first_len, &nomem);
    if (!r && !nomem)
        r = arena_strdup(a, channel_label(s));
    return r;
}

static void put_summary(const struct st *s, struct buf *b, enum outcome o, const char *sentiment)
{
    buf_adds(b, channel_label(s));
    if (s->voice) {
        long long t = seconds(s);
        if (t >= 3600)
            buf_printf(b, ", %lldh %02lldm", t / 3600, t % 3600 / 60);
        else if (t >= 60)
            buf_printf(b, ", %lldm %02llds", t / 60, t % 60);
        else if (t > 0)
            buf_printf(b, ", %llds", t);
        buf_printf(b, ", %zu customer line%s: ", s->turns, s->turns == 1 ? "" : "s");
    } else {
        buf_printf(b, ", %zu message%s: ", s->in->n_msgs, s->in->n_msgs == 1 ? "" : "s");
    }
    buf_adds(b, OUTCOMES[o].phrase);
    if (o == O_COMPL)
        buf_printf(b, " (%s)", s->compl_word);
    buf_printf(b, "; sentiment %s", sentiment);
    if (s->clar >= 2)
        buf_printf(b, "; %d clarifications", s->clar);
    buf_addc(b, '.');
}

int score_conversation(const struct score_input *in, struct arena *a, struct score_result *out)
{
    assert(in && a && out);
    memset(out, 0, sizeof *out);
    int rc = ERR_NOMEM;
    struct buf b;
    buf_init(&b, 0, (size_t)1 << 20);
    struct st *s = calloc(1, sizeof *s);
    if (!s)
        goto out;
    s->in = in;
    s->voice = in->channel && strcmp(in->channel, "voice") == 0;
    s->email = in->channel && strcmp(in->channel, "email") == 0;
    for (int i = 0; i < 3; i++)
        s->want[i] = s->done[i] = -1;
    s->offer = -1;
    build_index(s);

    scan_calls(s);
    scan_events(s);
    for (size_t i = 0; in->msgs && i < in->n_msgs; i++)
        scan_msg(s, i);

    const char *sentiment = decide_sentiment(s);
    const char *orule = NULL;
    enum outcome o = decide_outcome(s, &orule);

    int sum = s->pos - s->neg, d_sent = 0;
    if (strcmp(sentiment, "positive") == 0)
        d_sent = min3((sum + 1) / 2);
    else if (strcmp(sentiment, "negative") == 0)
        d_sent = -min3((1 - sum) / 2);
    int d_out = OUTCOMES[o].delta;
    int d_grat = s->grat ? 1 : 0;
    int d_clar = s->clar >= 2 ? -1 : 0;
    int raw = 5 + d_sent + d_out + d_grat + d_clar;
    int score = raw < 1 ? 1 : raw > 10 ? 10 : raw;

    /* explanation */
    buf_lit(&b, "{\"version\":1,\"channel\":");
    json_str(&b, channel_name(s));
    buf_lit(&b, ",\"signals\":[");
    for (size_t i = 0; i < s->n_sigs; i++) {
        if (i)
            buf_addc(&b, ',');
        put_sig(&b, &s->sigs[i]);
    }
    buf_lit(&b, "],\"dropped\":");
    json_int(&b, (int64_t)s->dropped);
    buf_lit(&b, ",\"truncated\":");
    json_bool(&b, s->truncated);
    buf_lit(&b, ",\"counts\":{\"messages\":");
    json_int(&b, (int64_t)in->n_msgs);
    buf_lit(&b, ",\"customer_turns\":");
    json_int(&b, (int64_t)s->turns);
    buf_lit(&b, ",\"questions\":");
    json_int(&b, s->questions);
    buf_lit(&b, ",\"clarifications\":");
    json_int(&b, s->clar);
    buf_lit(&b, ",\"duration_seconds\":");
    json_int(&b, seconds(s));
    buf_lit(&b, "},\"sentiment\":{\"value\":");
    json_str(&b, sentiment);
    buf_lit(&b, ",\"positive\":");
    json_int(&b, s->pos);
    buf_lit(&b, ",\"negative\":");
    json_int(&b, s->neg);
    buf_lit(&b, ",\"sum\":");
    json_int(&b, sum);
    buf_lit(&b, "},\"outcome\":{\"value\":");
    json_str(&b, OUTCOMES[o].name);
    buf_lit(&b, ",\"rule\":");
    json_str(&b, orule);
    buf_lit(&b, "},\"base\":5,\"rules\":[");
    bool first = true;
    put_rule(&b, &first, "sentiment", d_sent);
    put_rule(&b, &first, "outcome", d_out);
    if (d_grat)
        put_rule(&b, &first, "gratitude", d_grat);
    if (d_clar)
        put_rule(&b, &first, "clarifications", d_clar);
    if (score != raw)
        put_rule(&b, &first, "clamp", score - raw);
    buf_lit(&b, "],\"score\":");
    json_int(&b, score);
    buf_addc(&b, '}');
    if (!buf_ok(&b))
        goto out;
    char *expl = arena_strndup(a, b.data, b.len);
    if (!expl)
        goto out;

    buf_clear(&b);
    put_summary(s, &b, o, sentiment);
    if (!buf_ok(&b))
        goto out;
    size_t n = b.len < SCORE_SUMMARY_MAX ? b.len : SCORE_SUMMARY_MAX;
    char *summary = arena_strndup(a, b.data, n);
    char *subject = summary ? make_subject(s, a, o) : NULL;
    if (!summary || !subject)
        goto out;

    out->satisfaction_score = score;
    out->sentiment = sentiment;
    out->outcome = OUTCOMES[o].name;
    out->subject = subject;
    out->summary = summary;
    out->explanation_json = expl;
    rc = 0;
out:
    buf_release(&b);
    free(s);
    return rc;
}
