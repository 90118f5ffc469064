/* match.c - selectors: one static table maps a rule key to a model field, its type, scope and cost;
 * conditions test those fields for one subject. Selectors the model cannot fill yet (auth)
 * are rows without a getter, so adding one is a getter, not an engine change (DESIGN §4). */
#include <string.h>

#include <maildiag/maildiag.h>

#include "alignment.h"
#include "match.h"

/* ---- getters ---- */

static gboolean
get_header (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor, GString *buf,
            MdValue *out)
{
    (void) item, (void) buf;
    for (; *cursor < a->headers->len; (*cursor)++) {
        const MdHeader *h = g_ptr_array_index (a->headers, *cursor);
        if (h->name != NULL && md_header_name_equal (h->name, arg)) {
            (*cursor)++;
            out->text = h->value != NULL ? h->value : "";
            out->len = strlen (out->text);
            out->header = h->name;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
get_header_count (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                  GString *buf, MdValue *out)
{
    (void) item, (void) buf;
    if ((*cursor)++ > 0)
        return FALSE;
    out->number = md_analysis_count_header (a, arg);
    for (guint i = 0; i < a->headers->len; i++) {
        const MdHeader *h = g_ptr_array_index (a->headers, i);
        if (h->name != NULL && md_header_name_equal (h->name, arg)) {
            out->header = h->name;
            break;
        }
    }
    return TRUE;
}

static gboolean
get_kind (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor, GString *buf,
          MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0)
        return FALSE;
    out->text = md_kind_to_string (a->kind);
    out->len = strlen (out->text);
    return TRUE;
}

static gboolean
get_hop_count (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
               GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0)
        return FALSE;
    out->number = a->hops->len; /* the array, not delivery.hop_count: it cannot disagree */
    return TRUE;
}

static gboolean
get_total_delay (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                 GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0 || !a->delivery.has_total)
        return FALSE;
    out->number = (double) a->delivery.total_delay_s;
    return TRUE;
}

static gboolean
get_max_delay (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
               GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0 || !a->delivery.has_max)
        return FALSE;
    out->number = (double) a->delivery.max_hop_delay_s;
    return TRUE;
}

/* Hop getters: @item is the hop; one value at most. */
#define HOP_GETTER(fn_name)                                                                        \
    static gboolean fn_name##_one (const MdHop *hop, GString *buf, MdValue *out);                  \
    static gboolean fn_name (const MdAnalysis *a, gconstpointer item, const char *arg,             \
                             guint *cursor, GString *buf, MdValue *out)                            \
    {                                                                                              \
        (void) a, (void) arg;                                                                      \
        if ((*cursor)++ > 0)                                                                       \
            return FALSE;                                                                          \
        out->hop = item;                                                                           \
        return fn_name##_one (item, buf, out);                                                     \
    }                                                                                              \
    static gboolean fn_name##_one (const MdHop *hop, GString *buf, MdValue *out)

static gboolean
set_text (const char *text, MdValue *out)
{
    if (text == NULL)
        return FALSE;
    out->text = text;
    out->len = strlen (text);
    return TRUE;
}

HOP_GETTER (get_hop_delay)
{
    (void) buf;
    if (!hop->has_delay)
        return FALSE;
    out->number = (double) hop->delay_s;
    return TRUE;
}

HOP_GETTER (get_hop_with)
{
    (void) buf;
    return set_text (hop->with, out);
}

HOP_GETTER (get_hop_by)
{
    (void) buf;
    return set_text (hop->by, out);
}

HOP_GETTER (get_hop_tls)
{
    (void) buf;
    return set_text (hop->tls, out);
}

/* hop.from: "helo rdns [ip]", absent parts left out, so "^\S+ \S+ \[" style patterns stay simple */
HOP_GETTER (get_hop_from)
{
    g_string_truncate (buf, 0);
    if (hop->from_helo != NULL)
        g_string_append (buf, hop->from_helo);
    if (hop->from_rdns != NULL)
        g_string_append_printf (buf, "%s%s", buf->len > 0 ? " " : "", hop->from_rdns);
    if (hop->from_ip != NULL)
        g_string_append_printf (buf, "%s[%s]", buf->len > 0 ? " " : "", hop->from_ip);
    if (buf->len == 0)
        return FALSE;
    out->text = buf->str;
    out->len = buf->len;
    return TRUE;
}

HOP_GETTER (get_hop_index)
{
    (void) buf;
    out->number = hop->index;
    return TRUE;
}

HOP_GETTER (get_hop_position)
{
    (void) buf;
    out->number = hop->position;
    return TRUE;
}

/* hop.skewed: 1 when this hop's delay or a neighbour's is negative, else 0 (dated hops only). A
 * clock that is behind makes its own hop's delay negative and inflates the next one by as much;
 * one that is ahead inflates its own and makes the next negative (samples/clock-skew.eml: -8m 57s
 * then 9m 2s). Either way the positive delay beside a negative one is not a real wait. */
static gboolean
get_hop_skewed (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                GString *buf, MdValue *out)
{
    (void) arg, (void) buf;
    const MdHop *hop = item;
    if ((*cursor)++ > 0 || !hop->has_delay)
        return FALSE;
    guint i = hop->index - 1; /* index 1 is the first element; search if the model says otherwise */
    if (i >= a->hops->len || g_ptr_array_index (a->hops, i) != hop)
        for (i = 0; i < a->hops->len && g_ptr_array_index (a->hops, i) != hop; i++)
            ;
    gboolean skewed = hop->delay_s < 0;
    for (int d = -1; d <= 1; d += 2) {
        gint64 j = (gint64) i + d;
        if (j >= 0 && j < (gint64) a->hops->len) {
            const MdHop *next = g_ptr_array_index (a->hops, (guint) j);
            skewed |= next->has_delay && next->delay_s < 0;
        }
    }
    out->hop = hop;
    out->number = skewed;
    return TRUE;
}

/* ---- the bounce ---- */

/* human-text: the readable part of a bounce (DESIGN §4), up to 100+ KB: the costliest field. */
static gboolean
get_human_text (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0 || a->body.human_text == NULL)
        return FALSE;
    out->text = a->body.human_text;
    out->len = a->body.human_text_len;
    return TRUE;
}

static gboolean
get_report_type (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                 GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    return (*cursor)++ == 0 && set_text (a->body.report_type, out);
}

static gboolean
get_bounce_format (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                   GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    return (*cursor)++ == 0 && a->bounce != NULL && set_text (a->bounce->format, out);
}

/* recipient-count: 0 without a bounce, so "== 0" tests that extraction found nobody yet */
static gboolean
get_recipient_count (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                     GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0)
        return FALSE;
    out->number = a->bounce != NULL ? a->bounce->recipients->len : 0;
    return TRUE;
}

/* Recipient getters: @item is the bounce recipient; one value at most. */
#define RECIPIENT_GETTER(fn_name)                                                                  \
    static gboolean fn_name##_one (const MdRecipient *r, MdValue *out);                            \
    static gboolean fn_name (const MdAnalysis *a, gconstpointer item, const char *arg,             \
                             guint *cursor, GString *buf, MdValue *out)                            \
    {                                                                                              \
        (void) a, (void) arg, (void) buf;                                                          \
        if ((*cursor)++ > 0)                                                                       \
            return FALSE;                                                                          \
        out->recipient = item;                                                                     \
        return fn_name##_one (item, out);                                                          \
    }                                                                                              \
    static gboolean fn_name##_one (const MdRecipient *r, MdValue *out)

RECIPIENT_GETTER (get_status) { return set_text (r->status, out); }

RECIPIENT_GETTER (get_reply)
{
    if (r->reply_code == 0)
        return FALSE;
    out->number = r->reply_code;
    return TRUE;
}

RECIPIENT_GETTER (get_action) { return set_text (r->action, out); }

RECIPIENT_GETTER (get_diagnostic) { return set_text (r->diagnostic, out); }

RECIPIENT_GETTER (get_smtp_command) { return set_text (r->smtp_command, out); }

RECIPIENT_GETTER (get_remote_mta) { return set_text (r->remote_mta, out); }

RECIPIENT_GETTER (get_recipient) { return set_text (r->recipient, out); }

RECIPIENT_GETTER (get_reason) { return set_text (r->reason, out); }

/* hard: meaningful once classification gave a reason; before that it is absent, not 0. */
RECIPIENT_GETTER (get_hard)
{
    if (r->reason == NULL)
        return FALSE;
    out->number = r->hard ? 1 : 0;
    return TRUE;
}

/* ---- spam-filter verdicts (DESIGN §3 spam[], filled by spam-filter extract rules) ---- */

/* Spam getters: @item is the verdict; spam.test and spam.detail:<NAME> give several values. */
static gboolean
get_spam_score (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                GString *buf, MdValue *out)
{
    (void) a, (void) arg, (void) buf;
    const MdSpamVerdict *v = item;
    if ((*cursor)++ > 0 || !v->has_score)
        return FALSE;
    out->spam = v;
    out->number = v->score;
    return TRUE;
}

static gboolean
get_spam_threshold (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                    GString *buf, MdValue *out)
{
    (void) a, (void) arg, (void) buf;
    const MdSpamVerdict *v = item;
    if ((*cursor)++ > 0 || !v->has_threshold)
        return FALSE;
    out->spam = v;
    out->number = v->threshold;
    return TRUE;
}

static gboolean
get_spam_verdict (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                  GString *buf, MdValue *out)
{
    (void) a, (void) arg, (void) buf;
    const MdSpamVerdict *v = item;
    out->spam = v;
    out->header = v->header;
    return (*cursor)++ == 0 && set_text (v->verdict, out);
}

static gboolean
get_spam_filter (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                 GString *buf, MdValue *out)
{
    (void) a, (void) arg, (void) buf;
    const MdSpamVerdict *v = item;
    out->spam = v;
    out->header = v->header;
    return (*cursor)++ == 0 && set_text (v->filter, out);
}

/* spam.test: each test name the filter listed, one value each */
static gboolean
get_spam_test (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
               GString *buf, MdValue *out)
{
    (void) a, (void) arg, (void) buf;
    const MdSpamVerdict *v = item;
    if (v->tests == NULL || *cursor >= v->tests->len)
        return FALSE;
    out->spam = v;
    out->header = v->header;
    return set_text (g_ptr_array_index (v->tests, (*cursor)++), out);
}

/* spam.detail:<NAME>: the value of the detail named NAME (ASCII case-insensitively) */
static gboolean
get_spam_detail (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                 GString *buf, MdValue *out)
{
    (void) a, (void) buf;
    const MdSpamVerdict *v = item;
    for (; v->details != NULL && *cursor < v->details->len; (*cursor)++) {
        const MdPair *p = g_ptr_array_index (v->details, *cursor);
        if (p->name != NULL && g_ascii_strcasecmp (p->name, arg) == 0) {
            (*cursor)++;
            out->spam = v;
            out->header = v->header;
            return set_text (p->value != NULL ? p->value : "", out);
        }
    }
    return FALSE;
}

/* ---- authentication (DESIGN §3 auth[], alignment; filled by authres.c and alignment.c) ---- */

/* auth.<method> and auth.<method>.<prop>: the result, or the prop's value, of each TRUSTED result
 * of that method (issue #9: upstream results never drive a finding as if verified). The header
 * the value came from is reported, so evidence names it. */
static gboolean
get_auth (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor, GString *buf,
          MdValue *out)
{
    (void) item;
    const char *dot = strchr (arg, '.');
    gsize method_len = dot != NULL ? (gsize) (dot - arg) : strlen (arg);
    const char *prop = dot != NULL ? dot + 1 : NULL;
    for (; *cursor < a->auth->len; (*cursor)++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, *cursor);
        if (!r->trusted || r->method == NULL || strlen (r->method) != method_len ||
            g_ascii_strncasecmp (r->method, arg, method_len) != 0)
            continue;
        const char *value = r->result;
        if (prop != NULL) {
            value = NULL;
            for (guint i = 0; i < r->props->len && value == NULL; i++) {
                const MdPair *p = g_ptr_array_index (r->props, i);
                if (g_ascii_strcasecmp (p->name, prop) == 0)
                    value = p->value;
            }
            if (value == NULL && g_ascii_strcasecmp (prop, "reason") == 0)
                value = r->reason;
            if (value == NULL)
                continue;
        }
        (*cursor)++;
        out->header = r->header;
        g_string_assign (buf, value != NULL ? value : "");
        out->text = buf->str;
        out->len = buf->len;
        return TRUE;
    }
    return FALSE;
}

/* alignment.spf, alignment.dkim: 1 aligned, 0 not; absent when there was nothing to align */
static gboolean
get_alignment (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
               GString *buf, MdValue *out, int value)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0 || !a->alignment.computed || value < 0)
        return FALSE;
    out->number = value;
    return TRUE;
}

static gboolean
get_alignment_spf (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                   GString *buf, MdValue *out)
{
    return get_alignment (a, item, arg, cursor, buf, out, a->alignment.spf_aligned);
}

static gboolean
get_alignment_dkim (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                    GString *buf, MdValue *out)
{
    return get_alignment (a, item, arg, cursor, buf, out, a->alignment.dkim_aligned);
}

/* alignment.passes: how many identifiers passed (an SPF pass and each passing DKIM domain);
 * alignment.aligned: how many of them are aligned with From. Absent without a From domain. */
static gboolean
get_alignment_passes (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                      GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0 || a->alignment.from_domain == NULL)
        return FALSE;
    out->number = (a->alignment.spf_aligned >= 0 ? 1 : 0) + a->alignment.dkim_domains->len;
    return TRUE;
}

static gboolean
get_alignment_aligned (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                       GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0 || a->alignment.from_domain == NULL)
        return FALSE;
    out->number = (a->alignment.spf_aligned == 1 ? 1 : 0) + (a->alignment.dkim_aligned == 1 ? 1 : 0);
    return TRUE;
}

/* ---- message checks (issue #9 item 5): facts about the body and the sender's addresses ---- */

static gboolean
set_number (gboolean present, double value, guint *cursor, MdValue *out)
{
    if ((*cursor)++ > 0 || !present)
        return FALSE;
    out->number = value;
    return TRUE;
}

#define BODY_GETTER(name, present, value)                                                      \
    static gboolean name (const MdAnalysis *a, gconstpointer item, const char *arg,            \
                          guint *cursor, GString *buf, MdValue *out)                           \
    {                                                                                          \
        (void) item, (void) arg, (void) buf;                                                   \
        return set_number ((present), (value), cursor, out);                                   \
    }

/* body facts exist only for a message whose body was read */
BODY_GETTER (get_body_alternative, a->body.alternative_parts >= 0, a->body.alternative_parts)
BODY_GETTER (get_body_plain_html, a->kind == MD_KIND_MESSAGE, a->body.plain_has_html)
BODY_GETTER (get_body_charset, a->kind == MD_KIND_MESSAGE, a->body.charset_mismatch)
BODY_GETTER (get_body_html_text, a->body.html_text_chars >= 0, a->body.html_text_chars)
BODY_GETTER (get_body_html_images, a->body.html_text_chars >= 0, a->body.html_images)

/* date.skew: the first hop's time minus the Date field's, in seconds (both with known zones):
 * how far the sender's clock or its queue was from the first server's. */
static gboolean
get_date_skew (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
               GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    const MdDate *date = &a->message.date;
    const MdHop *first = NULL;
    for (guint i = 0; i < a->hops->len && first == NULL; i++) {
        const MdHop *hop = g_ptr_array_index (a->hops, i);
        if (hop->date.valid && hop->date.zone_known)
            first = hop;
    }
    gboolean present = first != NULL && date->valid && date->zone_known;
    out->hop = first;
    return set_number (present, present ? (double) (first->date.utc - date->utc) : 0, cursor, out);
}

/* The domain of the first address in @value ("Name <a@b.example>", "<a@b.example>"), lower
 * case, or NULL (transfer full) */
static char *
address_domain (const char *value)
{
    const char *at = value != NULL ? strrchr (value, '@') : NULL;
    if (at == NULL)
        return NULL;
    gsize n = strcspn (at + 1, "> \t,;\"");
    return n > 0 ? g_ascii_strdown (at + 1, (gssize) n) : NULL;
}

/* domains.distinct: how many organizational domains From, Return-Path and Reply-To name (an
 * empty Return-Path, a bounce's, does not count) */
static gboolean
get_domains_distinct (const MdAnalysis *a, gconstpointer item, const char *arg, guint *cursor,
                      GString *buf, MdValue *out)
{
    (void) item, (void) arg, (void) buf;
    if ((*cursor)++ > 0)
        return FALSE;
    const char *sources[] = { md_analysis_get_header (a, "From"),
                              md_analysis_get_header (a, "Return-Path"),
                              md_analysis_get_header (a, "Reply-To") };
    char *orgs[G_N_ELEMENTS (sources)] = { NULL };
    guint distinct = 0, named = 0;
    for (guint i = 0; i < G_N_ELEMENTS (sources); i++) {
        g_autofree char *domain = address_domain (sources[i]);
        if (domain == NULL || !md_alignment_org_domain (domain, &orgs[i]))
            continue;
        named++;
        gboolean seen = FALSE;
        for (guint j = 0; j < i && !seen; j++)
            seen = orgs[j] != NULL && strcmp (orgs[j], orgs[i]) == 0;
        distinct += !seen;
    }
    for (guint i = 0; i < G_N_ELEMENTS (orgs); i++)
        g_free (orgs[i]);
    if (named < 2)
        return FALSE;
    out->number = distinct;
    return TRUE;
}

/* The table. Rows without a getter name fields a later issue fills (auth results): rules may use
 * them now and simply do not match yet. Cost: 0 numbers, 1 short
 * enumerated strings, 2 hop fields and short recipient texts, 3 header values, 4 long free text. */
static const MdSelector selectors[] = {
    { "header:", TRUE, MD_VALUE_STRING, MD_SCOPE_MESSAGE, 3, get_header },
    { "header-count:", TRUE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_header_count },
    { "kind", FALSE, MD_VALUE_STRING, MD_SCOPE_MESSAGE, 1, get_kind },
    { "hop-count", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_hop_count },
    { "total.delay", FALSE, MD_VALUE_DURATION, MD_SCOPE_MESSAGE, 0, get_total_delay },
    { "max.delay", FALSE, MD_VALUE_DURATION, MD_SCOPE_MESSAGE, 0, get_max_delay },
    { "hop.delay", FALSE, MD_VALUE_DURATION, MD_SCOPE_HOP, 0, get_hop_delay },
    { "hop.skewed", FALSE, MD_VALUE_NUMBER, MD_SCOPE_HOP, 0, get_hop_skewed },
    { "hop.index", FALSE, MD_VALUE_NUMBER, MD_SCOPE_HOP, 0, get_hop_index },
    { "hop.position", FALSE, MD_VALUE_NUMBER, MD_SCOPE_HOP, 0, get_hop_position },
    { "hop.with", FALSE, MD_VALUE_STRING, MD_SCOPE_HOP, 2, get_hop_with },
    { "hop.by", FALSE, MD_VALUE_STRING, MD_SCOPE_HOP, 2, get_hop_by },
    { "hop.from", FALSE, MD_VALUE_STRING, MD_SCOPE_HOP, 2, get_hop_from },
    { "hop.tls", FALSE, MD_VALUE_STRING, MD_SCOPE_HOP, 2, get_hop_tls },
    /* the bounce (DESIGN §3 bounce, body) */
    { "human-text", FALSE, MD_VALUE_STRING, MD_SCOPE_MESSAGE, 4, get_human_text },
    { "report-type", FALSE, MD_VALUE_STRING, MD_SCOPE_MESSAGE, 1, get_report_type },
    { "bounce.format", FALSE, MD_VALUE_STRING, MD_SCOPE_MESSAGE, 1, get_bounce_format },
    { "recipient-count", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_recipient_count },
    /* bounce recipients (DESIGN §3 bounce.recipients[]) */
    { "status", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 1, get_status },
    { "reply", FALSE, MD_VALUE_NUMBER, MD_SCOPE_RECIPIENT, 0, get_reply },
    { "hard", FALSE, MD_VALUE_NUMBER, MD_SCOPE_RECIPIENT, 0, get_hard },
    { "action", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 1, get_action },
    { "reason", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 1, get_reason },
    { "smtp-command", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 1, get_smtp_command },
    { "remote-mta", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 2, get_remote_mta },
    { "recipient", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 2, get_recipient },
    { "diagnostic", FALSE, MD_VALUE_STRING, MD_SCOPE_RECIPIENT, 3, get_diagnostic },
    /* auth.<method> (result), auth.<method>.<prop> (smtp.mailfrom, header.d, …) */
    { "auth.", TRUE, MD_VALUE_STRING, MD_SCOPE_MESSAGE, 2, get_auth },
    { "alignment.spf", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_alignment_spf },
    { "alignment.dkim", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_alignment_dkim },
    { "body.alternative-parts", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_body_alternative },
    { "body.plain-html", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_body_plain_html },
    { "body.charset-mismatch", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_body_charset },
    { "body.html-text", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_body_html_text },
    { "body.html-images", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_body_html_images },
    { "date.skew", FALSE, MD_VALUE_DURATION, MD_SCOPE_MESSAGE, 0, get_date_skew },
    { "domains.distinct", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 1, get_domains_distinct },
    { "alignment.passes", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_alignment_passes },
    { "alignment.aligned", FALSE, MD_VALUE_NUMBER, MD_SCOPE_MESSAGE, 0, get_alignment_aligned },
    /* spam-filter verdicts (DESIGN §3 spam[]) */
    { "spam.score", FALSE, MD_VALUE_NUMBER, MD_SCOPE_SPAM, 0, get_spam_score },
    { "spam.threshold", FALSE, MD_VALUE_NUMBER, MD_SCOPE_SPAM, 0, get_spam_threshold },
    { "spam.verdict", FALSE, MD_VALUE_STRING, MD_SCOPE_SPAM, 1, get_spam_verdict },
    { "spam.filter", FALSE, MD_VALUE_STRING, MD_SCOPE_SPAM, 1, get_spam_filter },
    { "spam.test", FALSE, MD_VALUE_STRING, MD_SCOPE_SPAM, 2, get_spam_test },
    { "spam.detail:", TRUE, MD_VALUE_STRING, MD_SCOPE_SPAM, 1, get_spam_detail },
};

const MdSelector *
md_selector_lookup (const char *key, const char **arg)
{
    for (guint i = 0; i < G_N_ELEMENTS (selectors); i++) {
        const MdSelector *s = &selectors[i];
        if (s->prefix) {
            gsize n = strlen (s->name);
            if (strncmp (key, s->name, n) == 0) {
                *arg = key + n;
                return s;
            }
        } else if (strcmp (key, s->name) == 0) {
            *arg = NULL;
            return s;
        }
    }
    return NULL;
}

/* ---- numeric conditions ---- */

static const char *const op_names[] = { "<", "<=", ">", ">=", "==", "!=" };

const char *
md_op_to_string (MdOp op)
{
    return (guint) op < G_N_ELEMENTS (op_names) ? op_names[op] : "?";
}

void
md_cond_clear (MdCond *cond)
{
    g_clear_pointer (&cond->key, g_free);
    g_clear_pointer (&cond->arg, g_free);
    g_clear_pointer (&cond->pattern, md_pattern_free);
}

/* Numbers are plain decimals: no exponent, hex, inf or nan (which strtod would take), at most 15
 * significant digits so a double holds them exactly. */
#define MD_NUMBER_MAX_DIGITS 15

static gboolean
parse_one (const char *p, const char *end, MdValueType type, MdComparison *out, char **message)
{
    while (p < end && g_ascii_isspace (*p))
        p++;
    while (end > p && g_ascii_isspace (end[-1]))
        end--;
    g_autofree char *item = g_strndup (p, (gsize) (end - p));
    static const struct {
        const char *text;
        MdOp op;
    } ops[] = { { "<=", MD_OP_LE }, { ">=", MD_OP_GE }, { "==", MD_OP_EQ },
                { "!=", MD_OP_NE }, { "<", MD_OP_LT },  { ">", MD_OP_GT } };
    guint i;
    for (i = 0; i < G_N_ELEMENTS (ops); i++)
        if (g_str_has_prefix (item, ops[i].text))
            break;
    if (i == G_N_ELEMENTS (ops)) {
        *message = g_strdup_printf ("expected an operator (< <= > >= == !=) at '%s'", item);
        return FALSE;
    }
    out->op = ops[i].op;
    const char *q = item + strlen (ops[i].text);
    while (g_ascii_isspace (*q))
        q++;
    const char *number = q;
    if (*q == '-' || *q == '+')
        q++;
    guint digits = 0;
    for (; g_ascii_isdigit (*q); q++)
        digits++;
    if (digits > 0 && *q == '.' && g_ascii_isdigit (q[1]))
        for (q++; g_ascii_isdigit (*q); q++)
            digits++;
    if (digits == 0 || digits > MD_NUMBER_MAX_DIGITS) {
        *message = g_strdup_printf ("expected a number after '%s' in '%s'", ops[i].text, item);
        return FALSE;
    }
    out->number = g_ascii_strtod (number, NULL);
    if (*q != '\0' && type != MD_VALUE_DURATION) {
        *message = g_strdup_printf ("unexpected '%s' after the number in '%s' (units are for "
                                    "durations only)",
                                    q, item);
        return FALSE;
    }
    if (*q != '\0') {
        static const struct {
            char unit;
            double seconds;
        } units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
        guint u;
        for (u = 0; u < G_N_ELEMENTS (units); u++)
            if (*q == units[u].unit)
                break;
        if (u == G_N_ELEMENTS (units) || q[1] != '\0') {
            *message = g_strdup_printf ("unknown unit '%s' in '%s' (s, m, h or d)", q, item);
            return FALSE;
        }
        out->number *= units[u].seconds;
    }
    return TRUE;
}

gboolean
md_cond_parse_numeric (MdCond *cond, const char *text, char **message)
{
    cond->n_cmp = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr (p, ',');
        const char *end = comma != NULL ? comma : p + strlen (p);
        if (cond->n_cmp == MD_COND_MAX_COMPARISONS) {
            *message = g_strdup_printf ("more than %d comparisons", MD_COND_MAX_COMPARISONS);
            return FALSE;
        }
        if (!parse_one (p, end, cond->selector->type, &cond->cmp[cond->n_cmp], message))
            return FALSE;
        cond->n_cmp++;
        if (comma == NULL)
            return TRUE;
        p = comma + 1;
    }
}

static gboolean
compare (double value, const MdComparison *c)
{
    switch (c->op) {
    case MD_OP_LT:
        return value < c->number;
    case MD_OP_LE:
        return value <= c->number;
    case MD_OP_GT:
        return value > c->number;
    case MD_OP_GE:
        return value >= c->number;
    case MD_OP_EQ:
        return value == c->number;
    case MD_OP_NE:
        return value != c->number;
    }
    return FALSE;
}

/* ---- evaluation ---- */

static gboolean
test_value (const MdCond *cond, MdMatchRun *run, const MdValue *value, MdCondHit *hit)
{
    if (cond->selector->type != MD_VALUE_STRING) {
        for (guint i = 0; i < cond->n_cmp; i++)
            if (!compare (value->number, &cond->cmp[i]))
                return FALSE;
        if (hit != NULL)
            *hit = (MdCondHit){ *value, 0, 0 };
        return TRUE;
    }
    if (run->data == NULL)
        run->data = pcre2_match_data_create (run->data_pairs > 0 ? run->data_pairs : 1, NULL);
    gsize start = 0, end = 0;
    MdMatch m = md_pattern_match (cond->pattern, value->text, value->len, run->data, run->context,
                                  &start, &end);
    if (m == MD_MATCH_LIMIT)
        run->limit_hit = TRUE;
    if (m != MD_MATCH_YES)
        return FALSE;
    if (hit != NULL)
        *hit = (MdCondHit){ *value, start, end };
    return TRUE;
}

static gboolean
test_item (const MdCond *cond, MdMatchRun *run, gconstpointer item, MdCondHit *hit)
{
    guint cursor = 0;
    MdValue value;
    for (;;) {
        value = (MdValue){ .text = NULL };
        if (!cond->selector->get (run->analysis, item, cond->arg, &cursor, run->buf, &value))
            return FALSE;
        if (test_value (cond, run, &value, hit))
            return TRUE;
    }
}

gboolean
md_cond_eval (const MdCond *cond, const MdSubject *subject, MdMatchRun *run, MdCondHit *hit)
{
    const MdSelector *s = cond->selector;
    if (s->get == NULL)
        return FALSE;
    switch (s->scope) {
    case MD_SCOPE_MESSAGE:
        return test_item (cond, run, NULL, hit);
    case MD_SCOPE_HOP: {
        const GPtrArray *hops = run->analysis->hops;
        if (subject->scope == MD_SCOPE_HOP)
            return subject->index < hops->len &&
                   test_item (cond, run, g_ptr_array_index (hops, subject->index), hit);
        for (guint i = 0; i < hops->len; i++) /* any hop */
            if (test_item (cond, run, g_ptr_array_index (hops, i), hit))
                return TRUE;
        return FALSE;
    }
    case MD_SCOPE_RECIPIENT: {
        const MdBounce *bounce = run->analysis->bounce;
        if (bounce == NULL)
            return FALSE;
        const GPtrArray *recipients = bounce->recipients;
        if (subject->scope == MD_SCOPE_RECIPIENT)
            return subject->index < recipients->len &&
                   test_item (cond, run, g_ptr_array_index (recipients, subject->index), hit);
        for (guint i = 0; i < recipients->len; i++) /* any recipient */
            if (test_item (cond, run, g_ptr_array_index (recipients, i), hit))
                return TRUE;
        return FALSE;
    }
    case MD_SCOPE_SPAM: {
        const GPtrArray *spam = run->analysis->spam;
        if (subject->scope == MD_SCOPE_SPAM)
            return subject->index < spam->len &&
                   test_item (cond, run, g_ptr_array_index (spam, subject->index), hit);
        for (guint i = 0; i < spam->len; i++) /* any verdict */
            if (test_item (cond, run, g_ptr_array_index (spam, i), hit))
                return TRUE;
        return FALSE;
    }
    }
    return FALSE;
}
