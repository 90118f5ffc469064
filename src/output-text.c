/* output-text.c - the readable report: a summary line, findings with advice, the hop table.
 * Colour only when the caller says so (a TTY without NO_COLOR: the CLI decides). */
#include <string.h>

#include <maildiag/maildiag.h>

#define ADVICE_WIDTH 76 /* wrap advice for an 80-column terminal, after the indent */
#define CELL_MAX 44 /* a host name longer than this is cut with "…": the line stays readable */

typedef struct {
    const char *bold, *dim, *red, *yellow, *green, *cyan, *reset;
} Palette;

static const Palette plain = { "", "", "", "", "", "", "" };
static const Palette ansi = { "\033[1m", "\033[2m", "\033[31m", "\033[33m", "\033[32m", "\033[36m",
                              "\033[0m" };

static const char *
severity_colour (const Palette *p, MdSeverity severity)
{
    switch (severity) {
    case MD_SEVERITY_ERROR:
        return p->red;
    case MD_SEVERITY_WARNING:
        return p->yellow;
    case MD_SEVERITY_NOTICE:
        return p->cyan;
    default:
        return p->dim;
    }
}

static const char *
verdict_colour (const Palette *p, MdVerdict verdict)
{
    switch (verdict) {
    case MD_VERDICT_OK:
        return p->green;
    case MD_VERDICT_DELAYED:
    case MD_VERDICT_DEFERRED:
    case MD_VERDICT_SPAM:
        return p->yellow;
    default:
        return p->red;
    }
}

/* Appends @text wrapped at ADVICE_WIDTH, each line after the first indented by @indent. */
static void
append_wrapped (GString *out, const char *text, const char *indent)
{
    gsize column = 0;
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p != '\0' && *p != ' ')
            p++;
        gsize n = (gsize) (p - word);
        if (n == 0)
            break;
        if (column > 0 && column + 1 + n > ADVICE_WIDTH) {
            g_string_append_printf (out, "\n%s", indent);
            column = 0;
        } else if (column > 0) {
            g_string_append_c (out, ' ');
            column++;
        }
        g_string_append_len (out, word, (gssize) n);
        column += (gsize) g_utf8_strlen (word, (gssize) n);
    }
    g_string_append_c (out, '\n');
}

/* Appends @text cut to @width characters with "…" (UTF-8 aware). */
static void
append_cut (GString *out, const char *text, guint width)
{
    if (text == NULL)
        text = "-";
    if (g_utf8_strlen (text, -1) > (glong) width) {
        const char *cut = g_utf8_offset_to_pointer (text, width - 1);
        g_string_append_len (out, text, cut - text);
        g_string_append (out, "…");
    } else {
        g_string_append (out, text);
    }
}

static void
append_hops (GString *out, const MdAnalysis *a, const Palette *p)
{
    const MdDelivery *d = &a->delivery;
    char buf[64];
    g_string_append_printf (out, "\n%sReceived chain%s (oldest first)\n", p->bold, p->reset);
    if (a->hops->len == 0) {
        g_string_append (out, "  no Received fields\n");
        return;
    }
    /* Two lines a hop keep the table inside 80 columns: the route, then how it was carried. */
    g_string_append_printf (out, "%s  %-3s %-19s  %-8s  %s%s\n", p->dim, "#", "Time (UTC)", "Delay",
                            "From, then → By · With · TLS", p->reset);
    for (guint i = 0; i < a->hops->len; i++) {
        const MdHop *hop = g_ptr_array_index (a->hops, i);
        char time[32] = "?";
        if (hop->date.valid && hop->date.zone_known) {
            g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (hop->date.utc);
            if (dt != NULL) {
                g_autofree char *t = g_date_time_format (dt, "%Y-%m-%d %H:%M:%S");
                g_strlcpy (time, t, sizeof time);
            }
        } else if (hop->date.valid) {
            g_strlcpy (time, "? (zone unknown)", sizeof time);
        }
        char delay[32] = "-";
        if (hop->has_delay)
            md_duration_format (hop->delay_s, delay, sizeof delay);
        const char *colour = "";
        if (hop->has_delay &&
            (hop->delay_s < 0 || (d->slowest_hop == hop->index && hop->delay_s >= 300)))
            colour = p->yellow;
        char from[300];
        g_string_append_printf (out, "  %-3u %-19s  %s%-8s%s  ", hop->index, time, colour, delay,
                                *colour ? p->reset : "");
        const char *route = md_hop_describe_from (hop, from, sizeof from);
        /* A line that is no relay hop (qmail's "invoked by uid") is shown as written. */
        append_cut (out, route != NULL || hop->parse_ok ? route : hop->raw, CELL_MAX);
        g_string_append_printf (out, "\n  %-3s %-19s  %-8s  ", "", "", "");
        if (hop->by != NULL) {
            g_string_append (out, "→ ");
            append_cut (out, hop->by, CELL_MAX);
        }
        g_string_append (out, p->dim);
        if (hop->with != NULL)
            g_string_append_printf (out, " · %s", hop->with);
        if (hop->tls != NULL)
            g_string_append_printf (out, " · %s", hop->tls);
        if (hop->authenticated)
            g_string_append (out, " · authenticated");
        if (!hop->parse_ok)
            g_string_append (out, hop->by != NULL ? " · not a relay hop" : "not a relay hop");
        g_string_append_printf (out, "%s\n", p->reset);
    }
    if (d->has_total)
        g_string_append_printf (out, "  Total %s over %u hop%s", md_duration_format (d->total_delay_s, buf, sizeof buf),
                                d->hop_count, d->hop_count == 1 ? "" : "s");
    else if (d->hop_count > 1)
        g_string_append_printf (out, "  %u hops, total unknown (dates missing or without zone)",
                                d->hop_count);
    else
        g_string_append (out, "  1 hop");
    if (d->has_max && d->slowest_hop > 0)
        g_string_append_printf (out, "; slowest hop %u (%s)", d->slowest_hop,
                                md_duration_format (d->max_hop_delay_s, buf, sizeof buf));
    if (d->clock_skew)
        g_string_append (out, "; clock skew seen");
    g_string_append_c (out, '\n');
}

static void
append_findings (GString *out, const MdAnalysis *a, const Palette *p, gboolean explain)
{
    if (a->findings->len == 0)
        return;
    g_string_append_printf (out, "\n%sFindings%s\n", p->bold, p->reset);
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        const char *severity = md_severity_to_string (f->severity);
        g_string_append_printf (out, "  %s%-7s%s %s", severity_colour (p, f->severity), severity,
                                p->reset, f->title != NULL ? f->title : f->rule);
        g_string_append_printf (out, " %s[%s]%s\n", p->dim, f->rule, p->reset);
        if (f->advice != NULL && *f->advice != '\0') {
            g_string_append (out, "          ");
            append_wrapped (out, f->advice, "          ");
        }
        for (guint j = 0; explain && f->evidence != NULL && j < f->evidence->len; j++) {
            const MdEvidence *e = g_ptr_array_index (f->evidence, j);
            g_string_append_printf (out, "          %s%s: %s", p->dim, e->field,
                                    e->value != NULL ? e->value : "");
            if (e->match != NULL)
                g_string_append_printf (out, "  → matched %s", e->match);
            g_string_append_printf (out, "%s\n", p->reset);
        }
    }
}

static const char *
result_colour (const Palette *p, const char *result)
{
    if (g_strcmp0 (result, "pass") == 0)
        return p->green;
    if (g_strcmp0 (result, "fail") == 0 || g_strcmp0 (result, "permerror") == 0)
        return p->red;
    if (g_strcmp0 (result, "softfail") == 0 || g_strcmp0 (result, "temperror") == 0)
        return p->yellow;
    return "";
}

/* Authentication at a glance: the receiver's (trusted) results on one line each, the prop a
 * person checks first beside each; upstream (untrusted) ones counted, not shown. */
static void
append_auth (GString *out, const MdAnalysis *a, const Palette *p)
{
    if (a->auth->len == 0 && !a->alignment.computed)
        return;
    g_string_append_printf (out, "\n%sAuthentication%s\n", p->bold, p->reset);
    guint untrusted = 0;
    for (guint i = 0; i < a->auth->len; i++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, i);
        if (!r->trusted) {
            untrusted++;
            continue;
        }
        const char *colour = result_colour (p, r->result);
        g_string_append_printf (out, "  %-8s %s%-9s%s", r->method != NULL ? r->method : "?", colour,
                                r->result != NULL ? r->result : "?", *colour ? p->reset : "");
        for (guint j = 0; j < r->props->len && j < 2; j++) {
            const MdPair *pair = g_ptr_array_index (r->props, j);
            g_string_append_printf (out, " %s=%s", pair->name, pair->value);
        }
        g_string_append (out, p->dim);
        if (r->authserv_id != NULL)
            g_string_append_printf (out, " (%s)", r->authserv_id);
        /* ARC sets and Received-SPF repeat what Authentication-Results says: name the source */
        if (r->header != NULL && g_ascii_strcasecmp (r->header, "Authentication-Results") != 0) {
            g_string_append_printf (out, " · %s", r->header);
            if (r->instance > 0)
                g_string_append_printf (out, " i=%d", r->instance);
        }
        g_string_append (out, p->reset);
        g_string_append_c (out, '\n');
    }
    if (untrusted > 0)
        g_string_append_printf (out, "  %s%u result%s from upstream or unknown servers, not trusted%s\n",
                                p->dim, untrusted, untrusted == 1 ? "" : "s", p->reset);
    const MdAlignment *al = &a->alignment;
    if (al->computed) {
        g_string_append_printf (out, "  DMARC alignment with %s:", al->from_domain);
        if (al->spf_aligned >= 0)
            g_string_append_printf (out, " SPF %s (%s)", al->spf_aligned ? "aligned" : "not aligned",
                                    al->spf_domain);
        else
            g_string_append (out, " SPF no pass");
        if (al->dkim_aligned >= 0)
            g_string_append_printf (out, ", DKIM %s", al->dkim_aligned ? "aligned" : "not aligned");
        else
            g_string_append (out, ", DKIM no pass");
        g_string_append_c (out, '\n');
    }
}

static void
append_spam (GString *out, const MdAnalysis *a, const Palette *p)
{
    if (a->spam->len == 0)
        return;
    g_string_append_printf (out, "\n%sSpam filters%s\n", p->bold, p->reset);
    for (guint i = 0; i < a->spam->len; i++) {
        const MdSpamVerdict *v = g_ptr_array_index (a->spam, i);
        const char *colour = g_strcmp0 (v->verdict, "spam") == 0 ? p->red
                             : g_strcmp0 (v->verdict, "ham") == 0 ? p->green
                                                                  : "";
        g_string_append_printf (out, "  %-13s %s%-7s%s", v->filter != NULL ? v->filter : "?", colour,
                                v->verdict, *colour ? p->reset : "");
        if (v->has_score) {
            char score[G_ASCII_DTOSTR_BUF_SIZE], threshold[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_formatd (score, sizeof score, "%.6g", v->score);
            g_string_append_printf (out, " score %s", score);
            if (v->has_threshold) {
                g_ascii_formatd (threshold, sizeof threshold, "%.6g", v->threshold);
                g_string_append_printf (out, " / %s", threshold);
            }
        }
        for (guint j = 0; j < v->details->len && j < 6; j++) {
            const MdPair *pair = g_ptr_array_index (v->details, j);
            g_string_append_printf (out, " %s:%s", pair->name, pair->value);
        }
        if (v->tests->len > 0) {
            g_string_append (out, p->dim);
            g_string_append (out, "\n                ");
            for (guint j = 0; j < v->tests->len && j < 12; j++)
                g_string_append_printf (out, "%s%s", j > 0 ? " " : "",
                                        (const char *) g_ptr_array_index (v->tests, j));
            if (v->tests->len > 12)
                g_string_append_printf (out, " … (%u in all)", v->tests->len);
            g_string_append (out, p->reset);
        }
        g_string_append_c (out, '\n');
    }
}

static void
append_bounce (GString *out, const MdAnalysis *a, const Palette *p)
{
    const MdBounce *b = a->bounce;
    if (b == NULL)
        return;
    g_string_append_printf (out, "\n%sRecipients%s (%s", p->bold, p->reset,
                            b->format != NULL ? b->format : "report");
    if (b->reporting_mta != NULL)
        g_string_append_printf (out, " from %s", b->reporting_mta);
    g_string_append (out, ")\n");
    for (guint i = 0; i < b->recipients->len; i++) {
        const MdRecipient *r = g_ptr_array_index (b->recipients, i);
        g_string_append_printf (out, "  %s%s%s", p->bold, r->recipient ? r->recipient : "?", p->reset);
        if (r->action != NULL)
            g_string_append_printf (out, "  %s", r->action);
        if (r->reason != NULL)
            g_string_append_printf (out, "  %s%s%s%s", r->hard ? p->red : p->yellow, r->reason,
                                    r->hard ? " (hard)" : "", p->reset);
        g_string_append_c (out, '\n');
        if (r->reply_code != 0 || r->status != NULL) {
            g_string_append (out, "    ");
            if (r->reply_code != 0)
                g_string_append_printf (out, "%d%s", r->reply_code, r->status != NULL ? " " : "");
            if (r->status != NULL)
                g_string_append_printf (out, "%s", r->status);
            if (r->status_title != NULL)
                g_string_append_printf (out, " %s%s%s", p->dim, r->status_title, p->reset);
            if (r->smtp_command != NULL)
                g_string_append_printf (out, ", at %s", r->smtp_command);
            g_string_append_c (out, '\n');
        }
        if (r->remote_mta != NULL)
            g_string_append_printf (out, "    remote server %s\n", r->remote_mta);
        if (r->diagnostic != NULL) {
            g_string_append (out, "    “");
            append_cut (out, r->diagnostic, 300);
            g_string_append (out, "”\n");
        }
        if (r->feedback_type != NULL)
            g_string_append_printf (out, "    feedback type %s\n", r->feedback_type);
    }
}

void
md_output_text (GString *out, const MdAnalysis *a, const MdTextOptions *options)
{
    const Palette *p = options != NULL && options->color ? &ansi : &plain;
    gboolean explain = options != NULL && options->explain;
    const MdSummary *s = &a->summary;
    const char *verdict = md_verdict_to_string (s->verdict);
    g_autofree char *upper = g_ascii_strup (verdict, -1);
    g_string_append_printf (out, "%s%s%s%s  %s\n", p->bold, verdict_colour (p, s->verdict), upper,
                            p->reset, s->text != NULL ? s->text : "");
    g_string_append_printf (out, "%s%s (%s", p->dim, a->source, md_kind_to_string (a->kind));
    if (a->message.subject != NULL)
        g_string_append_printf (out, ", \"%s\"", a->message.subject);
    g_string_append (out, ")");
    if (a->input.repaired->len > 0) {
        g_string_append (out, "; repaired:");
        for (guint i = 0; i < a->input.repaired->len; i++)
            g_string_append_printf (out, " %s", (const char *) g_ptr_array_index (a->input.repaired, i));
    }
    g_string_append_printf (out, "%s\n", p->reset);
    append_findings (out, a, p, explain);
    append_auth (out, a, p);
    append_spam (out, a, p);
    append_bounce (out, a, p);
    append_hops (out, a, p);
    const MdAnalysis *original = a->bounce != NULL ? a->bounce->original : NULL;
    if (original != NULL && original->hops->len > 0) {
        /* The returned message's own chain: where the bounced mail spent its time. */
        g_string_append_printf (out, "\n%sReturned message%s", p->bold, p->reset);
        if (original->message.subject != NULL)
            g_string_append_printf (out, " \"%s\"", original->message.subject);
        g_string_append_c (out, '\n');
        append_hops (out, original, p);
    }
}
