/* test-rules.c - the rules engine: loader errors with exact file:line messages, overrides and
 * directories, every selector, priority and stop, placeholders and evidence, the PCRE2 limits,
 * and a firing and a non-firing case for every rule in rules/ (STYLE §9). The model is built by
 * hand: the parsers are tested elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <glib/gstdio.h>

#include <maildiag/maildiag.h>

#include "rules.h"

#if __has_include("config.h")
#include "config.h" /* MD_SOURCE_RULES_DIR, from meson */
#endif
#ifndef MD_SOURCE_RULES_DIR
#error "MD_SOURCE_RULES_DIR: config.h or -DMD_SOURCE_RULES_DIR='\"/path/to/rules\"'"
#endif

#define NO_DELAY G_MININT64

/* ---- building a model by hand ---- */

typedef struct {
    const char *name, *value;
} Hdr;

static void
add_header (MdAnalysis *a, const char *name, const char *value)
{
    MdHeader *h = g_new0 (MdHeader, 1);
    h->name = md_analysis_intern (a, name, -1);
    h->value = md_analysis_intern (a, value, -1);
    g_ptr_array_add (a->headers, h);
}

/* build - a message of @kind with @headers (NULL-terminated) and one hop per entry of @delays
 * (oldest first; NO_DELAY: undated), each with a Received field, totals computed as received.c
 * would. With @received FALSE the hops get no Received header (they never do in real mail). */
static MdAnalysis *
build (MdKind kind, const Hdr *headers, const gint64 *delays, guint n_hops)
{
    MdAnalysis *a = md_analysis_new ();
    a->kind = kind;
    for (guint i = n_hops; i > 0; i--) { /* topmost (newest) first */
        g_autofree char *text =
            g_strdup_printf ("from relay%u.example.net by mx%u.example.org", i, i);
        add_header (a, "Received", text);
    }
    for (const Hdr *h = headers; h != NULL && h->name != NULL; h++)
        add_header (a, h->name, h->value);
    gint64 total = 0, max = G_MININT64;
    for (guint i = 0; i < n_hops; i++) {
        MdHop *hop = g_new0 (MdHop, 1);
        hop->index = i + 1;
        hop->position = n_hops - 1 - i;
        g_autofree char *by = g_strdup_printf ("mx%u.example.org", i + 1);
        g_autofree char *rdns = g_strdup_printf ("relay%u.example.net", i + 1);
        g_autofree char *helo = g_strdup_printf ("helo%u", i + 1);
        g_autofree char *ip = g_strdup_printf ("192.0.2.%u", i + 1);
        hop->by = md_analysis_intern (a, by, -1);
        hop->from_rdns = md_analysis_intern (a, rdns, -1);
        hop->from_helo = md_analysis_intern (a, helo, -1);
        hop->from_ip = md_analysis_intern (a, ip, -1);
        hop->with = md_analysis_intern (a, i % 2 ? "ESMTPS" : "ESMTP", -1);
        hop->tls = i % 2 ? md_analysis_intern (a, "TLS1.3 TLS_AES_256_GCM_SHA384", -1) : NULL;
        hop->parse_ok = TRUE;
        if (delays[i] != NO_DELAY) {
            hop->has_delay = TRUE;
            hop->delay_s = delays[i];
            total += delays[i];
            a->delivery.has_total = TRUE;
            if (delays[i] > max) {
                max = delays[i];
                a->delivery.has_max = TRUE;
                a->delivery.slowest_hop = hop->index;
            }
            if (delays[i] < 0)
                a->delivery.clock_skew = TRUE;
        }
        g_ptr_array_add (a->hops, hop);
    }
    a->delivery.hop_count = n_hops;
    a->delivery.total_delay_s = total;
    a->delivery.max_hop_delay_s = a->delivery.has_max ? max : 0;
    return a;
}

static guint
count_findings (const MdAnalysis *a, const char *rule)
{
    guint n = 0;
    for (guint i = 0; i < a->findings->len; i++)
        n += strcmp (((const MdFinding *) g_ptr_array_index (a->findings, i))->rule, rule) == 0;
    return n;
}

static const MdFinding *
find (const MdAnalysis *a, const char *rule)
{
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (strcmp (f->rule, rule) == 0)
            return f;
    }
    return NULL;
}

static MdRuleSet *
load_text (const char *text)
{
    MdRuleSet *set = md_rules_new ();
    g_autoptr (GError) error = NULL;
    if (!md_rules_load_data (set, "t.rules", text, strlen (text), &error))
        fail_msg ("load: %s", error->message);
    return set;
}

static MdAnalysis *
run_text (const char *rules, MdAnalysis *a, gboolean explain)
{
    g_autoptr (MdRuleSet) set = load_text (rules);
    md_rules_run (set, MD_STAGE_DIAGNOSE, a, explain);
    return a;
}

/* ---- loader ---- */

#define HEAD "[a]\ntitle = T\ncategory = delay\n" /* lines 1-3 */

static const struct {
    const char *label, *text;
    const char *want; /* the exact GError message; NULL: loads */
} load_rows[] = {
    { "unknown-key", HEAD "kind = .\ntitel = x\n", "t.rules:5: unknown key 'titel'" },
    { "unknown-selector", HEAD "hop.dealy = < 1\n", "t.rules:4: unknown selector 'hop.dealy'" },
    { "bad-pattern-offset", HEAD "header:Subject = ab(c\n",
      "t.rules:4:22: bad pattern for 'header:Subject': missing closing parenthesis at offset 4" },
    { "bad-pattern-utf8-column", HEAD "header:Subject = ü(\n",
      "t.rules:4:20: bad pattern for 'header:Subject': missing closing parenthesis at offset 3" },
    { "bad-pattern-class", HEAD "  header:Subject=[z-a]\n",
      "t.rules:4:21: bad pattern for 'header:Subject': range out of order in character class at "
      "offset 3" },
    { "duplicate-group", HEAD "kind = .\n\n[a]\nkind = x\n",
      "t.rules:6: duplicate group [a] (first at line 1)" },
    { "duplicate-key", HEAD "hop.delay = > 1m\nhop.delay = < 1h\n",
      "t.rules:5: duplicate key 'hop.delay' in [a] (first at line 4)" },
    { "no-conditions", HEAD, "t.rules:1: rule [a] has no conditions" },
    { "no-title", "# c\n[a]\ncategory = delay\nkind = .\n",
      "t.rules:2: rule [a] has no title (diagnose rules need one)" },
    { "no-category", "[a]\ntitle = T\nkind = .\n",
      "t.rules:1: rule [a] has no category (diagnose rules need one)" },
    { "bad-op", HEAD "hop.delay = => 5m\n",
      "t.rules:4: bad numeric condition for 'hop.delay': expected an operator (< <= > >= == !=) "
      "at '=> 5m'" },
    { "no-op", HEAD "hop.delay = 5m\n",
      "t.rules:4: bad numeric condition for 'hop.delay': expected an operator (< <= > >= == !=) "
      "at '5m'" },
    { "no-number", HEAD "hop.delay = >= m\n",
      "t.rules:4: bad numeric condition for 'hop.delay': expected a number after '>=' in '>= m'" },
    { "bad-unit", HEAD "hop.delay = >= 5y\n",
      "t.rules:4: bad numeric condition for 'hop.delay': unknown unit 'y' in '>= 5y' (s, m, h or "
      "d)" },
    { "unit-on-count", HEAD "hop-count = > 2h\n",
      "t.rules:4: bad numeric condition for 'hop-count': unexpected 'h' after the number in '> "
      "2h' (units are for durations only)" },
    { "bad-range-item", HEAD "hop.delay = >= 5m,\n",
      "t.rules:4: bad numeric condition for 'hop.delay': expected an operator (< <= > >= == !=) "
      "at ''" },
    { "too-many-comparisons", HEAD "hop.delay = >0, >1, >2, >3, >4\n",
      "t.rules:4: bad numeric condition for 'hop.delay': more than 4 comparisons" },
    { "bad-category", "[a]\ntitle = T\ncategory = dealy\nkind = .\n",
      "t.rules:3: unknown category 'dealy' (delay, rejection, spam, authentication, policy, "
      "content, format, configuration, network, loop, feedback, auto-reply)" },
    { "bad-severity", HEAD "severity = critical\nkind = .\n",
      "t.rules:4: unknown severity 'critical' (info, notice, warning, error)" },
    { "bad-reason", HEAD "reason = nouser\nkind = .\n",
      "t.rules:4: unknown reason 'nouser' (see DESIGN §5)" },
    { "bad-scope", HEAD "scope = recipients\nkind = .\n",
      "t.rules:4: unknown scope 'recipients' (message, recipient, hop)" },
    { "bad-stage", HEAD "stage = final\nkind = .\n",
      "t.rules:4: unknown stage 'final' (extract, classify, diagnose)" },
    { "bad-bool", HEAD "stop = yes\nkind = .\n",
      "t.rules:4: 'stop' must be true or false, not 'yes'" },
    { "bad-priority", HEAD "priority = high\nkind = .\n",
      "t.rules:4: priority must be an integer from -10000 to 10000, not 'high'" },
    { "priority-range", HEAD "priority = 10001\nkind = .\n",
      "t.rules:4: priority must be an integer from -10000 to 10000, not '10001'" },
    { "bad-placeholder", HEAD "kind = .\nadvice = ask {hostname}\n",
      "t.rules:5: 'advice': unknown placeholder {hostname} (known: {hop} {delay} {total} {by} "
      "{from} {with} {tls} {value} {header} {field} {kind})" },
    { "bad-placeholder-translation", HEAD "kind = .\nadvice = ok\nadvice[de] = {Hop}\n",
      "t.rules:6: 'advice[de]': unknown placeholder {Hop} (known: {hop} {delay} {total} {by} "
      "{from} {with} {tls} {value} {header} {field} {kind})" },
    { "unclosed-placeholder", "[a]\ntitle = Hop {hop\ncategory = delay\nkind = .\n",
      "t.rules:2: 'title': '{' without '}' (write {{ for a literal brace)" },
    { "title-translated", HEAD "kind = .\ntitle[de] = x\n",
      "t.rules:5: only advice can be translated, not 'title[de]'" },
    { "empty-pattern", HEAD "header:X-Foo =\n",
      "t.rules:4: empty condition for 'header:X-Foo' (write ^ to test that the field is present)" },
    { "empty-number", HEAD "hop.delay =   \n", "t.rules:4: empty condition for 'hop.delay'" },
    { "header-no-name", HEAD "header: = x\n",
      "t.rules:4: selector 'header:' needs a header field name after 'header:'" },
    { "auth-bad-method", HEAD "auth.SPF = pass\n",
      "t.rules:4: selector 'auth.SPF' needs a method (auth.spf, auth.dkim.header.d) after "
      "'auth.'" },
    { "key-before-group", "kind = x\n" HEAD "kind = .\n",
      "t.rules:1: key 'kind' before the first [rule-id] group" },
    { "malformed-line", HEAD "junk\n",
      "t.rules:4: expected 'key = value', '[rule-id]' or a comment, not 'junk'" },
    { "malformed-group", "[a\n", "t.rules:1: malformed group line '[a'" },
    { "bad-id", "[Delay Slow]\nkind = .\n",
      "t.rules:1: invalid rule id [Delay Slow]: use lowercase letters, digits, '.', '-' and '_' "
      "(at most 100)" },
    { "not-utf8", "[a]\n# caf\xe9\n", "t.rules:2: not UTF-8 text (byte 0xe9)" },
    { "two-errors", HEAD "titel = x\nheader:Subject = (\n",
      "t.rules:4: unknown key 'titel'\n"
      "t.rules:5:19: bad pattern for 'header:Subject': missing closing parenthesis at offset 1" },
    { "errors-in-two-rules", HEAD "kind = .\nfoo = 1\n[b]\ntitle = T\ncategory = spam\n",
      "t.rules:5: unknown key 'foo'\nt.rules:6: rule [b] has no conditions" },
    /* must load */
    { "ok-minimal", HEAD "kind = .\n", NULL },
    { "ok-crlf-comments-indent",
      "# x\r\n\r\n  [a]  \r\n\ttitle = T\r\ncategory=delay\r\n  # y\r\n"
      "hop.delay = >= 5m , < 1h\r\n",
      NULL },
    { "ok-translated-advice",
      HEAD "kind = .\nadvice = {{literal}} {hop}\nadvice[de] = Hop {hop}\n"
           "advice[pt_BR] = x\n",
      NULL },
    { "ok-classify-needs-no-title",
      "[c]\nstage = classify\nreason = userunknown\nhard = true\n"
      "status = ^5\\.1\\.1$\n",
      NULL },
    { "ok-disabled-needs-nothing", "[d]\ndisabled = true\n", NULL },
    { "ok-all-selectors",
      HEAD "header:X-A = a\nheader-count:X-A = == 1\nkind = .\nhop-count = > 0\n"
           "total.delay = > 0\nmax.delay = > 0\nhop.delay = > 0\nhop.skewed = == 0\n"
           "hop.index = > 0\n"
           "hop.position = >= 0\nhop.with = .\nhop.by = .\nhop.from = .\n"
           "hop.tls = .\nstatus = .\nreply = == 550\naction = .\n"
           "smtp-command = .\nremote-mta = .\nrecipient = .\ndiagnostic = .\n"
           "human-text = .\nauth.spf = .\nauth.dkim.header.d = .\n"
           "spam.score = >= 5.5\nspam.verdict = .\n",
      NULL },
    { "ok-empty-file", "", NULL },
};

static void
test_loader_errors (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (load_rows); i++) {
        g_autoptr (MdRuleSet) set = md_rules_new ();
        g_autoptr (GError) error = NULL;
        const char *text = load_rows[i].text;
        gboolean ok = md_rules_load_data (set, "t.rules", text, strlen (text), &error);
        if (load_rows[i].want == NULL && !ok)
            fail_msg ("row %s: got error '%s'", load_rows[i].label, error->message);
        if (load_rows[i].want != NULL && ok)
            fail_msg ("row %s: loaded, want '%s'", load_rows[i].label, load_rows[i].want);
        if (load_rows[i].want != NULL && (!g_error_matches (error, MD_ERROR, MD_ERROR_RULES) ||
                                          strcmp (error->message, load_rows[i].want) != 0))
            fail_msg ("row %s: got '%s'\n want '%s'", load_rows[i].label, error->message,
                      load_rows[i].want);
        if (load_rows[i].want != NULL &&
            (md_rules_count (set) != 0 || md_rules_count_files (set) != 0))
            fail_msg ("row %s: a failed file left rules behind", load_rows[i].label);
    }
}

/* GKeyFile accepts ':' in key names, so "header:X-Greylist" needs no escape (DESIGN §4). */
static void
selector_keys_need_no_escape (void **state)
{
    (void) state;
    g_autoptr (GKeyFile) kf = g_key_file_new ();
    const char *text = "[a]\nheader:X-Greylist = ^delayed \\d+\\s\n";
    assert_true (g_key_file_load_from_data (kf, text, strlen (text), G_KEY_FILE_NONE, NULL));
    g_autofree char *value = g_key_file_get_value (kf, "a", "header:X-Greylist", NULL);
    assert_string_equal (value, "^delayed \\d+\\s");
}

static void
test_override (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = md_rules_new ();
    g_autoptr (GError) error = NULL;
    const char *a = "[x]\ntitle = First\ncategory = delay\nkind = .\n";
    const char *again = "# again\n[x]\ntitle = Second\ncategory = delay\nkind = .\n";
    const char *over = "[x]\noverride = true\ntitle = Second\ncategory = delay\nkind = .\n";
    const char *off = "[x]\noverride = true\ndisabled = true\n";
    assert_true (md_rules_load_data (set, "a.rules", a, strlen (a), &error));
    assert_false (md_rules_load_data (set, "b.rules", again, strlen (again), &error));
    assert_string_equal (error->message, "b.rules:2: rule [x] is already defined at a.rules:1; "
                                         "add override = true to replace it");
    g_clear_error (&error);
    assert_int_equal (md_rules_count (set), 1);
    assert_int_equal (md_rules_count_files (set), 1);

    assert_true (md_rules_load_data (set, "c.rules", over, strlen (over), &error));
    assert_int_equal (md_rules_count (set), 1);
    g_autoptr (MdAnalysis) an = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    md_rules_run (set, MD_STAGE_DIAGNOSE, an, FALSE);
    assert_int_equal (an->findings->len, 1);
    assert_string_equal (((MdFinding *) g_ptr_array_index (an->findings, 0))->title, "Second");

    assert_true (md_rules_load_data (set, "d.rules", off, strlen (off), &error));
    assert_int_equal (md_rules_count (set), 0);
    g_autoptr (MdAnalysis) an2 = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    md_rules_run (set, MD_STAGE_DIAGNOSE, an2, FALSE);
    assert_int_equal (an2->findings->len, 0);

    g_autoptr (GString) summary = g_string_new (NULL);
    md_rules_summary (set, summary);
    assert_string_equal (summary->str, "0 rules in 3 files");
}

static void
write_file (const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename (dir, name, NULL);
    assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
remove_dir (const char *dir)
{
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    for (const char *n; d != NULL && (n = g_dir_read_name (d)) != NULL;) {
        g_autofree char *path = g_build_filename (dir, n, NULL);
        g_remove (path);
    }
    g_rmdir (dir);
}

/* Files load in lexical order: 20-b may override what 10-a defines, whatever readdir says. */
static void
load_dir_lexical_order_and_errors (void **state)
{
    (void) state;
    g_autofree char *dir = g_dir_make_tmp ("md-rules-XXXXXX", NULL);
    assert_non_null (dir);
    write_file (dir, "20-b.rules", "[x]\noverride = true\ntitle = B\ncategory = delay\nkind = .\n");
    write_file (dir, "10-a.rules", "[x]\ntitle = A\ncategory = delay\nkind = .\n");
    write_file (dir, ".#10-a.rules", "garbage");
    write_file (dir, "notes.txt", "garbage");
    g_autoptr (MdRuleSet) set = md_rules_new ();
    g_autoptr (GError) error = NULL;
    assert_true (md_rules_load_dir (set, dir, FALSE, &error));
    assert_int_equal (md_rules_count (set), 1);
    assert_int_equal (md_rules_count_files (set), 2);
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    md_rules_run (set, MD_STAGE_DIAGNOSE, a, FALSE);
    assert_string_equal (((MdFinding *) g_ptr_array_index (a->findings, 0))->title, "B");

    /* a bad file is reported with its path; the good ones still load */
    write_file (dir, "15-bad.rules", "[y]\ntitle = Y\ncategory = delay\nkind = (\n");
    write_file (dir, "16-bad.rules", "[z]\nzz = 1\n");
    write_file (dir, "17-good.rules", "[w]\ntitle = W\ncategory = delay\nkind = .\n");
    g_autoptr (MdRuleSet) set2 = md_rules_new ();
    assert_false (md_rules_load_dir (set2, dir, FALSE, &error));
    g_autofree char *want =
        g_strdup_printf ("%s/15-bad.rules:4:9: bad pattern for 'kind': missing closing "
                         "parenthesis at offset 1\n%s/16-bad.rules:2: unknown key 'zz'",
                         dir, dir);
    assert_string_equal (error->message, want);
    assert_int_equal (md_rules_count (set2), 2); /* x (overridden by 20-b) and w */
    g_clear_error (&error);
    remove_dir (dir);

    g_autoptr (MdRuleSet) set3 = md_rules_new ();
    assert_true (md_rules_load_dir (set3, dir, TRUE, &error)); /* optional and missing */
    assert_false (md_rules_load_dir (set3, dir, FALSE, &error));
    g_autofree char *want3 = g_strdup_printf ("%s: No such file or directory", dir);
    assert_string_equal (error->message, want3);
}

static void
default_dirs_honour_env (void **state)
{
    (void) state;
    g_setenv ("MAILDIAG_RULES_DIR", MD_SOURCE_RULES_DIR, TRUE);
    g_autoptr (GPtrArray) dirs = md_rules_default_dirs ();
    assert_true (dirs->len >= 1);
    assert_string_equal (g_ptr_array_index (dirs, 0), MD_SOURCE_RULES_DIR);
    g_setenv ("MAILDIAG_RULES_DIR", "/nonexistent/maildiag-rules", TRUE);
    g_autoptr (GPtrArray) none = md_rules_default_dirs ();
    for (guint i = 0; i < none->len; i++)
        assert_string_not_equal (g_ptr_array_index (none, i), "/nonexistent/maildiag-rules");
    g_unsetenv ("MAILDIAG_RULES_DIR");
}

/* ---- selectors ---- */

static const Hdr sel_headers[] = {
    { "Subject", "Hello" },
    { "X-Spam", "no" },
    { "x-spam", "yes, score=7" },
    { NULL, NULL },
};

static const struct {
    const char *label, *condition;
    const char *scope;
    guint want; /* findings: message scope 0/1, hop scope one per hop that matches */
} sel_rows[] = {
    { "header", "header:Subject = ^Hello$", "message", 1 },
    { "header-miss", "header:Subject = ^hello$", "message", 0 },
    { "header-case-insensitive-name", "header:SUBJECT = (?i)^hello$", "message", 1 },
    { "header-any-occurrence", "header:X-Spam = ^yes", "message", 1 },
    { "header-absent", "header:X-Nothing = ^", "message", 0 },
    { "header-present", "header:X-Spam = ^", "message", 1 },
    { "header-count", "header-count:X-Spam = == 2", "message", 1 },
    { "header-count-absent-is-zero", "header-count:X-Nothing = == 0", "message", 1 },
    { "header-count-miss", "header-count:Received = < 3", "message", 0 },
    { "kind", "kind = ^bounce$", "message", 1 },
    { "kind-trailing-space-stripped", "kind = ^bounce$   ", "message", 1 },
    { "kind-miss", "kind = ^message$", "message", 0 },
    { "hop-count", "hop-count = == 3", "message", 1 },
    { "total-delay", "total.delay = == 65", "message", 1 },
    { "max-delay", "max.delay = == 60", "message", 1 },
    { "hop-delay-per-hop", "hop.delay = >= 5s", "hop", 2 },
    { "hop-delay-range", "hop.delay = >= 5s, < 1m", "hop", 1 },
    { "hop-delay-any-hop", "hop.delay = == 1m", "message", 1 },
    { "hop-delay-undated-hop-absent", "hop.delay = < 1", "hop", 0 },
    { "hop-delay-negative", "hop.delay = < 0", "hop", 0 },
    { "hop-skewed-none", "hop.skewed = == 0", "hop", 2 }, /* hop 1 is undated: absent */
    { "hop-index", "hop.index = >= 2", "hop", 2 },
    { "hop-position", "hop.position = == 0", "hop", 1 },
    { "hop-by", "hop.by = ^mx2\\.", "hop", 1 },
    { "hop-with", "hop.with = ^ESMTPS$", "hop", 1 },
    { "hop-from", "hop.from = ^helo3 relay3\\.example\\.net \\[192\\.0\\.2\\.3\\]$", "hop", 1 },
    { "hop-tls", "hop.tls = ^TLS1\\.3 ", "hop", 1 },
    { "hop-tls-only-where-set", "hop.tls = ^", "hop", 1 }, /* hop 2 alone has TLS */
    /* Not in the model yet: valid, never match. */
    { "status-absent", "status = .", "message", 0 },
    { "reply-absent", "reply = > 0", "recipient", 0 },
    { "auth-absent", "auth.spf = .", "message", 0 },
    { "spam-score-absent", "spam.score = > -1000", "message", 0 },
    { "human-text-absent", "human-text = .", "message", 0 },
};

static void
test_selectors (void **state)
{
    (void) state;
    const gint64 delays[] = { NO_DELAY, 5, 60 };
    for (gsize i = 0; i < G_N_ELEMENTS (sel_rows); i++) {
        g_autofree char *rules =
            g_strdup_printf ("[s]\ntitle = T\ncategory = format\nscope = %s\n%s\n",
                             sel_rows[i].scope, sel_rows[i].condition);
        g_autoptr (MdAnalysis) a = build (MD_KIND_BOUNCE, sel_headers, delays, 3);
        run_text (rules, a, FALSE);
        if (a->findings->len != sel_rows[i].want)
            fail_msg ("row %s: got %u findings, want %u", sel_rows[i].label, a->findings->len,
                      sel_rows[i].want);
    }
}

/* Undated hops have no delay, and a message without dated hops has no total. */
static void
absent_numbers_do_not_match (void **state)
{
    (void) state;
    const gint64 delays[] = { NO_DELAY, NO_DELAY };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, delays, 2);
    run_text ("[t]\ntitle = T\ncategory = delay\ntotal.delay = >= 0\n"
              "[m]\ntitle = M\ncategory = delay\nmax.delay = >= 0\n"
              "[h]\ntitle = H\ncategory = delay\nhop.delay = >= 0\n",
              a, FALSE);
    assert_int_equal (a->findings->len, 0);
}

/* ---- priority and stop ---- */

static void
priority_orders_and_stop_ends_the_subject (void **state)
{
    (void) state;
    const gint64 delays[] = { NO_DELAY, 10, 20 };
    /* file order a, b, c; priorities 0, 10, 0: runs b, a, c */
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, delays, 3);
    run_text ("[a]\ntitle = A\ncategory = delay\nkind = .\n"
              "[b]\ntitle = B\ncategory = delay\nkind = .\npriority = 10\n"
              "[c]\ntitle = C\ncategory = delay\nkind = .\n",
              a, FALSE);
    assert_int_equal (a->findings->len, 3);
    assert_string_equal (((MdFinding *) g_ptr_array_index (a->findings, 0))->rule, "b");
    assert_string_equal (((MdFinding *) g_ptr_array_index (a->findings, 1))->rule, "a");
    assert_string_equal (((MdFinding *) g_ptr_array_index (a->findings, 2))->rule, "c");

    /* stop on hop 3 only: hop 2 still gets the lower rule */
    g_autoptr (MdAnalysis) b = build (MD_KIND_MESSAGE, NULL, delays, 3);
    run_text ("[low]\ntitle = L\ncategory = delay\nscope = hop\nhop.delay = > 0\n"
              "[high]\ntitle = H\ncategory = delay\nscope = hop\npriority = 5\nstop = true\n"
              "hop.delay = > 15\n"
              "[msg]\ntitle = M\ncategory = delay\nkind = .\n",
              b, FALSE);
    assert_int_equal (count_findings (b, "high"), 1);
    assert_int_equal (count_findings (b, "low"), 1);
    assert_int_equal (count_findings (b, "msg"), 1); /* other subjects are not stopped */
    assert_string_equal (find (b, "low")->subject, "2");
    assert_string_equal (find (b, "high")->subject, "3");

    /* a stop rule that does not match stops nothing */
    g_autoptr (MdAnalysis) c = build (MD_KIND_MESSAGE, NULL, delays, 3);
    run_text ("[s]\ntitle = S\ncategory = delay\npriority = 1\nstop = true\nkind = ^bounce$\n"
              "[t]\ntitle = T\ncategory = delay\nkind = .\n",
              c, FALSE);
    assert_int_equal (c->findings->len, 1);
    assert_string_equal (find (c, "t")->title, "T");
}

/* ---- findings: evidence, subjects, placeholders ---- */

static void
evidence_first_condition_or_all_with_explain (void **state)
{
    (void) state;
    const gint64 delays[] = { NO_DELAY, 3600 };
    const char *rules = "[e]\ntitle = T\ncategory = delay\nscope = hop\n"
                        "hop.by = example\\.org$\nhop.delay = >= 30m, < 2h\n";
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, delays, 2);
    run_text (rules, a, FALSE);
    const MdFinding *f = find (a, "e");
    assert_non_null (f);
    assert_string_equal (f->category, "delay");
    assert_int_equal (f->severity, MD_SEVERITY_NOTICE);
    assert_int_equal (f->subject_kind, MD_SUBJECT_HOP);
    assert_string_equal (f->subject, "2");
    assert_int_equal (f->evidence->len, 1);
    const MdEvidence *ev = g_ptr_array_index (f->evidence, 0);
    assert_string_equal (ev->field, "hop.by");
    assert_string_equal (ev->value, "mx2.example.org");
    assert_string_equal (ev->match, "example.org");

    g_autoptr (MdAnalysis) b = build (MD_KIND_MESSAGE, NULL, delays, 2);
    run_text (rules, b, TRUE);
    f = find (b, "e");
    assert_int_equal (f->evidence->len, 2);
    ev = g_ptr_array_index (f->evidence, 1);
    assert_string_equal (ev->field, "hop.delay");
    assert_string_equal (ev->value, "3600");
    assert_string_equal (ev->match, "3600 >= 1800, 3600 < 7200");
}

static void
subject_follows_first_condition (void **state)
{
    (void) state;
    const Hdr headers[] = { { "X-Test", "abc" }, { NULL, NULL } };
    const gint64 delays[] = { NO_DELAY, 90, 3 };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, headers, delays, 3);
    run_text ("[h]\ntitle = {header} says {value}\ncategory = format\nheader:x-test = b\n"
              "[any]\ntitle = hop {hop} by {by}: {delay}, {value}\ncategory = delay\n"
              "hop.delay = > 1m\n"
              "[m]\ntitle = {kind} {hop} {delay} {total} {field}\ncategory = format\n"
              "hop-count = == 3\n",
              a, FALSE);
    const MdFinding *h = find (a, "h");
    assert_int_equal (h->subject_kind, MD_SUBJECT_HEADER);
    assert_string_equal (h->subject, "X-Test"); /* as written in the message */
    assert_string_equal (h->title, "X-Test says abc");
    const MdFinding *any = find (a, "any"); /* message rule, hop condition: the hop it matched */
    assert_int_equal (any->subject_kind, MD_SUBJECT_HOP);
    assert_string_equal (any->subject, "2");
    assert_string_equal (any->title, "hop 2 by mx2.example.org: 1m 30s, 1m 30s");
    const MdFinding *m = find (a, "m");
    assert_int_equal (m->subject_kind, MD_SUBJECT_MESSAGE);
    assert_null (m->subject);
    assert_string_equal (m->title, "message (unknown) 1m 33s 1m 33s hop-count");
}

static const struct {
    gint64 seconds;
    const char *want;
} duration_rows[] = {
    { 0, "0s" },        { 45, "45s" },      { 60, "1m" },      { 65, "1m 5s" },
    { 3600, "1h" },     { 7500, "2h 5m" },  { 7505, "2h 5m" }, { 86400, "1d" },
    { 90061, "1d 1h" }, { -125, "-2m 5s" }, { -1, "-1s" },     { 864000, "10d" },
};

static void
delay_placeholder_is_human (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (duration_rows); i++) {
        const gint64 delays[] = { NO_DELAY, duration_rows[i].seconds };
        g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, delays, 2);
        run_text ("[d]\ntitle = {delay}\ncategory = delay\nscope = hop\nhop.index = == 2\n", a,
                  FALSE);
        const MdFinding *f = find (a, "d");
        if (f == NULL || strcmp (f->title, duration_rows[i].want) != 0)
            fail_msg ("row %" G_GINT64_FORMAT ": got '%s', want '%s'", duration_rows[i].seconds,
                      f != NULL ? f->title : "(none)", duration_rows[i].want);
    }
}

/* A Received "by" can hold anything: terminal escapes, bidi overrides, kilobytes. */
static void
placeholders_are_sanitised_and_bounded (void **state)
{
    (void) state;
    const gint64 delays[] = { NO_DELAY, 600 };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, delays, 2);
    MdHop *hop = g_ptr_array_index (a->hops, 1);
    hop->by = md_analysis_intern (a, "evil\x1b[31mred\x7f\tx\xe2\x80\xaeoverride\xc2\x85", -1);
    g_autofree char *longname = g_strnfill (300, 'h');
    hop->from_rdns = md_analysis_intern (a, longname, -1);
    hop->from_ip = NULL;
    run_text ("[p]\ntitle = by {by}\ncategory = delay\nscope = hop\nhop.delay = > 0\n"
              "advice = {{from}} = {from}.\n",
              a, FALSE);
    const MdFinding *f = find (a, "p");
    assert_string_equal (f->title, "by evil [31mred  xoverride ");
    g_autofree char *want = g_strdup_printf ("{from} = %.*s….", 100, longname);
    assert_string_equal (f->advice, want);
}

static void
evidence_value_is_bounded (void **state)
{
    (void) state;
    g_autofree char *big = g_strnfill (1000, 'x');
    const Hdr headers[] = { { "X-Big", big }, { NULL, NULL } };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, headers, NULL, 0);
    run_text ("[b]\ntitle = T\ncategory = format\nheader:X-Big = x+$\n", a, FALSE);
    const MdEvidence *ev = g_ptr_array_index (find (a, "b")->evidence, 0);
    assert_int_equal (g_utf8_strlen (ev->value, -1), 201); /* 200 and "…" */
    assert_true (g_str_has_suffix (ev->value, "…"));
    assert_int_equal (g_utf8_strlen (ev->match, -1), 201);
}

/* ---- limits ---- */

static void
catastrophic_pattern_gives_up_with_a_warning (void **state)
{
    (void) state;
    g_autofree char *hostile = g_malloc (50002);
    memset (hostile, 'a', 50000);
    hostile[50000] = 'b';
    hostile[50001] = '\0';
    const Hdr headers[] = { { "X-Test", hostile }, { "X-Test", hostile }, { NULL, NULL } };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, headers, NULL, 0);
    gint64 start = g_get_monotonic_time ();
    run_text ("[evil]\ntitle = T\ncategory = format\nheader:X-Test = ^(a+)+$\n"
              "[fine]\ntitle = F\ncategory = format\nheader:X-Test = b$\n",
              a, FALSE);
    gint64 elapsed = g_get_monotonic_time () - start;
    assert_true (elapsed < 500 * 1000); /* ~1 ms here; generous for sanitizers and slow CI */
    assert_int_equal (count_findings (a, "evil"), 0);
    assert_int_equal (count_findings (a, "fine"), 1);
    assert_int_equal (a->input.warnings->len, 1); /* once per rule, not per field */
    const MdWarning *w = g_ptr_array_index (a->input.warnings, 0);
    assert_string_equal (w->code, "rule-limit");
    assert_string_equal (w->item, "evil");
}

/* advice[lang] follows the user's language at load time, falling back to plain advice. */
static void
translated_advice_follows_language (void **state)
{
    (void) state;
    const char *rules = "[a]\ntitle = T\ncategory = delay\nkind = .\nadvice = Hop {hop}\n"
                        "advice[de] = Sprung {hop}\n";
    g_setenv ("LANGUAGE", "de_AT:de", TRUE);
    g_autoptr (MdAnalysis) a = run_text (rules, build (MD_KIND_MESSAGE, NULL, NULL, 0), FALSE);
    g_setenv ("LANGUAGE", "fr", TRUE);
    g_autoptr (MdAnalysis) b = run_text (rules, build (MD_KIND_MESSAGE, NULL, NULL, 0), FALSE);
    g_unsetenv ("LANGUAGE");
    assert_string_equal (find (a, "a")->advice, "Sprung (unknown)");
    assert_string_equal (find (b, "a")->advice, "Hop (unknown)");
}

/* Stages other than diagnose load and validate, and do nothing yet. */
static void
other_stages_run_nothing_yet (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    g_autoptr (MdRuleSet) set =
        load_text ("[c]\nstage = classify\nreason = userunknown\nkind = .\n");
    assert_int_equal (md_rules_count (set), 1);
    md_rules_run (set, MD_STAGE_CLASSIFY, a, FALSE);
    md_rules_run (set, MD_STAGE_DIAGNOSE, a, FALSE);
    assert_int_equal (a->findings->len, 0);
}

/* ---- the shipped rules: each fires once and stays quiet once ---- */

static MdRuleSet *
shipped_rules (void)
{
    MdRuleSet *set = md_rules_new ();
    g_autoptr (GError) error = NULL;
    if (!md_rules_load_dir (set, MD_SOURCE_RULES_DIR, FALSE, &error))
        fail_msg ("%s", error->message);
    return set;
}

static void
shipped_rules_load (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = shipped_rules ();
    g_autoptr (GString) summary = g_string_new (NULL);
    md_rules_summary (set, summary);
    assert_string_equal (summary->str, "7 rules in 2 files");
}

#define GREYLIST_MILTER                                                                            \
    "delayed 1800 seconds by milter-greylist-4.6.4 (mx2.example.org [192.0.2.2]); Tue, 03 Nov "    \
    "2026 10:45:00 +0000"

static const struct {
    const char *label;
    MdKind kind;
    const char *x_greylist; /* NULL: none */
    gint64 delays[4];       /* hop 1 is never dated against anything */
    guint n_hops;
    const char *rule;
    const char *want_subject; /* the finding's hop, NULL: the rule must not fire */
    const char *want_title;
} shipped_rows[] = {
    { "greylisting-milter",
      MD_KIND_MESSAGE,
      GREYLIST_MILTER,
      { NO_DELAY, 5, 1805 },
      3,
      "delay.greylisting",
      "3",
      "Hop 3 was delayed 30m 5s by greylisting" },
    { "greylisting-milter-new-format",
      MD_KIND_MESSAGE,
      "Delayed for 00:30:16 by milter-greylist-4.6.4 (mx.example.org [192.0.2.9])",
      { NO_DELAY, 1816 },
      2,
      "delay.greylisting",
      "2",
      NULL },
    { "greylisting-postgrey",
      MD_KIND_MESSAGE,
      "delayed 300 seconds by postgrey-1.37 at mx.example.org; Tue, 03 Nov 2026 10:45:00 +0000",
      { NO_DELAY, 310 },
      2,
      "delay.greylisting",
      "2",
      NULL },
    /* greylisting explains the delay: the tiers stay quiet on that hop (stop) */
    { "greylisting-stops-tiers",
      MD_KIND_MESSAGE,
      GREYLIST_MILTER,
      { NO_DELAY, 5, 1805 },
      3,
      "delay.hop-retried",
      NULL,
      NULL },
    { "greylisting-whitelisted",
      MD_KIND_MESSAGE,
      "Sender IP whitelisted, not delayed by milter-greylist-4.6.4 (mx.example.org [192.0.2.9])",
      { NO_DELAY, 1805 },
      2,
      "delay.greylisting",
      NULL,
      NULL },
    { "greylisting-no-delay",
      MD_KIND_MESSAGE,
      GREYLIST_MILTER,
      { NO_DELAY, 20 },
      2,
      "delay.greylisting",
      NULL,
      NULL },
    { "greylisting-no-header",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 1805 },
      2,
      "delay.greylisting",
      NULL,
      NULL },
    { "hop-slow",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 2, 600 },
      3,
      "delay.hop-slow",
      "3",
      "Hop 3 took 10m" },
    { "hop-slow-not-4m",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 2, 240 },
      3,
      "delay.hop-slow",
      NULL,
      NULL },
    { "hop-slow-not-30m",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 1800 },
      2,
      "delay.hop-slow",
      NULL,
      NULL },
    /* samples/clock-skew.eml: a clock 9 minutes behind gives -8m 57s then 9m 2s */
    { "hop-slow-not-beside-skew",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 2, -537, 542 },
      4,
      "delay.hop-slow",
      NULL,
      NULL },
    { "hop-slow-not-before-skew",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 542, -537, 2 },
      4,
      "delay.hop-slow",
      NULL,
      NULL },
    { "hop-slow-skew-two-hops-away",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, -5, 2, 600 },
      4,
      "delay.hop-slow",
      "4",
      "Hop 4 took 10m" },
    { "hop-retried",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 1805 },
      2,
      "delay.hop-retried",
      "2",
      "Hop 2 took 30m 5s: the first delivery attempt probably failed" },
    { "hop-retried-not-1h",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 3600 },
      2,
      "delay.hop-retried",
      NULL,
      NULL },
    { "hop-very-slow",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 7500, 3 },
      3,
      "delay.hop-very-slow",
      "2",
      "Hop 2 took 2h 5m" },
    { "hop-very-slow-not-59m",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 3599 },
      2,
      "delay.hop-very-slow",
      NULL,
      NULL },
    { "clock-skew",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, -125, 4 },
      3,
      "delay.clock-skew",
      "2",
      "Hop 2 is dated before the server that sent it (-2m 5s)" },
    { "clock-skew-not-zero",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 0, 4 },
      3,
      "delay.clock-skew",
      NULL,
      NULL },
    { "total-slow",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 1200, 1400, 1400 },
      4,
      "delay.total-slow",
      NULL,
      "Delivery took 1h 6m in total" },
    { "total-slow-not-one-hop",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 3000, 1000 },
      3,
      "delay.total-slow",
      NULL,
      NULL },
    { "total-slow-not-fast",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY, 1200, 1200 },
      3,
      "delay.total-slow",
      NULL,
      NULL },
    { "no-received",
      MD_KIND_MESSAGE,
      NULL,
      { 0 },
      0,
      "format.no-received",
      NULL,
      "No Received lines: the path of the message is unknown" },
    { "no-received-pasted-headers",
      MD_KIND_HEADERS,
      NULL,
      { 0 },
      0,
      "format.no-received",
      NULL,
      "No Received lines: the path of the message is unknown" },
    { "no-received-not-with-chain",
      MD_KIND_MESSAGE,
      NULL,
      { NO_DELAY },
      1,
      "format.no-received",
      NULL,
      NULL },
    { "no-received-not-bounce", MD_KIND_BOUNCE, NULL, { 0 }, 0, "format.no-received", NULL, NULL },
};

static void
shipped_rules_fire_and_stay_quiet (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = shipped_rules ();
    for (gsize i = 0; i < G_N_ELEMENTS (shipped_rows); i++) {
        const Hdr headers[] = { { "X-Greylist", shipped_rows[i].x_greylist }, { NULL, NULL } };
        g_autoptr (MdAnalysis) a =
            build (shipped_rows[i].kind, shipped_rows[i].x_greylist != NULL ? headers : NULL,
                   shipped_rows[i].delays, shipped_rows[i].n_hops);
        md_rules_run (set, MD_STAGE_DIAGNOSE, a, FALSE);
        const MdFinding *f = find (a, shipped_rows[i].rule);
        gboolean want = shipped_rows[i].want_subject != NULL || shipped_rows[i].want_title != NULL;
        if (want != (f != NULL))
            fail_msg ("row %s: %s %s", shipped_rows[i].label, shipped_rows[i].rule,
                      f != NULL ? "fired" : "did not fire");
        if (f == NULL)
            continue;
        if (count_findings (a, shipped_rows[i].rule) != 1)
            fail_msg ("row %s: fired %u times", shipped_rows[i].label,
                      count_findings (a, shipped_rows[i].rule));
        if (shipped_rows[i].want_subject != NULL &&
            g_strcmp0 (f->subject, shipped_rows[i].want_subject) != 0)
            fail_msg ("row %s: got subject %s", shipped_rows[i].label, f->subject);
        if (shipped_rows[i].want_title != NULL &&
            strcmp (f->title, shipped_rows[i].want_title) != 0)
            fail_msg ("row %s: got title '%s'", shipped_rows[i].label, f->title);
        if (f->advice == NULL || strstr (f->advice, "(unknown)") != NULL || strchr (f->advice, '{'))
            fail_msg ("row %s: advice '%s'", shipped_rows[i].label, f->advice);
    }
}

/* The advice a person reads, in full, once. */
static void
shipped_advice_reads_well (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = shipped_rules ();
    const gint64 delays[] = { NO_DELAY, 600 };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, delays, 2);
    md_rules_run (set, MD_STAGE_DIAGNOSE, a, FALSE);
    assert_int_equal (a->findings->len, 1);
    assert_string_equal (find (a, "delay.hop-slow")->advice,
                         "The message waited 10m before mx2.example.org received it from "
                         "relay2.example.net [192.0.2.2]. Mail usually crosses a server in "
                         "seconds, so the sending side held it: a long queue, slow virus or spam "
                         "scanning, or a sending rate limit. A single occurrence needs no action; "
                         "if it repeats, ask the administrator of relay2.example.net [192.0.2.2] "
                         "to look up this message in the mail log.");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_loader_errors),
        cmocka_unit_test (selector_keys_need_no_escape),
        cmocka_unit_test (test_override),
        cmocka_unit_test (load_dir_lexical_order_and_errors),
        cmocka_unit_test (default_dirs_honour_env),
        cmocka_unit_test (test_selectors),
        cmocka_unit_test (absent_numbers_do_not_match),
        cmocka_unit_test (priority_orders_and_stop_ends_the_subject),
        cmocka_unit_test (evidence_first_condition_or_all_with_explain),
        cmocka_unit_test (subject_follows_first_condition),
        cmocka_unit_test (delay_placeholder_is_human),
        cmocka_unit_test (placeholders_are_sanitised_and_bounded),
        cmocka_unit_test (evidence_value_is_bounded),
        cmocka_unit_test (catastrophic_pattern_gives_up_with_a_warning),
        cmocka_unit_test (translated_advice_follows_language),
        cmocka_unit_test (other_stages_run_nothing_yet),
        cmocka_unit_test (shipped_rules_load),
        cmocka_unit_test (shipped_rules_fire_and_stay_quiet),
        cmocka_unit_test (shipped_advice_reads_well),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
