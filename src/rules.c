/* rules.c - loads and validates rule files (DESIGN §4): GKeyFile reads the values, and a scan of
 * the raw text supplies what GKeyFile hides: line numbers, repeated groups (merged silently) and
 * repeated keys (last one kept). Every error names file:line. Running the rules is rules-run.c. */

/* Syntax decisions beyond DESIGN §4, documented for rule authors in rules/README.md:
 * - Selector keys are written as DESIGN names them: "header:X-Greylist = …". GKeyFile accepts ':'
 *   and '.' in key names (it refuses only '=', '[' and ']'), so no escaping is needed; a header
 *   name containing '[' or ']' cannot be selected (none is in use).
 * - Condition values lose trailing white space (GKeyFile keeps it; an invisible space at the end
 *   of a pattern is always a mistake): write \x20 or [ ] for a significant one.
 * - Numeric conditions may hold several comparisons, all of which must hold: ">= 5m, < 30m".
 * - A rule id is lowercase letters, digits, '.', '-' and '_': it travels in X-Maildiag and JSON.
 * - DESIGN §4 names reason, hard, kind and action both as reserved keys and as selectors: kind and
 *   action are settings in extract rules, reason and hard in classify rules, conditions elsewhere.
 * - Extract rules add recipients, shared, format and merge; extract rules are message scope,
 *   classify rules recipient scope (implied) and need a reason.
 * - Spam-verdict rules are extract rules with spam-filter (issue #9): the named groups of a header
 *   condition fill one MdSpamVerdict; verdict, spam-if, ham-if, details and tests-split refine it,
 *   merge widens the verdict it fills from (filter, header) to the filter. scope = spam runs a
 *   diagnose rule once per verdict, like scope = hop per hop. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include <maildiag/maildiag.h>

#if __has_include("config.h")
#include "config.h" /* MD_RULES_DIR: $datadir/maildiag/rules */
#endif
#include "rules-private.h"

#ifndef MD_RULES_DIR
#define MD_RULES_DIR "/usr/local/share/maildiag/rules"
#endif
#ifndef MD_SYSCONF_RULES_DIR
#define MD_SYSCONF_RULES_DIR "/etc/maildiag/rules.d"
#endif

/* A rule file over this is a mistake (a log or an mbox dropped into the directory), not rules. */
#define MD_RULES_FILE_MAX (4u << 20)
/* Errors reported per file: enough to fix a file in one pass, not a screen of noise. */
#define MD_RULES_MAX_ERRORS 20
/* Rule ids travel in X-Maildiag (rule.id=…) and JSON: short tokens. */
#define MD_RULE_ID_MAX 100
/* Priorities beyond this are typos; the range leaves room for any ordering. */
#define MD_PRIORITY_MAX 10000

/* DESIGN §5, in its order. */
static const char *const categories[] = {
    "delay",  "rejection",     "spam",    "authentication", "policy",   "content",
    "format", "configuration", "network", "loop",           "feedback", "auto-reply",
};

/* DESIGN §5 reasons (Sisimai's names). To be replaced by src/reasons.def when status.c lands. */
static const char *const reasons[] = {
    "userunknown",     "hostunknown", "hasmoved",     "mailboxfull",     "exceedlimit",
    "mesgtoobig",      "suspend",     "filtered",     "rejected",        "blocked",
    "badreputation",   "requireptr",  "authfailure",  "spamdetected",    "virusdetected",
    "policyviolation", "norelaying",  "notaccept",    "notcompliantrfc", "securityerror",
    "failedstarttls",  "toomanyconn", "speeding",     "systemerror",     "systemfull",
    "networkerror",    "mailererror", "contenterror", "syntaxerror",     "suppressed",
    "expired",         "onhold",      "undefined",    "delivered",       "feedback",
    "vacation",
};

const char *const md_rules_groups[MD_GROUP_COUNT] = {
    "recipient", "status", "reply", "diagnostic", "remote_mta", "smtp_command", "action",
};
const char *const md_rules_spam_groups[MD_SPAM_GROUP_COUNT] = {
    "verdict",
    "score",
    "threshold",
    "tests",
};
const char *const md_rules_actions[MD_ACTION_COUNT] = {
    "failed", "delayed", "delivered", "relayed", "expanded",
};

static const char *const scope_names[] = { "message", "recipient", "hop", "spam" }; /* MdScope */
static const char *const stage_names[] = { "extract", "classify", "diagnose" }; /* MdStage order */

static int
lookup (const char *const *names, guint n, const char *text)
{
    for (guint i = 0; i < n; i++)
        if (strcmp (names[i], text) == 0)
            return (int) i;
    return -1;
}

static char *
join_names (const char *const *names, guint n)
{
    GString *s = g_string_new (NULL);
    for (guint i = 0; i < n; i++)
        g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", names[i]);
    return g_string_free (s, FALSE);
}

/* ---- errors ---- */

typedef struct {
    const char *name; /* the file, as the caller named it */
    GString *text;    /* "name:line: message" lines */
    guint count;
} Errors;

static void G_GNUC_PRINTF (4, 5)
    add_error (Errors *e, guint line, guint col, const char *format, ...)
{
    if (++e->count > MD_RULES_MAX_ERRORS)
        return;
    if (e->text->len > 0)
        g_string_append_c (e->text, '\n');
    if (line == 0)
        g_string_append_printf (e->text, "%s: ", e->name);
    else if (col == 0)
        g_string_append_printf (e->text, "%s:%u: ", e->name, line);
    else
        g_string_append_printf (e->text, "%s:%u:%u: ", e->name, line, col);
    va_list args;
    va_start (args, format);
    g_string_append_vprintf (e->text, format, args);
    va_end (args);
}

static void
finish_errors (Errors *e)
{
    if (e->count > MD_RULES_MAX_ERRORS)
        g_string_append_printf (e->text, "\n%s: %u more errors not shown", e->name,
                                e->count - MD_RULES_MAX_ERRORS);
}

/* ---- the raw scan ---- */

typedef struct {
    char *key;
    guint line;
    guint col; /* 1-based character column where the value starts */
} ScanKey;

typedef struct {
    char *name;
    guint line;
    GPtrArray *keys;       /* ScanKey *, file order */
    GHashTable *key_index; /* key → ScanKey * */
} ScanGroup;

static void
scan_key_free (gpointer data)
{
    ScanKey *k = data;
    g_free (k->key);
    g_free (k);
}

static void
scan_group_free (gpointer data)
{
    ScanGroup *g = data;
    g_free (g->name);
    g_ptr_array_unref (g->keys);
    g_hash_table_unref (g->key_index);
    g_free (g);
}

static gboolean
valid_rule_id (const char *id)
{
    gsize n = strlen (id);
    if (n == 0 || n > MD_RULE_ID_MAX || !(g_ascii_islower (id[0]) || g_ascii_isdigit (id[0])))
        return FALSE;
    for (const char *p = id; *p != '\0'; p++)
        if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '.' && *p != '-' && *p != '_')
            return FALSE;
    return TRUE;
}

/* GKeyFile's g_key_file_is_key_name (GLib 2.74): no '=', '[' or ']' except one trailing
 * "[locale]" of alphanumerics and "-_.@", no leading or trailing space. */
static gboolean
valid_key_name (const char *key)
{
    const char *q = key;
    while (*q != '\0' && *q != '=' && *q != '[' && *q != ']')
        q++;
    if (q == key || *key == ' ' || q[-1] == ' ')
        return FALSE;
    if (*q == '[') {
        for (q++; g_ascii_isalnum (*q) || *q == '-' || *q == '_' || *q == '.' || *q == '@'; q++)
            ;
        if (*q != ']')
            return FALSE;
        q++;
    }
    return *q == '\0';
}

/* scan - splits @data into groups and keys the way GKeyFile does (GLib 2.74 gkeyfile.c
 * g_key_file_parse_line: lines end at LF with one CR dropped; leading white space is skipped;
 * '#' or nothing is a comment; "[name]" then blanks is a group; otherwise the first '=' splits
 * key and value), recording line numbers and reporting what GKeyFile would merge or reject. */
static GPtrArray *
scan (const char *data, gsize len, Errors *e)
{
    g_autoptr (GPtrArray) groups = g_ptr_array_new_with_free_func (scan_group_free);
    g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
    ScanGroup *current = NULL;
    gboolean skipping = FALSE; /* inside a repeated or invalid group: its keys are not checked */
    const char *p = data, *end = data + len;
    for (guint line = 1; p < end; line++) {
        const char *nl = memchr (p, '\n', (gsize) (end - p));
        const char *eol = nl != NULL ? nl : end;
        const char *next = nl != NULL ? nl + 1 : end;
        if (eol > p && eol[-1] == '\r')
            eol--;
        const char *line_start = p, *s = p;
        p = next;
        while (s < eol && g_ascii_isspace (*s))
            s++;
        if (s == eol || *s == '#')
            continue;
        g_autofree char *text = g_strndup (s, (gsize) (eol - s));
        if (*s == '[') {
            const char *close = strchr (text, ']');
            const char *after = close != NULL ? close + 1 : NULL;
            while (after != NULL && (*after == ' ' || *after == '\t'))
                after++;
            if (close == NULL || *after != '\0') {
                add_error (e, line, 0, "malformed group line '%s'", text);
                current = NULL;
                skipping = TRUE;
                continue;
            }
            g_autofree char *name = g_strndup (text + 1, (gsize) (close - text - 1));
            ScanGroup *first = g_hash_table_lookup (by_name, name);
            if (first != NULL) {
                add_error (e, line, 0, "duplicate group [%s] (first at line %u)", name,
                           first->line);
                current = NULL;
                skipping = TRUE;
                continue;
            }
            if (!valid_rule_id (name)) {
                add_error (e, line, 0,
                           "invalid rule id [%s]: use lowercase letters, digits, '.', '-' and "
                           "'_' (at most %d)",
                           name, MD_RULE_ID_MAX);
                current = NULL;
                skipping = TRUE;
                continue;
            }
            current = g_new0 (ScanGroup, 1);
            current->name = g_steal_pointer (&name);
            current->line = line;
            current->keys = g_ptr_array_new_with_free_func (scan_key_free);
            current->key_index = g_hash_table_new (g_str_hash, g_str_equal);
            g_hash_table_insert (by_name, current->name, current);
            g_ptr_array_add (groups, current);
            skipping = FALSE;
            continue;
        }
        const char *eq = strchr (text, '=');
        if (eq == NULL || eq == text) {
            add_error (e, line, 0, "expected 'key = value', '[rule-id]' or a comment, not '%s'",
                       text);
            continue;
        }
        const char *key_end = eq;
        while (key_end > text && g_ascii_isspace (key_end[-1]))
            key_end--;
        g_autofree char *key = g_strndup (text, (gsize) (key_end - text));
        const char *value = eq + 1;
        while (g_ascii_isspace (*value))
            value++;
        if (!valid_key_name (key)) {
            add_error (e, line, 0, "invalid key name '%s'", key);
            continue;
        }
        if (skipping)
            continue;
        if (current == NULL) {
            add_error (e, line, 0, "key '%s' before the first [rule-id] group", key);
            continue;
        }
        ScanKey *first = g_hash_table_lookup (current->key_index, key);
        if (first != NULL) {
            add_error (e, line, 0, "duplicate key '%s' in [%s] (first at line %u)", key,
                       current->name, first->line);
            continue;
        }
        ScanKey *k = g_new0 (ScanKey, 1);
        k->key = g_steal_pointer (&key);
        k->line = line;
        k->col = (guint) (g_utf8_strlen (line_start, s - line_start) +
                          g_utf8_strlen (text, value - text)) +
                 1;
        g_hash_table_insert (current->key_index, k->key, k);
        g_ptr_array_add (current->keys, k);
    }
    return g_steal_pointer (&groups);
}

/* ---- building a rule from one group ---- */

static void
rule_free (MdRule *rule)
{
    if (rule == NULL)
        return;
    for (guint i = 0; i < rule->n_conds; i++)
        md_cond_clear (&rule->conds[i]);
    g_free (rule->conds);
    g_free (rule->order);
    g_free (rule->id);
    g_free (rule->file);
    g_free (rule->title);
    g_free (rule->advice);
    g_free (rule->category);
    g_free (rule->reason);
    g_free (rule->ref);
    g_free (rule->format);
    g_free (rule->action);
    md_pattern_free (rule->recipients);
    g_free (rule->recipients_in);
    md_pattern_free (rule->shared);
    g_free (rule->spam_filter);
    g_free (rule->spam_verdict);
    md_pattern_free (rule->spam_if);
    md_pattern_free (rule->ham_if);
    md_pattern_free (rule->details);
    md_pattern_free (rule->tests_split);
    g_free (rule);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdRule, rule_free)

static gboolean
parse_bool (const char *text, gboolean *out)
{
    /* GKeyFile's spellings (g_key_file_parse_value_as_boolean) */
    gboolean yes = strcmp (text, "true") == 0 || strcmp (text, "1") == 0;
    if (!yes && strcmp (text, "false") != 0 && strcmp (text, "0") != 0)
        return FALSE;
    *out = yes;
    return TRUE;
}

/* An RFC 5322 field name: printable US-ASCII except ':' (ftext, §3.6.8). */
static gboolean
valid_field_name (const char *name)
{
    if (*name == '\0')
        return FALSE;
    for (const char *p = name; *p != '\0'; p++)
        if (*p < 33 || *p > 126 || *p == ':')
            return FALSE;
    return TRUE;
}

/* auth.<method>[.<prop>]: method a lowercase token; prop dotted lowercase tokens
 * ("smtp.mailfrom", "header.d"). */
static gboolean
valid_auth_arg (const char *arg)
{
    gboolean need_char = TRUE;
    for (const char *p = arg; *p != '\0'; p++) {
        if (*p == '.') {
            if (need_char)
                return FALSE;
            need_char = TRUE;
        } else if (g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-' || *p == '_') {
            need_char = FALSE;
        } else {
            return FALSE;
        }
    }
    return !need_char;
}

/* text_key - a translatable text (title, advice[lang], ref) through GKeyFile's unescaping;
 * checks its placeholders when @template */
static char *
text_key (Errors *e, GKeyFile *kf, const char *group, const ScanKey *k, gboolean template)
{
    g_autoptr (GError) local = NULL;
    g_autofree char *text = g_key_file_get_string (kf, group, k->key, &local);
    if (text == NULL) {
        add_error (e, k->line, 0, "'%s': %s", k->key, local->message);
        return NULL;
    }
    g_autofree char *message = NULL;
    if (template && !md_rules_check_template (text, &message)) {
        add_error (e, k->line, 0, "'%s': %s", k->key, message);
        return NULL;
    }
    if (*g_strstrip (text) == '\0') {
        add_error (e, k->line, 0, "'%s' is empty", k->key);
        return NULL;
    }
    return g_steal_pointer (&text);
}

/* valid_detail_name - spam.detail:<NAME>: a detail name as filters write them ("SFV", "BCL",
 * "spamscore", "X-CustomSpam"): letters, digits, '-', '_' and '.' */
static gboolean
valid_detail_name (const char *name)
{
    if (*name == '\0')
        return FALSE;
    for (const char *p = name; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
            return FALSE;
    return TRUE;
}

/* compile - @value (a pattern as written, trailing blanks already removed) compiled, or NULL after
 * an error at the line and column PCRE2 blames */
static MdPattern *
compile (Errors *e, const ScanKey *k, const char *value)
{
    gsize offset = 0;
    g_autoptr (GError) local = NULL;
    MdPattern *pattern = md_pattern_new (value, strlen (value), &offset, &local);
    if (pattern == NULL) {
        guint col = k->col + (guint) g_utf8_strlen (value, (gssize) MIN (offset, strlen (value)));
        add_error (e, k->line, col, "bad pattern for '%s': %s at offset %" G_GSIZE_FORMAT, k->key,
                   local->message, offset);
    }
    return pattern;
}

static void
add_condition (Errors *e, GArray *conds, const MdSelector *sel, const char *arg, const ScanKey *k,
               char *value)
{
    if (sel->prefix) {
        gboolean auth = g_str_has_prefix (sel->name, "auth.");
        gboolean detail = g_str_has_prefix (sel->name, "spam.detail:");
        gboolean ok = auth     ? valid_auth_arg (arg)
                      : detail ? valid_detail_name (arg)
                               : valid_field_name (arg);
        if (!ok) {
            add_error (e, k->line, 0, "selector '%s' needs %s after '%s'", k->key,
                       auth     ? "a method (auth.spf, auth.dkim.header.d)"
                       : detail ? "a detail name (spam.detail:SFV)"
                                : "a header field name",
                       sel->name);
            return;
        }
    }
    g_strchomp (value);
    if (*value == '\0') {
        add_error (e, k->line, 0, "empty condition for '%s'%s", k->key,
                   sel->type == MD_VALUE_STRING ? " (write ^ to test that the field is present)"
                                                : "");
        return;
    }
    MdCond cond = { 0 };
    cond.key = g_strdup (k->key);
    cond.selector = sel;
    cond.arg = arg != NULL ? g_strdup (arg) : NULL;
    if (sel->type == MD_VALUE_STRING) {
        cond.pattern = compile (e, k, value);
        if (cond.pattern == NULL) {
            md_cond_clear (&cond);
            return;
        }
    } else {
        g_autofree char *message = NULL;
        if (!md_cond_parse_numeric (&cond, value, &message)) {
            add_error (e, k->line, 0, "bad numeric condition for '%s': %s", k->key, message);
            md_cond_clear (&cond);
            return;
        }
    }
    g_array_append_val (conds, cond);
}

static void
cond_array_clear (gpointer data)
{
    md_cond_clear (data);
}

/* enum_key - the index of @value in @names, or -1 after an error listing them */
static int
enum_key (Errors *e, const ScanKey *k, const char *value, const char *const *names, guint n,
          gboolean list)
{
    int i = lookup (names, n, value);
    if (i < 0) {
        g_autofree char *all = list ? join_names (names, n) : NULL;
        if (list)
            add_error (e, k->line, 0, "unknown %s '%s' (%s)", k->key, value, all);
        else
            add_error (e, k->line, 0, "unknown %s '%s' (see DESIGN §5)", k->key, value);
    }
    return i;
}

/* extraction_pattern - the pattern of a recipients (@recipients TRUE) or shared key, whose named
 * groups must all be fields of a recipient; recipients needs (?<recipient>), shared one group */
static MdPattern *
extraction_pattern (Errors *e, const ScanKey *k, char *value, gboolean recipients)
{
    if (*g_strchomp (value) == '\0') {
        add_error (e, k->line, 0, "'%s' is empty", k->key);
        return NULL;
    }
    g_autoptr (MdPattern) pattern = compile (e, k, value);
    if (pattern == NULL)
        return NULL;
    g_auto (GStrv) names = md_pattern_get_names (pattern);
    guint first = recipients ? 0 : MD_GROUP_RECIPIENT + 1; /* shared: no recipient group */
    gboolean has_recipient = FALSE;
    for (guint i = 0; names[i] != NULL; i++) {
        int group = lookup (md_rules_groups + first, MD_GROUP_COUNT - first, names[i]);
        if (group < 0) {
            g_autofree char *all = join_names (md_rules_groups + first, MD_GROUP_COUNT - first);
            add_error (e, k->line, 0, "unknown group (?<%s>…) in '%s' (known: %s)", names[i],
                       k->key, all);
            return NULL;
        }
        has_recipient |= recipients && group == MD_GROUP_RECIPIENT;
    }
    if (recipients && !has_recipient) {
        add_error (e, k->line, 0, "'recipients' needs a (?<recipient>…) group");
        return NULL;
    }
    if (!recipients && names[0] == NULL) {
        g_autofree char *all = join_names (md_rules_groups + first, MD_GROUP_COUNT - first);
        add_error (e, k->line, 0, "'shared' needs a named group (%s)", all);
        return NULL;
    }
    return g_steal_pointer (&pattern);
}

/* spam_pattern - the pattern of spam-if, ham-if or tests-split: no named groups needed */
static MdPattern *
spam_pattern (Errors *e, const ScanKey *k, char *value)
{
    if (*g_strchomp (value) == '\0') {
        add_error (e, k->line, 0, "'%s' is empty", k->key);
        return NULL;
    }
    return compile (e, k, value);
}

/* details_pattern - the details key: (?<name>…) and (?<value>…) give one detail per match, and
 * a group named with a capital letter (?<SCL>…) a detail of that name */
static MdPattern *
details_pattern (Errors *e, const ScanKey *k, char *value)
{
    g_autoptr (MdPattern) pattern = spam_pattern (e, k, value);
    if (pattern == NULL)
        return NULL;
    g_auto (GStrv) names = md_pattern_get_names (pattern);
    gboolean has_name = FALSE, has_value = FALSE, has_upper = FALSE;
    for (guint i = 0; names[i] != NULL; i++) {
        if (g_ascii_isupper (names[i][0]))
            has_upper = TRUE;
        else if (strcmp (names[i], "name") == 0)
            has_name = TRUE;
        else if (strcmp (names[i], "value") == 0)
            has_value = TRUE;
        else {
            add_error (e, k->line, 0,
                       "unknown group (?<%s>…) in 'details' (known: name, value, or a detail "
                       "name starting with a capital letter)",
                       names[i]);
            return NULL;
        }
    }
    if (has_name != has_value || (!has_name && !has_upper)) {
        add_error (e, k->line, 0,
                   "'details' needs (?<name>…) with (?<value>…), or a group named after the "
                   "detail ((?<SCL>…))");
        return NULL;
    }
    return g_steal_pointer (&pattern);
}

/* check_spam_groups - a spam-filter rule: its header conditions' named groups are verdict, score,
 * threshold, tests or detail names (a capital first); rule->groups_cond becomes the first header
 * condition with a named group, else the first header condition. FALSE after an error. */
static gboolean
check_spam_groups (Errors *e, const ScanGroup *g, MdRule *rule, GArray *conds,
                   const ScanKey *verdict_key, const ScanKey *if_key)
{
    rule->groups_cond = -1;
    gboolean has_verdict = FALSE;
    for (guint i = 0; i < conds->len; i++) {
        const MdCond *c = &g_array_index (conds, MdCond, i);
        if (!g_str_has_prefix (c->key, "header:"))
            continue;
        const ScanKey *k = g_hash_table_lookup (g->key_index, c->key);
        g_auto (GStrv) names = md_pattern_get_names (c->pattern);
        for (guint n = 0; names[n] != NULL; n++) {
            if (g_ascii_isupper (names[n][0]))
                continue;
            int group = lookup (md_rules_spam_groups, MD_SPAM_GROUP_COUNT, names[n]);
            if (group < 0) {
                add_error (e, k != NULL ? k->line : g->line, 0,
                           "unknown group (?<%s>…) in '%s' (known: verdict, score, threshold, "
                           "tests, or a detail name starting with a capital letter)",
                           names[n], c->key);
                return FALSE;
            }
            has_verdict |= rule->groups_cond < 0 && group == MD_SPAM_GROUP_VERDICT;
        }
        if (rule->groups_cond < 0 && names[0] != NULL)
            rule->groups_cond = (int) i;
    }
    if (rule->groups_cond < 0) /* no groups at all: the first header condition names the field */
        for (guint i = 0; i < conds->len && rule->groups_cond < 0; i++)
            if (g_str_has_prefix (g_array_index (conds, MdCond, i).key, "header:"))
                rule->groups_cond = (int) i;
    if (rule->groups_cond < 0) {
        add_error (e, g->line, 0,
                   "rule [%s] has 'spam-filter' but no header:<Name> condition (the field the "
                   "verdict is read from)",
                   g->name);
        return FALSE;
    }
    if (verdict_key != NULL && has_verdict) {
        add_error (e, verdict_key->line, 0,
                   "'verdict' fixes the verdict, but the pattern has a (?<verdict>…) group: keep "
                   "one");
        return FALSE;
    }
    if (if_key != NULL && !has_verdict) {
        add_error (e, if_key->line, 0, "'%s' needs a (?<verdict>…) group in the header pattern",
                   if_key->key);
        return FALSE;
    }
    return TRUE;
}

/* The kinds an extract rule may set (DESIGN §3 kind; message and headers are the parser's). */
static const char *const settable_kinds[] = { "bounce", "feedback", "auto-reply" };
static const MdKind settable_kind_values[] = { MD_KIND_BOUNCE, MD_KIND_FEEDBACK,
                                               MD_KIND_AUTO_REPLY };

static MdRule *
build_rule (Errors *e, GKeyFile *kf, const ScanGroup *g)
{
    guint errors_before = e->count;
    g_autoptr (MdRule) rule = g_new0 (MdRule, 1);
    rule->id = g_strdup (g->name);
    rule->file = g_strdup (e->name);
    rule->line = g->line;
    rule->stage = MD_STAGE_DIAGNOSE;
    rule->scope = MD_SCOPE_MESSAGE;
    rule->severity = MD_SEVERITY_NOTICE;
    rule->hard = -1;
    rule->set_kind = -1;
    gboolean has_advice = FALSE;
    g_autoptr (GArray) conds = g_array_new (FALSE, TRUE, sizeof (MdCond));
    g_array_set_clear_func (conds, cond_array_clear);

    /* kind and action are settings in extract rules, reason and hard in classify rules, and
     * conditions everywhere else: the stage must be known before the keys are read. A bad stage
     * is reported in the loop. Classify rules run per recipient unless they say otherwise. */
    const ScanKey *stage_key = g_hash_table_lookup (g->key_index, "stage");
    if (stage_key != NULL) {
        g_autofree char *v = g_key_file_get_value (kf, g->name, "stage", NULL);
        int s = v != NULL ? lookup (stage_names, G_N_ELEMENTS (stage_names), g_strstrip (v)) : -1;
        if (s >= 0)
            rule->stage = (MdStage) s;
    }
    MdStage stage = rule->stage;
    if (stage == MD_STAGE_CLASSIFY)
        rule->scope = MD_SCOPE_RECIPIENT;
    const ScanKey *scope_key = NULL, *action_key = NULL, *merge_key = NULL, *in_key = NULL;
    const ScanKey *spam_key = NULL, *verdict_key = NULL, *if_key = NULL, *spam_only_key = NULL;

    for (guint i = 0; i < g->keys->len; i++) {
        const ScanKey *k = g_ptr_array_index (g->keys, i);
        const char *key = k->key;
        g_autofree char *value = g_key_file_get_value (kf, g->name, key, NULL);
        if (value == NULL)
            value = g_strdup ("");
        if (strchr (key, '[') != NULL) {
            if (!g_str_has_prefix (key, "advice[")) {
                add_error (e, k->line, 0, "only advice can be translated, not '%s'", key);
                continue;
            }
            g_free (text_key (e, kf, g->name, k, TRUE)); /* checked; chosen below */
            has_advice = TRUE;
            continue;
        }
        gboolean flag = FALSE;
        gboolean extract_key = strcmp (key, "format") == 0 || strcmp (key, "recipients") == 0 ||
                               strcmp (key, "shared") == 0 || strcmp (key, "merge") == 0 ||
                               strcmp (key, "recipients-in") == 0 ||
                               strcmp (key, "spam-filter") == 0 || strcmp (key, "verdict") == 0 ||
                               strcmp (key, "spam-if") == 0 || strcmp (key, "ham-if") == 0 ||
                               strcmp (key, "details") == 0 || strcmp (key, "tests-split") == 0;
        if (extract_key && stage != MD_STAGE_EXTRACT) {
            add_error (e, k->line, 0, "'%s' belongs to extract rules (stage = extract)", key);
        } else if (strcmp (key, "title") == 0) {
            rule->title = text_key (e, kf, g->name, k, TRUE);
        } else if (strcmp (key, "advice") == 0) {
            g_free (text_key (e, kf, g->name, k, TRUE)); /* checked; chosen below */
            has_advice = TRUE;
        } else if (strcmp (key, "ref") == 0) {
            rule->ref = text_key (e, kf, g->name, k, FALSE);
        } else if (strcmp (key, "category") == 0) {
            if (enum_key (e, k, g_strchomp (value), categories, G_N_ELEMENTS (categories), TRUE) >=
                0)
                rule->category = g_strdup (value);
        } else if (strcmp (key, "reason") == 0 && stage == MD_STAGE_CLASSIFY) {
            if (enum_key (e, k, g_strchomp (value), reasons, G_N_ELEMENTS (reasons), FALSE) >= 0)
                rule->reason = g_strdup (value);
        } else if (strcmp (key, "severity") == 0) {
            static const char *const names[] = { "info", "notice", "warning", "error" };
            int s = enum_key (e, k, g_strchomp (value), names, G_N_ELEMENTS (names), TRUE);
            if (s >= 0)
                rule->severity = (MdSeverity) md_severity_from_string (value);
        } else if (strcmp (key, "scope") == 0) {
            int s = enum_key (e, k, g_strchomp (value), scope_names, MD_SCOPE_COUNT, TRUE);
            if (s >= 0)
                rule->scope = (MdScope) s;
            scope_key = k;
        } else if (strcmp (key, "stage") == 0) {
            (void) enum_key (e, k, g_strchomp (value), stage_names, G_N_ELEMENTS (stage_names),
                             TRUE); /* read above */
        } else if (strcmp (key, "priority") == 0) {
            gint64 n = 0;
            if (!g_ascii_string_to_signed (g_strchomp (value), 10, -MD_PRIORITY_MAX,
                                           MD_PRIORITY_MAX, &n, NULL))
                add_error (e, k->line, 0, "priority must be an integer from %d to %d, not '%s'",
                           -MD_PRIORITY_MAX, MD_PRIORITY_MAX, value);
            rule->priority = (int) n;
        } else if (strcmp (key, "kind") == 0 && stage == MD_STAGE_EXTRACT) {
            int s = enum_key (e, k, g_strchomp (value), settable_kinds,
                              G_N_ELEMENTS (settable_kinds), TRUE);
            if (s >= 0)
                rule->set_kind = (int) settable_kind_values[s];
        } else if (strcmp (key, "action") == 0 && stage == MD_STAGE_EXTRACT) {
            if (enum_key (e, k, g_strchomp (value), md_rules_actions, MD_ACTION_COUNT, TRUE) >= 0)
                rule->action = g_strdup (value);
            action_key = k;
        } else if (strcmp (key, "format") == 0) {
            if (!valid_rule_id (g_strchomp (value)))
                add_error (e, k->line, 0,
                           "format must be a lowercase token (letters, digits, '.', '-', '_'), "
                           "not '%s'",
                           value);
            else
                rule->format = g_strdup (value);
        } else if (strcmp (key, "recipients") == 0) {
            rule->recipients = extraction_pattern (e, k, value, TRUE);
        } else if (strcmp (key, "recipients-in") == 0) {
            /* where the recipients pattern reads: the human text (default) or a header field */
            g_strstrip (value);
            if (g_str_has_prefix (value, "header:") && value[7] != '\0')
                rule->recipients_in = g_strdup (value + 7);
            else if (strcmp (value, "human-text") != 0)
                add_error (e, k->line, 0,
                           "'recipients-in' is human-text or header:<Name>, not '%s'", value);
            in_key = k;
        } else if (strcmp (key, "shared") == 0) {
            rule->shared = extraction_pattern (e, k, value, FALSE);
        } else if (strcmp (key, "spam-filter") == 0) {
            if (!valid_rule_id (g_strchomp (value)))
                add_error (e, k->line, 0,
                           "spam-filter must be a lowercase token (letters, digits, '.', '-', "
                           "'_'), not '%s'",
                           value);
            else
                rule->spam_filter = g_strdup (value);
            spam_key = k;
        } else if (strcmp (key, "verdict") == 0) {
            g_strchomp (value);
            if (strcmp (value, "spam") != 0 && strcmp (value, "ham") != 0)
                add_error (e, k->line, 0, "verdict must be spam or ham, not '%s'", value);
            else
                rule->spam_verdict = g_strdup (value);
            verdict_key = spam_only_key = k;
        } else if (strcmp (key, "spam-if") == 0 || strcmp (key, "ham-if") == 0) {
            MdPattern **slot = key[0] == 's' ? &rule->spam_if : &rule->ham_if;
            *slot = spam_pattern (e, k, value);
            if_key = spam_only_key = k;
        } else if (strcmp (key, "details") == 0) {
            rule->details = details_pattern (e, k, value);
            spam_only_key = k;
        } else if (strcmp (key, "tests-split") == 0) {
            rule->tests_split = spam_pattern (e, k, value);
            spam_only_key = k;
        } else if ((strcmp (key, "hard") == 0 && stage == MD_STAGE_CLASSIFY) ||
                   strcmp (key, "stop") == 0 || strcmp (key, "override") == 0 ||
                   strcmp (key, "disabled") == 0 || strcmp (key, "merge") == 0) {
            if (!parse_bool (g_strchomp (value), &flag)) {
                add_error (e, k->line, 0, "'%s' must be true or false, not '%s'", key, value);
                continue;
            }
            if (key[0] == 'h')
                rule->hard = flag;
            else if (key[0] == 's')
                rule->stop = flag;
            else if (key[0] == 'o')
                rule->override = flag;
            else if (key[0] == 'm')
                rule->merge = flag, merge_key = k;
            else
                rule->disabled = flag;
        } else {
            const char *arg = NULL;
            const MdSelector *sel = md_selector_lookup (key, &arg);
            if (sel != NULL)
                add_condition (e, conds, sel, arg, k, value);
            else if (strpbrk (key, ".:") != NULL)
                add_error (e, k->line, 0, "unknown selector '%s'", key);
            else
                add_error (e, k->line, 0, "unknown key '%s'", key);
        }
    }

    if (!rule->disabled && e->count == errors_before) {
        const char *id = g->name;
        if (conds->len == 0 && rule->recipients == NULL)
            add_error (e, g->line, 0, "rule [%s] has no conditions", id);
        else if (stage == MD_STAGE_DIAGNOSE && rule->title == NULL)
            add_error (e, g->line, 0, "rule [%s] has no title (diagnose rules need one)", id);
        else if (stage == MD_STAGE_DIAGNOSE && rule->category == NULL)
            add_error (e, g->line, 0, "rule [%s] has no category (diagnose rules need one)", id);
        else if (stage == MD_STAGE_EXTRACT && rule->scope != MD_SCOPE_MESSAGE)
            add_error (e, scope_key->line, 0,
                       "extract rules run once per message: scope must be message");
        else if (stage == MD_STAGE_CLASSIFY && rule->scope != MD_SCOPE_RECIPIENT)
            add_error (e, scope_key->line, 0,
                       "classify rules run once per recipient: scope must be recipient");
        else if (stage == MD_STAGE_CLASSIFY && rule->reason == NULL)
            add_error (e, g->line, 0, "rule [%s] has no reason (classify rules need one)", id);
        else if (rule->recipients != NULL && rule->format == NULL)
            add_error (e, g->line, 0,
                       "rule [%s] has 'recipients' but no 'format' (name the bounce format it "
                       "reads)",
                       id);
        else if (action_key != NULL && rule->recipients == NULL)
            add_error (e, action_key->line, 0,
                       "'action' needs 'recipients': it is the action of the recipients the rule "
                       "creates");
        else if (merge_key != NULL && rule->recipients == NULL && rule->spam_filter == NULL)
            add_error (e, merge_key->line, 0, "'merge' needs 'recipients' or 'spam-filter'");
        else if (spam_only_key != NULL && rule->spam_filter == NULL)
            add_error (e, spam_only_key->line, 0, "'%s' needs 'spam-filter'", spam_only_key->key);
        else if (rule->spam_filter != NULL && (rule->recipients != NULL || rule->shared != NULL ||
                                               rule->format != NULL || rule->set_kind >= 0))
            add_error (e, spam_key->line, 0,
                       "a spam-filter rule adds a verdict: recipients, shared, format and kind "
                       "belong to bounce rules");
        else if (in_key != NULL && rule->recipients == NULL)
            add_error (e, in_key->line, 0, "'recipients-in' needs 'recipients'");
        else if (rule->spam_filter != NULL)
            (void) check_spam_groups (e, g, rule, conds, verdict_key, if_key);
    }
    if (e->count > errors_before)
        return NULL;

    if (has_advice) /* the variant for the current locale, falling back to plain advice */
        rule->advice = g_key_file_get_locale_string (kf, g->name, "advice", NULL, NULL);
    rule->n_conds = conds->len;
    rule->conds = (MdCond *) (void *) g_array_steal (conds, NULL);
    /* Cheapest first (numbers, enumerations, then patterns over longer text); stable. */
    rule->order = g_new (guint, rule->n_conds + 1);
    rule->indexable = TRUE;
    for (guint i = 0; i < rule->n_conds; i++) {
        guint j = i;
        guint cost = rule->conds[i].selector->cost;
        while (j > 0 && rule->conds[rule->order[j - 1]].selector->cost > cost) {
            rule->order[j] = rule->order[j - 1];
            j--;
        }
        rule->order[j] = i;
        if (rule->conds[i].selector->get == NULL)
            rule->indexable = FALSE;
    }
    return g_steal_pointer (&rule);
}

/* ---- the set ---- */

MdRuleSet *
md_rules_new (void)
{
    MdRuleSet *set = g_new0 (MdRuleSet, 1);
    set->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
    set->by_id = g_hash_table_new (g_str_hash, g_str_equal);
    for (guint s = 0; s < G_N_ELEMENTS (set->index); s++)
        for (guint c = 0; c < MD_SCOPE_COUNT; c++)
            set->index[s][c] = g_ptr_array_new ();
    set->context = md_pattern_context_new ();
    return set;
}

void
md_rules_free (MdRuleSet *set)
{
    if (set == NULL)
        return;
    for (guint s = 0; s < G_N_ELEMENTS (set->index); s++)
        for (guint c = 0; c < MD_SCOPE_COUNT; c++)
            g_ptr_array_unref (set->index[s][c]);
    g_hash_table_unref (set->by_id);
    g_ptr_array_unref (set->rules);
    pcre2_match_context_free (set->context);
    g_free (set);
}

static gint
by_priority (gconstpointer a, gconstpointer b)
{
    const MdRule *x = *(const MdRule *const *) a, *y = *(const MdRule *const *) b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* rebuild_index - per stage and scope, the rules that can match, highest priority first */
static void
rebuild_index (MdRuleSet *set)
{
    set->max_pairs = 1;
    for (guint s = 0; s < G_N_ELEMENTS (set->index); s++)
        for (guint c = 0; c < MD_SCOPE_COUNT; c++)
            g_ptr_array_set_size (set->index[s][c], 0);
    for (guint i = 0; i < set->rules->len; i++) {
        MdRule *rule = g_ptr_array_index (set->rules, i);
        for (guint j = 0; j < rule->n_conds; j++)
            if (rule->conds[j].pattern != NULL)
                set->max_pairs =
                    MAX (set->max_pairs, md_pattern_get_pairs (rule->conds[j].pattern));
        if (rule->recipients != NULL) /* its named groups are read from the run's match data */
            set->max_pairs = MAX (set->max_pairs, md_pattern_get_pairs (rule->recipients));
        if (rule->shared != NULL)
            set->max_pairs = MAX (set->max_pairs, md_pattern_get_pairs (rule->shared));
        MdPattern *spam[] = { rule->spam_if, rule->ham_if, rule->details, rule->tests_split };
        for (guint j = 0; j < G_N_ELEMENTS (spam); j++)
            if (spam[j] != NULL)
                set->max_pairs = MAX (set->max_pairs, md_pattern_get_pairs (spam[j]));
        if (!rule->disabled && rule->indexable)
            g_ptr_array_add (set->index[rule->stage][rule->scope], rule);
    }
    for (guint s = 0; s < G_N_ELEMENTS (set->index); s++)
        for (guint c = 0; c < MD_SCOPE_COUNT; c++)
            g_ptr_array_sort (set->index[s][c], by_priority);
}

/* commit - adds @fresh (one file's rules) to @set, replacing earlier rules that they override;
 * nothing changes when one of them redefines a rule without override = true */
static gboolean
commit (MdRuleSet *set, GPtrArray *fresh, Errors *e)
{
    for (guint i = 0; i < fresh->len; i++) {
        const MdRule *rule = g_ptr_array_index (fresh, i);
        const MdRule *old = g_hash_table_lookup (set->by_id, rule->id);
        if (old != NULL && !rule->override)
            add_error (e, rule->line, 0,
                       "rule [%s] is already defined at %s:%u; add override = true to replace it",
                       rule->id, old->file, old->line);
    }
    if (e->count > 0)
        return FALSE;
    for (guint i = 0; i < fresh->len; i++) {
        MdRule *rule = g_ptr_array_index (fresh, i);
        MdRule *old = g_hash_table_lookup (set->by_id, rule->id);
        if (old != NULL) {
            g_hash_table_remove (set->by_id, old->id);
            g_ptr_array_remove (set->rules, old); /* frees it */
        }
        rule->seq = set->seq++;
        g_hash_table_insert (set->by_id, rule->id, rule);
    }
    g_ptr_array_extend_and_steal (set->rules, g_ptr_array_ref (fresh));
    return TRUE;
}

/* load - validates one file; adds its rules only when it has no error at all */
static void
load (MdRuleSet *set, const char *data, gsize len, Errors *e)
{
    if (len > MD_RULES_FILE_MAX) {
        add_error (e, 0, 0, "over %u bytes: not a rule file", MD_RULES_FILE_MAX);
        return;
    }
    const char *bad = NULL;
    if (!g_utf8_validate_len (data, len, &bad) || memchr (data, '\0', len) != NULL) {
        const char *nul = memchr (data, '\0', len);
        if (bad == NULL || (nul != NULL && nul < bad))
            bad = nul;
        guint line = 1;
        for (const char *p = data; p < bad; p++)
            line += *p == '\n';
        add_error (e, line, 0, "not UTF-8 text (byte 0x%02x)", (guint) (guchar) *bad);
        return;
    }
    g_autoptr (GPtrArray) groups = scan (data, len, e);
    if (e->count > 0)
        return;
    g_autoptr (GKeyFile) kf = g_key_file_new ();
    g_autoptr (GError) local = NULL;
    /* KEEP_TRANSLATIONS: otherwise GKeyFile drops advice[lang] of locales not in use, unchecked */
    if (len > 0 &&
        !g_key_file_load_from_data (kf, data, len, G_KEY_FILE_KEEP_TRANSLATIONS, &local)) {
        add_error (e, 0, 0, "%s", local->message); /* the scan should have caught it first */
        return;
    }
    g_autoptr (GPtrArray) fresh = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
    for (guint i = 0; i < groups->len; i++) {
        MdRule *rule = build_rule (e, kf, g_ptr_array_index (groups, i));
        if (rule != NULL)
            g_ptr_array_add (fresh, rule);
    }
    if (e->count > 0 || !commit (set, fresh, e))
        return;
    set->n_files++;
    rebuild_index (set);
}

gboolean
md_rules_load_data (MdRuleSet *set, const char *name, const char *data, gsize len, GError **error)
{
    g_return_val_if_fail (set != NULL && name != NULL && (data != NULL || len == 0), FALSE);
    g_autoptr (GString) text = g_string_new (NULL);
    Errors e = { name, text, 0 };
    load (set, data != NULL ? data : "", len, &e);
    if (e.count == 0)
        return TRUE;
    finish_errors (&e);
    g_set_error_literal (error, MD_ERROR, MD_ERROR_RULES, text->str);
    return FALSE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
md_rules_load_dir (MdRuleSet *set, const char *dir, gboolean optional, GError **error)
{
    g_return_val_if_fail (set != NULL && dir != NULL, FALSE);
    DIR *d = opendir (dir); /* not GDir: its GError hides errno, and ENOENT may be fine */
    if (d == NULL) {
        int errsv = errno;
        if (optional && errsv == ENOENT)
            return TRUE;
        g_set_error (error, MD_ERROR, MD_ERROR_RULES, "%s: %s", dir, g_strerror (errsv));
        return FALSE;
    }
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
    for (struct dirent *ent; (ent = readdir (d)) != NULL;)
        if (ent->d_name[0] != '.' && g_str_has_suffix (ent->d_name, ".rules")) /* ".#x.rules" */
            g_ptr_array_add (names, g_strdup (ent->d_name));
    closedir (d);
    g_ptr_array_sort (names, compare_names); /* lexical byte order, whatever the locale */

    /* A bad file does not stop the others: --check-rules reports every file's problems. */
    g_autoptr (GString) all = g_string_new (NULL);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
        g_autoptr (GString) text = g_string_new (NULL);
        Errors e = { path, text, 0 };
        GStatBuf st;
        g_autofree char *data = NULL;
        gsize len = 0;
        g_autoptr (GError) local = NULL;
        if (g_stat (path, &st) != 0)
            add_error (&e, 0, 0, "%s", g_strerror (errno));
        else if ((guint64) st.st_size > MD_RULES_FILE_MAX)
            add_error (&e, 0, 0, "over %u bytes: not a rule file", MD_RULES_FILE_MAX);
        else if (!g_file_get_contents (path, &data, &len, &local))
            add_error (&e, 0, 0, "%s", local->message);
        else
            load (set, data, len, &e);
        if (e.count > 0) {
            finish_errors (&e);
            g_string_append_printf (all, "%s%s", all->len > 0 ? "\n" : "", text->str);
        }
    }
    if (all->len == 0)
        return TRUE;
    g_set_error_literal (error, MD_ERROR, MD_ERROR_RULES, all->str);
    return FALSE;
}

guint
md_rules_count (const MdRuleSet *set)
{
    g_return_val_if_fail (set != NULL, 0);
    guint n = 0;
    for (guint i = 0; i < set->rules->len; i++)
        n += !((const MdRule *) g_ptr_array_index (set->rules, i))->disabled;
    return n;
}

void
md_rules_foreach (const MdRuleSet *set, void (*fn) (const MdRuleInfo *info, gpointer data),
                  gpointer data)
{
    g_return_if_fail (set != NULL && fn != NULL);
    for (guint i = 0; i < set->rules->len; i++) {
        const MdRule *rule = g_ptr_array_index (set->rules, i);
        if (rule->disabled)
            continue;
        MdRuleInfo info = { rule->id, rule->stage, rule->format, rule->spam_filter };
        fn (&info, data);
    }
}

guint
md_rules_count_files (const MdRuleSet *set)
{
    g_return_val_if_fail (set != NULL, 0);
    return set->n_files;
}

void
md_rules_summary (const MdRuleSet *set, GString *out)
{
    guint rules = md_rules_count (set), files = md_rules_count_files (set);
    g_string_append_printf (out, "%u rule%s in %u file%s", rules, rules == 1 ? "" : "s", files,
                            files == 1 ? "" : "s");
}

/* md_rules_default_dirs - DESIGN §2: $datadir/maildiag/rules (MD_RULES_DIR, set by the build),
 * /etc/maildiag/rules.d, $XDG_CONFIG_HOME/maildiag/rules.d; only those that exist. The environment
 * variable MAILDIAG_RULES_DIR, when set and not empty, replaces the first one: tests and a binary
 * run from the build tree point it at the checkout's rules/ (the build knows that path as
 * MD_SOURCE_RULES_DIR; whether the program runs uninstalled is the caller's decision). */
GPtrArray *
md_rules_default_dirs (void)
{
    GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
    const char *env = g_getenv ("MAILDIAG_RULES_DIR");
    g_autofree char *user =
        g_build_filename (g_get_user_config_dir (), "maildiag", "rules.d", NULL);
    const char *candidates[] = { env != NULL && *env != '\0' ? env : MD_RULES_DIR,
                                 MD_SYSCONF_RULES_DIR, user };
    for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        if (g_file_test (candidates[i], G_FILE_TEST_IS_DIR))
            g_ptr_array_add (dirs, g_strdup (candidates[i]));
    return dirs;
}
