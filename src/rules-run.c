/* rules-run.c - runs a loaded rule set over the model, rules in priority order and cheap conditions
 * first: extract rules read recipients out of a non-RFC bounce's text, classify rules give each
 * recipient a reason (DESIGN §5), diagnose rules become MdFinding with evidence and sanitised
 * advice, per message, hop and recipient. Loading and validation are rules.c. */
#include <string.h>

#include <maildiag/maildiag.h>

#include "rules-private.h"

/* Evidence values are quoted, not reproduced: a 50 KB header must not become a 50 KB finding. */
#define MD_EVIDENCE_MAX_CHARS 200
/* A placeholder's text in a title or advice: room for any real host name, bounded for hostile
 * ones (a Received "by" can hold anything). */
#define MD_PLACEHOLDER_MAX_CHARS 100
/* {diagnostic} quotes the server's words, which are longer than a host name: Gmail's 5.1.1 text
 * with its help URL is ~230 characters, and advice is useless when it cuts the reason off. */
#define MD_PLACEHOLDER_DIAGNOSTIC_MAX_CHARS 300
/* A field an extraction pattern captured, in bytes: a diagnostic paragraph fits, a pattern that
 * ran over the whole text (".*" in (?s) mode) does not fill the model with it. */
#define MD_EXTRACT_FIELD_MAX 2000
/* Matches one recipients pattern may yield per message: each match costs a pcre2_match call, and
 * real bounces name each recipient a few times at most (dedupe keeps one). */
#define MD_EXTRACT_MAX_MATCHES (4 * MD_MAX_RECIPIENTS)

/* {placeholders} of title and advice. hop/delay/by/from/with/tls describe the hop the finding is
 * about: the rule's subject, or for a message rule the hop its first hop condition matched;
 * delay without a hop is the total delay. value and field are the first condition's; header is
 * the field name the first header condition matched. recipient … smtp_command likewise describe
 * the recipient (the rule's, or the one a recipient condition matched); code is its reply code
 * and status together ("550 5.1.1", "550", "5.1.1", "no code" when the server gave neither);
 * format and reporting_mta the bounce. filter, score and tests describe the spam verdict: the
 * rule's (scope = spam), or the one a spam condition matched; score reads "score 7.2, threshold
 * 5", "score 7.2" or "no score", tests "BAYES_99, URIBL_BLACK" or "none listed". from_domain,
 * org_domain, spf_domain and dkim_domains come from the DMARC alignment ("none" when absent). */
static const char *const placeholder_names[] = {
    "hop",    "delay",         "total",      "by",         "from",   "with",
    "tls",    "value",         "header",     "field",      "kind",   "recipient",
    "status", "reply",         "diagnostic", "remote_mta", "reason", "smtp_command",
    "format", "reporting_mta", "code",       "filter",     "score",  "tests",
    "from_domain", "org_domain", "spf_domain", "dkim_domains",
};
enum {
    P_HOP,
    P_DELAY,
    P_TOTAL,
    P_BY,
    P_FROM,
    P_WITH,
    P_TLS,
    P_VALUE,
    P_HEADER,
    P_FIELD,
    P_KIND,
    P_RECIPIENT,
    P_STATUS,
    P_REPLY,
    P_DIAGNOSTIC,
    P_REMOTE_MTA,
    P_REASON,
    P_SMTP_COMMAND,
    P_FORMAT,
    P_REPORTING_MTA,
    P_CODE,
    P_FILTER,
    P_SCORE,
    P_TESTS,
    P_FROM_DOMAIN,
    P_ORG_DOMAIN,
    P_SPF_DOMAIN,
    P_DKIM_DOMAINS,
};
G_STATIC_ASSERT (G_N_ELEMENTS (placeholder_names) == P_DKIM_DOMAINS + 1);
/* {tests} names this many tests, then "and more": a SpamAssassin verdict lists 10–40 */
#define MD_PLACEHOLDER_MAX_TESTS 12

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
    const MdRecipient *recipient;
    const MdSpamVerdict *spam;
    const char *header;
    const MdCond *first;    /* NULL: the rule has no conditions */
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

static void
append_text (GString *out, const char *text)
{
    if (text != NULL)
        g_string_append (out, text);
}

/* placeholder - appends the text of placeholder @which to @out, or nothing when unknown */
static void
placeholder (GString *out, int which, const Context *ctx, const MdAnalysis *a)
{
    const MdHop *hop = ctx->hop;
    const MdRecipient *r = ctx->recipient;
    const MdBounce *bounce = a->bounce;
    switch (which) {
    case P_HOP:
        if (hop != NULL)
            g_string_append_printf (out, "%u", hop->index);
        break;
    case P_DELAY:
        if (hop != NULL ? hop->has_delay : a->delivery.has_total)
            append_duration (out, hop != NULL ? hop->delay_s : a->delivery.total_delay_s);
        break;
    case P_TOTAL:
        if (a->delivery.has_total)
            append_duration (out, a->delivery.total_delay_s);
        break;
    case P_BY:
        if (hop != NULL)
            append_text (out, hop->by);
        break;
    case P_FROM:
        if (hop != NULL)
            append_from (out, hop);
        break;
    case P_WITH:
        if (hop != NULL)
            append_text (out, hop->with);
        break;
    case P_TLS:
        if (hop != NULL)
            append_text (out, hop->tls);
        break;
    case P_VALUE:
        if (ctx->first == NULL)
            break;
        if (ctx->first->selector->type == MD_VALUE_STRING)
            append_text (out, ctx->first_text);
        else if (ctx->first->selector->type == MD_VALUE_DURATION)
            append_duration (out, (gint64) ctx->first_number);
        else
            append_number (out, ctx->first_number);
        break;
    case P_HEADER:
        append_text (out, ctx->header);
        break;
    case P_FIELD:
        if (ctx->first != NULL)
            g_string_append (out, ctx->first->key);
        break;
    case P_KIND:
        g_string_append (out, md_kind_to_string (a->kind));
        break;
    case P_RECIPIENT:
        if (r != NULL)
            append_text (out, r->recipient);
        break;
    case P_STATUS:
        if (r != NULL)
            append_text (out, r->status);
        break;
    case P_REPLY:
        if (r != NULL && r->reply_code != 0)
            g_string_append_printf (out, "%d", r->reply_code);
        break;
    case P_FROM_DOMAIN:
        append_text (out, a->alignment.from_domain != NULL ? a->alignment.from_domain : "none");
        break;
    case P_ORG_DOMAIN:
        append_text (out, a->alignment.from_org_domain != NULL ? a->alignment.from_org_domain
                                                               : "none");
        break;
    case P_SPF_DOMAIN:
        append_text (out, a->alignment.spf_domain != NULL ? a->alignment.spf_domain : "none");
        break;
    case P_DKIM_DOMAINS:
        for (guint i = 0; i < a->alignment.dkim_domains->len; i++) {
            if (i > 0)
                g_string_append (out, ", ");
            append_text (out, g_ptr_array_index (a->alignment.dkim_domains, i));
        }
        if (a->alignment.dkim_domains->len == 0)
            g_string_append (out, "none");
        break;
    case P_CODE:
        if (r == NULL)
            break;
        if (r->reply_code != 0)
            g_string_append_printf (out, "%d", r->reply_code);
        if (r->reply_code != 0 && r->status != NULL)
            g_string_append_c (out, ' ');
        if (r->status != NULL)
            append_text (out, r->status);
        if (r->reply_code == 0 && r->status == NULL)
            g_string_append (out, "no code");
        break;
    case P_DIAGNOSTIC:
        if (r != NULL)
            append_text (out, r->diagnostic);
        break;
    case P_REMOTE_MTA:
        if (r != NULL)
            append_text (out, r->remote_mta);
        break;
    case P_REASON:
        if (r != NULL)
            append_text (out, r->reason);
        break;
    case P_SMTP_COMMAND:
        if (r != NULL)
            append_text (out, r->smtp_command);
        break;
    case P_FORMAT:
        if (bounce != NULL)
            append_text (out, bounce->format);
        break;
    case P_REPORTING_MTA:
        if (bounce != NULL)
            append_text (out, bounce->reporting_mta);
        break;
    case P_FILTER:
        if (ctx->spam != NULL)
            append_text (out, ctx->spam->filter);
        break;
    case P_SCORE:
        if (ctx->spam == NULL)
            break;
        if (!ctx->spam->has_score) {
            g_string_append (out, "no score");
            break;
        }
        g_string_append (out, "score ");
        append_number (out, ctx->spam->score);
        if (ctx->spam->has_threshold) {
            g_string_append (out, ", threshold ");
            append_number (out, ctx->spam->threshold);
        }
        break;
    case P_TESTS:
        if (ctx->spam == NULL)
            break;
        for (guint i = 0; ctx->spam->tests != NULL && i < ctx->spam->tests->len; i++) {
            if (i == MD_PLACEHOLDER_MAX_TESTS) {
                g_string_append (out, " and more");
                break;
            }
            g_string_append_printf (out, "%s%s", i > 0 ? ", " : "",
                                    (const char *) g_ptr_array_index (ctx->spam->tests, i));
        }
        if (ctx->spam->tests == NULL || ctx->spam->tests->len == 0)
            g_string_append (out, "none listed");
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
            append_clean (out, value->str, value->len,
                          which == P_DIAGNOSTIC || which == P_TESTS
                              ? MD_PLACEHOLDER_DIAGNOSTIC_MAX_CHARS
                              : MD_PLACEHOLDER_MAX_CHARS);
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
    GString *text, *value; /* scratch for findings and extraction */
    MdRuleTrace trace;     /* md_rules_run_traced; NULL otherwise */
    gpointer trace_data;
} Run;

static void
run_init (Run *run, const MdRuleSet *set, MdAnalysis *analysis, gboolean explain)
{
    *run = (Run){ .set = set, .analysis = analysis, .explain = explain };
    run->match =
        (MdMatchRun){ .analysis = analysis, .data_pairs = set->max_pairs, .context = set->context };
    run->match.buf = g_string_sized_new (128); /* the only allocation unless a pattern runs */
}

static void
run_clear (Run *run)
{
    if (run->match.data != NULL)
        pcre2_match_data_free (run->match.data);
    g_string_free (run->match.buf, TRUE);
    if (run->text != NULL)
        g_string_free (run->text, TRUE);
    if (run->value != NULL)
        g_string_free (run->value, TRUE);
}

static void
need_scratch (Run *run)
{
    if (run->text == NULL) {
        run->text = g_string_sized_new (256);
        run->value = g_string_sized_new (128);
    }
}

static void
warn_limit (Run *run, const MdRule *rule)
{
    md_analysis_warn (run->analysis, "rule-limit", 0, rule->id);
}

static const MdRecipient *
recipient_at (const MdAnalysis *a, guint index)
{
    return g_ptr_array_index (a->bounce->recipients, index);
}

/* emit - the finding for @rule on @subject; for a classify rule (--explain only) the finding that
 * says which rule gave the recipient its reason. Conditions are evaluated once more to collect
 * their evidence: a finding is rare, so this costs less than keeping evidence for every attempt. */
static void
emit (Run *run, const MdRule *rule, const MdSubject *subject)
{
    MdAnalysis *a = run->analysis;
    need_scratch (run);
    MdFinding *f = g_new0 (MdFinding, 1);
    f->evidence = g_ptr_array_new_with_free_func (g_free);
    Context ctx = { .first = rule->n_conds > 0 ? &rule->conds[0] : NULL };
    if (subject->scope == MD_SCOPE_HOP)
        ctx.hop = g_ptr_array_index (a->hops, subject->index);
    if (subject->scope == MD_SCOPE_RECIPIENT)
        ctx.recipient = recipient_at (a, subject->index);
    if (subject->scope == MD_SCOPE_SPAM)
        ctx.spam = g_ptr_array_index (a->spam, subject->index);
    const MdHop *first_hop = NULL;
    const MdRecipient *first_recipient = NULL;
    const char *first_header = NULL;
    for (guint i = 0; i < rule->n_conds; i++) {
        MdCondHit hit = { .start = 0 };
        if (!md_cond_eval (&rule->conds[i], subject, &run->match, &hit))
            continue; /* cannot happen: evaluation is deterministic */
        if (ctx.hop == NULL && hit.value.hop != NULL)
            ctx.hop = hit.value.hop;
        if (ctx.recipient == NULL && hit.value.recipient != NULL)
            ctx.recipient = hit.value.recipient;
        if (ctx.spam == NULL && hit.value.spam != NULL)
            ctx.spam = hit.value.spam;
        if (ctx.header == NULL && hit.value.header != NULL)
            ctx.header = hit.value.header;
        if (i == 0) {
            first_hop = hit.value.hop;
            first_recipient = hit.value.recipient;
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
    if (rule->stage == MD_STAGE_CLASSIFY) {
        /* explain only: which rule gave the reason (the recipient keeps the rule id too) */
        f->category =
            md_analysis_intern (a, rule->category != NULL ? rule->category : "rejection", -1);
        f->severity = MD_SEVERITY_INFO;
        f->explain = TRUE;
        if (rule->title != NULL) {
            f->title = fill (a, rule->title, &ctx, run->text, run->value);
        } else {
            const char *who = ctx.recipient != NULL && ctx.recipient->recipient != NULL
                                  ? ctx.recipient->recipient
                                  : "a recipient";
            g_autofree char *title = g_strdup_printf ("%s classified as %s", who, rule->reason);
            f->title = md_analysis_intern (a, title, -1);
        }
    } else {
        f->category = md_analysis_intern (a, rule->category, -1);
        f->severity = rule->severity;
        f->title = fill (a, rule->title, &ctx, run->text, run->value);
    }
    f->advice = fill (a, rule->advice, &ctx, run->text, run->value);
    /* The subject: the hop or recipient the rule ran for; else what the first condition is
     * about. */
    const MdHop *hop = subject->scope == MD_SCOPE_HOP ? ctx.hop : first_hop;
    const MdRecipient *recipient =
        subject->scope == MD_SCOPE_RECIPIENT ? ctx.recipient : first_recipient;
    if (subject->scope == MD_SCOPE_SPAM && ctx.spam->header != NULL) {
        f->subject_kind = MD_SUBJECT_HEADER; /* the verdict's field */
        f->subject = ctx.spam->header;       /* already interned in @a */
    } else if (subject->scope != MD_SCOPE_RECIPIENT && hop != NULL) {
        char index[16];
        g_snprintf (index, sizeof index, "%u", hop->index);
        f->subject_kind = MD_SUBJECT_HOP;
        f->subject = md_analysis_intern (a, index, -1);
    } else if (recipient != NULL) {
        f->subject_kind = MD_SUBJECT_RECIPIENT;
        f->subject = recipient->recipient; /* already interned in @a */
    } else if (first_header != NULL) {
        f->subject_kind = MD_SUBJECT_HEADER;
        f->subject = md_analysis_intern (a, first_header, -1);
    } else {
        f->subject_kind = MD_SUBJECT_MESSAGE;
    }
    g_ptr_array_add (a->findings, f);
}

/* matches - TRUE when every condition of @rule holds for @subject, cheapest first; warns once
 * for a pattern that gave up */
static gboolean
matches (Run *run, const MdRule *rule, const MdSubject *subject)
{
    gboolean hit = TRUE;
    for (guint k = 0; hit && k < rule->n_conds; k++)
        hit = md_cond_eval (&rule->conds[rule->order[k]], subject, &run->match, NULL);
    if (run->match.limit_hit) {
        warn_limit (run, rule);
        run->match.limit_hit = FALSE;
    }
    return hit;
}

static void
traced (Run *run, const MdRule *rule)
{
    if (run->trace != NULL)
        run->trace (rule->id, run->trace_data);
}

static void
run_rules (Run *run, const GPtrArray *rules, const MdSubject *subject)
{
    for (guint r = 0; r < rules->len; r++) {
        const MdRule *rule = g_ptr_array_index (rules, r);
        gboolean hit = matches (run, rule, subject);
        if (hit) {
            emit (run, rule, subject);
            traced (run, rule);
        }
        if (hit && rule->stop)
            return; /* the stage is over for this subject */
    }
}

/* ---- extraction: recipients out of a bounce's human text ---- */

/* One match's named groups, pointing into the human text; NULL when the group did not take part
 * or captured nothing. */
typedef struct {
    const char *text[MD_GROUP_COUNT];
    gsize len[MD_GROUP_COUNT];
} Captures;

static pcre2_match_data *
match_data (Run *run)
{
    if (run->match.data == NULL)
        run->match.data = pcre2_match_data_create (MAX (run->match.data_pairs, 1u), NULL);
    return run->match.data;
}

static void
read_captures (const MdPattern *pattern, pcre2_match_data *data, const char *subject, Captures *c)
{
    for (guint g = 0; g < MD_GROUP_COUNT; g++) {
        gsize start = 0, end = 0;
        gboolean set = md_pattern_get_named (pattern, data, md_rules_groups[g], &start, &end);
        c->text[g] = set && end > start ? subject + start : NULL;
        c->len[g] = set && end > start ? end - start : 0;
    }
}

/* clean_text - @len bytes of @text with white-space runs as one space, trimmed and cut (at a
 * character) to MD_EXTRACT_FIELD_MAX bytes, in @buf; FALSE when nothing is left */
static gboolean
clean_text (const char *text, gsize len, GString *buf)
{
    g_string_truncate (buf, 0);
    gboolean space = FALSE;
    for (gsize i = 0; i < len && buf->len < MD_EXTRACT_FIELD_MAX; i++) {
        if (g_ascii_isspace (text[i])) {
            space = buf->len > 0;
            continue;
        }
        if (space)
            g_string_append_c (buf, ' ');
        space = FALSE;
        g_string_append_c (buf, text[i]);
    }
    const char *valid_end = NULL; /* the text is valid UTF-8: only the cut can break a character */
    if (!g_utf8_validate_len (buf->str, buf->len, &valid_end))
        g_string_truncate (buf, (gsize) (valid_end - buf->str));
    while (buf->len > 0 && buf->str[buf->len - 1] == ' ')
        g_string_truncate (buf, buf->len - 1);
    return buf->len > 0;
}

/* trim_end - drops trailing characters of @chars from @buf */
static void
trim_end (GString *buf, const char *chars)
{
    while (buf->len > 0 && strchr (chars, buf->str[buf->len - 1]) != NULL)
        g_string_truncate (buf, buf->len - 1);
}

/* The longest SMTP verb is STARTTLS; room for extensions' verbs, none is longer than this. */
#define MD_SMTP_VERB_MAX 16

/* An address is at most 64 + 1 + 255 octets (RFC 5321 §4.5.3.1); twice that is not one. */
#define MD_EXTRACT_ADDRESS_MAX 640

/* clean_address - the captured recipient without surrounding white space, "<" ">" or quotes, nor
 * the punctuation that ends it in prose ("<user@example.org>:", "user@example.org,"); FALSE when
 * nothing or something too long to be an address is left */
static gboolean
clean_address (const char *text, gsize len, GString *buf)
{
    if (len > MD_EXTRACT_ADDRESS_MAX || !clean_text (text, len, buf))
        return FALSE;
    gsize lead = 0;
    while (lead < buf->len && (buf->str[lead] == '<' || buf->str[lead] == ' '))
        lead++;
    g_string_erase (buf, 0, (gssize) lead);
    trim_end (buf, " >:,;.");
    if (buf->len >= 2 && (buf->str[0] == '"' || buf->str[0] == '\'') &&
        buf->str[buf->len - 1] == buf->str[0]) {
        g_string_truncate (buf, buf->len - 1);
        g_string_erase (buf, 0, 1);
    }
    return buf->len > 0;
}

/* A status is "class.subject.detail" with class 2, 4 or 5 and one to three digits for the others
 * (RFC 3463 §2). */
static gboolean
valid_status (const char *text)
{
    if (text[0] != '2' && text[0] != '4' && text[0] != '5')
        return FALSE;
    const char *p = text + 1;
    for (int part = 0; part < 2; part++) {
        if (*p++ != '.')
            return FALSE;
        int digits = 0;
        for (; g_ascii_isdigit (*p); p++)
            digits++;
        if (digits < 1 || digits > 3)
            return FALSE;
    }
    return *p == '\0';
}

/* apply_captures - fills the fields of @r that are still empty from @c; a capture that is not a
 * valid value of its field (a status "5.1", a reply "55", an unknown action) is ignored */
static void
apply_captures (MdAnalysis *a, MdRecipient *r, const Captures *c, GString *buf)
{
    if (r->status == NULL && c->text[MD_GROUP_STATUS] != NULL &&
        clean_text (c->text[MD_GROUP_STATUS], c->len[MD_GROUP_STATUS], buf) &&
        valid_status (buf->str)) {
        r->status = md_analysis_intern (a, buf->str, (gssize) buf->len);
        r->status_source = "diagnostic"; /* read from the bounce's text, not a DSN field */
    }
    if (r->reply_code == 0 && c->text[MD_GROUP_REPLY] != NULL &&
        clean_text (c->text[MD_GROUP_REPLY], c->len[MD_GROUP_REPLY], buf) && buf->len == 3 &&
        buf->str[0] >= '2' && buf->str[0] <= '5' && g_ascii_isdigit (buf->str[1]) &&
        g_ascii_isdigit (buf->str[2]))
        r->reply_code = (int) g_ascii_strtoll (buf->str, NULL, 10);
    if (r->diagnostic == NULL && c->text[MD_GROUP_DIAGNOSTIC] != NULL &&
        clean_text (c->text[MD_GROUP_DIAGNOSTIC], c->len[MD_GROUP_DIAGNOSTIC], buf))
        r->diagnostic = md_analysis_intern (a, buf->str, (gssize) buf->len);
    if (r->remote_mta == NULL && c->text[MD_GROUP_REMOTE_MTA] != NULL &&
        clean_text (c->text[MD_GROUP_REMOTE_MTA], c->len[MD_GROUP_REMOTE_MTA], buf)) {
        trim_end (buf, " .,;:");
        if (buf->len > 0)
            r->remote_mta = md_analysis_intern (a, buf->str, (gssize) buf->len);
    }
    /* smtp_command: the verb, upper case ("rcpt to" → RCPT); anything else is not a command */
    if (r->smtp_command == NULL && c->text[MD_GROUP_SMTP_COMMAND] != NULL &&
        clean_text (c->text[MD_GROUP_SMTP_COMMAND], c->len[MD_GROUP_SMTP_COMMAND], buf)) {
        const char *space = strchr (buf->str, ' ');
        if (space != NULL)
            g_string_truncate (buf, (gsize) (space - buf->str));
        gboolean word = buf->len <= MD_SMTP_VERB_MAX;
        for (gsize i = 0; word && i < buf->len; i++) {
            word = g_ascii_isalpha (buf->str[i]);
            buf->str[i] = g_ascii_toupper (buf->str[i]);
        }
        if (word)
            r->smtp_command = md_analysis_intern (a, buf->str, (gssize) buf->len);
    }
    if (r->action == NULL && c->text[MD_GROUP_ACTION] != NULL &&
        clean_text (c->text[MD_GROUP_ACTION], c->len[MD_GROUP_ACTION], buf)) {
        for (gsize i = 0; i < buf->len; i++)
            buf->str[i] = g_ascii_tolower (buf->str[i]);
        for (guint i = 0; i < MD_ACTION_COUNT; i++)
            if (strcmp (buf->str, md_rules_actions[i]) == 0)
                r->action = md_rules_actions[i]; /* static */
    }
}

/* next_offset - where global matching goes on after a match [@start, @end) found from @offset:
 * after the match, or one character further for an empty one (as Perl's /g) */
static gsize
next_offset (const char *text, gsize len, gsize offset, gsize start, gsize end)
{
    if (end > start && end > offset)
        return end;
    gsize p = MAX (start, offset);
    if (p >= len)
        return len + 1;
    return MIN (p + (gsize) g_utf8_skip[(guchar) text[p]], len);
}

/* extract_recipients - every match of @rule's recipients pattern over the human text names a
 * recipient: a new one, or one already listed under that address (case-insensitively), whose
 * empty fields the match fills. Returns how many matches named a recipient: 0 means the rule does
 * not match. *created counts the new ones. */
static guint
extract_recipients (Run *run, const MdRule *rule, guint *created)
{
    MdAnalysis *a = run->analysis;
    const char *text = a->body.human_text;
    gsize len = a->body.human_text_len;
    if (rule->recipients_in != NULL) {
        text = md_analysis_get_header (a, rule->recipients_in);
        len = text != NULL ? strlen (text) : 0;
    }
    *created = 0;
    if (text == NULL)
        return 0;
    need_scratch (run);
    pcre2_match_data *data = match_data (run);
    g_autoptr (GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; a->bounce != NULL && i < a->bounce->recipients->len; i++) {
        MdRecipient *r = g_ptr_array_index (a->bounce->recipients, i);
        g_autofree char *key = r->recipient != NULL ? g_ascii_strdown (r->recipient, -1) : NULL;
        if (key != NULL && !g_hash_table_contains (listed, key)) /* the first one is filled */
            g_hash_table_insert (listed, g_steal_pointer (&key), r);
    }
    const char *action = rule->action != NULL ? rule->action : "failed";
    guint named = 0, n = 0;
    for (gsize offset = 0; offset <= len; n++) {
        if (n == MD_EXTRACT_MAX_MATCHES) {
            md_analysis_warn (a, "recipient-limit", 0, rule->id);
            break;
        }
        gsize start = 0, end = 0;
        MdMatch m = md_pattern_match_from (rule->recipients, text, len, offset, data,
                                           run->match.context, &start, &end);
        if (m == MD_MATCH_LIMIT)
            run->match.limit_hit = TRUE;
        if (m != MD_MATCH_YES)
            break;
        offset = next_offset (text, len, offset, start, end);
        Captures c;
        read_captures (rule->recipients, data, text, &c);
        if (c.text[MD_GROUP_RECIPIENT] == NULL ||
            !clean_address (c.text[MD_GROUP_RECIPIENT], c.len[MD_GROUP_RECIPIENT], run->value))
            continue;
        g_autofree char *key = g_ascii_strdown (run->value->str, -1);
        MdRecipient *r = g_hash_table_lookup (listed, key);
        if (r == NULL) {
            if (a->bounce != NULL && a->bounce->recipients->len >= MD_MAX_RECIPIENTS) {
                md_analysis_warn (a, "recipient-limit", 0, rule->id);
                break;
            }
            r = md_bounce_add_recipient (a);
            r->recipient = md_analysis_intern (a, run->value->str, (gssize) run->value->len);
            g_hash_table_insert (listed, g_steal_pointer (&key), r);
            apply_captures (a, r, &c, run->text);
            if (r->action == NULL)
                r->action = md_analysis_intern (a, action, -1);
            (*created)++;
        } else {
            apply_captures (a, r, &c, run->text);
        }
        named++;
    }
    return named;
}

/* extract_shared - the first match of @rule's shared pattern fills what each recipient lacks */
static void
extract_shared (Run *run, const MdRule *rule)
{
    MdAnalysis *a = run->analysis;
    if (a->body.human_text == NULL || a->bounce == NULL || a->bounce->recipients->len == 0)
        return;
    need_scratch (run);
    pcre2_match_data *data = match_data (run);
    MdMatch m = md_pattern_match (rule->shared, a->body.human_text, a->body.human_text_len, data,
                                  run->match.context, NULL, NULL);
    if (m == MD_MATCH_LIMIT)
        run->match.limit_hit = TRUE;
    if (m != MD_MATCH_YES)
        return;
    Captures c;
    read_captures (rule->shared, data, a->body.human_text, &c);
    for (guint i = 0; i < a->bounce->recipients->len; i++)
        apply_captures (a, g_ptr_array_index (a->bounce->recipients, i), &c, run->text);
}

/* set_kind - the kind an extract rule names; an auto-reply without recipients gets its sender as
 * the one recipient, reason "vacation": the person is away, not the address wrong */
static void
set_kind (Run *run, const MdRule *rule)
{
    MdAnalysis *a = run->analysis;
    a->kind = (MdKind) rule->set_kind;
    MdBounce *bounce = md_analysis_ensure_bounce (a);
    if (a->kind != MD_KIND_AUTO_REPLY || bounce->recipients->len > 0)
        return;
    for (guint i = 0; i < a->message.from->len; i++) {
        const MdAddress *from = g_ptr_array_index (a->message.from, i);
        if (from->address == NULL)
            continue;
        MdRecipient *r = md_bounce_add_recipient (a);
        r->recipient = from->address; /* interned in @a */
        r->reason = md_analysis_intern (a, "vacation", -1);
        r->hard = FALSE;
        r->rule = md_analysis_intern (a, rule->id, -1);
        return;
    }
}

/* ---- spam-filter verdicts out of their headers (DESIGN §3 spam[]) ---- */

/* Tests one verdict may list: SpamAssassin lists 10–40, Rspamd up to ~100 symbols; a hostile
 * header must not grow the model without bound. Reaching it warns "spam-limit". */
#define MD_SPAM_MAX_TESTS 200
/* Details one verdict may hold: Microsoft's X-Forefront-Antispam-Report has about 15 keys. */
#define MD_SPAM_MAX_DETAILS 100
/* A score is a short number or a bar of one character per point (X-Spam-Level): longer is not
 * one. */
#define MD_SPAM_SCORE_MAX 64

/* parse_score - a score as filters write it: a plain decimal ("-2.16", "+1", "15.00"), or a bar
 * of '*' or '+' (X-Spam-Level, X-Spamd-Bar: one per point) or of '-' (minus one per point);
 * FALSE for anything else (no exponent, hex, inf or nan, which strtod would take) */
static gboolean
parse_score (const char *text, gsize len, double *out)
{
    while (len > 0 && g_ascii_isspace (*text))
        text++, len--;
    while (len > 0 && g_ascii_isspace (text[len - 1]))
        len--;
    if (len == 0 || len > MD_SPAM_SCORE_MAX)
        return FALSE;
    if (text[0] == '*' || text[0] == '+' || text[0] == '-') {
        gsize n = 1;
        while (n < len && text[n] == text[0])
            n++;
        if (n == len) {
            *out = text[0] == '-' ? -(double) n : (double) n;
            return TRUE;
        }
    }
    gsize i = text[0] == '-' || text[0] == '+' ? 1 : 0;
    guint digits = 0, dots = 0;
    for (; i < len; i++) {
        if (g_ascii_isdigit (text[i]))
            digits++;
        else if (text[i] == '.' && dots++ == 0)
            continue;
        else
            return FALSE;
    }
    if (digits == 0)
        return FALSE;
    char buf[MD_SPAM_SCORE_MAX + 1];
    memcpy (buf, text, len);
    buf[len] = '\0';
    *out = g_ascii_strtod (buf, NULL);
    return TRUE;
}

/* verdict_word - the verdict a (?<verdict>) text says without spam-if or ham-if: yes, true, spam
 * or 1 is spam; no, false, ham or 0 is ham (ASCII case-insensitively); else NULL */
static const char *
verdict_word (const char *text)
{
    static const char *const spam[] = { "yes", "true", "spam", "1" };
    static const char *const ham[] = { "no", "false", "ham", "0" };
    for (guint i = 0; i < G_N_ELEMENTS (spam); i++) {
        if (g_ascii_strcasecmp (text, spam[i]) == 0)
            return "spam";
        if (g_ascii_strcasecmp (text, ham[i]) == 0)
            return "ham";
    }
    return NULL;
}

/* spam_verdict_for - the verdict @rule fills: the one of its filter read from @header, or with
 * merge = true the first of its filter whatever the field; a new one when there is none */
static MdSpamVerdict *
spam_verdict_for (MdAnalysis *a, const MdRule *rule, const char *header)
{
    for (guint i = 0; i < a->spam->len; i++) {
        MdSpamVerdict *v = g_ptr_array_index (a->spam, i);
        if (strcmp (v->filter, rule->spam_filter) == 0 &&
            (rule->merge || (v->header != NULL && md_header_name_equal (v->header, header))))
            return v;
    }
    MdSpamVerdict *v = md_analysis_add_spam (a);
    v->filter = md_analysis_intern (a, rule->spam_filter, -1);
    v->header = md_analysis_intern (a, header, -1);
    v->rule = md_analysis_intern (a, rule->id, -1);
    return v;
}

/* add_detail - @name = @value (@value_len bytes, cleaned) unless @v has a detail of that name:
 * a detail is named once (DESIGN §3 details is an object), the first reading wins */
static void
add_detail (Run *run, const MdRule *rule, MdSpamVerdict *v, const char *name, gsize name_len,
            const char *value, gsize value_len)
{
    MdAnalysis *a = run->analysis;
    if (!clean_text (name, name_len, run->text))
        return;
    for (guint i = 0; i < v->details->len; i++)
        if (g_ascii_strcasecmp (((const MdPair *) g_ptr_array_index (v->details, i))->name,
                                run->text->str) == 0)
            return;
    if (v->details->len >= MD_SPAM_MAX_DETAILS) {
        md_analysis_warn (a, "spam-limit", 0, rule->id);
        return;
    }
    if (!clean_text (value, value_len, run->value))
        g_string_truncate (run->value, 0); /* "CTRY:;" is present and empty */
    md_pairs_add (a, v->details, run->text->str, run->value->str);
}

/* add_test - one piece of the (?<tests>) text, cleaned, unless empty */
static void
add_test (Run *run, const MdRule *rule, MdSpamVerdict *v, const char *text, gsize len)
{
    if (!clean_text (text, len, run->text))
        return;
    if (v->tests->len >= MD_SPAM_MAX_TESTS) {
        md_analysis_warn (run->analysis, "spam-limit", 0, rule->id);
        return;
    }
    g_ptr_array_add (v->tests, (gpointer) md_analysis_intern (run->analysis, run->text->str,
                                                              (gssize) run->text->len));
}

/* split_tests - the (?<tests>) text cut at every match of the rule's tests-split pattern, or at
 * commas and white space */
static void
split_tests (Run *run, const MdRule *rule, MdSpamVerdict *v, const char *text, gsize len)
{
    if (rule->tests_split == NULL) {
        gsize start = 0;
        for (gsize i = 0; i <= len; i++)
            if (i == len || text[i] == ',' || g_ascii_isspace (text[i])) {
                if (i > start)
                    add_test (run, rule, v, text + start, i - start);
                start = i + 1;
            }
        return;
    }
    pcre2_match_data *data = match_data (run);
    gsize piece = 0;
    for (gsize offset = 0; offset <= len;) {
        gsize start = 0, end = 0;
        MdMatch m = md_pattern_match_from (rule->tests_split, text, len, offset, data,
                                           run->match.context, &start, &end);
        if (m == MD_MATCH_LIMIT)
            run->match.limit_hit = TRUE;
        if (m != MD_MATCH_YES)
            break;
        if (end > start) { /* an empty separator cuts nothing */
            add_test (run, rule, v, text + piece, start - piece);
            piece = end;
        }
        offset = next_offset (text, len, offset, start, end);
    }
    if (piece < len)
        add_test (run, rule, v, text + piece, len - piece);
}

/* add_group_details - the groups of @pattern's last match (in @data) named with a capital letter
 * become details of that name */
static void
add_group_details (Run *run, const MdRule *rule, MdSpamVerdict *v, const MdPattern *pattern,
                   char **names, pcre2_match_data *data, const char *text)
{
    for (guint i = 0; names[i] != NULL; i++) {
        gsize start = 0, end = 0;
        if (g_ascii_isupper (names[i][0]) &&
            md_pattern_get_named (pattern, data, names[i], &start, &end))
            add_detail (run, rule, v, names[i], strlen (names[i]), text + start, end - start);
    }
}

/* scan_details - every match of the rule's details pattern over @text adds its details */
static void
scan_details (Run *run, const MdRule *rule, MdSpamVerdict *v, const char *text, gsize len)
{
    g_auto (GStrv) names = md_pattern_get_names (rule->details);
    pcre2_match_data *data = match_data (run);
    for (gsize offset = 0, n = 0; offset <= len && n < MD_SPAM_MAX_DETAILS * 2; n++) {
        gsize start = 0, end = 0;
        MdMatch m = md_pattern_match_from (rule->details, text, len, offset, data,
                                           run->match.context, &start, &end);
        if (m == MD_MATCH_LIMIT)
            run->match.limit_hit = TRUE;
        if (m != MD_MATCH_YES)
            break;
        offset = next_offset (text, len, offset, start, end);
        gsize ns = 0, ne = 0, vs = 0, ve = 0;
        if (md_pattern_get_named (rule->details, data, "name", &ns, &ne) &&
            md_pattern_get_named (rule->details, data, "value", &vs, &ve))
            add_detail (run, rule, v, text + ns, ne - ns, text + vs, ve - vs);
        add_group_details (run, rule, v, rule->details, names, data, text);
    }
}

/* apply_spam - a spam-verdict rule matched: its header condition's groups (matched once more, so
 * the match data is that pattern's) fill the verdict of (filter, header), or of the filter with
 * merge; only what the verdict still lacks is filled */
static void
apply_spam (Run *run, const MdRule *rule, const MdSubject *subject)
{
    MdAnalysis *a = run->analysis;
    need_scratch (run);
    const MdCond *cond = &rule->conds[rule->groups_cond];
    MdCondHit hit = { .start = 0 };
    if (!md_cond_eval (cond, subject, &run->match, &hit) || hit.value.header == NULL)
        return; /* cannot happen: the rule matched */
    const char *text = hit.value.text;
    gsize len = hit.value.len;
    pcre2_match_data *data = match_data (run);
    /* the groups, read before another pattern reuses the match data */
    const char *group[MD_SPAM_GROUP_COUNT];
    gsize group_len[MD_SPAM_GROUP_COUNT];
    for (guint g = 0; g < MD_SPAM_GROUP_COUNT; g++) {
        gsize start = 0, end = 0;
        gboolean set =
            md_pattern_get_named (cond->pattern, data, md_rules_spam_groups[g], &start, &end);
        group[g] = set && end > start ? text + start : NULL;
        group_len[g] = set && end > start ? end - start : 0;
    }
    MdSpamVerdict *v = spam_verdict_for (a, rule, hit.value.header);
    g_auto (GStrv) names = md_pattern_get_names (cond->pattern);
    add_group_details (run, rule, v, cond->pattern, names, data, text);

    double number = 0;
    if (!v->has_score && group[MD_SPAM_GROUP_SCORE] != NULL &&
        parse_score (group[MD_SPAM_GROUP_SCORE], group_len[MD_SPAM_GROUP_SCORE], &number))
        v->score = number, v->has_score = TRUE;
    if (!v->has_threshold && group[MD_SPAM_GROUP_THRESHOLD] != NULL &&
        parse_score (group[MD_SPAM_GROUP_THRESHOLD], group_len[MD_SPAM_GROUP_THRESHOLD], &number))
        v->threshold = number, v->has_threshold = TRUE;

    if (strcmp (v->verdict, "unknown") == 0) {
        const char *verdict = rule->spam_verdict; /* static "spam"/"ham" below, or NULL */
        const char *said = group[MD_SPAM_GROUP_VERDICT];
        gsize said_len = group_len[MD_SPAM_GROUP_VERDICT];
        if (verdict == NULL && said != NULL && (rule->spam_if != NULL || rule->ham_if != NULL)) {
            gboolean spam = rule->spam_if != NULL &&
                            md_pattern_match (rule->spam_if, said, said_len, data,
                                              run->match.context, NULL, NULL) == MD_MATCH_YES;
            gboolean ham = !spam && rule->ham_if != NULL &&
                           md_pattern_match (rule->ham_if, said, said_len, data, run->match.context,
                                             NULL, NULL) == MD_MATCH_YES;
            if (spam)
                verdict = "spam";
            else if (ham || rule->ham_if == NULL) /* spam-if alone: the rest is ham */
                verdict = "ham";
            else if (rule->spam_if == NULL) /* ham-if alone: the rest is spam */
                verdict = "spam";
        } else if (verdict == NULL && said != NULL && clean_text (said, said_len, run->text)) {
            verdict = verdict_word (run->text->str);
        }
        if (verdict != NULL)
            v->verdict = strcmp (verdict, "spam") == 0 ? "spam" : "ham";
    }

    if (v->tests->len == 0 && group[MD_SPAM_GROUP_TESTS] != NULL)
        split_tests (run, rule, v, group[MD_SPAM_GROUP_TESTS], group_len[MD_SPAM_GROUP_TESTS]);
    if (rule->details != NULL)
        scan_details (run, rule, v, text, len);
}

/* finish_spam - a verdict no rule said in words is the score against the threshold
 * (SpamAssassin: S >= R), once every rule had its say: Rspamd's X-Spamd-Result gives the reject
 * threshold, and X-Rspamd-Action, read after it, knows better */
static void
finish_spam (MdAnalysis *a)
{
    for (guint i = 0; i < a->spam->len; i++) {
        MdSpamVerdict *v = g_ptr_array_index (a->spam, i);
        if (strcmp (v->verdict, "unknown") == 0 && v->has_score && v->has_threshold)
            v->verdict = v->score >= v->threshold ? "spam" : "ham";
    }
}

/* run_spam - the spam-verdict extract rules, in priority order; stop ends only them */
static void
run_spam (Run *run, const GPtrArray *rules)
{
    for (guint i = 0; i < rules->len; i++) {
        const MdRule *rule = g_ptr_array_index (rules, i);
        if (rule->spam_filter == NULL)
            continue;
        MdSubject subject = { MD_SCOPE_MESSAGE, 0 };
        gboolean hit = matches (run, rule, &subject);
        if (hit)
            apply_spam (run, rule, &subject);
        if (run->match.limit_hit) {
            warn_limit (run, rule);
            run->match.limit_hit = FALSE;
        }
        if (hit)
            traced (run, rule);
        if (hit && rule->stop)
            break;
    }
    finish_spam (run->analysis);
}

/* run_extract - extract rules in priority order: a rule matches when its conditions hold and,
 * when it creates recipients, its pattern names at least one; then it sets format, fills shared
 * fields and sets the kind. stop ends the stage. */
/* TRUE when a recipient still lacks its diagnostic or status: a shared pattern could fill it */
static gboolean
recipients_lack_fields (const MdAnalysis *a)
{
    for (guint i = 0; i < a->bounce->recipients->len; i++) {
        const MdRecipient *r = g_ptr_array_index (a->bounce->recipients, i);
        if (r->diagnostic == NULL || r->status == NULL)
            return TRUE;
    }
    return FALSE;
}

static void
run_extract (Run *run, const GPtrArray *rules)
{
    MdAnalysis *a = run->analysis;
    run_spam (run, rules); /* first: a bounce rule's stop must not hide a verdict */
    for (guint i = 0; i < rules->len; i++) {
        const MdRule *rule = g_ptr_array_index (rules, i);
        if (rule->spam_filter != NULL)
            continue;
        gboolean had_recipients = a->bounce != NULL && a->bounce->recipients->len > 0;
        /* A rule that could only add recipients, or fill fields its recipients already have, has
         * nothing to do once a report gave them: its conditions, patterns over the whole bounce
         * text, are not worth evaluating (most of the extract stage's cost on DSNs). */
        if (had_recipients && rule->recipients != NULL && !rule->merge && rule->set_kind < 0 &&
            (rule->shared == NULL || !recipients_lack_fields (a)))
            continue;
        MdSubject subject = { MD_SCOPE_MESSAGE, 0 };
        gboolean hit = matches (run, rule, &subject);
        guint created = 0;
        /* DSN recipients win: a rule adds its own only to an empty bounce, unless it merges */
        if (hit && rule->recipients != NULL && (!had_recipients || rule->merge))
            hit = extract_recipients (run, rule, &created) > 0;
        if (hit && rule->format != NULL) {
            MdBounce *bounce = md_analysis_ensure_bounce (a);
            if (bounce->format == NULL || (created > 0 && !had_recipients))
                bounce->format = md_analysis_intern (a, rule->format, -1);
        }
        if (hit && rule->shared != NULL)
            extract_shared (run, rule);
        if (hit && rule->set_kind >= 0)
            set_kind (run, rule);
        if (run->match.limit_hit) {
            warn_limit (run, rule);
            run->match.limit_hit = FALSE;
        }
        if (hit)
            traced (run, rule);
        if (hit && rule->stop)
            return;
    }
}

/* ---- classification ---- */

/* default_hard - DESIGN §5: a permanent failure the sender cannot fix by waiting */
static gboolean
default_hard (const MdRecipient *r, const char *reason)
{
    if (strcmp (reason, "userunknown") == 0 || strcmp (reason, "hostunknown") == 0 ||
        strcmp (reason, "hasmoved") == 0)
        return TRUE;
    if (strcmp (reason, "notaccept") == 0) /* a null MX (RFC 7505) refuses for good */
        return (r->reply_code >= 500 && r->reply_code < 600) ||
               (r->status != NULL && r->status[0] == '5') ||
               (r->reply_code == 0 && r->status == NULL);
    return FALSE;
}

/* run_classify - each recipient without a reason gets the one of the first classify rule that
 * matches it (priority, then file order) */
static void
run_classify (Run *run, const GPtrArray *rules)
{
    MdAnalysis *a = run->analysis;
    for (guint i = 0; i < a->bounce->recipients->len; i++) {
        MdRecipient *r = g_ptr_array_index (a->bounce->recipients, i);
        if (r->reason != NULL) /* an auto-reply or a feedback report came with one */
            continue;
        MdSubject subject = { MD_SCOPE_RECIPIENT, i };
        for (guint k = 0; k < rules->len; k++) {
            const MdRule *rule = g_ptr_array_index (rules, k);
            if (!matches (run, rule, &subject))
                continue;
            r->reason = md_analysis_intern (a, rule->reason, -1);
            r->hard = rule->hard >= 0 ? rule->hard : default_hard (r, rule->reason);
            r->rule = md_analysis_intern (a, rule->id, -1);
            if (run->explain)
                emit (run, rule, &subject);
            traced (run, rule);
            break;
        }
    }
}

void
md_rules_run (const MdRuleSet *set, MdStage stage, MdAnalysis *analysis, gboolean explain)
{
    md_rules_run_traced (set, stage, analysis, explain, NULL, NULL);
}

void
md_rules_run_traced (const MdRuleSet *set, MdStage stage, MdAnalysis *analysis, gboolean explain,
                     MdRuleTrace trace, gpointer data)
{
    g_return_if_fail (set != NULL && analysis != NULL);
    g_return_if_fail ((guint) stage < G_N_ELEMENTS (set->index));
    guint n_recipients = analysis->bounce != NULL ? analysis->bounce->recipients->len : 0;
    const GPtrArray *message_rules = set->index[stage][MD_SCOPE_MESSAGE];
    const GPtrArray *hop_rules = set->index[stage][MD_SCOPE_HOP];
    const GPtrArray *recipient_rules = set->index[stage][MD_SCOPE_RECIPIENT];
    const GPtrArray *spam_rules = set->index[stage][MD_SCOPE_SPAM];
    guint n_spam = analysis->spam->len; /* diagnosis adds no verdict */
    if (message_rules->len == 0 && (hop_rules->len == 0 || analysis->hops->len == 0) &&
        (recipient_rules->len == 0 || n_recipients == 0) && (spam_rules->len == 0 || n_spam == 0))
        return;
    Run run;
    run_init (&run, set, analysis, explain);
    run.trace = trace;
    run.trace_data = data;
    switch (stage) {
    case MD_STAGE_EXTRACT:
        run_extract (&run, message_rules); /* rules.c allows extract rules message scope only */
        break;
    case MD_STAGE_CLASSIFY:
        if (n_recipients > 0)
            run_classify (&run, recipient_rules); /* and classify rules recipient scope only */
        break;
    case MD_STAGE_DIAGNOSE: {
        MdSubject subject = { MD_SCOPE_MESSAGE, 0 };
        run_rules (&run, message_rules, &subject);
        for (guint i = 0; hop_rules->len > 0 && i < analysis->hops->len; i++) {
            subject = (MdSubject){ MD_SCOPE_HOP, i };
            run_rules (&run, hop_rules, &subject);
        }
        /* the count again: a bounce's recipients do not change during diagnosis */
        for (guint i = 0; recipient_rules->len > 0 && i < n_recipients; i++) {
            subject = (MdSubject){ MD_SCOPE_RECIPIENT, i };
            run_rules (&run, recipient_rules, &subject);
        }
        for (guint i = 0; spam_rules->len > 0 && i < n_spam; i++) {
            subject = (MdSubject){ MD_SCOPE_SPAM, i };
            run_rules (&run, spam_rules, &subject);
        }
        break;
    }
    }
    run_clear (&run);
}

void
md_rules_extract_spam (const MdRuleSet *set, MdAnalysis *analysis)
{
    g_return_if_fail (set != NULL && analysis != NULL);
    const GPtrArray *rules = set->index[MD_STAGE_EXTRACT][MD_SCOPE_MESSAGE];
    if (rules->len == 0)
        return;
    Run run;
    run_init (&run, set, analysis, FALSE);
    run_spam (&run, rules);
    run_clear (&run);
}
