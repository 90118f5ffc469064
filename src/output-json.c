/* output-json.c - the JSON schema maildiag/1 (DESIGN §3) from the model. Every key is always
 * present, in the order of the DESIGN. Reads only the model; its strings are valid UTF-8 already
 * (analysis.c).
 *
 * json-c escapes every string; the structure around the strings is written directly. Building a
 * json-c tree cost more than all of our own analysis of a bounce (one hash table per object: 40 µs
 * of a 210 µs message, issue #8's benchmark), and the tree was thrown away right after printing. */
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include <maildiag/maildiag.h>

typedef struct {
    GString *out;
    json_object *scratch; /* one json-c string, reused to escape each string value */
    gboolean pretty;
    guint depth;
    gboolean first; /* nothing written yet in the innermost object or array */
} Writer;

static void
newline (Writer *w)
{
    if (!w->pretty)
        return;
    g_string_append_c (w->out, '\n');
    for (guint i = 0; i < w->depth; i++)
        g_string_append (w->out, "  ");
}

/* Starts a member: the comma, the indent and, inside an object, the key (ours: plain ASCII). */
static void
member (Writer *w, const char *key)
{
    if (!w->first)
        g_string_append_c (w->out, ',');
    w->first = FALSE;
    if (w->depth > 0)
        newline (w);
    if (key != NULL) {
        g_string_append_c (w->out, '"');
        g_string_append (w->out, key);
        g_string_append_len (w->out, "\": ", w->pretty ? 3 : 2);
    }
}

static void
open (Writer *w, const char *key, char bracket)
{
    member (w, key);
    g_string_append_c (w->out, bracket);
    w->depth++;
    w->first = TRUE;
}

static void
close (Writer *w, char bracket)
{
    w->depth--;
    if (!w->first)
        newline (w);
    g_string_append_c (w->out, bracket);
    w->first = FALSE;
}

static void
put_string (Writer *w, const char *key, const char *text)
{
    member (w, key);
    if (text == NULL) {
        g_string_append (w->out, "null");
        return;
    }
    /* Most strings hold nothing JSON must escape: they go out as they are, between quotes. The
     * rest json-c escapes. */
    const unsigned char *p = (const unsigned char *) text;
    while (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
        p++;
    if (*p == '\0') {
        gsize n = (gsize) (p - (const unsigned char *) text);
        gsize at = w->out->len;
        g_string_set_size (w->out, at + n + 2);
        w->out->str[at] = '"';
        memcpy (w->out->str + at + 1, text, n);
        w->out->str[at + n + 1] = '"';
        return;
    }
    json_object_set_string (w->scratch, text);
    size_t length = 0;
    const char *escaped =
        json_object_to_json_string_length (w->scratch, JSON_C_TO_STRING_NOSLASHESCAPE, &length);
    g_string_append_len (w->out, escaped, (gssize) length);
}

static void
put_int (Writer *w, const char *key, gboolean present, gint64 value)
{
    member (w, key);
    if (present)
        g_string_append_printf (w->out, "%" G_GINT64_FORMAT, value);
    else
        g_string_append (w->out, "null");
}

static void
put_bool (Writer *w, const char *key, gboolean value)
{
    member (w, key);
    g_string_append (w->out, value ? "true" : "false");
}

static void
put_null (Writer *w, const char *key)
{
    member (w, key);
    g_string_append (w->out, "null");
}

static void
put_strings (Writer *w, const char *key, GPtrArray *items)
{
    open (w, key, '[');
    for (guint i = 0; i < items->len; i++)
        put_string (w, NULL, g_ptr_array_index (items, i));
    close (w, ']');
}

/* {"raw", "utc"}: utc only when the zone is known, else a delay would be invented (DESIGN §6). */
static void
put_date (Writer *w, const char *key, const MdDate *date)
{
    open (w, key, '{');
    put_string (w, "raw", date->raw);
    char utc[32];
    struct tm tm;
    time_t t = (time_t) date->utc;
    /* gmtime_r: a GDateTime for each of a bounce's twenty dates cost a tenth of the output */
    gboolean known = date->valid && date->zone_known && (gint64) t == date->utc &&
                     gmtime_r (&t, &tm) != NULL &&
                     strftime (utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
    put_string (w, "utc", known ? utc : NULL);
    close (w, '}');
}

static void
put_addresses (Writer *w, const char *key, GPtrArray *list)
{
    open (w, key, '[');
    for (guint i = 0; i < list->len; i++) {
        const MdAddress *address = g_ptr_array_index (list, i);
        open (w, NULL, '{');
        put_string (w, "name", address->name);
        put_string (w, "address", address->address);
        close (w, '}');
    }
    close (w, ']');
}

static void
put_input (Writer *w, const MdInput *input)
{
    open (w, "input", '{');
    put_int (w, "bytes", TRUE, (gint64) input->bytes);
    put_string (w, "line_ending", md_line_ending_to_string (input->line_ending));
    put_strings (w, "repaired", input->repaired);
    open (w, "warnings", '[');
    for (guint i = 0; i < input->warnings->len; i++) {
        const MdWarning *warning = g_ptr_array_index (input->warnings, i);
        open (w, NULL, '{');
        put_string (w, "code", warning->code);
        put_int (w, "offset", TRUE, (gint64) warning->offset);
        put_string (w, "item", warning->item);
        close (w, '}');
    }
    close (w, ']');
    close (w, '}');
}

static void
put_message (Writer *w, const MdMessage *m)
{
    open (w, "message", '{');
    put_addresses (w, "from", m->from);
    put_addresses (w, "to", m->to);
    put_string (w, "subject", m->subject);
    put_date (w, "date", &m->date);
    put_string (w, "message_id", m->message_id);
    put_string (w, "return_path", m->return_path);
    put_string (w, "auto_submitted", m->auto_submitted);
    put_string (w, "list_id", m->list_id);
    close (w, '}');
}

static void
put_hop (Writer *w, const MdHop *hop)
{
    open (w, NULL, '{');
    put_int (w, "index", TRUE, hop->index);
    put_int (w, "position", TRUE, hop->position);
    put_string (w, "raw", hop->raw);
    open (w, "from", '{');
    put_string (w, "helo", hop->from_helo);
    put_string (w, "rdns", hop->from_rdns);
    put_string (w, "ip", hop->from_ip);
    close (w, '}');
    put_string (w, "by", hop->by);
    put_string (w, "via", hop->via);
    put_string (w, "with", hop->with);
    put_string (w, "id", hop->id);
    put_string (w, "for", hop->for_addr);
    put_string (w, "tls", hop->tls);
    put_bool (w, "authenticated", hop->authenticated);
    put_date (w, "date", &hop->date);
    put_int (w, "delay_s", hop->has_delay, hop->delay_s);
    put_bool (w, "parse_ok", hop->parse_ok);
    close (w, '}');
}

static void
put_hops (Writer *w, const MdAnalysis *a)
{
    open (w, "hops", '[');
    for (guint i = 0; i < a->hops->len; i++)
        put_hop (w, g_ptr_array_index (a->hops, i));
    close (w, ']');
}

static void
put_delivery (Writer *w, const MdDelivery *d)
{
    open (w, "delivery", '{');
    put_int (w, "hop_count", TRUE, d->hop_count);
    put_int (w, "total_delay_s", d->has_total, d->total_delay_s);
    put_int (w, "max_hop_delay_s", d->has_max, d->max_hop_delay_s);
    put_int (w, "slowest_hop", d->slowest_hop > 0, d->slowest_hop);
    put_bool (w, "clock_skew", d->clock_skew);
    close (w, '}');
}

static void
put_pairs (Writer *w, const char *key, GPtrArray *pairs)
{
    open (w, key, '{');
    for (guint i = 0; i < pairs->len; i++) {
        const MdPair *p = g_ptr_array_index (pairs, i);
        put_string (w, p->name, p->value);
    }
    close (w, '}');
}

static void
put_auth (Writer *w, const MdAnalysis *a)
{
    open (w, "auth", '[');
    for (guint i = 0; i < a->auth->len; i++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, i);
        open (w, NULL, '{');
        put_string (w, "header", r->header);
        put_string (w, "authserv_id", r->authserv_id);
        put_bool (w, "trusted", r->trusted);
        put_string (w, "method", r->method);
        put_string (w, "result", r->result);
        put_string (w, "reason", r->reason);
        put_string (w, "comment", r->comment);
        put_pairs (w, "props", r->props);
        put_int (w, "instance", r->instance > 0, r->instance);
        close (w, '}');
    }
    close (w, ']');
    open (w, "dkim_signatures", '[');
    for (guint i = 0; i < a->dkim_signatures->len; i++) {
        const MdDkimSignature *d = g_ptr_array_index (a->dkim_signatures, i);
        open (w, NULL, '{');
        put_string (w, "d", d->domain);
        put_string (w, "s", d->selector);
        put_string (w, "a", d->algorithm);
        put_string (w, "i", d->identity);
        close (w, '}');
    }
    close (w, ']');
}

static void
put_tristate (Writer *w, const char *key, int value)
{
    if (value < 0)
        put_null (w, key);
    else
        put_bool (w, key, value);
}

static void
put_alignment (Writer *w, const MdAlignment *al)
{
    if (!al->computed) {
        put_null (w, "alignment");
        return;
    }
    open (w, "alignment", '{');
    put_string (w, "from_domain", al->from_domain);
    put_string (w, "from_org_domain", al->from_org_domain);
    put_string (w, "spf_domain", al->spf_domain);
    put_tristate (w, "spf_aligned", al->spf_aligned);
    put_strings (w, "dkim_domains", al->dkim_domains);
    put_tristate (w, "dkim_aligned", al->dkim_aligned);
    close (w, '}');
}

/* Scores as the filter wrote them: at most six significant digits, no exponent for mail's
 * ranges ("7.3", "-2.16", "15"). */
static void
put_number (Writer *w, const char *key, gboolean present, double value)
{
    member (w, key);
    if (!present) {
        g_string_append (w->out, "null");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd (buf, sizeof buf, "%.6g", value);
    g_string_append (w->out, buf);
}

static void
put_spam (Writer *w, const MdAnalysis *a)
{
    open (w, "spam", '[');
    for (guint i = 0; i < a->spam->len; i++) {
        const MdSpamVerdict *v = g_ptr_array_index (a->spam, i);
        open (w, NULL, '{');
        put_string (w, "filter", v->filter);
        put_string (w, "header", v->header);
        put_string (w, "verdict", v->verdict);
        put_number (w, "score", v->has_score, v->score);
        put_number (w, "threshold", v->has_threshold, v->threshold);
        put_strings (w, "tests", v->tests);
        put_pairs (w, "details", v->details);
        put_string (w, "rule", v->rule);
        close (w, '}');
    }
    close (w, ']');
}

static void
put_recipient (Writer *w, const MdRecipient *r)
{
    open (w, NULL, '{');
    put_string (w, "recipient", r->recipient);
    put_string (w, "original_recipient", r->original_recipient);
    put_string (w, "action", r->action);
    put_string (w, "status", r->status);
    put_string (w, "status_source", r->status_source);
    put_string (w, "status_title", r->status_title);
    put_int (w, "reply_code", r->reply_code != 0, r->reply_code);
    put_string (w, "remote_mta", r->remote_mta);
    put_string (w, "diagnostic", r->diagnostic);
    put_string (w, "diagnostic_type", r->diagnostic_type);
    put_string (w, "smtp_command", r->smtp_command);
    put_date (w, "last_attempt", &r->last_attempt);
    put_string (w, "reason", r->reason);
    put_bool (w, "hard", r->hard);
    put_string (w, "rule", r->rule);
    put_string (w, "feedback_type", r->feedback_type);
    close (w, '}');
}

/* The returned message, analysed like any message: its chain often shows where the delay was. */
static void
put_original (Writer *w, const MdAnalysis *original)
{
    if (original == NULL) {
        put_null (w, "original");
        return;
    }
    open (w, "original", '{');
    put_message (w, &original->message);
    put_hops (w, original);
    put_delivery (w, &original->delivery);
    put_auth (w, original);
    put_spam (w, original);
    close (w, '}');
}

static void
put_bounce (Writer *w, const MdBounce *b)
{
    if (b == NULL) {
        put_null (w, "bounce");
        return;
    }
    open (w, "bounce", '{');
    put_string (w, "format", b->format);
    put_string (w, "reporting_mta", b->reporting_mta);
    put_date (w, "arrival_date", &b->arrival_date);
    open (w, "recipients", '[');
    for (guint i = 0; i < b->recipients->len; i++)
        put_recipient (w, g_ptr_array_index (b->recipients, i));
    close (w, ']');
    put_original (w, b->original);
    close (w, '}');
}

static void
put_subject (Writer *w, const MdFinding *f)
{
    switch (f->subject_kind) {
    case MD_SUBJECT_HOP:
        open (w, "subject", '{');
        put_int (w, "hop", TRUE, g_ascii_strtoll (f->subject, NULL, 10));
        close (w, '}');
        break;
    case MD_SUBJECT_HEADER:
    case MD_SUBJECT_RECIPIENT:
        open (w, "subject", '{');
        put_string (w, f->subject_kind == MD_SUBJECT_HEADER ? "header" : "recipient", f->subject);
        close (w, '}');
        break;
    case MD_SUBJECT_MESSAGE:
    case MD_SUBJECT_NONE:
    default:
        put_null (w, "subject");
        break;
    }
}

static void
put_finding (Writer *w, const MdFinding *f)
{
    open (w, NULL, '{');
    put_string (w, "rule", f->rule);
    put_string (w, "category", f->category);
    put_string (w, "severity", md_severity_to_string (f->severity));
    put_string (w, "title", f->title);
    put_string (w, "advice", f->advice);
    put_subject (w, f);
    open (w, "evidence", '[');
    for (guint i = 0; f->evidence != NULL && i < f->evidence->len; i++) {
        const MdEvidence *e = g_ptr_array_index (f->evidence, i);
        open (w, NULL, '{');
        put_string (w, "field", e->field);
        put_string (w, "value", e->value);
        put_string (w, "match", e->match);
        close (w, '}');
    }
    close (w, ']');
    close (w, '}');
}

static void
put_summary (Writer *w, const MdSummary *s)
{
    open (w, "summary", '{');
    put_string (w, "verdict", md_verdict_to_string (s->verdict));
    put_string (w, "severity", md_severity_to_string (s->severity));
    if (s->hard < 0)
        put_null (w, "hard");
    else
        put_bool (w, "hard", s->hard);
    put_strings (w, "categories", s->categories);
    put_string (w, "text", s->text);
    close (w, '}');
}

void
md_output_json (GString *out, const MdAnalysis *a, gboolean pretty)
{
    Writer w = { out, json_object_new_string (""), pretty, 0, TRUE };
    open (&w, NULL, '{');
    put_string (&w, "schema", MD_SCHEMA);
    put_string (&w, "source", a->source);
    put_int (&w, "index", TRUE, a->index);
    put_string (&w, "kind", md_kind_to_string (a->kind));
    put_input (&w, &a->input);
    put_message (&w, &a->message);
    put_hops (&w, a);
    put_delivery (&w, &a->delivery);
    put_auth (&w, a);
    put_alignment (&w, &a->alignment);
    put_spam (&w, a);
    put_bounce (&w, a->bounce);
    open (&w, "findings", '[');
    for (guint i = 0; i < a->findings->len; i++)
        put_finding (&w, g_ptr_array_index (a->findings, i));
    close (&w, ']');
    put_summary (&w, &a->summary);
    close (&w, '}');
    g_string_append_c (out, '\n');
    json_object_put (w.scratch);
}
