/* test-rule-cases.c - every shipped rule against its own cases (STYLE §9): the files
 * tests/rules/NN-name.cases give each rule of rules/ at least one input on which it decides (hit)
 * and a near miss on which it must not (miss); a rule without both fails the coverage check, so a
 * new rule comes with its cases. The case format is described in tests/rules/README.md. The model
 * is built by hand from the case's fields (the parsers are tested elsewhere), the real rules
 * directory is loaded, and the stage of the rule is run: extract (was the rule among those that
 * matched? a spam-verdict rule: which verdict did it give?), classify (did it decide the case's
 * recipient?) or diagnose (after classify: did it give a finding?). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <maildiag/maildiag.h>

#include "alignment.h"
#include "authres.h"
#include "rules.h"

#if __has_include("config.h")
#include "config.h" /* MD_SOURCE_RULES_DIR, from meson */
#endif
#ifndef MD_SOURCE_RULES_DIR
#error "MD_SOURCE_RULES_DIR: config.h or -DMD_SOURCE_RULES_DIR='\"/path/to/rules\"'"
#endif

/* ---- the case files ---- */

typedef struct {
    char *key, *value;
    guint line;
} Field;

typedef struct {
    char *id;   /* "rule/label" */
    char *rule; /* the rule id */
    gboolean hit;
    gboolean dead; /* "dead…": the rule cannot fire; run as a miss, stands in for its hit case */
    char *file;    /* base name, for messages */
    guint line;
    GPtrArray *fields; /* Field *, file order */
} Case;

/* Keys a case may give; "header:<Name>" and also-recipient may repeat. */
static const char *const input_keys[] = {
    "kind",   "human-text", "report-type",    "format",     "hops",         "recipient",
    "status", "reply",      "action",         "diagnostic", "smtp-command", "remote-mta",
    "reason", "hard",       "also-recipient", "because",
    "body.alternative-parts", "body.plain-html", "body.charset-mismatch", "body.html-text",
    "body.html-images", "date-skew",
};
static const char *const expect_keys[] = {
    "expect-count",   "expect-recipient",  "expect-status",     "expect-reply",
    "expect-action",  "expect-diagnostic", "expect-remote-mta", "expect-smtp-command",
    "expect-kind",    "expect-format",     "expect-hard",       "expect-title",
    "expect-subject", "expect-spam",       "expect-tests",      "expect-detail",
};

static void
field_free (gpointer data)
{
    Field *f = data;
    g_free (f->key);
    g_free (f->value);
    g_free (f);
}

static void
case_free (gpointer data)
{
    Case *c = data;
    g_free (c->id);
    g_free (c->rule);
    g_free (c->file);
    g_ptr_array_unref (c->fields);
    g_free (c);
}

static const char *
get (const Case *c, const char *key)
{
    for (guint i = 0; i < c->fields->len; i++) {
        const Field *f = g_ptr_array_index (c->fields, i);
        if (strcmp (f->key, key) == 0)
            return f->value;
    }
    return NULL;
}

static gboolean
known_key (const char *key)
{
    if (g_str_has_prefix (key, "header:") && key[7] != '\0')
        return TRUE;
    for (guint i = 0; i < G_N_ELEMENTS (input_keys); i++)
        if (strcmp (key, input_keys[i]) == 0)
            return TRUE;
    for (guint i = 0; i < G_N_ELEMENTS (expect_keys); i++)
        if (strcmp (key, expect_keys[i]) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
repeatable (const char *key)
{
    return g_str_has_prefix (key, "header:") || strcmp (key, "also-recipient") == 0 ||
           strcmp (key, "expect-detail") == 0;
}

/* heredoc - TRUE for a value "<<WORD", WORD in capitals and digits: the text follows. Any other
 * value is taken as written, "<<< 550 …" too. */
static gboolean
heredoc (const char *value)
{
    if (!g_str_has_prefix (value, "<<") || !g_ascii_isupper (value[2]))
        return FALSE;
    for (const char *p = value + 2; *p != '\0'; p++)
        if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p) && *p != '_')
            return FALSE;
    return TRUE;
}

static void G_GNUC_PRINTF (2, 3) add_error (GString *errors, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    g_string_append_vprintf (errors, format, args);
    va_end (args);
    g_string_append_c (errors, '\n');
}

/* parse_cases - appends the cases of @text (file @name) to @cases; syntax errors, naming
 * file:line, to @errors */
static void
parse_cases (const char *name, const char *text, GPtrArray *cases, GString *errors)
{
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    Case *current = NULL;
    for (guint i = 0; lines[i] != NULL; i++) {
        guint line = i + 1;
        char *l = lines[i];
        gsize n = strlen (l);
        if (n > 0 && l[n - 1] == '\r')
            l[--n] = '\0';
        const char *p = l;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (*p == '[') {
            const char *close = strchr (p, ']');
            const char *slash = strchr (p, '/');
            current = NULL;
            if (close == NULL || close[1] != '\0' || slash == NULL || slash > close) {
                add_error (errors, "%s:%u: expected [rule-id/hit…] or [rule-id/miss…]", name, line);
                continue;
            }
            current = g_new0 (Case, 1);
            current->id = g_strndup (p + 1, (gsize) (close - p - 1));
            current->rule = g_strndup (p + 1, (gsize) (slash - p - 1));
            if (g_str_has_prefix (slash + 1, "hit"))
                current->hit = TRUE;
            else if (g_str_has_prefix (slash + 1, "dead"))
                current->dead = TRUE;
            else if (!g_str_has_prefix (slash + 1, "miss"))
                add_error (errors, "%s:%u: the label of [%s] must start with hit, miss or dead",
                           name, line, current->id);
            current->file = g_strdup (name);
            current->line = line;
            current->fields = g_ptr_array_new_with_free_func (field_free);
            for (guint k = 0; k < cases->len; k++)
                if (strcmp (((Case *) g_ptr_array_index (cases, k))->id, current->id) == 0)
                    add_error (errors, "%s:%u: case [%s] is defined twice", name, line,
                               current->id);
            g_ptr_array_add (cases, current);
            continue;
        }
        const char *eq = strchr (p, '=');
        if (eq == NULL) {
            add_error (errors, "%s:%u: expected key = value", name, line);
            continue;
        }
        g_autofree char *key = g_strstrip (g_strndup (p, (gsize) (eq - p)));
        g_autofree char *value = g_strstrip (g_strdup (eq + 1));
        if (heredoc (value)) { /* "<<WORD": the lines up to WORD, verbatim */
            const char *word = value + 2;
            GString *body = g_string_new (NULL);
            guint start = line;
            for (i++; lines[i] != NULL; i++) {
                char *t = lines[i];
                gsize tn = strlen (t);
                if (tn > 0 && t[tn - 1] == '\r')
                    t[--tn] = '\0';
                if (strcmp (t, word) == 0)
                    break;
                g_string_append (body, t);
                g_string_append_c (body, '\n');
            }
            if (lines[i] == NULL) {
                add_error (errors, "%s:%u: no line '%s' ends the text begun here", name, start,
                           word);
                g_string_free (body, TRUE);
                return; /* the text ran to the end of the file */
            }
            g_free (value);
            value = g_string_free (body, FALSE);
        }
        if (current == NULL) {
            add_error (errors, "%s:%u: key = value outside a [case]", name, line);
            continue;
        }
        if (!known_key (key)) {
            add_error (errors, "%s:%u: unknown key '%s'", name, line, key);
            continue;
        }
        if (!repeatable (key) && get (current, key) != NULL)
            add_error (errors, "%s:%u: key '%s' given twice in [%s]", name, line, key, current->id);
        if (*value == '\0')
            add_error (errors, "%s:%u: empty value for '%s'", name, line, key);
        Field *f = g_new0 (Field, 1);
        f->key = g_steal_pointer (&key);
        f->value = g_steal_pointer (&value);
        f->line = line;
        g_ptr_array_add (current->fields, f);
    }
}

static char *
cases_dir (void)
{
    g_autofree char *root = g_path_get_dirname (MD_SOURCE_RULES_DIR);
    return g_build_filename (root, "tests", "rules", NULL);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GPtrArray *
load_cases (GString *errors)
{
    GPtrArray *cases = g_ptr_array_new_with_free_func (case_free);
    g_autofree char *dir = cases_dir ();
    g_autoptr (GError) error = NULL;
    g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
    if (d == NULL) {
        add_error (errors, "%s", error->message);
        return cases;
    }
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    for (const char *n; (n = g_dir_read_name (d)) != NULL;)
        if (g_str_has_suffix (n, ".cases"))
            g_ptr_array_add (names, g_strdup (n));
    g_ptr_array_sort (names, compare_names); /* lexical order: messages in file order */
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index (names, i);
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autofree char *text = NULL;
        g_clear_error (&error);
        if (g_file_get_contents (path, &text, NULL, &error))
            parse_cases (name, text, cases, errors);
        else
            add_error (errors, "%s", error->message);
    }
    for (guint i = 0; i < cases->len; i++) {
        const Case *c = g_ptr_array_index (cases, i);
        for (guint k = 0; !c->hit && k < c->fields->len; k++) {
            const Field *f = g_ptr_array_index (c->fields, k);
            if (g_str_has_prefix (f->key, "expect-"))
                add_error (errors, "%s:%u: '%s' in [%s]: expectations are for hit cases", c->file,
                           f->line, f->key, c->id);
        }
        if (c->dead != (get (c, "because") != NULL))
            add_error (errors,
                       "%s:%u: [%s]: 'because' (why the rule cannot fire) goes with a dead "
                       "case, and only there",
                       c->file, c->line, c->id);
    }
    if (cases->len == 0)
        add_error (errors, "no .cases files in %s", dir);
    return cases;
}

/* ---- the rules ---- */

typedef struct {
    char *id;
    MdStage stage;
    char *format;
    char *spam_filter; /* a spam-verdict extract rule's filter, or NULL */
    guint hits, misses;
} RuleEntry;

static void
rule_entry_free (gpointer data)
{
    RuleEntry *e = data;
    g_free (e->id);
    g_free (e->format);
    g_free (e->spam_filter);
    g_free (e);
}

static void
collect_rule (const MdRuleInfo *info, gpointer data)
{
    RuleEntry *e = g_new0 (RuleEntry, 1);
    e->id = g_strdup (info->id);
    e->stage = info->stage;
    e->format = g_strdup (info->format);
    e->spam_filter = g_strdup (info->spam_filter);
    g_ptr_array_add (data, e);
}

typedef struct {
    MdRuleSet *set;
    GPtrArray *rules;  /* RuleEntry *, load order */
    GHashTable *by_id; /* id → RuleEntry * */
    GPtrArray *cases;  /* Case * */
    GString *errors;   /* the case files' syntax errors */
} Fixture;

static int
setup (void **state)
{
    Fixture *fx = g_new0 (Fixture, 1);
    fx->set = md_rules_new ();
    g_autoptr (GError) error = NULL;
    if (!md_rules_load_dir (fx->set, MD_SOURCE_RULES_DIR, FALSE, &error)) {
        print_error ("%s\n", error->message);
        return -1;
    }
    fx->rules = g_ptr_array_new_with_free_func (rule_entry_free);
    md_rules_foreach (fx->set, collect_rule, fx->rules);
    fx->by_id = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint i = 0; i < fx->rules->len; i++) {
        RuleEntry *e = g_ptr_array_index (fx->rules, i);
        g_hash_table_insert (fx->by_id, e->id, e);
    }
    fx->errors = g_string_new (NULL);
    fx->cases = load_cases (fx->errors);
    *state = fx;
    return 0;
}

static int
teardown (void **state)
{
    Fixture *fx = *state;
    g_ptr_array_unref (fx->cases);
    g_string_free (fx->errors, TRUE);
    g_hash_table_unref (fx->by_id);
    g_ptr_array_unref (fx->rules);
    md_rules_free (fx->set);
    g_free (fx);
    return 0;
}

/* ---- building the model ---- */

static void
add_header (MdAnalysis *a, const char *name, const char *value)
{
    MdHeader *h = g_new0 (MdHeader, 1);
    h->name = md_analysis_intern (a, name, -1);
    h->value = md_analysis_intern (a, value, -1);
    g_ptr_array_add (a->headers, h);
}

/* add_from - the address of a From value ("Name <a@example.org>", "a@example.org (Name)") as the
 * message's sender, as message.c would record it; none for "MAILER-DAEMON" */
static void
add_from (MdAnalysis *a, const char *value)
{
    const char *lt = strrchr (value, '<'), *gt = lt != NULL ? strchr (lt, '>') : NULL;
    g_autofree char *address = NULL;
    if (lt != NULL && gt != NULL)
        address = g_strndup (lt + 1, (gsize) (gt - lt - 1));
    else
        address = g_strndup (value, strcspn (value, " \t"));
    if (strchr (address, '@') == NULL)
        g_clear_pointer (&address, g_free);
    MdAddress *from = g_new0 (MdAddress, 1);
    from->address = address != NULL ? md_analysis_intern (a, address, -1) : NULL;
    g_ptr_array_add (a->message.from, from);
}

static gboolean
parse_kind (const char *text, MdKind *kind)
{
    for (MdKind k = MD_KIND_MESSAGE; k <= MD_KIND_AUTO_REPLY; k++)
        if (strcmp (text, md_kind_to_string (k)) == 0) {
            *kind = k;
            return TRUE;
        }
    return FALSE;
}

/* add_hops - "hops = -, 5, 1805": one hop per item, oldest first, each with its delay in seconds
 * against the previous one ("-": undated), and a Received field per hop; totals as received.c
 * computes them */
static void
add_hops (MdAnalysis *a, const char *spec)
{
    g_auto (GStrv) items = g_strsplit (spec, ",", -1);
    guint n = g_strv_length (items);
    for (guint i = n; i > 0; i--) { /* topmost (newest) first */
        g_autofree char *text =
            g_strdup_printf ("from relay%u.example.net by mx%u.example.org", i, i);
        add_header (a, "Received", text);
    }
    gint64 total = 0, max = G_MININT64;
    for (guint i = 0; i < n; i++) {
        const char *item = g_strstrip (items[i]);
        MdHop *hop = g_new0 (MdHop, 1);
        hop->index = i + 1;
        hop->position = n - 1 - i;
        g_autofree char *by = g_strdup_printf ("mx%u.example.org", i + 1);
        g_autofree char *rdns = g_strdup_printf ("relay%u.example.net", i + 1);
        g_autofree char *ip = g_strdup_printf ("192.0.2.%u", i + 1);
        hop->by = md_analysis_intern (a, by, -1);
        hop->from_rdns = md_analysis_intern (a, rdns, -1);
        hop->from_ip = md_analysis_intern (a, ip, -1);
        hop->with = md_analysis_intern (a, "ESMTP", -1);
        hop->parse_ok = TRUE;
        if (strcmp (item, "-") != 0) {
            hop->has_delay = TRUE;
            hop->delay_s = g_ascii_strtoll (item, NULL, 10);
            total += hop->delay_s;
            a->delivery.has_total = TRUE;
            if (hop->delay_s > max) {
                max = hop->delay_s;
                a->delivery.has_max = TRUE;
                a->delivery.slowest_hop = hop->index;
            }
            a->delivery.clock_skew |= hop->delay_s < 0;
        }
        g_ptr_array_add (a->hops, hop);
    }
    a->delivery.hop_count = n;
    a->delivery.total_delay_s = total;
    a->delivery.max_hop_delay_s = a->delivery.has_max ? max : 0;
}

static const char *const recipient_keys[] = {
    "recipient",    "status",     "reply",  "action", "diagnostic",
    "smtp-command", "remote-mta", "reason", "hard",
};

/* build - the analysis a case describes, or NULL for an unknown kind; its one recipient (NULL
 * when it gives none) in *first */
static MdAnalysis *
build (const Case *c, MdStage stage, MdRecipient **first)
{
    MdAnalysis *a = md_analysis_new ();
    /* before extraction a bounce is still a message (bounce.c names the kind after it) */
    a->kind = stage == MD_STAGE_EXTRACT ? MD_KIND_MESSAGE : MD_KIND_BOUNCE;
    const char *v;
    if ((v = get (c, "kind")) != NULL && !parse_kind (v, &a->kind)) {
        md_analysis_free (a);
        return NULL;
    }
    if ((v = get (c, "hops")) != NULL)
        add_hops (a, v);
    for (guint i = 0; i < c->fields->len; i++) {
        const Field *f = g_ptr_array_index (c->fields, i);
        if (!g_str_has_prefix (f->key, "header:"))
            continue;
        add_header (a, f->key + 7, f->value);
        if (g_ascii_strcasecmp (f->key + 7, "From") == 0)
            add_from (a, f->value);
    }
    if ((v = get (c, "human-text")) != NULL) {
        a->body.human_text = md_analysis_intern_text (a, v, -1);
        a->body.human_text_len = strlen (a->body.human_text);
    }
    if ((v = get (c, "report-type")) != NULL)
        a->body.report_type = md_analysis_intern (a, v, -1);
    /* body facts message.c records for the message checks */
    if ((v = get (c, "body.alternative-parts")) != NULL)
        a->body.alternative_parts = (int) g_ascii_strtoll (v, NULL, 10);
    if ((v = get (c, "body.plain-html")) != NULL)
        a->body.plain_has_html = g_ascii_strtoll (v, NULL, 10) != 0;
    if ((v = get (c, "body.charset-mismatch")) != NULL)
        a->body.charset_mismatch = g_ascii_strtoll (v, NULL, 10) != 0;
    if ((v = get (c, "body.html-text")) != NULL)
        a->body.html_text_chars = (int) g_ascii_strtoll (v, NULL, 10);
    if ((v = get (c, "body.html-images")) != NULL)
        a->body.html_images = (int) g_ascii_strtoll (v, NULL, 10);
    /* date-skew = SECONDS: a Date field and a first hop that many seconds after it */
    if ((v = get (c, "date-skew")) != NULL) {
        const gint64 base = 1793700000; /* 3 Nov 2026 */
        a->message.date = (MdDate){ "Tue, 3 Nov 2026 10:00:00 +0000", base, 0, TRUE, TRUE };
        if (a->hops->len == 0)
            add_hops (a, "-");
        MdHop *oldest = g_ptr_array_index (a->hops, 0);
        oldest->date = (MdDate){ "first hop", base + g_ascii_strtoll (v, NULL, 10), 0, TRUE, TRUE };
    }
    if ((v = get (c, "format")) != NULL)
        md_analysis_ensure_bounce (a)->format = md_analysis_intern (a, v, -1);
    *first = NULL;
    gboolean any = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (recipient_keys); i++)
        any |= get (c, recipient_keys[i]) != NULL;
    if (any) {
        md_analysis_ensure_bounce (a);
        MdRecipient *r = md_bounce_add_recipient (a);
        v = get (c, "recipient");
        r->recipient = md_analysis_intern (a, v != NULL ? v : "user@example.org", -1);
        v = get (c, "action"); /* "-": none */
        if (v == NULL || strcmp (v, "-") != 0)
            r->action = md_analysis_intern (a, v != NULL ? v : "failed", -1);
        if ((v = get (c, "status")) != NULL) {
            r->status = md_analysis_intern (a, v, -1);
            r->status_source = "dsn";
        }
        if ((v = get (c, "reply")) != NULL)
            r->reply_code = (int) g_ascii_strtoll (v, NULL, 10);
        if ((v = get (c, "diagnostic")) != NULL)
            r->diagnostic = md_analysis_intern (a, v, -1);
        if ((v = get (c, "smtp-command")) != NULL)
            r->smtp_command = md_analysis_intern (a, v, -1);
        if ((v = get (c, "remote-mta")) != NULL)
            r->remote_mta = md_analysis_intern (a, v, -1);
        if ((v = get (c, "reason")) != NULL)
            r->reason = md_analysis_intern (a, v, -1);
        if ((v = get (c, "hard")) != NULL)
            r->hard = strcmp (v, "true") == 0;
        *first = r;
    }
    for (guint i = 0; i < c->fields->len; i++) {
        const Field *f = g_ptr_array_index (c->fields, i);
        if (strcmp (f->key, "also-recipient") != 0)
            continue;
        md_analysis_ensure_bounce (a);
        MdRecipient *r = md_bounce_add_recipient (a);
        r->recipient = md_analysis_intern (a, f->value, -1);
        r->action = md_analysis_intern (a, "failed", -1);
    }
    return a;
}

/* ---- running a case ---- */

static void
trace_rule (const char *id, gpointer data)
{
    g_hash_table_add (data, g_strdup (id));
}

static const MdFinding *
finding_of (const MdAnalysis *a, const char *rule)
{
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (strcmp (f->rule, rule) == 0)
            return f;
    }
    return NULL;
}

/* what decided instead: the rules that matched, for a failure message */
static char *
matched_list (GHashTable *matched)
{
    g_autofree const char **ids = (const char **) g_hash_table_get_keys_as_array (matched, NULL);
    guint n = g_strv_length ((char **) ids);
    qsort (ids, n, sizeof *ids, compare_names);
    if (n == 0)
        return g_strdup ("no rule");
    return g_strjoinv (", ", (char **) ids);
}

/* check_text - @got against @want from the case's @key (exact, or a substring for
 * expect-diagnostic and expect-title); a message in @errors when they differ */
static void
check_text (GString *errors, const Case *c, const char *key, const char *got)
{
    const char *want = get (c, key);
    if (want == NULL)
        return;
    gboolean substring =
        strcmp (key, "expect-diagnostic") == 0 || strcmp (key, "expect-title") == 0;
    if (got != NULL && (substring ? strstr (got, want) != NULL : strcmp (got, want) == 0))
        return;
    g_string_append_printf (errors, "%s%s '%s'", errors->len > 0 ? "; " : "", key + 7,
                            got != NULL ? got : "(none)");
}

static void
check_number (GString *errors, const Case *c, const char *key, long got)
{
    const char *want = get (c, key);
    if (want == NULL || g_ascii_strtoll (want, NULL, 10) == got)
        return;
    g_string_append_printf (errors, "%s%s %ld", errors->len > 0 ? "; " : "", key + 7, got);
}

/* spam_of - the first verdict of @filter, or NULL */
static const MdSpamVerdict *
spam_of (const MdAnalysis *a, const char *filter)
{
    for (guint i = 0; i < a->spam->len; i++) {
        const MdSpamVerdict *v = g_ptr_array_index (a->spam, i);
        if (g_strcmp0 (v->filter, filter) == 0)
            return v;
    }
    return NULL;
}

static void
append_optional_number (GString *out, gboolean has, double number)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf (out, " %s",
                            has ? g_ascii_formatd (buf, sizeof buf, "%.15g", number) : "-");
}

/* check_spam - a spam-verdict rule's hit: its filter has a verdict; expect-spam = "FILTER
 * VERDICT SCORE THRESHOLD" ("-" for a missing number, trailing ones may be left out),
 * expect-tests = "A,B" (all of them, in order), expect-detail = "NAME=VALUE" (repeatable) */
static void
check_spam (GString *errors, const Case *c, const MdAnalysis *a, const char *filter)
{
    const MdSpamVerdict *v = spam_of (a, filter);
    if (v == NULL) {
        g_string_append_printf (errors, "%sno verdict of %s", errors->len > 0 ? "; " : "", filter);
        return;
    }
    g_autoptr (GString) got = g_string_new (NULL);
    g_string_append_printf (got, "%s %s", v->filter, v->verdict);
    append_optional_number (got, v->has_score, v->score);
    append_optional_number (got, v->has_threshold, v->threshold);
    const char *want = get (c, "expect-spam");
    if (want != NULL) {
        g_auto (GStrv) w = g_strsplit_set (want, " ", -1);
        g_auto (GStrv) g = g_strsplit_set (got->str, " ", -1);
        gboolean same = g_strv_length (w) <= g_strv_length (g);
        for (guint i = 0; same && w[i] != NULL; i++)
            same = i < 2 || strcmp (w[i], "-") == 0 || strcmp (g[i], "-") == 0
                       ? strcmp (w[i], g[i]) == 0
                       : g_ascii_strtod (w[i], NULL) == g_ascii_strtod (g[i], NULL);
        if (!same)
            g_string_append_printf (errors, "%sspam '%s'", errors->len > 0 ? "; " : "", got->str);
    }
    g_autoptr (GString) tests = g_string_new (NULL);
    for (guint i = 0; i < v->tests->len; i++)
        g_string_append_printf (tests, "%s%s", i > 0 ? "," : "",
                                (const char *) g_ptr_array_index (v->tests, i));
    check_text (errors, c, "expect-tests", tests->len > 0 ? tests->str : NULL);
    for (guint i = 0; i < c->fields->len; i++) {
        const Field *f = g_ptr_array_index (c->fields, i);
        if (strcmp (f->key, "expect-detail") != 0)
            continue;
        gboolean found = FALSE;
        for (guint k = 0; !found && k < v->details->len; k++) {
            const MdPair *p = g_ptr_array_index (v->details, k);
            g_autofree char *pair = g_strdup_printf ("%s=%s", p->name, p->value);
            found = strcmp (pair, f->value) == 0;
        }
        if (!found)
            g_string_append_printf (errors, "%sno detail %s", errors->len > 0 ? "; " : "",
                                    f->value);
    }
}

/* run_case - the case's verdict: NULL when it holds, else what was got instead (transfer full) */
static char *
run_case (const Fixture *fx, const Case *c, const RuleEntry *rule)
{
    MdRecipient *r = NULL;
    g_autoptr (MdAnalysis) a = build (c, rule->stage, &r);
    if (a == NULL)
        return g_strdup_printf ("an unknown kind '%s'", get (c, "kind"));
    g_autoptr (GHashTable) matched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr (GString) errors = g_string_new (NULL);
    switch (rule->stage) {
    case MD_STAGE_EXTRACT: {
        gboolean had = a->bounce != NULL && a->bounce->recipients->len > 0;
        md_rules_run_traced (fx->set, MD_STAGE_EXTRACT, a, FALSE, trace_rule, matched);
        gboolean fired = g_hash_table_contains (matched, rule->id);
        if (fired != c->hit) {
            g_autofree char *list = matched_list (matched);
            return g_strdup_printf ("%s (matched: %s)", fired ? "fired" : "did not fire", list);
        }
        if (!c->hit)
            return NULL;
        if (rule->spam_filter != NULL) {
            check_spam (errors, c, a, rule->spam_filter);
            break;
        }
        guint n = a->bounce != NULL ? a->bounce->recipients->len : 0;
        const MdRecipient *first = n > 0 ? g_ptr_array_index (a->bounce->recipients, 0) : NULL;
        /* a rule that names a format creates recipients: the format says who read the bounce */
        if (rule->format != NULL && get (c, "format") == NULL && !had &&
            (n == 0 || g_strcmp0 (a->bounce->format, rule->format) != 0))
            g_string_append_printf (errors, "format %s with %u recipients",
                                    a->bounce != NULL ? a->bounce->format : "(none)", n);
        check_number (errors, c, "expect-count", n);
        check_text (errors, c, "expect-format", a->bounce != NULL ? a->bounce->format : NULL);
        check_text (errors, c, "expect-kind", md_kind_to_string (a->kind));
        check_text (errors, c, "expect-recipient", first ? first->recipient : NULL);
        check_text (errors, c, "expect-status", first ? first->status : NULL);
        check_number (errors, c, "expect-reply", first ? first->reply_code : 0);
        check_text (errors, c, "expect-action", first ? first->action : NULL);
        check_text (errors, c, "expect-diagnostic", first ? first->diagnostic : NULL);
        check_text (errors, c, "expect-remote-mta", first ? first->remote_mta : NULL);
        check_text (errors, c, "expect-smtp-command", first ? first->smtp_command : NULL);
        break;
    }
    case MD_STAGE_CLASSIFY: {
        if (r == NULL)
            return g_strdup ("a classify case needs a recipient");
        md_rules_run_traced (fx->set, MD_STAGE_CLASSIFY, a, FALSE, trace_rule, matched);
        gboolean fired = g_strcmp0 (r->rule, rule->id) == 0;
        if (fired != c->hit)
            return g_strdup_printf ("%s (%s)", r->rule != NULL ? r->rule : "no rule",
                                    r->reason != NULL ? r->reason : "no reason");
        if (c->hit && !g_hash_table_contains (matched, rule->id))
            g_string_append (errors, "no trace of the rule that decided");
        if (c->hit)
            check_text (errors, c, "expect-hard", r->hard ? "true" : "false");
        break;
    }
    case MD_STAGE_DIAGNOSE: {
        md_rules_extract_spam (fx->set, a); /* the verdicts of the case's headers */
        md_authres_extract (a, NULL);        /* and their authentication results */
        md_alignment_compute (a);
        md_rules_run (fx->set, MD_STAGE_CLASSIFY, a, FALSE);
        md_rules_run_traced (fx->set, MD_STAGE_DIAGNOSE, a, FALSE, trace_rule, matched);
        const MdFinding *f = finding_of (a, rule->id);
        if ((f != NULL) != c->hit || g_hash_table_contains (matched, rule->id) != c->hit) {
            g_autoptr (GString) got = g_string_new (NULL);
            for (guint i = 0; i < a->findings->len; i++)
                g_string_append_printf (
                    got, "%s%s", i > 0 ? ", " : "",
                    ((const MdFinding *) g_ptr_array_index (a->findings, i))->rule);
            return g_strdup_printf ("%s (findings: %s; reason %s)",
                                    f != NULL ? "fired" : "did not fire",
                                    got->len > 0 ? got->str : "none",
                                    r != NULL && r->reason != NULL ? r->reason : "none");
        }
        if (f == NULL)
            break;
        check_text (errors, c, "expect-title", f->title);
        check_text (errors, c, "expect-subject", f->subject);
        /* every placeholder the rule uses has a value in a real case */
        if (strstr (f->title, "(unknown)") != NULL ||
            (f->advice != NULL && strstr (f->advice, "(unknown)") != NULL))
            g_string_append_printf (errors, "%stitle or advice with (unknown): '%s'",
                                    errors->len > 0 ? "; " : "", f->title);
        break;
    }
    }
    return errors->len > 0 ? g_strdup (errors->str) : NULL;
}

/* The case files read without an error. */
static void
case_files_parse (void **state)
{
    Fixture *fx = *state;
    if (fx->errors->len > 0) {
        print_error ("%s", fx->errors->str);
        fail_msg ("the case files in tests/rules have errors");
    }
}

/* Every case: the rule it names decides on a hit case and not on a miss case. */
static void
cases_hit_and_miss (void **state)
{
    Fixture *fx = *state;
    guint failed = 0;
    for (guint i = 0; i < fx->cases->len; i++) {
        const Case *c = g_ptr_array_index (fx->cases, i);
        const RuleEntry *rule = g_hash_table_lookup (fx->by_id, c->rule);
        g_autofree char *got =
            rule != NULL ? run_case (fx, c, rule) : g_strdup ("no such rule (or it is disabled)");
        if (got != NULL) {
            print_error ("case %s: got %s (%s:%u)\n", c->id, got, c->file, c->line);
            failed++;
        }
    }
    if (failed > 0)
        fail_msg ("%u of %u cases failed", failed, fx->cases->len);
    print_message ("# %u cases for %u rules\n", fx->cases->len, fx->rules->len);
}

/* Every enabled rule has a case that fires and one that must not: a new rule brings its cases. */
static void
every_rule_has_cases (void **state)
{
    Fixture *fx = *state;
    for (guint i = 0; i < fx->rules->len; i++) {
        RuleEntry *e = g_ptr_array_index (fx->rules, i);
        e->hits = e->misses = 0;
    }
    for (guint i = 0; i < fx->cases->len; i++) {
        const Case *c = g_ptr_array_index (fx->cases, i);
        RuleEntry *e = g_hash_table_lookup (fx->by_id, c->rule);
        if (e != NULL && c->hit)
            e->hits++;
        else if (e != NULL && !c->dead)
            e->misses++;
    }
    for (guint i = 0; i < fx->cases->len; i++) { /* a dead rule needs no hit case: say so */
        const Case *c = g_ptr_array_index (fx->cases, i);
        RuleEntry *e = g_hash_table_lookup (fx->by_id, c->rule);
        if (e != NULL && c->dead) {
            print_message ("# rule %s cannot fire: %s\n", c->rule, get (c, "because"));
            e->hits++;
        }
    }
    guint missing = 0;
    for (guint i = 0; i < fx->rules->len; i++) {
        const RuleEntry *e = g_ptr_array_index (fx->rules, i);
        if (e->hits > 0 && e->misses > 0)
            continue;
        print_error ("rule %s: %s\n", e->id,
                     e->hits == 0 && e->misses == 0 ? "no cases"
                     : e->hits == 0                 ? "no hit case"
                                                    : "no miss case");
        missing++;
    }
    if (missing > 0)
        fail_msg ("%u of %u rules lack a hit or a miss case in tests/rules", missing,
                  fx->rules->len);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (case_files_parse),
        cmocka_unit_test (cases_hit_and_miss),
        cmocka_unit_test (every_rule_has_cases),
    };
    return cmocka_run_group_tests (tests, setup, teardown);
}
