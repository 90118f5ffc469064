/* received.c - Received fields → MdHop (from/by/via/with/id/for, helo/rdns/ip, TLS, SMTP AUTH),
 * and the chain they make: order, per-hop delays, totals, clock skew. Hand-written linear scans,
 * no regex and no recursion; dates are date.c's job and judging delays is the rules'.
 * Follows RFC 5321 §4.4 (Stamp), RFC 3848 and RFC 8314 (protocol types), RFC 5322 §3.2.2. */
#include <string.h>
#include <arpa/inet.h>

#include "date.h"
#include "received.h"

/* RFC 5322 §2.1.1 caps a line at 998 bytes: a longer single value is damage, not a host name,
 * and copying megabytes of it into the model helps nobody. */
#define MD_RECEIVED_MAX_VALUE 998
/* "with Mail2000 ESMTP Server V4.49" is the longest protocol name seen in the corpus (5 words). */
#define MD_RECEIVED_MAX_RUN_WORDS 8
/* TCP-info has 2 words, Postfix's TLS comment 5 before the bits; the rest is not read. */
#define MD_RECEIVED_MAX_COMMENT_WORDS 8
/* Date look-alikes tried when no ";" marks the date; each try reads at most 256 bytes. */
#define MD_RECEIVED_MAX_DATE_TRIES 4
/* "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" is 45; longer is not a cipher name. */
#define MD_RECEIVED_MAX_CIPHER 80

typedef struct {
    const char *p; /* NULL: absent */
    gsize n;
} Span;

typedef enum {
    CL_NONE, /* before the first keyword */
    CL_FROM,
    CL_BY,
    CL_VIA,
    CL_WITH,
    CL_ID,
    CL_FOR,
    CL_OTHER, /* a keyword seen twice: the first one counts */
    CL_COUNT,
} Clause;

static const char *const clause_names[CL_COUNT] = { NULL,   "from", "by",  "via",
                                                    "with", "id",   "for", NULL };

/* What one field says, as spans of its text; turned into interned strings at the end. */
typedef struct {
    Span w0;         /* the first word after "from": HELO name, or Exim's host name or [ip] */
    Span extra_ip;   /* a bare "[ip]" after it: "from example.org [192.0.2.88]" (IMail) */
    Span tcp_rdns;   /* TCP-info: "(rdns [ip])", "(rdns)" */
    Span tcp_ip;     /* TCP-info: "([ip])", "(ip)" (qmail, Exchange) */
    Span helo_qmail; /* "(HELO name)" / "(EHLO name)": w0 is then the reverse name */
    Span helo_exim;  /* "(helo=name)": w0 is then the verified host name or [ip] */
    gboolean from_seen, tcp_seen, from_comment, exim;
    Span by, via, with, id, for_addr;
    char tls_version[16]; /* "TLS1.3", "" when not said */
    Span cipher;
    gboolean tls; /* TLS said without a version: "with ESMTPS" */
    gboolean authenticated;
    gboolean orphan;   /* words before the first keyword */
    gboolean unclosed; /* a comment never closed: the field was cut */
} Stamp;

/* ---- scanning ---------------------------------------------------------------------------- */

typedef enum {
    TOK_END,
    TOK_WORD,
    TOK_COMMENT, /* the span is inside the parentheses */
    TOK_SEMI,
} TokKind;

typedef struct {
    const char *text;
    gsize end;
    gsize pos;
    gsize angle_fail; /* a '<' before this offset has no '>' ahead: searched once, stays linear */
    gboolean unclosed;
} Scanner;

/* is_space - white space, and ',' which separates words like it: "(version=TLS1_2, cipher=…)" */
static gboolean
is_space (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == ',';
}

/* comment_end - offset just past the ')' that closes the '(' at @pos, or @end when none does.
 * RFC 5322 §3.2.2: comments nest and a quoted-pair may hide a parenthesis. A counter, not
 * recursion, so 10,000 nested "(" cost nothing special. */
static gsize
comment_end (const char *t, gsize pos, gsize end, gboolean *closed)
{
    gsize depth = 0;
    for (gsize i = pos; i < end; i++) {
        if (t[i] == '\\') {
            i++;
        } else if (t[i] == '(') {
            depth++;
        } else if (t[i] == ')' && --depth == 0) {
            *closed = TRUE;
            return i + 1;
        }
    }
    *closed = FALSE;
    return end;
}

static TokKind
next_token (Scanner *s, Span *tok)
{
    const char *t = s->text;
    /* a stray ')' is damage that costs nothing to skip */
    while (s->pos < s->end && (is_space (t[s->pos]) || t[s->pos] == ')'))
        s->pos++;
    if (s->pos >= s->end)
        return TOK_END;
    gsize start = s->pos;
    if (t[start] == ';') {
        s->pos++;
        *tok = (Span){ t + start, 1 };
        return TOK_SEMI;
    }
    if (t[start] == '(') {
        gboolean closed;
        s->pos = comment_end (t, start, s->end, &closed);
        s->unclosed |= !closed;
        *tok = (Span){ t + start + 1, s->pos - start - 1 - (closed ? 1 : 0) };
        return TOK_COMMENT;
    }
    /* "for <multiple recipients>": an angle address is one word, spaces and all */
    if (t[start] == '<' && start >= s->angle_fail) {
        gsize i = start + 1;
        while (i < s->end && t[i] != '>' && t[i] != '(' && t[i] != ')' && t[i] != ';')
            i++;
        if (i < s->end && t[i] == '>') {
            s->pos = i + 1;
            *tok = (Span){ t + start, s->pos - start };
            return TOK_WORD;
        }
        s->angle_fail = i;
    }
    while (s->pos < s->end && !is_space (t[s->pos]) && t[s->pos] != '(' && t[s->pos] != ')' &&
           t[s->pos] != ';')
        s->pos++;
    *tok = (Span){ t + start, s->pos - start };
    return TOK_WORD;
}

static gboolean
span_is (Span s, const char *lit)
{
    return s.p != NULL && strlen (lit) == s.n && g_ascii_strncasecmp (s.p, lit, s.n) == 0;
}

static gboolean
span_starts (Span s, const char *lit)
{
    gsize n = strlen (lit);
    return s.p != NULL && s.n >= n && g_ascii_strncasecmp (s.p, lit, n) == 0;
}

static Span
span_after (Span s, gsize k)
{
    return (Span){ s.p + k, s.n - k };
}

static Span
span_trim_punct (Span s)
{
    while (s.n > 0 && (s.p[s.n - 1] == ',' || s.p[s.n - 1] == ';' || s.p[s.n - 1] == ')'))
        s.n--;
    return s;
}

static Clause
keyword (Span w)
{
    for (int c = CL_FROM; c <= CL_FOR; c++)
        if (span_is (w, clause_names[c]))
            return (Clause) c;
    return CL_NONE;
}

/* ---- addresses and names ----------------------------------------------------------------- */

/* parse_ip - the address in an address literal as Received fields write it: "[192.0.2.1]",
 * "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3), "[192.0.2.1]:25" and "[::1]:25" (Exim), "192.0.2.1",
 * "192.0.2.1:25", "2001:db8::1" (Exchange), "user@192.0.2.1" (qmail AUTH patches). @out gets
 * the address without brackets, prefix or port; an IPv6 zone ("%eth0") is kept. */
static gboolean
parse_ip (Span w, Span *out)
{
    const char *p = w.p, *e = w.p + w.n;
    if (p == NULL || p == e)
        return FALSE;
    if (*p == '[') {
        const char *close = memchr (p, ']', w.n);
        if (close == NULL)
            return FALSE;
        /* after the bracket only Exim's ":port" */
        for (const char *q = close + 1; q < e; q++)
            if (!(q == close + 1 ? *q == ':' : g_ascii_isdigit (*q)))
                return FALSE;
        e = close;
        p++;
        if (e - p > 5 && g_ascii_strncasecmp (p, "IPv6:", 5) == 0)
            p += 5;
    } else {
        const char *at = memchr (p, '@', w.n);
        if (at != NULL)
            p = at + 1;
    }
    /* "192.0.2.1:25": one colon after a dotted quad is a port, not IPv6 */
    const char *colon = memchr (p, ':', (gsize) (e - p));
    gboolean v6 = colon != NULL && memchr (colon + 1, ':', (gsize) (e - colon - 1)) != NULL;
    if (colon != NULL && !v6)
        e = colon;
    const char *zone = v6 ? memchr (p, '%', (gsize) (e - p)) : NULL;
    gsize n = (gsize) ((zone != NULL ? zone : e) - p);
    char buf[INET6_ADDRSTRLEN + 1];
    if (n == 0 || n >= sizeof buf)
        return FALSE;
    memcpy (buf, p, n);
    buf[n] = '\0';
    unsigned char bin[16];
    if (inet_pton (v6 ? AF_INET6 : AF_INET, buf, bin) != 1)
        return FALSE;
    *out = (Span){ p, (gsize) (e - p) };
    return TRUE;
}

/* is_hostname - letters, digits, '-', '.', '_' and UTF-8 (IDN written raw); no other punctuation */
static gboolean
is_hostname (Span w)
{
    if (w.n == 0)
        return FALSE;
    for (gsize i = 0; i < w.n; i++) {
        guchar c = (guchar) w.p[i];
        if (!(g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c >= 0x80))
            return FALSE;
    }
    return TRUE;
}

/* ---- TLS --------------------------------------------------------------------------------- */

/* tls_version - "TLSv1.3", "TLS1_2", "TLSv1" → "TLS1.3", "TLS1.2", "TLS1.0"; "TLSv1/SSLv3" (old
 * OpenSSL's name for any TLS) and "TLS" → "TLS". FALSE when @w names no version, such as the
 * cipher "TLS_AES_128_GCM_SHA256". */
static gboolean
tls_version (Span w, char out[16])
{
    w = span_trim_punct (w);
    if (!span_starts (w, "TLS") && !span_starts (w, "SSL"))
        return FALSE;
    const char *proto = g_ascii_toupper (w.p[0]) == 'T' ? "TLS" : "SSL";
    gsize i = 3;
    if (i < w.n && (w.p[i] == 'v' || w.p[i] == 'V'))
        i++;
    if (i == w.n) {
        g_strlcpy (out, proto, 16);
        return TRUE;
    }
    int major = g_ascii_isdigit (w.p[i]) ? w.p[i++] - '0' : -1, minor = 0;
    if (major < 0)
        return FALSE;
    if (i + 1 < w.n && (w.p[i] == '.' || w.p[i] == '_') && g_ascii_isdigit (w.p[i + 1]))
        minor = w.p[i + 1] - '0', i += 2;
    if (i < w.n && w.p[i] == '/') {
        g_strlcpy (out, proto, 16);
        return TRUE;
    }
    if (i != w.n)
        return FALSE;
    g_snprintf (out, 16, "%s%d.%d", proto, major, minor);
    return TRUE;
}

static void
set_cipher (Stamp *st, Span w)
{
    w = span_trim_punct (w);
    if (st->cipher.p == NULL && w.n > 0 && w.n <= MD_RECEIVED_MAX_CIPHER)
        st->cipher = w;
}

/* qp_value - a "version=3DTLS1_2" pasted from a quoted-printable part is "version=TLS1_2": no
 * version or cipher name starts with "3D" */
static Span
qp_value (Span w)
{
    return w.n > 2 && w.p[0] == '3' && w.p[1] == 'D' ? span_after (w, 2) : w;
}

/* note_version - records the TLS version @w names, unless one was already read */
static gboolean
note_version (Stamp *st, Span w)
{
    char version[16];
    if (!tls_version (w, version))
        return FALSE;
    st->tls = TRUE;
    if (st->tls_version[0] == '\0')
        memcpy (st->tls_version, version, sizeof version);
    return TRUE;
}

/* protocol - RFC 3848, RFC 6531 and RFC 8314 protocol types: "S" after (E)SMTP or LMTP is TLS,
 * a final "A" is SMTP AUTH. Exim writes them in lower case ("esmtpsa"). */
static void
protocol (Stamp *st, Span w)
{
    static const char *const types[] = { "SMTP", "ESMTP", "LMTP", "UTF8SMTP", "UTF8LMTP", "HTTP" };
    for (gsize i = 0; i < G_N_ELEMENTS (types); i++) {
        gsize n = strlen (types[i]);
        if (w.n < n || g_ascii_strncasecmp (w.p, types[i], n) != 0)
            continue;
        Span rest = span_after (w, n);
        if (span_is (rest, "S") || span_is (rest, "SA"))
            st->tls = TRUE;
        if (span_is (rest, "A") || span_is (rest, "SA"))
            st->authenticated = TRUE;
    }
    /* "with ESMTP/TLS/DHE-RSA-AES256-SHA" */
    for (gsize i = 0; i + 5 <= w.n; i++)
        if (memcmp (w.p + i, "/TLS/", 5) == 0) {
            st->tls = TRUE;
            set_cipher (st, span_after (w, i + 5));
            break;
        }
}

/* ---- comments ---------------------------------------------------------------------------- */

typedef struct {
    Span w[MD_RECEIVED_MAX_COMMENT_WORDS];
    guint n;
    gboolean more; /* more words than kept */
} Words;

/* comment_words - the words of a comment's own level; nested comments ("(may be forged)") are
 * skipped whole */
static void
comment_words (Span c, Words *out)
{
    out->n = 0;
    out->more = FALSE;
    gsize i = 0;
    while (i < c.n) {
        char ch = c.p[i];
        if (is_space (ch) || ch == ')') {
            i++;
        } else if (ch == '(') {
            gboolean closed;
            i = comment_end (c.p, i, c.n, &closed);
        } else {
            gsize start = i;
            while (i < c.n && !is_space (c.p[i]) && c.p[i] != '(' && c.p[i] != ')')
                i++;
            if (out->n == G_N_ELEMENTS (out->w)) {
                out->more = TRUE;
                return;
            }
            out->w[out->n++] = (Span){ c.p + start, i - start };
        }
    }
}

/* from_comment - TCP-info and HELO names in the FROM clause (RFC 5321 §4.4 TCP-info, and the
 * forms qmail and Exim write instead) */
static void
from_comment (Stamp *st, const Words *w)
{
    st->from_comment = TRUE;
    Span ip;
    /* qmail: "from rdns (HELO name) (ip)"; also Yahoo's and Amazon's "(EHLO name)" */
    if (w->n >= 2 &&
        (span_is (w->w[0], "HELO") || span_is (w->w[0], "EHLO") || span_is (w->w[0], "LHLO"))) {
        if (st->helo_qmail.p == NULL)
            st->helo_qmail = w->w[1];
        return;
    }
    /* Exim: "([ip]:port helo=name ident=user)", "(port=51704 helo=[ip])" */
    gboolean exim = FALSE;
    for (guint k = 0; k < w->n; k++) {
        if (span_starts (w->w[k], "helo=")) {
            exim = TRUE;
            if (st->helo_exim.p == NULL)
                st->helo_exim = span_after (w->w[k], 5);
        } else if (w->w[k].p[0] == '[' && w->w[k].p[w->w[k].n - 1] != ']' &&
                   parse_ip (w->w[k], &ip)) {
            exim = TRUE; /* only Exim writes a port after the bracket */
        }
    }
    if (exim) {
        st->exim = TRUE;
        for (guint k = 0; k < w->n && st->tcp_ip.p == NULL; k++)
            if (w->w[k].p[0] == '[' && parse_ip (w->w[k], &ip))
                st->tcp_ip = ip;
        st->tcp_seen = TRUE;
        return;
    }
    if (st->tcp_seen || w->more || w->n == 0 || w->n > 2)
        return;
    if (w->n == 1) {
        if (parse_ip (w->w[0], &ip))
            st->tcp_ip = ip;
        else if (is_hostname (w->w[0]) &&
                 (memchr (w->w[0].p, '.', w->w[0].n) != NULL || span_is (w->w[0], "localhost")))
            st->tcp_rdns = w->w[0];
        else
            return;
    } else {
        if (w->w[1].p[0] != '[' || !is_hostname (w->w[0]))
            return;
        st->tcp_rdns = w->w[0];
        if (parse_ip (w->w[1], &ip))
            st->tcp_ip = ip; /* "[local]" (OpenSMTPD) is no address */
    }
    st->tcp_seen = TRUE;
}

/* comment - what a comment says about TLS and authentication anywhere, and about the sending
 * host in the FROM clause */
static void
comment (Stamp *st, Clause clause, Span c)
{
    Words w;
    comment_words (c, &w);
    if (w.n == 0)
        return;
    /* sendmail "(authenticated bits=0)", Postfix "(Authenticated sender: x)", "(authenticated as
     * x)" */
    if (span_starts (w.w[0], "authenticated"))
        st->authenticated = TRUE;
    if (span_is (w.w[0], "Exim"))
        st->exim = TRUE;
    /* qmail SMTP AUTH patches: "(user@192.0.2.1 with plain)", "(192.0.2.1 with login)" */
    Span ip;
    if (w.n == 3 && span_is (w.w[1], "with") && parse_ip (w.w[0], &ip)) {
        st->authenticated = TRUE;
        if (clause == CL_FROM && st->tcp_ip.p == NULL)
            st->tcp_ip = ip;
        return;
    }
    /* Postfix: "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))" */
    if (span_is (w.w[0], "using") && w.n >= 2 && note_version (st, w.w[1])) {
        if (w.n >= 5 && span_is (w.w[2], "with") && span_is (w.w[3], "cipher"))
            set_cipher (st, w.w[4]);
        return;
    }
    /* sendmail, Gmail, Microsoft: "(version=TLS1_2, cipher=… bits=128/128)"; ecelerity "(cipher=…"
     */
    gboolean said = FALSE;
    for (guint k = 0; k < w.n; k++) {
        if (span_starts (w.w[k], "version=")) {
            note_version (st, qp_value (span_after (w.w[k], 8)));
            said = TRUE;
        } else if (span_starts (w.w[k], "cipher=")) {
            set_cipher (st, qp_value (span_after (w.w[k], 7)));
            said = TRUE;
        }
    }
    if (said) {
        st->tls = TRUE;
        return;
    }
    if (w.n == 1) {
        /* Exim 4.92+: "(TLS1.3) tls CIPHER"; Exchange: "with Microsoft SMTP Server (TLS)" */
        if (note_version (st, w.w[0]))
            return;
        /* older Exim: "(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)", GnuTLS
         * "(TLS1.2:RSA_AES_128_CBC_SHA1:128)" */
        const char *colon = memchr (w.w[0].p, ':', w.w[0].n);
        if (colon != NULL && note_version (st, (Span){ w.w[0].p, (gsize) (colon - w.w[0].p) })) {
            Span rest = span_after (w.w[0], (gsize) (colon - w.w[0].p) + 1);
            const char *colon2 = memchr (rest.p, ':', rest.n);
            set_cipher (st, (Span){ rest.p, colon2 != NULL ? (gsize) (colon2 - rest.p) : rest.n });
            return;
        }
    }
    /* Gmail between its own hosts: "(Google Transport Security)" */
    if (w.n == 3 && span_is (w.w[0], "Google") && span_is (w.w[1], "Transport") &&
        span_is (w.w[2], "Security")) {
        st->tls = TRUE;
        return;
    }
    if (clause == CL_FROM)
        from_comment (st, &w);
}

/* ---- clauses ----------------------------------------------------------------------------- */

/* read_clauses - RFC 5321 §4.4 Stamp before the date: "from … by … via … with … id … for …",
 * each keyword once, in any order, with comments anywhere */
static void
read_clauses (Stamp *st, const char *text, gsize end)
{
    Scanner s = { text, end, 0, 0, FALSE };
    Clause cur = CL_NONE;
    gboolean seen[CL_COUNT] = { FALSE };
    gboolean pending = FALSE;  /* the current clause has no value yet */
    gboolean run_open = FALSE; /* "with"/"via" may still take words: "Microsoft SMTP Server" */
    gboolean want_cipher = FALSE;
    guint run_words = 0;
    Span tok, run_first = { NULL, 0 }, *run = NULL;
    TokKind kind;
    while ((kind = next_token (&s, &tok)) != TOK_END) {
        if (kind == TOK_SEMI) {
            run_open = want_cipher = FALSE;
            continue;
        }
        if (kind == TOK_COMMENT) {
            run_open = FALSE;
            comment (st, cur, tok);
            continue;
        }
        Clause kw = keyword (tok);
        if (kw != CL_NONE) {
            cur = seen[kw] ? CL_OTHER : kw;
            seen[kw] = TRUE;
            st->from_seen |= kw == CL_FROM;
            pending = TRUE;
            run_open = want_cipher = FALSE;
            continue;
        }
        /* Exim 4.92+: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384" */
        if (want_cipher) {
            set_cipher (st, tok);
            st->tls = TRUE;
            want_cipher = FALSE;
            continue;
        }
        if (tok.n == 3 && memcmp (tok.p, "tls", 3) == 0 && !pending) {
            want_cipher = TRUE;
            continue;
        }
        /* Exchange 2010: "by host over TLS secured channel with Microsoft SMTPSVC(…)" */
        if (tok.n == 3 && memcmp (tok.p, "TLS", 3) == 0)
            st->tls = TRUE;
        switch (cur) {
        case CL_NONE:
            st->orphan = TRUE;
            break;
        case CL_FROM: {
            Span ip;
            if (pending)
                st->w0 = tok;
            else if (st->extra_ip.p == NULL && tok.p[0] == '[' && parse_ip (tok, &ip))
                st->extra_ip = ip;
            break;
        }
        case CL_BY:
            if (pending)
                st->by = tok;
            break;
        case CL_ID:
            if (pending)
                st->id = tok;
            break;
        case CL_FOR:
            if (pending)
                st->for_addr = tok;
            break;
        case CL_WITH:
        case CL_VIA:
            if (pending) {
                run = cur == CL_WITH ? &st->with : &st->via;
                *run = run_first = tok;
                run_open = TRUE;
                run_words = 1;
                if (cur == CL_WITH)
                    protocol (st, tok);
            } else if (run_open && run_words < MD_RECEIVED_MAX_RUN_WORDS) {
                run->n = (gsize) (tok.p + tok.n - run->p);
                run_words++;
                /* sendmail 3.11v "with ESMTP AUTH"; MessageLabs "with CIPHER encrypted SMTP" */
                if (cur == CL_WITH && span_is (tok, "AUTH"))
                    st->authenticated = TRUE;
                if (cur == CL_WITH && span_is (tok, "encrypted") && run_words == 2) {
                    st->tls = TRUE;
                    set_cipher (st, run_first);
                }
            }
            break;
        case CL_OTHER:
        case CL_COUNT:
            break;
        }
        pending = FALSE;
    }
    st->unclosed |= s.unclosed;
}

/* ---- the date ------------------------------------------------------------------------------ */

/* date_semicolon - RFC 5321 §4.4: the date follows the last ";". One outside comments is
 * preferred; a field cut inside a comment ("(TLS=") still has one inside. */
static gboolean
date_semicolon (const char *t, gsize len, gsize *at)
{
    gsize depth = 0;
    gboolean outside = FALSE, any = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = t[i];
        if (c == '\\' && depth > 0) {
            i++;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            depth -= depth > 0;
        } else if (c == ';') {
            if (depth == 0 || !outside)
                *at = i;
            outside |= depth == 0;
            any = TRUE;
        }
    }
    return any;
}

static gboolean
is_day_name (Span w)
{
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    w = span_trim_punct (w);
    for (gsize i = 0; i < G_N_ELEMENTS (days); i++)
        if (span_is (w, days[i]))
            return TRUE;
    return FALSE;
}

/* find_date - where a date starts when no ";" marks it: SendGrid's "… id X Wed, 31 Oct 2012 …",
 * Go's "… 2018-08-14 22:01:27.610180118 +0000 UTC". Tries at most a few look-alikes. */
static gboolean
find_date (const char *text, gsize len, gsize *at)
{
    Scanner s = { text, len, 0, 0, FALSE };
    Span tok;
    TokKind kind;
    guint tries = 0;
    while ((kind = next_token (&s, &tok)) != TOK_END && tries < MD_RECEIVED_MAX_DATE_TRIES) {
        if (kind != TOK_WORD)
            continue;
        gboolean digits = tok.n <= 2 && g_ascii_isdigit (tok.p[0]);
        gboolean iso = tok.n >= 10 && g_ascii_isdigit (tok.p[0]) && tok.p[4] == '-';
        if (!is_day_name (tok) && !digits && !iso)
            continue;
        tries++;
        MdDate probe;
        gsize off = (gsize) (tok.p - text);
        if (md_date_parse (tok.p, len - off, &probe)) {
            *at = off;
            return TRUE;
        }
    }
    return FALSE;
}

/* courier_id - Courier writes its id after the date: "…; Sat, 11 Dec 2010 12:19:59 +0900 id
 * 0EFECD52.4D02EDDF.0000C65A". Returns where the date ends and the id in @id. */
static gsize
courier_id (const char *text, gsize start, gsize len, Span *id)
{
    Scanner s = { text, len, start, 0, FALSE };
    Span tok;
    TokKind kind;
    while ((kind = next_token (&s, &tok)) != TOK_END) {
        if (kind == TOK_WORD && span_is (tok, "id")) {
            gsize end = (gsize) (tok.p - text);
            if (next_token (&s, &tok) == TOK_WORD)
                *id = tok;
            return end;
        }
    }
    return len;
}

static gboolean
starts_with_keyword (const char *text, gsize start, gsize len)
{
    Scanner s = { text, len, start, 0, FALSE };
    Span tok;
    return next_token (&s, &tok) == TOK_WORD && keyword (tok) != CL_NONE;
}

/* ---- results ----------------------------------------------------------------------------- */

static gboolean
is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

static Span
trim (Span s)
{
    while (s.n > 0 && is_blank (s.p[0]))
        s.p++, s.n--;
    while (s.n > 0 && is_blank (s.p[s.n - 1]))
        s.n--;
    return s;
}

/* cap - @s cut at MD_RECEIVED_MAX_VALUE bytes on a character boundary */
static Span
cap (Span s, gboolean *cut)
{
    if (s.n > MD_RECEIVED_MAX_VALUE) {
        *cut = TRUE;
        s.n = MD_RECEIVED_MAX_VALUE;
        while (s.n > 0 && ((guchar) s.p[s.n] & 0xC0) == 0x80)
            s.n--;
    }
    return s;
}

/* value - interns @s (capped); NULL when absent */
static const char *
value (MdAnalysis *a, Span s, gboolean *cut)
{
    if (s.p == NULL || s.n == 0)
        return NULL;
    s = cap (s, cut);
    return md_analysis_intern (a, s.p, (gssize) s.n);
}

/* words_value - interns a run of words with each stretch of white space as one space: a folded
 * "with Microsoft SMTP\r\n    Server" is "Microsoft SMTP Server" */
static const char *
words_value (MdAnalysis *a, Span s, gboolean *cut)
{
    if (s.p == NULL || s.n == 0)
        return NULL;
    s = cap (s, cut);
    char buf[MD_RECEIVED_MAX_VALUE];
    gsize n = 0;
    for (gsize i = 0; i < s.n; i++) {
        if (!is_blank (s.p[i]))
            buf[n++] = s.p[i];
        else if (n > 0 && buf[n - 1] != ' ')
            buf[n++] = ' ';
    }
    return md_analysis_intern (a, buf, (gssize) n);
}

/* resolve_from - who sent: RFC 5321 §4.4 puts the HELO name first and "rdns [ip]" in TCP-info;
 * qmail puts the reverse name first and "(HELO name)" after; Exim puts the verified host name
 * (or [ip]) first and "helo=" only when the HELO name differed from it. */
static void
resolve_from (const Stamp *st, Span *helo, Span *rdns, Span *ip)
{
    Span w0_ip = { NULL, 0 };
    gboolean w0_is_ip = st->w0.p != NULL && parse_ip (st->w0, &w0_ip);
    *helo = (Span){ NULL, 0 };
    *rdns = st->tcp_rdns;
    *ip = st->tcp_ip;
    if (st->helo_qmail.p != NULL || st->helo_exim.p != NULL) {
        *helo = st->helo_qmail.p != NULL ? st->helo_qmail : st->helo_exim;
        if (rdns->p == NULL && !w0_is_ip)
            *rdns = st->w0;
    } else if (st->exim && st->from_comment) {
        if (!w0_is_ip)
            *rdns = *helo = st->w0;
    } else {
        *helo = st->w0;
    }
    if (ip->p == NULL)
        *ip = st->extra_ip;
    if (ip->p == NULL && w0_is_ip)
        *ip = w0_ip;
    if (span_is (*rdns, "unknown"))
        *rdns = (Span){ NULL, 0 };
    /* Gmail writes the reverse name as a FQDN: "(host.example.net. [192.0.2.1])" */
    if (rdns->p != NULL && rdns->n > 1 && rdns->p[rdns->n - 1] == '.')
        rdns->n--;
}

static const char *
tls_text (MdAnalysis *a, const Stamp *st)
{
    if (st->tls_version[0] == '\0' && st->cipher.p == NULL)
        return st->tls ? "TLS" : NULL;
    char buf[16 + 1 + MD_RECEIVED_MAX_CIPHER + 1];
    const char *version = st->tls_version[0] != '\0' ? st->tls_version : "TLS";
    if (st->cipher.p == NULL)
        return md_analysis_intern (a, version, -1);
    g_snprintf (buf, sizeof buf, "%s %.*s", version, (int) st->cipher.n, st->cipher.p);
    return md_analysis_intern (a, buf, -1);
}

void
md_received_parse (MdAnalysis *analysis, const char *text, gsize len, MdHop *hop)
{
    g_return_if_fail (analysis != NULL && hop != NULL);
    if (text == NULL) {
        text = "";
        len = 0;
    }

    Stamp st;
    memset (&st, 0, sizeof st);
    gsize clause_end = len, date_start = len, date_end = len, semi = 0;
    gboolean have_date = FALSE;
    if (date_semicolon (text, len, &semi) && !starts_with_keyword (text, semi + 1, len)) {
        clause_end = semi;
        date_start = semi + 1;
        date_end = courier_id (text, date_start, len, &st.id);
        have_date = TRUE;
    } else if (find_date (text, len, &date_start)) {
        /* RFC 5321 wants a ";" before the date; SendGrid and some Postfix pickups omit it */
        clause_end = date_start;
        date_end = courier_id (text, date_start, len, &st.id);
        have_date = TRUE;
    }
    read_clauses (&st, text, clause_end); /* an "id" clause overrides Courier's */

    gboolean cut = FALSE;
    Span helo, rdns, ip;
    resolve_from (&st, &helo, &rdns, &ip);
    hop->raw = md_analysis_intern (analysis, text, (gssize) len);
    hop->from_helo = value (analysis, helo, &cut);
    hop->from_rdns = value (analysis, rdns, &cut);
    hop->from_ip = value (analysis, ip, &cut);
    hop->by = value (analysis, st.by, &cut);
    hop->via = words_value (analysis, st.via, &cut);
    hop->with = words_value (analysis, st.with, &cut);
    hop->id = value (analysis, st.id, &cut);
    /* RFC 5321 §4.4 For: a Path ("<a@b>") or a Mailbox; Gmail's "<multiple recipients>" stays */
    Span rcpt = st.for_addr;
    if (rcpt.p != NULL && rcpt.p[0] == '<') {
        rcpt = span_after (rcpt, 1);
        if (rcpt.n > 0 && rcpt.p[rcpt.n - 1] == '>')
            rcpt.n--;
    }
    hop->for_addr = value (analysis, rcpt, &cut);
    hop->tls = tls_text (analysis, &st);
    hop->authenticated = st.authenticated;

    Span date = have_date ? trim ((Span){ text + date_start, date_end - date_start }) : (Span){ 0 };
    md_date_parse (date.p, date.n, &hop->date);
    hop->date.raw = value (analysis, date, &cut);

    /* A hop is understood when it names a host and its time, nothing was cut off, and no words
     * stand outside the clauses. "(qmail 1234 invoked by uid 89)" names no host: its "by" is in a
     * comment. Oracle Messaging Server's internal steps have "from" but no "by" and still count. */
    gboolean from_empty = st.w0.p == NULL && ip.p == NULL && rdns.p == NULL;
    hop->parse_ok = (hop->by != NULL || !from_empty) && hop->date.valid && !st.orphan &&
                    !st.unclosed && !cut && !(st.from_seen && from_empty);
}

void
md_received_build_chain (MdAnalysis *analysis, GPtrArray *fields)
{
    g_return_if_fail (analysis != NULL && fields != NULL);
    g_ptr_array_set_size (analysis->hops, 0);
    memset (&analysis->delivery, 0, sizeof analysis->delivery);

    /* fields come topmost first; hops go oldest first */
    guint n = fields->len;
    for (guint k = 0; k < n; k++) {
        guint position = n - 1 - k;
        const char *field = g_ptr_array_index (fields, position);
        MdHop *hop = g_new0 (MdHop, 1);
        md_received_parse (analysis, field, field != NULL ? strlen (field) : 0, hop);
        hop->index = k + 1;
        hop->position = position;
        g_ptr_array_add (analysis->hops, hop);
    }

    /* A delay needs two dates in known zones: a missing or unknown zone would invent hours. */
    MdDelivery *d = &analysis->delivery;
    d->hop_count = n;
    const MdHop *first = NULL, *prev = NULL;
    for (guint k = 0; k < n; k++) {
        MdHop *hop = g_ptr_array_index (analysis->hops, k);
        if (!hop->date.valid || !hop->date.zone_known)
            continue;
        if (prev != NULL) {
            hop->delay_s = hop->date.utc - prev->date.utc;
            hop->has_delay = TRUE;
            /* negative: a clock is wrong somewhere; kept, never folded into a positive delay */
            if (hop->delay_s < 0)
                d->clock_skew = TRUE;
            if (!d->has_max || hop->delay_s > d->max_hop_delay_s) {
                d->max_hop_delay_s = hop->delay_s;
                d->slowest_hop = hop->index;
                d->has_max = TRUE;
            }
        } else {
            first = hop;
        }
        prev = hop;
    }
    if (first != NULL && prev != first) {
        d->total_delay_s = prev->date.utc - first->date.utc;
        d->has_total = TRUE;
    }
}
