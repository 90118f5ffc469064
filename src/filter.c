/* filter.c - --filter: passes the input through byte for byte with one X-Maildiag field added
 * per message, and builds that field for --format=headers too (DESIGN §7). It never re-serialises
 * through GMime (DESIGN §6): it splices the input's bytes. The field follows RFC 8601 §2.2's
 * authres-payload grammar, with RFC 2045 tokens or RFC 5322 quoted-strings as values. */
#include <string.h>

#include "filter.h"
#include "input.h"

#define FIELD_NAME "X-Maildiag"
/* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters without the line end. */
#define MD_FILTER_FOLD_COLUMN 78
/* A value longer than this is dropped, not folded: values are never split, so this keeps every
 * line far under RFC 5322's hard limit of 998 characters (a domain alone may have 255). */
#define MD_FILTER_MAX_VALUE 320

/* --- values ------------------------------------------------------------------------------ */

/* RFC 2045 §5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or tspecials> */
static gboolean
is_token (const char *text)
{
    if (*text == '\0')
        return FALSE;
    for (const char *p = text; *p != '\0'; p++)
        if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr ("()<>@,;:\\\"/[]?=", *p) != NULL)
            return FALSE;
    return TRUE;
}

/* RFC 5322 §3.2.3 atext */
static gboolean
is_atext (char c)
{
    return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5322 dot-atom-text in [text, end) */
static gboolean
is_dot_atom (const char *text, const char *end)
{
    if (text == end || *text == '.' || end[-1] == '.')
        return FALSE;
    for (const char *p = text; p < end; p++)
        if (!(is_atext (*p) || (*p == '.' && p[1] != '.')))
            return FALSE;
    return TRUE;
}

/* RFC 6376 domain-name (RFC 8601 pvalue): sub-domain 1*("." sub-domain), each Let-dig [Ldh-str] */
static gboolean
is_domain_name (const char *text)
{
    guint labels = 0;
    const char *label = text;
    for (const char *p = text;; p++) {
        if (*p == '.' || *p == '\0') {
            if (p == label || label[0] == '-' || p[-1] == '-')
                return FALSE;
            labels++;
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!g_ascii_isalnum (*p) && *p != '-') {
            return FALSE;
        }
    }
    return labels >= 2;
}

/* append_value - appends @text as a token, as local-part@domain-name when @address allows it,
 * else as a quoted-string. Appends nothing and returns FALSE when @text is empty, too long, or
 * holds anything but printable US-ASCII: nothing from the message may smuggle a control
 * character, a line end or 8-bit bytes into the field. */
static gboolean
append_value (GString *out, const char *text, gboolean address)
{
    gsize len = text != NULL ? strlen (text) : 0;
    if (len == 0 || len > MD_FILTER_MAX_VALUE)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if ((guchar) text[i] < 0x20 || (guchar) text[i] > 0x7e)
            return FALSE;
    if (is_token (text)) {
        g_string_append (out, text);
        return TRUE;
    }
    const char *at = address ? strrchr (text, '@') : NULL;
    if (at != NULL && is_dot_atom (text, at) && is_domain_name (at + 1)) {
        g_string_append (out, text);
        return TRUE;
    }
    g_string_append_c (out, '"');
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c (out, '\\');
        g_string_append_c (out, *p);
    }
    g_string_append_c (out, '"');
    return TRUE;
}

/* --- the field ---------------------------------------------------------------------------- */

/* The words of the field, joined by one space or a fold. A resinfo's ";" ends the word before. */
typedef struct {
    GPtrArray *words; /* GString * */
} Words;

static void
free_word (gpointer word)
{
    g_string_free (word, TRUE);
}

static GString *
word_new (Words *w)
{
    GString *word = g_string_new (NULL);
    g_ptr_array_add (w->words, word);
    return word;
}

static void
word_end_resinfo (Words *w)
{
    g_string_append_c (g_ptr_array_index (w->words, w->words->len - 1), ';');
}

/* add_pair - "name=value" as one word; nothing when the value cannot be written safely */
static void
add_pair (Words *w, const char *name, const char *value, gboolean address)
{
    g_autoptr (GString) word = g_string_new (name);
    g_string_append_c (word, '=');
    if (append_value (word, value, address))
        g_ptr_array_add (w->words, g_steal_pointer (&word));
}

static void
add_number (Words *w, const char *name, gint64 value)
{
    g_string_append_printf (word_new (w), "%s=%" G_GINT64_FORMAT, name, value);
}

/* The recipient the field names: the first that failed, else the first delayed, else the first. */
static const MdRecipient *
first_recipient (const MdBounce *bounce)
{
    static const char *const actions[] = { "failed", "delayed" };
    if (bounce == NULL || bounce->recipients == NULL || bounce->recipients->len == 0)
        return NULL;
    for (guint a = 0; a < G_N_ELEMENTS (actions); a++)
        for (guint i = 0; i < bounce->recipients->len; i++) {
            const MdRecipient *r = g_ptr_array_index (bounce->recipients, i);
            if (g_strcmp0 (r->action, actions[a]) == 0)
                return r;
        }
    return g_ptr_array_index (bounce->recipients, 0);
}

/* The finding the field names: the most severe, the first of equals; --explain notes are no
 * diagnosis and do not count. */
static const MdFinding *
top_finding (const MdAnalysis *a, guint *count, gboolean *delay)
{
    const MdFinding *top = NULL;
    *count = 0;
    *delay = FALSE;
    for (guint i = 0; a->findings != NULL && i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (f->explain)
            continue;
        (*count)++;
        if (g_strcmp0 (f->category, "delay") == 0)
            *delay = TRUE;
        if (top == NULL || f->severity > top->severity)
            top = f;
    }
    return top;
}

/* error_reason - the reason= of verdict=error: what kept the message from being analysed */
static const char *
error_reason (const GError *error)
{
    if (error != NULL && error->domain == MD_ERROR) {
        switch ((MdError) error->code) {
        case MD_ERROR_NOT_MAIL:
            return "notmail";
        case MD_ERROR_TOO_BIG:
            return "toobig";
        case MD_ERROR_RULES:
            return "rules";
        case MD_ERROR_READ:
        case MD_ERROR_NO_INPUT:
            return "read";
        case MD_ERROR_INTERNAL:
        default:
            break;
        }
    }
    return "internal";
}

static void
add_resinfos (Words *w, const MdAnalysis *a)
{
    /* verdict=<summary verdict> reason=<Sisimai reason> rcpt.addr= rcpt.status= smtp.reply=
     * rcpt.hard= rcpt.count= */
    add_pair (w, "verdict", md_verdict_to_string (a->summary.verdict), FALSE);
    const MdRecipient *r = first_recipient (a->bounce);
    if (r != NULL) {
        add_pair (w, "reason", r->reason, FALSE);
        add_pair (w, "rcpt.addr", r->recipient, TRUE);
        add_pair (w, "rcpt.status", r->status, FALSE);
        if (r->reply_code > 0)
            add_number (w, "smtp.reply", r->reply_code);
        add_pair (w, "rcpt.hard", r->hard ? "yes" : "no", FALSE);
        add_number (w, "rcpt.count", a->bounce->recipients->len);
    }
    word_end_resinfo (w);

    /* delay=fail (a delay finding) | pass (hops dated, no delay finding) | none (nothing dated),
     * hop.max= hop.total= (seconds) hop.count= */
    guint count;
    gboolean delay;
    const MdFinding *top = top_finding (a, &count, &delay);
    const MdDelivery *d = &a->delivery;
    add_pair (w, "delay", delay ? "fail" : d->has_max || d->has_total ? "pass" : "none", FALSE);
    if (d->has_max)
        add_number (w, "hop.max", d->max_hop_delay_s);
    if (d->has_total)
        add_number (w, "hop.total", d->total_delay_s);
    add_number (w, "hop.count", d->hop_count);
    word_end_resinfo (w);

    /* finding=<severity of the most severe finding>|none rule.id= finding.count= */
    add_pair (w, "finding", top != NULL ? md_severity_to_string (top->severity) : "none", FALSE);
    if (top != NULL)
        add_pair (w, "rule.id", top->rule, FALSE);
    add_number (w, "finding.count", count);
}

const char *
md_filter_authserv_id (void)
{
    return g_get_host_name ();
}

void
md_filter_field (GString *out, const MdAnalysis *analysis, const GError *error,
                 const char *authserv_id, const char *eol)
{
    Words w = { g_ptr_array_new_with_free_func (free_word) };
    /* authserv-id [CFWS authres-version] */
    GString *id = word_new (&w);
    if (!append_value (id, authserv_id != NULL ? authserv_id : md_filter_authserv_id (), FALSE))
        g_string_append (id, "localhost");
    g_string_append (word_new (&w), "1");
    word_end_resinfo (&w);
    if (analysis != NULL) {
        add_resinfos (&w, analysis);
    } else {
        add_pair (&w, "verdict", "error", FALSE);
        add_pair (&w, "reason", error_reason (error), FALSE);
    }

    g_string_append (out, FIELD_NAME ":");
    gsize column = sizeof FIELD_NAME;
    for (guint i = 0; i < w.words->len; i++) {
        const GString *word = g_ptr_array_index (w.words, i);
        /* Fold only between words (RFC 5322 §2.2.3): a word longer than a line stays whole. */
        if (column + 1 + word->len > MD_FILTER_FOLD_COLUMN && i > 0) {
            g_string_append (out, eol);
            g_string_append_c (out, '\t');
            column = 1;
        } else {
            g_string_append_c (out, ' ');
            column++;
        }
        g_string_append_len (out, word->str, (gssize) word->len);
        column += word->len;
    }
    g_string_append (out, eol);
    g_ptr_array_unref (w.words);
}

/* --- splicing ------------------------------------------------------------------------------ */

/* Lines end in LF (CRLF too), or in CR when the text holds no LF at all (an old Mac file). */
static gboolean
cr_only (const char *data, gsize len)
{
    return len > 0 && memchr (data, '\n', len) == NULL && memchr (data, '\r', len) != NULL;
}

static gsize
line_end (const char *data, gsize len, gsize pos, gboolean cr)
{
    const char *p = memchr (data + pos, cr ? '\r' : '\n', len - pos);
    return p != NULL ? (gsize) (p - data) + 1 : len;
}

static gboolean
blank_line (const char *line, gsize len, gboolean cr)
{
    if (cr)
        return len == 1 && line[0] == '\r';
    return (len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n');
}

/* The line end of the field: CRLF when the first line ends in CR LF (or CR CR LF), LF when in a
 * bare LF, CR when there is no LF at all; NULL for text without a line end. */
static const char *
line_ending_of (const char *data, gsize len)
{
    const char *lf = len > 0 ? memchr (data, '\n', len) : NULL;
    if (lf != NULL)
        return lf > data && lf[-1] == '\r' ? "\r\n" : "\n";
    return len > 0 && memchr (data, '\r', len) != NULL ? "\r" : NULL;
}

/* A field of ours: "X-Maildiag" [WSP] ":" at the start of a line, any case (RFC 5322 §3.6.8 and
 * its obsolete WSP before the colon, which GMime accepts). */
static gboolean
is_our_field (const char *line, gsize len)
{
    gsize n = sizeof FIELD_NAME - 1;
    if (len <= n || g_ascii_strncasecmp (line, FIELD_NAME, n) != 0)
        return FALSE;
    while (n < len && (line[n] == ' ' || line[n] == '\t'))
        n++;
    return n < len && line[n] == ':';
}

/* A header field's first line: 1*ftext [WSP] ":" (RFC 5322 §3.6.8). */
static gboolean
is_field_start (const char *line, gsize len)
{
    gsize n = 0;
    while (n < len && (guchar) line[n] > 0x20 && (guchar) line[n] < 0x7f && line[n] != ':')
        n++;
    if (n == 0)
        return FALSE;
    while (n < len && (line[n] == ' ' || line[n] == '\t'))
        n++;
    return n < len && line[n] == ':';
}

gsize
md_filter_strip (const char *data, gsize len, char **out)
{
    gboolean cr = cr_only (data, len);
    g_autoptr (GString) kept = NULL;
    gsize copied = 0; /* data[0, copied) is in @kept or needs no copy */
    gboolean removing = FALSE;
    for (gsize pos = 0, end; pos < len; pos = end) {
        end = line_end (data, len, pos, cr);
        const char *line = data + pos;
        gsize line_len = end - pos;
        /* The top header block ends at the first empty line, or at a line that is no field. */
        if (blank_line (line, line_len, cr))
            break;
        if (line[0] == ' ' || line[0] == '\t') {
            if (pos == 0)
                break;
        } else if (is_field_start (line, line_len)) {
            removing = is_our_field (line, line_len);
        } else {
            break;
        }
        if (!removing)
            continue;
        if (kept == NULL)
            kept = g_string_sized_new (len);
        g_string_append_len (kept, data + copied, (gssize) (pos - copied));
        copied = end;
    }
    if (kept == NULL) {
        *out = NULL;
        return len;
    }
    g_string_append_len (kept, data + copied, (gssize) (len - copied));
    gsize kept_len = kept->len;
    *out = g_string_free (g_steal_pointer (&kept), FALSE);
    return kept_len;
}

static gboolean
write_all (FILE *stream, const char *data, gsize len)
{
    return len == 0 || fwrite (data, 1, len, stream) == len;
}

/* filter_message - writes one message: [from] field message [separator]. @message excludes the
 * From_ line and the separator line; the three are adjacent in the input. */
static gboolean
filter_message (FILE *stream, const char *from, gsize from_len, const char *message, gsize len,
                gsize separator_len, guint index, const MdFilterOptions *options)
{
    g_autofree char *stripped = NULL;
    gsize stripped_len = md_filter_strip (message, len, &stripped);
    const char *text = stripped != NULL ? stripped : message;

    g_autoptr (GError) error = NULL;
    g_autoptr (MdAnalysis) analysis = NULL;
    if (options->fail_all != NULL) {
        error = g_error_copy (options->fail_all);
    } else {
        MdOptions analysis_options = { 0 };
        if (options->analysis != NULL)
            analysis_options = *options->analysis;
        analysis_options.index = index;
        analysis = md_analyze_bytes (text, stripped_len, &analysis_options, &error);
        if (analysis == NULL && error == NULL)
            g_set_error_literal (&error, MD_ERROR, MD_ERROR_INTERNAL, "analysis failed");
    }
    const char *eol = line_ending_of (message, len);
    if (eol == NULL)
        eol = line_ending_of (from, from_len);
    g_autoptr (GString) field = g_string_sized_new (256);
    md_filter_field (field, analysis, error, options->authserv_id, eol != NULL ? eol : "\n");
    if (options->notify != NULL)
        options->notify (analysis, error, options->user_data);

    return write_all (stream, from, from_len) && write_all (stream, field->str, field->len) &&
           write_all (stream, text, stripped_len) &&
           write_all (stream, message + len, separator_len);
}

static gboolean
only_white_space (const char *data, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isspace (data[i]))
            return FALSE;
    return TRUE;
}

gboolean
md_filter_write (FILE *stream, const char *data, gsize len, const MdFilterOptions *options)
{
    if (data == NULL)
        data = "";
    if (!md_input_is_mbox (data, len) && !options->force_mbox)
        return filter_message (stream, NULL, 0, data, len, 0, 0, options);

    /* Split as MdMboxReader does (input.c): a "From " line starts a message at the start, after
     * a blank line, or when it carries a separator's date; the blank line before it belongs to
     * neither message and is written back after the first. */
    gboolean cr = cr_only (data, len);
    gsize from = 0, from_len = 0, body = 0, blank = 0;
    guint index = 0;
    if (md_input_is_mbox (data, len))
        from_len = body = line_end (data, len, 0, cr);
    for (gsize pos = body, end; pos < len; pos = end) {
        end = line_end (data, len, pos, cr);
        const char *line = data + pos;
        gsize line_len = end - pos;
        if (line_len >= 5 && memcmp (line, "From ", 5) == 0 &&
            (blank > 0 || md_input_from_line_dated (line, line_len))) {
            gsize body_len = pos - blank - body;
            if (from_len == 0 && only_white_space (data + body, body_len + blank)) {
                /* Blank lines before the first From_ line (--mbox) are no message. */
                if (!write_all (stream, data + body, body_len + blank))
                    return FALSE;
            } else if (!filter_message (stream, data + from, from_len, data + body, body_len, blank,
                                        index++, options)) {
                return FALSE;
            }
            from = pos;
            from_len = line_len;
            body = end;
            blank = 0;
            continue;
        }
        blank = blank_line (line, line_len, cr) ? line_len : 0;
    }
    /* mbox writers end every message with a blank line, the last one too. */
    return filter_message (stream, data + from, from_len, data + body, len - blank - body, blank,
                           index, options);
}
