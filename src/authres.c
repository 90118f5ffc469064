/* authres.c - Authentication-Results (RFC 8601) and its Microsoft, ARC (RFC 8617 §4.1.1) and
 * Google Groups variants, Received-SPF (RFC 7208 §9.1), ARC-Seal cv= and DKIM-Signature tags
 * (RFC 6376 §3.5) → auth[] and dkim_signatures[], then the trust boundary (see authres.h). It
 * verifies nothing and judges nothing: that is the receiver's and the rules' job. Linear scans
 * bounded by len; comments nest by a depth counter, never by recursion.
 * Accepted violations, each seen in real mail: no authserv-id (Microsoft 365, Postfix "auth=pass
 * smtp.auth="), no space before a comment (Yahoo "dmarc=pass(p=reject)"), words without "="
 * (Microsoft's "header.d=none;outlook.com;"), props after their own ";" (Yahoo's old
 * "dkim=pass (ok); header.i=@…"), props before the method (Yahoo's "host  from=example.jp;
 * domainkeys=…"), and two results without ";" between them. */
#include <stdlib.h>
#include <string.h>

#include "authres.h"

/* RFC 5322 §2.1.1 caps a line at 998 bytes: a longer value or comment is damage or an attack,
 * not something a person reads; it is cut there. */
#define MD_AUTHRES_MAX_TEXT 998
/* Real messages carry a few dozen results (one A-R per hop, five methods each); 10,000 resinfos
 * in one field must cost a warning and linear time, not a 10,000-row report. */
#define MD_AUTHRES_MAX_RESULTS 256
/* Fastmail writes the most props per result (6); more is junk. */
#define MD_AUTHRES_MAX_PROPS 32
/* RFC 8617 §4.2.1 caps i= at 50; we read up to 4 digits and keep the number as written. */
#define MD_AUTHRES_MAX_INSTANCE_DIGITS 4

typedef enum {
    F_OTHER,
    F_AR,       /* Authentication-Results */
    F_XMS_AR,   /* X-MS-Exchange-Authentication-Results: the same grammar, Microsoft's */
    F_ARC_AR,   /* ARC-Authentication-Results: "i=N;" then the same grammar */
    F_UPSTREAM, /* copies of someone else's verdict: reported, never trusted */
    F_SPF,      /* Received-SPF */
    F_ARC_SEAL,
    F_DKIM,
    F_RECEIVED,
} FieldKind;

/* The fields read, with one position counter each (position = index among fields of that name). */
static const struct {
    const char *name;
    FieldKind kind;
} field_table[] = {
    { "Authentication-Results", F_AR },
    { "X-MS-Exchange-Authentication-Results", F_XMS_AR },
    { "ARC-Authentication-Results", F_ARC_AR },
    /* Google Groups keeps the poster's receiver's results here; Microsoft 365 keeps the
     * original A-R of a rewritten message here (reference/headers.md §6.4). */
    { "X-Original-Authentication-Results", F_UPSTREAM },
    { "Authentication-Results-Original", F_UPSTREAM },
    { "Received-SPF", F_SPF },
    { "ARC-Seal", F_ARC_SEAL },
    { "DKIM-Signature", F_DKIM },
    { "Received", F_RECEIVED },
};

/* Methods registered with IANA (RFC 8601 §6.7 registry) plus Microsoft's compauth: only these
 * start a new result when a server forgot the ";" before them ("dkim=pass header.d=x
 * spf=pass"). Any other key after a method is a property (Fastmail's "x-bits=2048"). */
static const char *const known_methods[] = {
    "arc",   "auth",       "bimi",  "compauth", "dkim",      "dkim-adsp", "dkim-atps", "dmarc",
    "dnswl", "domainkeys", "iprev", "rrvs",     "sender-id", "smime",     "spf",       "vbr",
};

/* Keys that look like "method=result" at the head of a resinfo but are not methods: Received-SPF's
 * key-value list copied into an A-R (Amazon SES: "spf=pass (…) client-ip=x; envelope-from=…;"),
 * Microsoft's action=, the old Yahoo/DomainKeys from=. Fallback: any other key is a method. */
static const char *const not_methods[] = {
    "action",    "client-ip", "envelope-from", "from",     "helo",     "identity",
    "mechanism", "problem",   "reason",        "receiver", "x-sender",
};

static gboolean
in_list (const char *const *list, gsize n, const char *word)
{
    for (gsize i = 0; i < n; i++)
        if (g_ascii_strcasecmp (list[i], word) == 0)
            return TRUE;
    return FALSE;
}

/* ---- scanning ---------------------------------------------------------------------------- */

typedef struct {
    const char *t;
    gsize pos, end;
} Scan;

static char
peek (const Scan *s)
{
    return s->pos < s->end ? s->t[s->pos] : '\0';
}

static gboolean
is_wsp (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends @n bytes to @out, stopping at MD_AUTHRES_MAX_TEXT. */
static void
append_capped (GString *out, const char *p, gsize n)
{
    if (out->len >= MD_AUTHRES_MAX_TEXT)
        return;
    g_string_append_len (out, p, (gssize) MIN (n, MD_AUTHRES_MAX_TEXT - out->len));
}

/* comment = "(" *([FWS] ccontent) [FWS] ")" (RFC 5322 §3.2.2); ccontent nests. At '(': reads to
 * the matching ')' with a depth counter, skipping quoted-pairs; an unclosed comment runs to the
 * end. Appends the inner text, trimmed, to @out as a "; "-joined part when @out is non-NULL. */
static void
read_comment (Scan *s, GString *out)
{
    gsize start = ++s->pos, stop = s->end;
    gsize depth = 1;
    while (s->pos < s->end) {
        char c = s->t[s->pos];
        if (c == '\\' && s->pos + 1 < s->end) {
            s->pos += 2;
            continue;
        }
        s->pos++;
        if (c == '(')
            depth++;
        else if (c == ')' && --depth == 0) {
            stop = s->pos - 1;
            break;
        }
    }
    if (s->pos > s->end)
        s->pos = s->end;
    if (out == NULL)
        return;
    while (start < stop && is_wsp (s->t[start]))
        start++;
    while (stop > start && is_wsp (s->t[stop - 1]))
        stop--;
    if (stop == start)
        return; /* "()": Mail.ru's "spf=none ()" says nothing */
    if (out->len > 0)
        append_capped (out, "; ", 2);
    append_capped (out, s->t + start, stop - start);
}

/* CFWS: white space and comments; comments go to @comments when non-NULL. */
static void
skip_cfws (Scan *s, GString *comments)
{
    while (s->pos < s->end) {
        char c = s->t[s->pos];
        if (is_wsp (c))
            s->pos++;
        else if (c == '(')
            read_comment (s, comments);
        else
            break;
    }
}

/* quoted-string (RFC 5322 §3.2.4) at '"': the content, quoted-pairs undone, appended to @out;
 * an unclosed string runs to the end. */
static void
read_quoted (Scan *s, GString *out)
{
    s->pos++;
    while (s->pos < s->end) {
        char c = s->t[s->pos];
        if (c == '"') {
            s->pos++;
            return;
        }
        if (c == '\\' && s->pos + 1 < s->end) {
            s->pos++;
            c = s->t[s->pos];
        }
        if (out->len < MD_AUTHRES_MAX_TEXT)
            g_string_append_c (out, c);
        s->pos++;
    }
}

/* A key: method, ptype.property, authserv-id or result: a run up to white space or one of
 * ";()=\"". RFC 2045 token also stops at other tspecials, but real ids and values carry "@"
 * and "/" ("dkim/1", "header.i=@example.org"). */
static void
read_key (Scan *s, GString *out)
{
    gsize start = s->pos;
    while (s->pos < s->end) {
        char c = s->t[s->pos];
        if (is_wsp (c) || c == ';' || c == '(' || c == ')' || c == '=' || c == '"')
            break;
        s->pos++;
    }
    append_capped (out, s->t + start, s->pos - start);
}

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS] (RFC 8601 §2.2): a
 * quoted-string (optionally followed by "@domain"), or a run up to white space, ";" or "(".
 * "=" is allowed inside: base64 header.b= values end with it. May be empty ("smtp.mail="). */
static void
read_value (Scan *s, GString *out)
{
    if (peek (s) == '"') {
        read_quoted (s, out);
        if (peek (s) != '@')
            return;
    }
    gsize start = s->pos;
    while (s->pos < s->end) {
        char c = s->t[s->pos];
        if (is_wsp (c) || c == ';' || c == '(')
            break;
        s->pos++;
    }
    append_capped (out, s->t + start, s->pos - start);
}

/* result keyword (RFC 8601 §2.2: ALPHA / DIGIT / "-"): "pass", "bestguesspass", Fastmail's
 * "clean"; a value with "." or "@" is a domain or an address, not a result. */
static gboolean
is_keyword (const GString *w)
{
    if (w->len == 0)
        return FALSE;
    for (gsize i = 0; i < w->len; i++)
        if (!g_ascii_isalnum (w->str[i]) && w->str[i] != '-' && w->str[i] != '_')
            return FALSE;
    return TRUE;
}

static gboolean
all_digits (const GString *w)
{
    if (w->len == 0)
        return FALSE;
    for (gsize i = 0; i < w->len; i++)
        if (!g_ascii_isdigit (w->str[i]))
            return FALSE;
    return TRUE;
}

/* ---- building results -------------------------------------------------------------------- */

/* One field being read: where it came from and the result now open. */
typedef struct {
    MdAnalysis *a;
    const char *header; /* interned name as written */
    const char *authserv_id;
    guint position;
    int instance;
    MdAuthResult *cur;  /* the open result of this resinfo, or NULL */
    MdAuthResult *last; /* the last result of this field */
    GString *comments;  /* of cur */
    GPtrArray *pending; /* char *: name, value, …: props seen before any method */
    GString *key, *val, *scratch;
    GPtrArray *added;   /* MdAuthResult * added by this extract, with... */
    GArray *added_at;   /* guint: ...the index of its field, and... */
    GArray *added_kind; /* FieldKind: ...its kind */
    guint field_index;
    FieldKind kind;
    gboolean full; /* MD_AUTHRES_MAX_RESULTS reached: parse on, add nothing */
} Ctx;

static const char *
intern_lower (Ctx *c, const char *text, gsize len)
{
    g_string_truncate (c->scratch, 0);
    g_string_append_len (c->scratch, text, (gssize) len);
    for (gsize i = 0; i < c->scratch->len; i++)
        c->scratch->str[i] = g_ascii_tolower (c->scratch->str[i]);
    return md_analysis_intern (c->a, c->scratch->str, (gssize) c->scratch->len);
}

/* Ends the resinfo: its comments (all of them, also those inside its methodspec) go to the open
 * result. */
static void
close_result (Ctx *c)
{
    if (c->cur != NULL && c->comments->len > 0)
        c->cur->comment = md_analysis_intern (c->a, c->comments->str, (gssize) c->comments->len);
    c->cur = NULL;
    g_string_truncate (c->comments, 0);
}

static void
add_prop (Ctx *c, MdAuthResult *r, const char *name, const char *value)
{
    if (r->props->len >= MD_AUTHRES_MAX_PROPS) {
        md_analysis_warn (c->a, "auth-prop-limit", 0, c->header);
        return;
    }
    md_pairs_add (c->a, r->props, name, value);
}

static void
flush_pending (Ctx *c, MdAuthResult *r)
{
    for (guint i = 0; r != NULL && i + 1 < c->pending->len; i += 2)
        add_prop (c, r, g_ptr_array_index (c->pending, i), g_ptr_array_index (c->pending, i + 1));
    g_ptr_array_set_size (c->pending, 0);
}

/* Opens a new result (closing the open one); NULL once MD_AUTHRES_MAX_RESULTS is reached. */
static MdAuthResult *
open_result (Ctx *c, const char *method, gsize method_len, const char *result, gsize result_len)
{
    if (c->cur != NULL)
        close_result (c); /* a forgotten ";": the comments so far were the old result's */
    if (c->added->len >= MD_AUTHRES_MAX_RESULTS) {
        if (!c->full)
            md_analysis_warn (c->a, "auth-limit", 0, c->header);
        c->full = TRUE;
        g_ptr_array_set_size (c->pending, 0);
        return NULL;
    }
    MdAuthResult *r = md_analysis_add_auth (c->a);
    r->header = c->header;
    r->authserv_id = c->authserv_id;
    r->position = c->position;
    r->instance = c->instance;
    r->method = intern_lower (c, method, method_len);
    r->result = intern_lower (c, result, result_len);
    g_ptr_array_add (c->added, r);
    g_array_append_val (c->added_at, c->field_index);
    g_array_append_val (c->added_kind, c->kind);
    c->cur = c->last = r;
    flush_pending (c, r);
    return r;
}

/* One key=value of a resinfo (RFC 8601 §2.2):
 *   resinfo = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 *   methodspec = [CFWS] method [CFWS] "=" [CFWS] result   ; method = Keyword [ "/" version ]
 *   reasonspec = "reason" [CFWS] "=" [CFWS] value
 *   propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 * A key without "." opens a result at the head of a resinfo (unless it is a known non-method),
 * or after a method when it names a registered method (a forgotten ";"). reason= fills the
 * reason, including Microsoft's "compauth=pass reason=100". Anything else is a property, its
 * name lower-cased (ptype and property are case-insensitive); Microsoft's "action=oreject" is
 * the prop "action". */
static void
resinfo_pair (Ctx *c)
{
    const GString *k = c->key, *v = c->val;
    gboolean dotted = memchr (k->str, '.', k->len) != NULL;
    const char *slash = memchr (k->str, '/', k->len);
    gsize method_len = slash != NULL ? (gsize) (slash - k->str) : k->len;
    g_autofree char *method = g_strndup (k->str, method_len);
    if (!dotted && method_len > 0 && is_keyword (v) &&
        ((c->cur == NULL && !in_list (not_methods, G_N_ELEMENTS (not_methods), method)) ||
         (c->cur != NULL && in_list (known_methods, G_N_ELEMENTS (known_methods), method)))) {
        open_result (c, method, method_len, v->str, v->len);
        return;
    }
    if (c->full)
        return;
    if (c->cur != NULL && !dotted && g_ascii_strcasecmp (k->str, "reason") == 0 &&
        c->cur->reason == NULL) {
        c->cur->reason = md_analysis_intern (c->a, v->str, (gssize) v->len);
        return;
    }
    const char *name = intern_lower (c, k->str, k->len);
    if (c->cur != NULL) {
        add_prop (c, c->cur, name, v->str);
    } else if (c->pending->len < 2 * MD_AUTHRES_MAX_PROPS) {
        g_ptr_array_add (c->pending, g_strdup (name));
        g_ptr_array_add (c->pending, g_strndup (v->str, v->len));
    }
}

/* Reads a key and, across CFWS, RFC 8601's "ptype [CFWS] "." [CFWS] property" into c->key.
 * TRUE when "=" follows (consumed); comments in between go to the resinfo's comments. */
static gboolean
read_pair_key (Ctx *c, Scan *s)
{
    GString *comments = c->comments;
    g_string_truncate (c->key, 0);
    read_key (s, c->key);
    if (c->key->len == 0)
        return FALSE;
    skip_cfws (s, comments);
    if (peek (s) == '.' && memchr (c->key->str, '.', c->key->len) == NULL) {
        s->pos++;
        skip_cfws (s, comments);
        g_string_append_c (c->key, '.');
        read_key (s, c->key);
        skip_cfws (s, comments);
    }
    if (peek (s) != '=')
        return FALSE;
    s->pos++;
    skip_cfws (s, comments);
    g_string_truncate (c->val, 0);
    read_value (s, c->val);
    return TRUE;
}

/* The resinfos after the authserv-id, up to the end of the field. */
static void
read_resinfos (Ctx *c, Scan *s)
{
    while (s->pos < s->end) {
        skip_cfws (s, c->comments);
        if (s->pos >= s->end)
            break;
        char ch = peek (s);
        if (ch == ';') {
            close_result (c);
            s->pos++;
            continue;
        }
        if (ch == '"') { /* a quoted word on its own: nothing to keep */
            g_string_truncate (c->val, 0);
            read_quoted (s, c->val);
            continue;
        }
        gsize before = s->pos;
        if (read_pair_key (c, s))
            resinfo_pair (c);
        /* else a bare word: "none", a version, Microsoft's recipient domain "outlook.com" */
        if (s->pos == before)
            s->pos++; /* a stray "=" or ")" */
    }
    close_result (c);
    flush_pending (c, c->full ? NULL : c->last); /* Yahoo's "dkim=pass (ok); header.i=@…" */
}

/* authres-header-field = [CFWS] authserv-id [ CFWS authres-version ] ( no-result / 1*resinfo )
 * (RFC 8601 §2.2). The id is missing when the first word is followed by "=" (Microsoft 365,
 * Postfix's "auth=pass"); then the value is read as resinfos from the start. */
static void
read_authres (Ctx *c, Scan *s)
{
    gsize start = s->pos;
    skip_cfws (s, NULL);
    g_string_truncate (c->key, 0);
    if (peek (s) == '"')
        read_quoted (s, c->key);
    else
        read_key (s, c->key);
    skip_cfws (s, NULL);
    if (c->key->len == 0 || peek (s) == '=' || peek (s) == '.') {
        s->pos = start;
    } else {
        c->authserv_id = md_analysis_intern (c->a, c->key->str, (gssize) c->key->len);
        gsize mark = s->pos;
        g_string_truncate (c->key, 0);
        read_key (s, c->key);
        if (!all_digits (c->key)) /* authres-version = 1*DIGIT [CFWS] */
            s->pos = mark;
    }
    read_resinfos (c, s);
}

/* arc-info = instance [CFWS] ";" authres-payload; instance = "i" [FWS] "=" [FWS] 1*2DIGIT
 * (RFC 8617 §4.1.1, §4.2.1). Without a readable i= the field is read as plain A-R. */
static void
read_arc_instance (Ctx *c, Scan *s)
{
    gsize start = s->pos;
    skip_cfws (s, NULL);
    if (g_ascii_tolower (peek (s)) != 'i') {
        s->pos = start;
        return;
    }
    s->pos++;
    skip_cfws (s, NULL);
    if (peek (s) != '=') {
        s->pos = start;
        return;
    }
    s->pos++;
    skip_cfws (s, NULL);
    int n = 0, digits = 0;
    while (g_ascii_isdigit (peek (s)) && digits < MD_AUTHRES_MAX_INSTANCE_DIGITS) {
        n = n * 10 + (peek (s) - '0');
        digits++;
        s->pos++;
    }
    skip_cfws (s, NULL);
    if (digits == 0 || peek (s) != ';') {
        s->pos = start;
        return;
    }
    s->pos++;
    c->instance = n;
}

/* Received-SPF (RFC 7208 §9.1):
 *   header-field = "Received-SPF:" [CFWS] result FWS [comment FWS] [ key-value-list ] CRLF
 *   key-value-list = key-value-pair *( ";" [CFWS] key-value-pair ) [";"]
 *   key-value-pair = key [CFWS] "=" ( dot-atom / quoted-string )
 * One result, method "spf"; keys as written ("client-ip", "envelope-from", "receiver", …). */
static void
read_received_spf (Ctx *c, Scan *s)
{
    skip_cfws (s, NULL);
    g_string_truncate (c->val, 0);
    read_key (s, c->val);
    if (!is_keyword (c->val)) {
        md_analysis_warn (c->a, "auth-unparsed", 0, c->header);
        return;
    }
    MdAuthResult *r = open_result (c, "spf", 3, c->val->str, c->val->len);
    if (r == NULL)
        return;
    while (s->pos < s->end) {
        skip_cfws (s, c->comments);
        if (s->pos >= s->end)
            break;
        gsize before = s->pos;
        if (peek (s) == ';') {
            s->pos++;
            continue;
        }
        g_string_truncate (c->key, 0);
        read_key (s, c->key);
        skip_cfws (s, c->comments);
        if (c->key->len > 0 && peek (s) == '=') {
            s->pos++;
            skip_cfws (s, c->comments);
            g_string_truncate (c->val, 0);
            read_value (s, c->val);
            add_prop (c, r, c->key->str, c->val->str);
        }
        if (s->pos == before)
            s->pos++;
    }
    close_result (c);
}

/* tag-list = tag-spec *( ";" tag-spec ) [ ";" ]; tag-spec = [FWS] tag-name [FWS] "=" [FWS]
 * tag-value [FWS] (RFC 6376 §3.2). Fills @out[k] with the value of tag @names[k] (first one
 * wins), white space removed (FWS inside b= and h= means nothing). */
static void
read_tags (const char *t, gsize len, const char *const *names, gsize n, GString **out)
{
    gsize pos = 0;
    while (pos < len) {
        while (pos < len && is_wsp (t[pos]))
            pos++;
        gsize ns = pos;
        while (pos < len && t[pos] != '=' && t[pos] != ';')
            pos++;
        gsize ne = pos;
        while (ne > ns && is_wsp (t[ne - 1]))
            ne--;
        if (pos >= len || t[pos] == ';') {
            pos++;
            continue;
        }
        gsize vs = ++pos;
        while (pos < len && t[pos] != ';')
            pos++;
        for (gsize k = 0; k < n; k++) {
            if (out[k]->len > 0 || strlen (names[k]) != ne - ns ||
                g_ascii_strncasecmp (names[k], t + ns, ne - ns) != 0)
                continue;
            for (gsize i = vs; i < pos && out[k]->len < MD_AUTHRES_MAX_TEXT; i++)
                if (!is_wsp (t[i]))
                    g_string_append_c (out[k], t[i]);
        }
        pos++;
    }
}

static const char *
intern_or_null (MdAnalysis *a, const GString *s)
{
    return s->len > 0 ? md_analysis_intern (a, s->str, (gssize) s->len) : NULL;
}

/* ARC-Seal: "i=1; a=rsa-sha256; t=…; cv=none; d=…; s=…; b=…" (RFC 8617 §4.1.3) → one result,
 * method "arc", result = cv (what the sealer found of the chain before it), props d and s. */
static void
read_arc_seal (Ctx *c, const char *text, gsize len)
{
    static const char *const names[] = { "i", "cv", "d", "s" };
    g_autoptr (GString) i = g_string_new (NULL), cv = g_string_new (NULL);
    g_autoptr (GString) d = g_string_new (NULL), sel = g_string_new (NULL);
    GString *out[] = { i, cv, d, sel };
    read_tags (text, len, names, G_N_ELEMENTS (names), out);
    if (!is_keyword (cv)) {
        md_analysis_warn (c->a, "auth-unparsed", 0, c->header);
        return;
    }
    c->instance = 0;
    if (all_digits (i) && i->len <= MD_AUTHRES_MAX_INSTANCE_DIGITS)
        c->instance = atoi (i->str);
    MdAuthResult *r = open_result (c, "arc", 3, cv->str, cv->len);
    if (r == NULL)
        return;
    if (d->len > 0)
        add_prop (c, r, "d", d->str);
    if (sel->len > 0)
        add_prop (c, r, "s", sel->str);
    close_result (c);
}

/* DKIM-Signature → MdDkimSignature {d, s, a, i}; a field without d= is no signature. */
static void
read_dkim_signature (MdAnalysis *a, const char *text, gsize len)
{
    static const char *const names[] = { "d", "s", "a", "i" };
    g_autoptr (GString) d = g_string_new (NULL), sel = g_string_new (NULL);
    g_autoptr (GString) alg = g_string_new (NULL), id = g_string_new (NULL);
    GString *out[] = { d, sel, alg, id };
    read_tags (text, len, names, G_N_ELEMENTS (names), out);
    if (d->len == 0) {
        md_analysis_warn (a, "auth-unparsed", 0, "DKIM-Signature");
        return;
    }
    MdDkimSignature *sig = g_new0 (MdDkimSignature, 1);
    sig->domain = intern_or_null (a, d);
    sig->selector = intern_or_null (a, sel);
    sig->algorithm = intern_or_null (a, alg);
    sig->identity = intern_or_null (a, id);
    g_ptr_array_add (a->dkim_signatures, sig);
}

/* ---- trust ------------------------------------------------------------------------------- */

typedef struct {
    guint index;
    const char *authserv_id; /* NULL: none written */
} ArField;

static gboolean
id_in (const char *id, const char *const *ids, guint n)
{
    for (guint i = 0; id != NULL && i < n; i++)
        if (ids[i] != NULL && g_ascii_strcasecmp (ids[i], id) == 0)
            return TRUE;
    return FALSE;
}

/* Marks c->added trusted or not by the rule in authres.h. @ar_fields: the A-R and X-MS-A-R
 * fields, top first (also those with no result, such as "none"); @received: Received indexes. */
static void
mark_trust (Ctx *c, const char *const *trusted_ids, const GArray *ar_fields, const GArray *received,
            guint n_headers)
{
    gboolean guess = trusted_ids == NULL || trusted_ids[0] == NULL;
    g_autoptr (GPtrArray) ids = g_ptr_array_new ();
    const ArField *anchor = NULL;
    for (guint i = 0; i < ar_fields->len && anchor == NULL; i++) {
        const ArField *f = &g_array_index (ar_fields, ArField, i);
        if (guess || id_in (f->authserv_id, trusted_ids, g_strv_length ((char **) trusted_ids)))
            anchor = f;
    }
    guint boundary = n_headers;
    for (guint i = 0; i < received->len; i++) {
        guint at = g_array_index (received, guint, i);
        if (anchor == NULL || at > anchor->index) {
            boundary = at;
            break;
        }
    }
    if (anchor == NULL && !guess)
        boundary = 0; /* ids given, none of them wrote here: nothing is the receiver's */
    if (guess) {
        for (guint i = 0; i < ar_fields->len; i++) {
            const ArField *f = &g_array_index (ar_fields, ArField, i);
            if (f->index < boundary && f->authserv_id != NULL)
                g_ptr_array_add (ids, (gpointer) f->authserv_id);
        }
    } else {
        for (guint i = 0; trusted_ids[i] != NULL; i++)
            g_ptr_array_add (ids, (gpointer) trusted_ids[i]);
    }
    const char *const *idv = (const char *const *) ids->pdata;
    for (guint i = 0; i < c->added->len; i++) {
        MdAuthResult *r = g_ptr_array_index (c->added, i);
        guint at = g_array_index (c->added_at, guint, i);
        FieldKind kind = g_array_index (c->added_kind, FieldKind, i);
        gboolean in_block = at < boundary;
        switch (kind) {
        case F_AR:
        case F_XMS_AR:
            r->trusted =
                in_block && (r->authserv_id == NULL || id_in (r->authserv_id, idv, ids->len));
            break;
        case F_ARC_AR:
            r->trusted = in_block && id_in (r->authserv_id, idv, ids->len);
            break;
        case F_SPF:
            r->trusted = in_block;
            break;
        default:
            r->trusted = FALSE;
            break;
        }
    }
    /* A seal speaks for the ARC set of its instance: trusted when that set's AAR is. */
    for (guint i = 0; i < c->added->len; i++) {
        MdAuthResult *seal = g_ptr_array_index (c->added, i);
        if (g_array_index (c->added_kind, FieldKind, i) != F_ARC_SEAL || seal->instance <= 0 ||
            g_array_index (c->added_at, guint, i) >= boundary)
            continue;
        for (guint j = 0; j < c->added->len && !seal->trusted; j++) {
            const MdAuthResult *aar = g_ptr_array_index (c->added, j);
            if (g_array_index (c->added_kind, FieldKind, j) == F_ARC_AR && aar->trusted &&
                aar->instance == seal->instance)
                seal->trusted = TRUE;
        }
    }
}

/* ---- entry ------------------------------------------------------------------------------- */

void
md_authres_extract (MdAnalysis *analysis, const char *const *trusted_ids)
{
    g_return_if_fail (analysis != NULL);
    g_autoptr (GString) comments = g_string_new (NULL), key = g_string_new (NULL);
    g_autoptr (GString) val = g_string_new (NULL), scratch = g_string_new (NULL);
    g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GPtrArray) added = g_ptr_array_new ();
    g_autoptr (GArray) added_at = g_array_new (FALSE, FALSE, sizeof (guint));
    g_autoptr (GArray) added_kind = g_array_new (FALSE, FALSE, sizeof (FieldKind));
    g_autoptr (GArray) ar_fields = g_array_new (FALSE, FALSE, sizeof (ArField));
    g_autoptr (GArray) received = g_array_new (FALSE, FALSE, sizeof (guint));
    guint counts[G_N_ELEMENTS (field_table)] = { 0 };
    Ctx c = { .a = analysis,
              .comments = comments,
              .key = key,
              .val = val,
              .scratch = scratch,
              .pending = pending,
              .added = added,
              .added_at = added_at,
              .added_kind = added_kind };

    for (guint i = 0; i < analysis->headers->len; i++) {
        const MdHeader *h = g_ptr_array_index (analysis->headers, i);
        if (h->name == NULL || h->value == NULL)
            continue;
        gsize row = 0;
        while (row < G_N_ELEMENTS (field_table) &&
               !md_header_name_equal (h->name, field_table[row].name))
            row++;
        if (row == G_N_ELEMENTS (field_table))
            continue;
        FieldKind kind = field_table[row].kind;
        guint position = counts[row]++;
        if (kind == F_RECEIVED) {
            g_array_append_val (received, i);
            continue;
        }
        gsize len = strlen (h->value);
        if (kind == F_DKIM) {
            read_dkim_signature (analysis, h->value, len);
            continue;
        }
        Scan s = { h->value, 0, len };
        c.header = md_analysis_intern (analysis, h->name, -1);
        c.authserv_id = NULL;
        c.position = position;
        c.instance = 0;
        c.cur = c.last = NULL;
        c.field_index = i;
        c.kind = kind;
        g_string_truncate (comments, 0);
        g_ptr_array_set_size (pending, 0);
        switch (kind) {
        case F_ARC_AR:
            read_arc_instance (&c, &s);
            read_authres (&c, &s);
            break;
        case F_AR:
        case F_XMS_AR:
        case F_UPSTREAM:
            read_authres (&c, &s);
            if (kind != F_UPSTREAM) {
                ArField f = { i, c.authserv_id };
                g_array_append_val (ar_fields, f);
            }
            break;
        case F_SPF:
            read_received_spf (&c, &s);
            break;
        case F_ARC_SEAL:
            read_arc_seal (&c, h->value, len);
            break;
        default:
            break;
        }
    }
    mark_trust (&c, trusted_ids, ar_fields, received, analysis->headers->len);
}
