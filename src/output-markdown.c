/* output-markdown.c - a ticket snippet (issue #10): the verdict, the diagnosis with short advice,
 * bounce recipients, trusted authentication results, spam verdicts and the hop table, as
 * GitHub-flavoured Markdown (GFM tables). Reads only the model; never the body, never raw HTML.
 *
 * Paste-safety rule, for every text taken from the message: control characters become spaces (a
 * value stays on its table row); the value is cut to its column's width with "…"; then each of
 *     \ ` * _ [ ] < > | ~ & $
 * gets a backslash. CommonMark lets a backslash escape any ASCII punctuation and prints the
 * character alone, so the escaped text reads as written. These are the characters that act
 * inside a line: emphasis, code spans, links and images, raw HTML and autolinks, table cells
 * (GFM splits a row on | even inside code spans), strikethrough, entities and GitHub's math.
 * Characters that act only at the start of a line (#, -, +, >, 1.) need nothing: every line we
 * write starts with our own markup. */
#include <string.h>

#include <maildiag/maildiag.h>

#define CELL_MAX 60     /* a table cell: longer values are cut with "…" */
#define TITLE_MAX 160   /* a finding's title, the summary line */
#define ADVICE_MAX 200  /* the advice's first sentence, at most */
#define SUBJECT_MAX 100 /* Subject of the message */
#define TESTS_MAX 8     /* spam tests named in a cell */

static gboolean
is_active (gunichar c)
{
    return c < 0x80 && strchr ("\\`*_[]<>|~&$", (int) c) != NULL;
}

/* Appends @text (NULL: @fallback) cut to @max characters and escaped by the rule above. */
static void
append_escaped_or (GString *out, const char *text, guint max, const char *fallback)
{
    if (text == NULL || *text == '\0') {
        g_string_append (out, fallback);
        return;
    }
    glong n = g_utf8_strlen (text, -1);
    const char *end = n > (glong) max ? g_utf8_offset_to_pointer (text, max - 1) : text + strlen (text);
    for (const char *p = text; p < end; p = g_utf8_next_char (p)) {
        gunichar c = g_utf8_get_char (p);
        if (c < 0x20 || c == 0x7f)
            g_string_append_c (out, ' ');
        else if (is_active (c)) {
            g_string_append_c (out, '\\');
            g_string_append_c (out, (char) c);
        } else
            g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
    if (n > (glong) max)
        g_string_append (out, "…");
}

static void
append_escaped (GString *out, const char *text, guint max)
{
    append_escaped_or (out, text, max, "-");
}

static void
append_cell (GString *out, const char *text)
{
    g_string_append_c (out, ' ');
    append_escaped_or (out, text, CELL_MAX, "");
    g_string_append (out, " |");
}

/* The first sentence of @advice: a ticket wants the gist; the full text is in `maildiag`'s report. */
static void
append_advice (GString *out, const char *advice)
{
    const char *end = advice;
    while ((end = strchr (end, '.')) != NULL && end[1] != '\0' && end[1] != ' ')
        end++;
    g_autofree char *first = end != NULL ? g_strndup (advice, (gsize) (end - advice) + 1)
                                         : g_strdup (advice);
    append_escaped (out, first, ADVICE_MAX);
    if (end != NULL && end[1] != '\0' && g_utf8_strlen (first, -1) <= ADVICE_MAX)
        g_string_append (out, " …");
}

static void
append_findings (GString *out, const MdAnalysis *a)
{
    g_string_append (out, "\n**Diagnosis**\n\n");
    guint shown = 0;
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (f->explain)
            continue; /* a note of --explain, not a diagnosis */
        g_string_append_printf (out, "- **%s** ", md_severity_to_string (f->severity));
        append_escaped (out, f->title != NULL ? f->title : f->rule, TITLE_MAX);
        if (f->advice != NULL && *f->advice != '\0') {
            g_string_append (out, ": ");
            append_advice (out, f->advice);
        }
        g_string_append_c (out, '\n');
        shown++;
    }
    if (shown == 0)
        g_string_append (out, "- no findings\n");
}

static void
append_bounce (GString *out, const MdAnalysis *a)
{
    const MdBounce *b = a->bounce;
    if (b == NULL || b->recipients->len == 0)
        return;
    g_string_append (out, "\n**Recipients** (");
    append_escaped (out, b->format != NULL ? b->format : "report", CELL_MAX);
    if (b->reporting_mta != NULL) {
        g_string_append (out, " from ");
        append_escaped (out, b->reporting_mta, CELL_MAX);
    }
    g_string_append (out, ")\n\n| Recipient | Action | Status | Reply | Reason |\n"
                          "|---|---|---|---|---|\n");
    for (guint i = 0; i < b->recipients->len; i++) {
        const MdRecipient *r = g_ptr_array_index (b->recipients, i);
        g_autoptr (GString) status = g_string_new (NULL);
        if (r->reply_code != 0)
            g_string_append_printf (status, "%d", r->reply_code);
        if (r->status != NULL)
            g_string_append_printf (status, "%s%s", status->len > 0 ? " " : "", r->status);
        g_autofree char *reason =
            r->reason != NULL ? g_strdup_printf ("%s%s", r->reason, r->hard ? " (hard)" : "") : NULL;
        g_string_append_c (out, '|');
        append_cell (out, r->recipient);
        append_cell (out, r->action);
        append_cell (out, status->str);
        append_cell (out, r->diagnostic);
        append_cell (out, reason);
        g_string_append_c (out, '\n');
    }
}

static void
append_auth (GString *out, const MdAnalysis *a)
{
    guint trusted = 0, untrusted = 0;
    for (guint i = 0; i < a->auth->len; i++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, i);
        if (r->trusted)
            trusted++;
        else
            untrusted++;
    }
    if (trusted == 0 && untrusted == 0 && !a->alignment.computed)
        return;
    g_string_append (out, "\n**Authentication** (results the receiving server added)\n\n");
    if (trusted > 0) {
        g_string_append (out, "| Method | Result | Details |\n|---|---|---|\n");
        for (guint i = 0; i < a->auth->len; i++) {
            const MdAuthResult *r = g_ptr_array_index (a->auth, i);
            if (!r->trusted)
                continue;
            g_autoptr (GString) details = g_string_new (NULL);
            for (guint j = 0; j < r->props->len && j < 2; j++) {
                const MdPair *pair = g_ptr_array_index (r->props, j);
                g_string_append_printf (details, "%s%s=%s", j > 0 ? " " : "", pair->name,
                                        pair->value);
            }
            if (r->authserv_id != NULL)
                g_string_append_printf (details, "%s(%s)", details->len > 0 ? " " : "",
                                        r->authserv_id);
            if (r->header != NULL && g_ascii_strcasecmp (r->header, "Authentication-Results") != 0)
                g_string_append_printf (details, " · %s", r->header);
            g_string_append_c (out, '|');
            append_cell (out, r->method);
            append_cell (out, r->result);
            append_cell (out, details->str);
            g_string_append_c (out, '\n');
        }
    }
    if (untrusted > 0)
        g_string_append_printf (out, "%s%u result%s from upstream or unknown servers, not trusted\n",
                                trusted > 0 ? "\n" : "", untrusted, untrusted == 1 ? "" : "s");
    const MdAlignment *al = &a->alignment;
    if (al->computed) {
        g_string_append (out, trusted > 0 || untrusted > 0 ? "\nDMARC alignment with " : "DMARC alignment with ");
        append_escaped (out, al->from_domain, CELL_MAX);
        g_string_append_c (out, ':');
        if (al->spf_aligned >= 0) {
            g_string_append_printf (out, " SPF %s (", al->spf_aligned ? "aligned" : "not aligned");
            append_escaped (out, al->spf_domain, CELL_MAX);
            g_string_append_c (out, ')');
        } else {
            g_string_append (out, " SPF no pass");
        }
        if (al->dkim_aligned >= 0)
            g_string_append_printf (out, ", DKIM %s\n", al->dkim_aligned ? "aligned" : "not aligned");
        else
            g_string_append (out, ", DKIM no pass\n");
    }
}

static void
append_spam (GString *out, const MdAnalysis *a)
{
    if (a->spam->len == 0)
        return;
    g_string_append (out, "\n**Spam filters**\n\n| Filter | Verdict | Score | Details |\n"
                          "|---|---|---|---|\n");
    for (guint i = 0; i < a->spam->len; i++) {
        const MdSpamVerdict *v = g_ptr_array_index (a->spam, i);
        char score[2 * G_ASCII_DTOSTR_BUF_SIZE + 4] = "";
        if (v->has_score) {
            g_ascii_formatd (score, G_ASCII_DTOSTR_BUF_SIZE, "%.6g", v->score);
            if (v->has_threshold) {
                char threshold[G_ASCII_DTOSTR_BUF_SIZE];
                g_ascii_formatd (threshold, sizeof threshold, "%.6g", v->threshold);
                g_strlcat (score, " / ", sizeof score);
                g_strlcat (score, threshold, sizeof score);
            }
        }
        g_autoptr (GString) details = g_string_new (NULL);
        for (guint j = 0; j < v->details->len && j < 6; j++) {
            const MdPair *pair = g_ptr_array_index (v->details, j);
            g_string_append_printf (details, "%s%s:%s", details->len > 0 ? " " : "", pair->name,
                                    pair->value);
        }
        for (guint j = 0; j < v->tests->len && j < TESTS_MAX; j++)
            g_string_append_printf (details, "%s%s", details->len > 0 ? " " : "",
                                    (const char *) g_ptr_array_index (v->tests, j));
        g_string_append_c (out, '|');
        append_cell (out, v->filter);
        append_cell (out, v->verdict);
        append_cell (out, score);
        append_cell (out, details->str);
        g_string_append_c (out, '\n');
    }
}

static void
append_hops (GString *out, const MdAnalysis *a, const char *title)
{
    const MdDelivery *d = &a->delivery;
    char buf[64];
    g_string_append_printf (out, "\n**%s** (oldest first", title);
    if (a->hops->len == 0) {
        g_string_append (out, "): no Received fields\n");
        return;
    }
    if (d->has_total)
        g_string_append_printf (out, "; total %s over %u hop%s",
                                md_duration_format (d->total_delay_s, buf, sizeof buf),
                                d->hop_count, d->hop_count == 1 ? "" : "s");
    if (d->has_max && d->slowest_hop > 0)
        g_string_append_printf (out, "; slowest hop %u (%s)", d->slowest_hop,
                                md_duration_format (d->max_hop_delay_s, buf, sizeof buf));
    if (d->clock_skew)
        g_string_append (out, "; clock skew seen");
    g_string_append (out, ")\n\n| Hop | From | By | With | Time (UTC) | Delay |\n"
                          "|---:|---|---|---|---|---:|\n");
    for (guint i = 0; i < a->hops->len; i++) {
        const MdHop *hop = g_ptr_array_index (a->hops, i);
        char time[32] = "";
        if (hop->date.valid && hop->date.zone_known) {
            g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (hop->date.utc);
            if (dt != NULL) {
                g_autofree char *t = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
                g_strlcpy (time, t, sizeof time);
            }
        } else if (hop->date.valid) {
            g_strlcpy (time, "? (zone unknown)", sizeof time);
        }
        char delay[32] = "";
        if (hop->has_delay)
            md_duration_format (hop->delay_s, delay, sizeof delay);
        char from[300];
        const char *route = md_hop_describe_from (hop, from, sizeof from);
        g_autoptr (GString) with = g_string_new (hop->with);
        if (hop->tls != NULL)
            g_string_append_printf (with, "%s%s", with->len > 0 ? ", " : "", hop->tls);
        if (hop->authenticated)
            g_string_append_printf (with, "%sauthenticated", with->len > 0 ? ", " : "");
        if (!hop->parse_ok)
            g_string_append_printf (with, "%snot a relay hop", with->len > 0 ? ", " : "");
        g_string_append_printf (out, "| %u |", hop->index);
        /* A line that is no relay hop (qmail's "invoked by uid") is shown as written. */
        append_cell (out, route != NULL || hop->parse_ok ? route : hop->raw);
        append_cell (out, hop->by);
        append_cell (out, with->str);
        append_cell (out, time);
        append_cell (out, delay);
        g_string_append_c (out, '\n');
    }
}

void
md_output_markdown (GString *out, const MdAnalysis *a)
{
    const MdSummary *s = &a->summary;
    g_autofree char *upper = g_ascii_strup (md_verdict_to_string (s->verdict), -1);
    g_string_append_printf (out, "**%s** ", upper);
    append_escaped_or (out, s->text, TITLE_MAX, "");
    g_string_append (out, "\n\nSource: ");
    append_escaped (out, a->source, CELL_MAX);
    g_string_append_printf (out, " (%s", md_kind_to_string (a->kind));
    if (a->message.subject != NULL) {
        g_string_append (out, ", subject “");
        append_escaped (out, a->message.subject, SUBJECT_MAX);
        g_string_append (out, "”");
    }
    g_string_append (out, ")\n");
    append_findings (out, a);
    append_bounce (out, a);
    append_auth (out, a);
    append_spam (out, a);
    append_hops (out, a, "Received chain");
    const MdAnalysis *original = a->bounce != NULL ? a->bounce->original : NULL;
    if (original != NULL && original->hops->len > 0)
        append_hops (out, original, "Returned message's Received chain");
}
