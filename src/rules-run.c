/* rules-run.c - runs a loaded rule set over the model: per stage, the message then each hop (and,
 * once the model has them, each recipient); rules in priority order, cheap conditions first.
 * Diagnose matches become MdFinding with evidence and sanitised advice. Loading is rules.c. */
#include <string.h>

#include <maildiag/maildiag.h>

#include "rules-private.h"

/* Evidence values are quoted, not reproduced: a 50 KB header must not become a 50 KB finding. */
#define MD_EVIDENCE_MAX_CHARS 200
/* A placeholder's text in a title or advice: room for any real host name, bounded for hostile
 * ones (a Received "by" can hold anything). */
#define MD_PLACEHOLDER_MAX_CHARS 100

/* {placeholders} of title and advice. hop/delay/by/from/with/tls describe the hop the finding is
 * about: the rule's subject, or for a message rule the hop its first hop condition matched;
 * delay without a hop is the total delay. value and field are the first condition's; header is
 * the field name the first header condition matched. */
static const char *const placeholder_names[] = { "hop", "delay", "total",  "by",    "from", "with",
                                                 "tls", "value", "header", "field", "kind" };

static int
placeholder_index (const char *name, gsize len)
{
    for (guint i = 0; i < G_N_ELEMENTS (placeholder_names); i++)
        if (strlen (placeholder_names[i]) == len && memcmp (placeholder_names[i], name, len) == 0)
            return (int) i;
    return -1;
}

gboolean
md_rules_check_template (const char *text, char **message)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p != '{')
            continue;
        if (p[1] == '{') {
            p++;
            continue;
        }
        const char *close = strchr (p, '}');
        if (close == NULL) {
            *message = g_strdup ("'{' without '}' (write {{ for a literal brace)");
            return FALSE;
        }
        if (placeholder_index (p + 1, (gsize) (close - p - 1)) < 0) {
            GString *known = g_string_new (NULL);
            for (guint i = 0; i < G_N_ELEMENTS (placeholder_names); i++)
                g_string_append_printf (known, "%s{%s}", i > 0 ? " " : "", placeholder_names[i]);
            *message = g_strdup_printf ("unknown placeholder {%.*s} (known: %s)",
                                        (int) (close - p - 1), p + 1, known->str);
            g_string_free (known, TRUE);
            return FALSE;
        }
        p = close;
    }
    return TRUE;
}

/* append_clean - appends at most @max characters of @text (@len bytes): C0 and C1 controls and
 * DEL become spaces, bidirectional overrides are dropped (they can reorder what a terminal shows),
 * invalid UTF-8 becomes U+FFFD; a cut is marked with "…". */
static void
append_clean (GString *out, const char *text, gsize len, guint max)
{
    const char *p = text, *end = text + len;
    for (guint n = 0; p < end; n++) {
        if (n == max) {
            g_string_append (out, "…");
            return;
        }
        gunichar c = g_utf8_get_char_validated (p, end - p);
        if (c == (gunichar) -1 || c == (gunichar) -2) {
            g_string_append_unichar (out, 0xFFFD);
            p++;
            continue;
        }
        p = g_utf8_next_char (p);
        if (c < 0x20 || (c >= 0x7F && c < 0xA0))
            g_string_append_c (out, ' ');
        else if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
                 c == 0x200F)
            continue;
        else
            g_string_append_unichar (out, c);
    }
}

/* append_duration - "2h 5m": the two largest units, like a person would say it */
static void
append_duration (GString *out, gint64 seconds)
{
    guint64 s = seconds < 0 ? (guint64) 0 - (guint64) seconds : (guint64) seconds;
    if (seconds < 0)
        g_string_append_c (out, '-');
    static const struct {
        guint64 size;
        char unit;
    } units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
    guint i = 0;
    while (i + 1 < G_N_ELEMENTS (units) && s < units[i].size)
        i++;
    g_string_append_printf (out, "%" G_GUINT64_FORMAT "%c", s / units[i].size, units[i].unit);
    guint64 rest = s % units[i].size;
    if (i + 1 < G_N_ELEMENTS (units) && rest / units[i + 1].size > 0)
        g_string_append_printf (out, " %" G_GUINT64_FORMAT "%c", rest / units[i + 1].size,
                                units[i + 1].unit);
}

static void
append_number (GString *out, double number)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.15g", number)); /* not "3600,5" */
}

/* What a finding's texts may refer to, gathered once the rule has matched. */
typedef struct {
    const MdHop *hop;
    const char *header;
    const MdCond *first;
    const char *first_text; /* interned value of the first condition (strings) */
    double first_number;
} Context;

static void
append_from (GString *out, const MdHop *hop)
{
    /* the reverse DNS name is checked; the HELO name is what the sender claims */
    const char *name = hop->from_rdns != NULL ? hop->from_rdns : hop->from_helo;
    if (name != NULL)
        g_string_append (out, name);
    if (hop->from_ip != NULL)
        g_string_append_printf (out, "%s[%s]", name != NULL ? " " : "", hop->from_ip);
}

/* placeholder - appends the text of placeholder @which to @out, or nothing when unknown */
static void
placeholder (GString *out, int which, const Context *ctx, const MdAnalysis *a)
{
    const MdHop *hop = ctx->hop;
    switch (which) {
    case 0: /* hop */
        if (hop != NULL)
            g_string_append_printf (out, "%u", hop->index);
        break;
    case 1: /* delay */
        if (hop != NULL ? hop->has_delay : a->delivery.has_total)
            append_duration (out, hop != NULL ? hop->delay_s : a->delivery.total_delay_s);
        break;
    case 2: /* total */
        if (a->delivery.has_total)
            append_duration (out, a->delivery.total_delay_s);
        break;
    case 3: /* by */
        if (hop != NULL && hop->by != NULL)
            g_string_append (out, hop->by);
        break;
    case 4: /* from */
        if (hop != NULL)
            append_from (out, hop);
        break;
    case 5: /* with */
        if (hop != NULL && hop->with != NULL)
            g_string_append (out, hop->with);
        break;
    case 6: /* tls */
        if (hop != NULL && hop->tls != NULL)
            g_string_append (out, hop->tls);
        break;
    case 7: /* value */
        if (ctx->first->selector->type == MD_VALUE_STRING)
            g_string_append (out, ctx->first_text != NULL ? ctx->first_text : "");
        else if (ctx->first->selector->type == MD_VALUE_DURATION)
            append_duration (out, (gint64) ctx->first_number);
        else
            append_number (out, ctx->first_number);
        break;
    case 8: /* header */
        if (ctx->header != NULL)
            g_string_append (out, ctx->header);
        break;
    case 9: /* field */
        g_string_append (out, ctx->first->key);
        break;
    case 10: /* kind */
        g_string_append (out, md_kind_to_string (a->kind));
        break;
    default:
        break;
    }
}

/* fill - @template with its placeholders replaced (sanitised, bounded; "(unknown)" when the model
 * lacks the value), interned in @a */
static const char *
fill (MdAnalysis *a, const char *template, const Context *ctx, GString *out, GString *value)
{
    if (template == NULL)
        return NULL;
    g_string_truncate (out, 0);
    for (const char *p = template; *p != '\0'; p++) {
        if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
            g_string_append_c (out, *p++);
            continue;
        }
        const char *close = *p == '{' ? strchr (p, '}') : NULL;
        int which = close != NULL ? placeholder_index (p + 1, (gsize) (close - p - 1)) : -1;
        if (which < 0) {
            g_string_append_c (out, *p);
            continue;
        }
        g_string_truncate (value, 0);
        placeholder (value, which, ctx, a);
        if (value->len == 0)
            g_string_append (out, "(unknown)");
        else
            append_clean (out, value->str, value->len, MD_PLACEHOLDER_MAX_CHARS);
        p = close;
    }
    return md_analysis_intern (a, out->str, (gssize) out->len);
}

static MdEvidence *
evidence_new (MdAnalysis *a, const MdCond *cond, const MdCondHit *hit, GString *buf)
{
    MdEvidence *ev = g_new0 (MdEvidence, 1);
    ev->field = md_analysis_intern (a, cond->key, -1);
    g_string_truncate (buf, 0);
    if (cond->selector->type == MD_VALUE_STRING) {
        append_clean (buf, hit->value.text, hit->value.len, MD_EVIDENCE_MAX_CHARS);
        ev->value = md_analysis_intern (a, buf->str, (gssize) buf->len);
        g_string_truncate (buf, 0);
        append_clean (buf, hit->value.text + hit->start, hit->end - hit->start,
                      MD_EVIDENCE_MAX_CHARS);
        ev->match = md_analysis_intern (a, buf->str, (gssize) buf->len);
        return ev;
    }
    append_number (buf, hit->value.number);
    ev->value = md_analysis_intern (a, buf->str, (gssize) buf->len);
    g_string_truncate (buf, 0);
    for (guint i = 0; i < cond->n_cmp; i++) { /* "3600 >= 1800, 3600 < 7200" */
        if (i > 0)
            g_string_append (buf, ", ");
        append_number (buf, hit->value.number);
        g_string_append_printf (buf, " %s ", md_op_to_string (cond->cmp[i].op));
        append_number (buf, cond->cmp[i].number);
    }
    ev->match = md_analysis_intern (a, buf->str, (gssize) buf->len);
    return ev;
}

typedef struct {
    const MdRuleSet *set;
    MdAnalysis *analysis;
    gboolean explain;
    MdMatchRun match;
    GString *text, *value; /* scratch for findings */
} Run;

static void
warn_limit (Run *run, const MdRule *rule)
{
    md_analysis_warn (run->analysis, "rule-limit", 0, rule->id);
}

/* emit - the finding for @rule on @subject. Conditions are evaluated once more to collect their
 * evidence: a finding is rare, so this costs less than keeping evidence for every attempt. */
static void
emit (Run *run, const MdRule *rule, const MdSubject *subject)
{
    MdAnalysis *a = run->analysis;
    if (run->text == NULL) {
        run->text = g_string_sized_new (256);
        run->value = g_string_sized_new (128);
    }
    MdFinding *f = g_new0 (MdFinding, 1);
    f->evidence = g_ptr_array_new_with_free_func (g_free);
    Context ctx = { NULL, NULL, &rule->conds[0], NULL, 0 };
    if (subject->scope == MD_SCOPE_HOP)
        ctx.hop = g_ptr_array_index (a->hops, subject->index);
    const MdHop *first_hop = NULL;
    const char *first_header = NULL;
    for (guint i = 0; i < rule->n_conds; i++) {
        MdCondHit hit = { { NULL, 0, 0, NULL, NULL }, 0, 0 };
        if (!md_cond_eval (&rule->conds[i], subject, &run->match, &hit))
            continue; /* cannot happen: evaluation is deterministic */
        if (ctx.hop == NULL && hit.value.hop != NULL)
            ctx.hop = hit.value.hop;
        if (ctx.header == NULL && hit.value.header != NULL)
            ctx.header = hit.value.header;
        if (i == 0) {
            first_hop = hit.value.hop;
            first_header = hit.value.header;
            ctx.first_number = hit.value.number;
            if (hit.value.text != NULL) {
                g_string_truncate (run->text, 0);
                append_clean (run->text, hit.value.text, hit.value.len, MD_PLACEHOLDER_MAX_CHARS);
                ctx.first_text = md_analysis_intern (a, run->text->str, (gssize) run->text->len);
            }
        }
        if (i == 0 || run->explain)
            g_ptr_array_add (f->evidence, evidence_new (a, &rule->conds[i], &hit, run->text));
    }
    f->rule = md_analysis_intern (a, rule->id, -1);
    f->category = md_analysis_intern (a, rule->category, -1);
    f->severity = rule->severity;
    f->title = fill (a, rule->title, &ctx, run->text, run->value);
    f->advice = fill (a, rule->advice, &ctx, run->text, run->value);
    /* The subject: the hop a hop rule ran for; else what the first condition is about. */
    const MdHop *hop = subject->scope == MD_SCOPE_HOP ? ctx.hop : first_hop;
    if (hop != NULL) {
        char index[16];
        g_snprintf (index, sizeof index, "%u", hop->index);
        f->subject_kind = MD_SUBJECT_HOP;
        f->subject = md_analysis_intern (a, index, -1);
    } else if (first_header != NULL) {
        f->subject_kind = MD_SUBJECT_HEADER;
        f->subject = md_analysis_intern (a, first_header, -1);
    } else {
        f->subject_kind = MD_SUBJECT_MESSAGE;
    }
    g_ptr_array_add (a->findings, f);
}

static void
run_rules (Run *run, const GPtrArray *rules, const MdSubject *subject)
{
    for (guint r = 0; r < rules->len; r++) {
        const MdRule *rule = g_ptr_array_index (rules, r);
        gboolean hit = TRUE;
        for (guint k = 0; hit && k < rule->n_conds; k++)
            hit = md_cond_eval (&rule->conds[rule->order[k]], subject, &run->match, NULL);
        if (hit && rule->stage == MD_STAGE_DIAGNOSE)
            emit (run, rule, subject);
        if (run->match.limit_hit) {
            warn_limit (run, rule);
            run->match.limit_hit = FALSE;
        }
        if (hit && rule->stop)
            return; /* the stage is over for this subject */
    }
}

void
md_rules_run (const MdRuleSet *set, MdStage stage, MdAnalysis *analysis, gboolean explain)
{
    g_return_if_fail (set != NULL && analysis != NULL);
    g_return_if_fail ((guint) stage < G_N_ELEMENTS (set->index));
    /* Extraction and classification fill bounce recipients, which the model does not hold yet:
     * their rules load and validate now, and run once the bounce issue lands. */
    if (stage != MD_STAGE_DIAGNOSE)
        return;
    const GPtrArray *message_rules = set->index[stage][MD_SCOPE_MESSAGE];
    const GPtrArray *hop_rules = set->index[stage][MD_SCOPE_HOP];
    if (message_rules->len == 0 && (hop_rules->len == 0 || analysis->hops->len == 0))
        return;
    Run run = { set,     analysis,
                explain, { analysis, NULL, set->max_pairs, set->context, NULL, FALSE },
                NULL,    NULL };
    run.match.buf = g_string_sized_new (128); /* the only allocation unless a pattern runs */

    MdSubject subject = { MD_SCOPE_MESSAGE, 0 };
    run_rules (&run, message_rules, &subject);
    for (guint i = 0; hop_rules->len > 0 && i < analysis->hops->len; i++) {
        subject = (MdSubject){ MD_SCOPE_HOP, i };
        run_rules (&run, hop_rules, &subject);
    }

    if (run.match.data != NULL)
        pcre2_match_data_free (run.match.data);
    g_string_free (run.match.buf, TRUE);
    if (run.text != NULL)
        g_string_free (run.text, TRUE);
    if (run.value != NULL)
        g_string_free (run.value, TRUE);
}
