/* analysis.c - the model's life cycle, string interning and enum names. Interning is where every
 * string becomes valid UTF-8 without control line breaks, so formatters never check again. */
#include <string.h>

#include <maildiag/maildiag.h>

G_DEFINE_QUARK (maildiag-error-quark, md_error)

static void
finding_free (gpointer data)
{
    MdFinding *finding = data;
    if (finding->evidence != NULL)
        g_ptr_array_unref (finding->evidence);
    g_free (finding);
}

static void
auth_result_free (gpointer data)
{
    MdAuthResult *r = data;
    if (r->props != NULL)
        g_ptr_array_unref (r->props);
    g_free (r);
}

static void
spam_verdict_free (gpointer data)
{
    MdSpamVerdict *v = data;
    if (v->tests != NULL)
        g_ptr_array_unref (v->tests);
    if (v->details != NULL)
        g_ptr_array_unref (v->details);
    g_free (v);
}

MdAnalysis *
md_analysis_new (void)
{
    MdAnalysis *a = g_new0 (MdAnalysis, 1);
    a->strings = g_string_chunk_new (4096);
    a->source = "-";
    a->input.repaired = g_ptr_array_new ();
    a->input.warnings = g_ptr_array_new_with_free_func (g_free);
    a->message.from = g_ptr_array_new_with_free_func (g_free);
    a->message.to = g_ptr_array_new_with_free_func (g_free);
    a->headers = g_ptr_array_new_with_free_func (g_free);
    a->hops = g_ptr_array_new_with_free_func (g_free);
    a->auth = g_ptr_array_new_with_free_func (auth_result_free);
    a->dkim_signatures = g_ptr_array_new_with_free_func (g_free);
    a->alignment.dkim_domains = g_ptr_array_new ();
    a->alignment.spf_aligned = a->alignment.dkim_aligned = -1;
    a->spam = g_ptr_array_new_with_free_func (spam_verdict_free);
    a->findings = g_ptr_array_new_with_free_func (finding_free);
    a->summary.categories = g_ptr_array_new ();
    a->summary.hard = -1;
    a->body.alternative_parts = -1;
    a->body.html_text_chars = -1;
    return a;
}

void
md_analysis_free (MdAnalysis *a)
{
    if (a == NULL)
        return;
    g_ptr_array_unref (a->input.repaired);
    g_ptr_array_unref (a->input.warnings);
    g_ptr_array_unref (a->message.from);
    g_ptr_array_unref (a->message.to);
    g_ptr_array_unref (a->headers);
    g_ptr_array_unref (a->hops);
    g_ptr_array_unref (a->auth);
    g_ptr_array_unref (a->dkim_signatures);
    g_ptr_array_unref (a->alignment.dkim_domains);
    g_ptr_array_unref (a->spam);
    g_ptr_array_unref (a->findings);
    g_ptr_array_unref (a->summary.categories);
    if (a->bounce != NULL) {
        g_ptr_array_unref (a->bounce->recipients);
        md_analysis_free (a->bounce->original);
        g_free (a->bounce);
    }
    g_string_chunk_free (a->strings);
    g_free (a);
}

/* TRUE when @text is printable ASCII or tab: the common case, checked eight bytes at a time (a
 * byte is flagged when its high bit is set or it is below 0x20; a flagged word is looked at byte
 * by byte, where a tab passes). */
static gboolean
plain_ascii (const char *text, gsize n)
{
    const guint64 high = 0x8080808080808080ull, spaces = 0x2020202020202020ull;
    gsize i = 0;
    for (; i + 8 <= n; i += 8) {
        guint64 w;
        memcpy (&w, text + i, 8);
        if (((w | (w - spaces)) & high) == 0)
            continue;
        for (gsize j = i; j < i + 8; j++) {
            unsigned char c = (unsigned char) text[j];
            if (c >= 0x80 || (c < 0x20 && c != '\t'))
                return FALSE;
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char) text[i];
        if (c >= 0x80 || (c < 0x20 && c != '\t'))
            return FALSE;
    }
    return TRUE;
}

const char *
md_analysis_intern (MdAnalysis *a, const char *text, gssize len)
{
    if (text == NULL)
        return NULL;
    gsize n = len < 0 ? strlen (text) : (gsize) len;
    if (plain_ascii (text, n))
        return g_string_chunk_insert_len (a->strings, text, (gssize) n);
    /* NUL, CR and LF become spaces (folded text is unfolded), then invalid bytes become U+FFFD. */
    g_autofree char *spaced = g_malloc (n + 1);
    for (gsize i = 0; i < n; i++)
        spaced[i] = text[i] == '\0' || text[i] == '\r' || text[i] == '\n' ? ' ' : text[i];
    spaced[n] = '\0';
    if (g_utf8_validate_len (spaced, n, NULL))
        return g_string_chunk_insert_len (a->strings, spaced, (gssize) n);
    g_autofree char *valid = g_utf8_make_valid (spaced, (gssize) n);
    return g_string_chunk_insert (a->strings, valid);
}

MdAuthResult *
md_analysis_add_auth (MdAnalysis *a)
{
    MdAuthResult *r = g_new0 (MdAuthResult, 1);
    r->props = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (a->auth, r);
    return r;
}

MdSpamVerdict *
md_analysis_add_spam (MdAnalysis *a)
{
    MdSpamVerdict *v = g_new0 (MdSpamVerdict, 1);
    v->tests = g_ptr_array_new ();
    v->details = g_ptr_array_new_with_free_func (g_free);
    v->verdict = "unknown";
    g_ptr_array_add (a->spam, v);
    return v;
}

void
md_pairs_add (MdAnalysis *a, GPtrArray *pairs, const char *name, const char *value)
{
    MdPair *p = g_new0 (MdPair, 1);
    p->name = md_analysis_intern (a, name, -1);
    p->value = md_analysis_intern (a, value, -1);
    g_ptr_array_add (pairs, p);
}

MdBounce *
md_analysis_ensure_bounce (MdAnalysis *a)
{
    if (a->bounce == NULL) {
        a->bounce = g_new0 (MdBounce, 1);
        a->bounce->recipients = g_ptr_array_new_with_free_func (g_free);
    }
    return a->bounce;
}

MdRecipient *
md_bounce_add_recipient (MdAnalysis *a)
{
    MdBounce *bounce = md_analysis_ensure_bounce (a);
    MdRecipient *r = g_new0 (MdRecipient, 1);
    g_ptr_array_add (bounce->recipients, r);
    return r;
}

void
md_analysis_warn (MdAnalysis *a, const char *code, gsize offset, const char *item)
{
    GPtrArray *warnings = a->input.warnings;
    if (warnings->len >= MD_MAX_WARNINGS)
        return;
    for (guint i = 0; i < warnings->len; i++) {
        const MdWarning *w = g_ptr_array_index (warnings, i);
        if (strcmp (w->code, code) == 0 && g_strcmp0 (w->item, item) == 0)
            return;
    }
    MdWarning *w = g_new0 (MdWarning, 1);
    w->code = code;
    w->offset = offset;
    w->item = md_analysis_intern (a, item, -1);
    g_ptr_array_add (warnings, w);
}

const char *
md_analysis_intern_text (MdAnalysis *a, const char *text, gssize len)
{
    if (text == NULL)
        return NULL;
    gsize n = len < 0 ? strlen (text) : (gsize) len;
    g_autofree char *lines = g_malloc (n + 1);
    gsize o = 0;
    for (gsize i = 0; i < n; i++) {
        char c = text[i];
        if (c == '\r') {
            lines[o++] = '\n';
            if (i + 1 < n && text[i + 1] == '\n')
                i++;
        } else {
            lines[o++] = c == '\0' ? ' ' : c;
        }
    }
    lines[o] = '\0';
    if (g_utf8_validate_len (lines, o, NULL))
        return g_string_chunk_insert_len (a->strings, lines, (gssize) o);
    g_autofree char *valid = g_utf8_make_valid (lines, (gssize) o);
    return g_string_chunk_insert (a->strings, valid);
}

const char *
md_analysis_get_header (const MdAnalysis *a, const char *name)
{
    for (guint i = 0; i < a->headers->len; i++) {
        const MdHeader *h = g_ptr_array_index (a->headers, i);
        if (md_header_name_equal (h->name, name))
            return h->value;
    }
    return NULL;
}

guint
md_analysis_count_header (const MdAnalysis *a, const char *name)
{
    guint n = 0;
    for (guint i = 0; i < a->headers->len; i++) {
        const MdHeader *h = g_ptr_array_index (a->headers, i);
        if (md_header_name_equal (h->name, name))
            n++;
    }
    return n;
}

static const char *const kind_names[] = { "message", "headers", "bounce", "feedback", "auto-reply" };
static const char *const severity_names[] = { "none", "info", "notice", "warning", "error" };
static const char *const verdict_names[] = { "ok",       "delayed",  "spam",       "rejected",
                                             "deferred", "feedback", "auto-reply", "error" };
static const char *const ending_names[] = { "none", "lf", "crlf", "cr", "mixed" };

const char *
md_kind_to_string (MdKind kind)
{
    return (guint) kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : "message";
}

const char *
md_severity_to_string (MdSeverity severity)
{
    return (guint) severity < G_N_ELEMENTS (severity_names) ? severity_names[severity] : "none";
}

int
md_severity_from_string (const char *text)
{
    for (guint i = 1; i < G_N_ELEMENTS (severity_names); i++)
        if (g_strcmp0 (text, severity_names[i]) == 0)
            return (int) i;
    return -1;
}

const char *
md_verdict_to_string (MdVerdict verdict)
{
    return (guint) verdict < G_N_ELEMENTS (verdict_names) ? verdict_names[verdict] : "error";
}

const char *
md_line_ending_to_string (MdLineEnding ending)
{
    return (guint) ending < G_N_ELEMENTS (ending_names) ? ending_names[ending] : "mixed";
}

char *
md_duration_format (gint64 seconds, char *buf, gsize size)
{
    const char *sign = seconds < 0 ? "-" : "";
    guint64 s = seconds < 0 ? (guint64) (-(seconds + 1)) + 1 : (guint64) seconds;
    guint64 parts[4] = { s / 86400, s % 86400 / 3600, s % 3600 / 60, s % 60 };
    static const char units[] = "dhms";
    /* Two units at most, the second left out when zero: a person asks "how long". */
    guint first = 0;
    while (first < 3 && parts[first] == 0)
        first++;
    if (first < 3 && parts[first + 1] != 0)
        g_snprintf (buf, size, "%s%" G_GUINT64_FORMAT "%c %" G_GUINT64_FORMAT "%c", sign,
                    parts[first], units[first], parts[first + 1], units[first + 1]);
    else
        g_snprintf (buf, size, "%s%" G_GUINT64_FORMAT "%c", sign, parts[first], units[first]);
    return buf;
}

const char *
md_hop_describe_from (const MdHop *hop, char *buf, gsize size)
{
    const char *name = hop->from_rdns != NULL ? hop->from_rdns : hop->from_helo;
    if (name != NULL && name[0] == '[' && hop->from_ip != NULL)
        name = NULL; /* a HELO that is only the IP literal is not said twice */
    if (name != NULL && hop->from_ip != NULL)
        g_snprintf (buf, size, "%s [%s]", name, hop->from_ip);
    else if (name != NULL || hop->from_ip != NULL)
        g_snprintf (buf, size, "%s", name != NULL ? name : hop->from_ip);
    else
        return NULL;
    return buf;
}
