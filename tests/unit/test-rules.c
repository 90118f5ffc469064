/* test-rules.c - the rules engine: loader errors with exact file:line messages, overrides and
 * directories, every selector, priority and stop, placeholders and evidence, the PCRE2 limits,
 * and the shipped delay and format rules with their titles and subjects (every shipped rule's
 * firing and non-firing cases, STYLE §9: test-rule-cases.c). The model is built by hand: the
 * parsers are tested elsewhere. */
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
#define EXTRACT "[x]\nstage = extract\n"          /* lines 1-2 */
#define CLASSIFY "[c]\nstage = classify\n"        /* lines 1-2 */

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
    { "bad-reason", "[c]\nstage = classify\nreason = nouser\nstatus = .\n",
      "t.rules:3: unknown reason 'nouser' (see DESIGN §5)" },
    { "bad-scope", HEAD "scope = recipients\nkind = .\n",
      "t.rules:4: unknown scope 'recipients' (message, recipient, hop, spam)" },
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
      "{from} {with} {tls} {value} {header} {field} {kind} {recipient} {status} {reply} "
      "{diagnostic} {remote_mta} {reason} {smtp_command} {format} {reporting_mta} {code} {filter} "
      "{score} {tests} {from_domain} {org_domain} {spf_domain} {dkim_domains})" },
    { "bad-placeholder-translation", HEAD "kind = .\nadvice = ok\nadvice[de] = {Hop}\n",
      "t.rules:6: 'advice[de]': unknown placeholder {Hop} (known: {hop} {delay} {total} {by} "
      "{from} {with} {tls} {value} {header} {field} {kind} {recipient} {status} {reply} "
      "{diagnostic} {remote_mta} {reason} {smtp_command} {format} {reporting_mta} {code} {filter} "
      "{score} {tests} {from_domain} {org_domain} {spf_domain} {dkim_domains})" },
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
           "spam.score = >= 5.5\nspam.verdict = .\nreason = ^userunknown$\nhard = == 1\n"
           "report-type = .\nbounce.format = .\nrecipient-count = > 0\n",
      NULL },
    { "ok-empty-file", "", NULL },
    /* extraction and classification (rules/README.md "Bounce extraction and classification") */
    { "recipients-without-recipient-group",
      EXTRACT "format = f\nrecipients = (?<status>5\\.\\d\\.\\d) (?<diagnostic>.*)\n",
      "t.rules:4: 'recipients' needs a (?<recipient>…) group" },
    { "recipients-unknown-group",
      EXTRACT "format = f\nrecipients = (?<recipient>\\S+) (?<diag>.*)\n",
      "t.rules:4: unknown group (?<diag>…) in 'recipients' (known: recipient, status, reply, "
      "diagnostic, remote_mta, smtp_command, action)" },
    { "recipients-bad-pattern", EXTRACT "format = f\nrecipients = (?<recipient>\\S+\n",
      "t.rules:4:30: bad pattern for 'recipients': missing closing parenthesis at offset 16" },
    { "recipients-empty", EXTRACT "format = f\nrecipients =  \n",
      "t.rules:4: 'recipients' is empty" },
    { "recipients-without-format", EXTRACT "recipients = (?<recipient>\\S+@\\S+)\n",
      "t.rules:1: rule [x] has 'recipients' but no 'format' (name the bounce format it reads)" },
    { "shared-recipient-group", EXTRACT "human-text = x\nshared = (?<recipient>\\S+)\n",
      "t.rules:4: unknown group (?<recipient>…) in 'shared' (known: status, reply, diagnostic, "
      "remote_mta, smtp_command, action)" },
    { "shared-no-group", EXTRACT "human-text = x\nshared = (5\\.\\d\\.\\d)\n",
      "t.rules:4: 'shared' needs a named group (status, reply, diagnostic, remote_mta, "
      "smtp_command, action)" },
    { "unknown-kind", EXTRACT "kind = vacation\nhuman-text = x\n",
      "t.rules:3: unknown kind 'vacation' (bounce, feedback, auto-reply)" },
    { "unknown-action", EXTRACT "format = f\nrecipients = (?<recipient>x)\naction = bounced\n",
      "t.rules:5: unknown action 'bounced' (failed, delayed, delivered, relayed, expanded)" },
    { "bad-format", EXTRACT "format = Postfix 3\nrecipients = (?<recipient>x)\n",
      "t.rules:3: format must be a lowercase token (letters, digits, '.', '-', '_'), not "
      "'Postfix 3'" },
    { "action-without-recipients", EXTRACT "human-text = x\naction = delayed\n",
      "t.rules:4: 'action' needs 'recipients': it is the action of the recipients the rule "
      "creates" },
    { "merge-without-recipients", EXTRACT "human-text = x\nmerge = true\n",
      "t.rules:4: 'merge' needs 'recipients' or 'spam-filter'" },
    { "bad-merge", EXTRACT "format = f\nrecipients = (?<recipient>x)\nmerge = yes\n",
      "t.rules:5: 'merge' must be true or false, not 'yes'" },
    { "extract-no-conditions", EXTRACT "kind = auto-reply\n",
      "t.rules:1: rule [x] has no conditions" },
    { "extract-scope", EXTRACT "scope = recipient\nhuman-text = x\n",
      "t.rules:3: extract rules run once per message: scope must be message" },
    { "recipients-in-diagnose", HEAD "kind = .\nrecipients = (?<recipient>x)\n",
      "t.rules:5: 'recipients' belongs to extract rules (stage = extract)" },
    { "format-in-classify", CLASSIFY "reason = blocked\nformat = x\nstatus = .\n",
      "t.rules:4: 'format' belongs to extract rules (stage = extract)" },
    { "classify-no-reason", CLASSIFY "status = ^5\n",
      "t.rules:1: rule [c] has no reason (classify rules need one)" },
    { "classify-scope", CLASSIFY "scope = message\nreason = blocked\nstatus = .\n",
      "t.rules:3: classify rules run once per recipient: scope must be recipient" },
    { "classify-reason-not-in-vocabulary", CLASSIFY "reason = user-unknown\nstatus = .\n",
      "t.rules:3: unknown reason 'user-unknown' (see DESIGN §5)" },
    { "classify-bad-hard", CLASSIFY "reason = blocked\nhard = yes\nstatus = .\n",
      "t.rules:4: 'hard' must be true or false, not 'yes'" },
    /* outside classify, reason and hard are conditions on the recipient */
    { "diagnose-hard-is-a-condition", HEAD "hard = true\n",
      "t.rules:4: bad numeric condition for 'hard': expected an operator (< <= > >= == !=) at "
      "'true'" },
    { "ok-extract-full",
      "[x]\nstage = extract\npriority = 10\nstop = true\nformat = postfix\nkind = bounce\n"
      "action = delayed\nmerge = true\nheader:From = (?i)mailer-daemon\n"
      "recipient-count = == 0\n"
      "recipients = (?m)^<(?<recipient>[^>]+)>: (?<reply>\\d{3}) (?<status>\\S+) "
      "(?<diagnostic>.*)(?<remote_mta>)(?<smtp_command>)(?<action>)\n"
      "shared = (?<remote_mta>mx\\S+)\n",
      NULL },
    { "ok-extract-only-recipients", EXTRACT "format = f\nrecipients = (?<recipient>\\S+@\\S+)\n",
      NULL },
    { "ok-duplicate-group-names",
      EXTRACT "format = f\nrecipients = (?J)<(?<recipient>[^>]+)>|(?<recipient>\\S+@\\S+)\n",
      NULL },
    { "ok-classify-explicit-scope", CLASSIFY "scope = recipient\nreason = blocked\nstatus = .\n",
      NULL },
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

/* ---- bounces: extraction, classification, recipient diagnosis ---- */

/* set_human_text - the bounce text as message.c hands it over (lines kept: the test may use
 * line anchors) */
static void
set_human_text (MdAnalysis *a, const char *text)
{
    a->body.human_text = g_string_chunk_insert (a->strings, text);
    a->body.human_text_len = strlen (text);
}

static MdRecipient *
add_recipient (MdAnalysis *a, const char *address, const char *status, int reply,
               const char *diagnostic)
{
    MdRecipient *r = md_bounce_add_recipient (a);
    r->recipient = md_analysis_intern (a, address, -1);
    r->status = md_analysis_intern (a, status, -1);
    r->reply_code = reply;
    r->diagnostic = md_analysis_intern (a, diagnostic, -1);
    return r;
}

static const MdRecipient *
recipient (const MdAnalysis *a, guint i)
{
    assert_non_null (a->bounce);
    assert_true (i < a->bounce->recipients->len);
    return g_ptr_array_index (a->bounce->recipients, i);
}

static guint
n_recipients (const MdAnalysis *a)
{
    return a->bounce != NULL ? a->bounce->recipients->len : 0;
}

static void
run_stage (const char *rules, MdStage stage, MdAnalysis *a, gboolean explain)
{
    g_autoptr (MdRuleSet) set = load_text (rules);
    md_rules_run (set, stage, a, explain);
}

static const Hdr daemon_headers[] = {
    { "From", "Mail Delivery System <MAILER-DAEMON@mx.example.net>" },
    { "Subject", "Undelivered Mail Returned to Sender" },
    { NULL, NULL },
};

/* A Postfix-like text: alice twice (the second time with more detail), BOB once. */
#define POSTFIX_TEXT                                                                               \
    "This is the mail system at host mx.example.net.\n\n"                                          \
    "<alice@example.org>: 550 5.1.1 User   unknown\t in\n"                                         \
    "<BOB@example.org>: host mx.example.org[192.0.2.1] said: 552 5.2.2 Mailbox full (in reply "    \
    "to RCPT TO command)\n"                                                                        \
    "<ALICE@example.org>: host mx2.example.org said: 550 5.1.1 second words\n"
#define POSTFIX_RULE                                                                               \
    "[bounce.test]\nstage = extract\nformat = postfix\nheader:From = (?i)mailer-daemon\n"          \
    "recipients = (?m)^<(?<recipient>[^>]+)>:(?: host (?<remote_mta>\\S+) said:)? "                \
    "(?<reply>\\d{3}) (?<status>\\d\\.\\d+\\.\\d+) (?<diagnostic>.*?)"                             \
    "(?:\\(in reply to (?<smtp_command>\\S+ TO) command\\))?$\n"

static void
extract_every_match_with_named_groups (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, daemon_headers, NULL, 0);
    set_human_text (a, POSTFIX_TEXT);
    run_stage (POSTFIX_RULE, MD_STAGE_EXTRACT, a, FALSE);
    assert_int_equal (n_recipients (a), 2); /* alice once: addresses compare case-insensitively */
    assert_string_equal (a->bounce->format, "postfix");
    const MdRecipient *alice = recipient (a, 0), *bob = recipient (a, 1);
    assert_string_equal (alice->recipient, "alice@example.org"); /* the first spelling */
    assert_string_equal (alice->status, "5.1.1");
    assert_string_equal (alice->status_source, "diagnostic");
    assert_int_equal (alice->reply_code, 550);
    assert_string_equal (alice->diagnostic, "User unknown in"); /* white space collapsed */
    assert_string_equal (alice->remote_mta, "mx2.example.org"); /* filled by the later match */
    assert_string_equal (alice->action, "failed");
    assert_null (alice->smtp_command);
    assert_null (alice->reason);
    assert_string_equal (bob->recipient, "BOB@example.org");
    assert_string_equal (bob->status, "5.2.2");
    assert_int_equal (bob->reply_code, 552);
    assert_string_equal (bob->remote_mta, "mx.example.org[192.0.2.1]");
    assert_string_equal (bob->diagnostic, "Mailbox full");
    assert_string_equal (bob->smtp_command, "RCPT"); /* the verb, upper case */
    assert_int_equal (a->findings->len, 0);
    assert_int_equal (a->input.warnings->len, 0);

    /* the conditions still decide: no MAILER-DAEMON, no extraction */
    g_autoptr (MdAnalysis) b = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    set_human_text (b, POSTFIX_TEXT);
    run_stage (POSTFIX_RULE, MD_STAGE_EXTRACT, b, FALSE);
    assert_null (b->bounce);
}

static const struct {
    const char *label, *pattern, *text;
    const char *want; /* recipients joined by " ", then "|" and their fields */
} address_rows[] = {
    { "punctuation-and-brackets", "(?<recipient>\\S+@\\S+)",
      "To <dave@example.org>: and 'erin@example.org', frank@example.org.",
      "dave@example.org erin@example.org frank@example.org" },
    { "empty-matches-advance", "(?<recipient>(?:[^\\s@]+@[^\\s@]+)?)",
      "ü x@example.org ü y@example.org", "x@example.org y@example.org" },
    { "unset-group-is-no-recipient", "(?:(?<recipient>\\S+@\\S+)|failed)",
      "failed failed z@example.org", "z@example.org" },
    { "duplicate-names", "(?J)(?:<(?<recipient>[^>]+)>|mailbox (?<recipient>\\S+))",
      "<p@example.org> mailbox q@example.org", "p@example.org q@example.org" },
    { "nothing-left", "(?<recipient><[ >]*>)", "<> < >", "" },
    { "quotes-inside-kept", "(?<recipient>\"[^\"]+\"@\\S+)", "\"john doe\"@example.org",
      "\"john doe\"@example.org" },
};

static void
extracted_addresses_are_cleaned (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (address_rows); i++) {
        g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, NULL, 0);
        set_human_text (a, address_rows[i].text);
        g_autofree char *rules = g_strdup_printf ("[x]\nstage = extract\nformat = f\n"
                                                  "recipients = %s\n",
                                                  address_rows[i].pattern);
        run_stage (rules, MD_STAGE_EXTRACT, a, FALSE);
        g_autoptr (GString) got = g_string_new (NULL);
        for (guint k = 0; k < n_recipients (a); k++)
            g_string_append_printf (got, "%s%s", k > 0 ? " " : "", recipient (a, k)->recipient);
        if (strcmp (got->str, address_rows[i].want) != 0)
            fail_msg ("row %s: got '%s'", address_rows[i].label, got->str);
    }
}

/* A recipients pattern that finds nobody means the rule does not match: the next rule runs, and
 * its stop does not apply. A rule that matched and says stop ends the stage. */
static void
extract_no_recipient_is_no_match_and_stop_ends_the_stage (void **state)
{
    (void) state;
    const char *rules = "[first]\nstage = extract\npriority = 10\nstop = true\nformat = first\n"
                        "kind = bounce\nhuman-text = mail system\n"
                        "recipients = (?<recipient>\\S+@nowhere\\.example)\n"
                        "[second]\nstage = extract\nstop = true\nformat = second\n"
                        "action = delayed\nhuman-text = mail system\n"
                        "recipients = <(?<recipient>[^>]+)>\n"
                        "[third]\nstage = extract\nformat = third\nkind = feedback\n"
                        "human-text = mail system\n";
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    set_human_text (a, POSTFIX_TEXT);
    run_stage (rules, MD_STAGE_EXTRACT, a, FALSE);
    assert_int_equal (a->kind, MD_KIND_MESSAGE); /* first did not match: its kind is not set */
    assert_string_equal (a->bounce->format, "second");
    assert_int_equal (n_recipients (a), 2);
    assert_string_equal (recipient (a, 0)->action, "delayed");
    assert_null (recipient (a, 0)->status); /* no such group in this pattern */
}

/* DSN recipients win; shared fills what they lack; merge adds to them. */
static void
extract_shared_fills_and_merge_adds (void **state)
{
    (void) state;
    const char *rules = "[x]\nstage = extract\nformat = exchange\nhuman-text = Remote Server\n"
                        "recipients = (?m)^(?<recipient>\\S+@\\S+) (?<action>\\w+)$\n"
                        "shared = Remote Server returned '(?<reply>\\d+) (?<status>[\\d.]+) "
                        "(?<diagnostic>[^']*)'(?:.*?\\bby (?<remote_mta>\\S+))?\n";
    const char *text = "Delivery has failed to these recipients or groups:\n"
                       "dsn@example.org delivered\nextra@example.org delayed\n"
                       "Remote Server returned '550 5.7.1 Relaying   denied' by mx.example.org.\n";
    g_autoptr (MdAnalysis) a = build (MD_KIND_BOUNCE, NULL, NULL, 0);
    set_human_text (a, text);
    MdRecipient *dsn = add_recipient (a, "DSN@example.org", "5.0.0", 0, NULL);
    dsn->status_source = "dsn";
    a->bounce->format = "rfc3464";
    run_stage (rules, MD_STAGE_EXTRACT, a, FALSE);
    assert_int_equal (n_recipients (a), 1); /* no merge: the DSN's list stands */
    assert_string_equal (a->bounce->format, "rfc3464");
    assert_string_equal (dsn->status, "5.0.0"); /* the DSN's own field is kept */
    assert_string_equal (dsn->status_source, "dsn");
    assert_int_equal (dsn->reply_code, 550);
    assert_string_equal (dsn->diagnostic, "Relaying denied");
    assert_string_equal (dsn->remote_mta, "mx.example.org");
    assert_null (dsn->action);

    g_autofree char *merging = g_strdup_printf ("%smerge = true\n", rules);
    g_autoptr (MdAnalysis) b = build (MD_KIND_BOUNCE, NULL, NULL, 0);
    set_human_text (b, text);
    MdRecipient *dsn2 = add_recipient (b, "DSN@example.org", "5.0.0", 0, NULL);
    b->bounce->format = "rfc3464";
    run_stage (merging, MD_STAGE_EXTRACT, b, FALSE);
    assert_int_equal (n_recipients (b), 2);
    assert_string_equal (b->bounce->format, "rfc3464");
    assert_string_equal (dsn2->action, "delivered"); /* the same address: filled, not added */
    const MdRecipient *extra = recipient (b, 1);
    assert_string_equal (extra->recipient, "extra@example.org");
    assert_string_equal (extra->action, "delayed"); /* the group's word wins over "failed" */
    assert_string_equal (extra->diagnostic, "Relaying denied"); /* shared ran after recipients */

    /* without DSN recipients the rule's own list and format stand */
    g_autoptr (MdAnalysis) c = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    set_human_text (c, text);
    run_stage (rules, MD_STAGE_EXTRACT, c, FALSE);
    assert_int_equal (n_recipients (c), 2);
    assert_string_equal (c->bounce->format, "exchange");
}

static void
extract_kind_auto_reply_adds_the_sender (void **state)
{
    (void) state;
    const char *rules = "[auto.vacation]\nstage = extract\nkind = auto-reply\n"
                        "header:Auto-Submitted = ^auto-replied\n"
                        "[classify.any]\nstage = classify\nreason = undefined\nrecipient = ^\n";
    const Hdr headers[] = { { "Auto-Submitted", "auto-replied (vacation)" }, { NULL, NULL } };
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, headers, NULL, 0);
    MdAddress *group = g_new0 (MdAddress, 1); /* a group has no address: the next one counts */
    group->name = "team";
    g_ptr_array_add (a->message.from, group);
    MdAddress *from = g_new0 (MdAddress, 1);
    from->name = "Boss";
    from->address = md_analysis_intern (a, "boss@example.org", -1);
    g_ptr_array_add (a->message.from, from);
    g_autoptr (MdRuleSet) set = load_text (rules);
    md_rules_run (set, MD_STAGE_EXTRACT, a, FALSE);
    md_rules_run (set, MD_STAGE_CLASSIFY, a, FALSE);
    assert_int_equal (a->kind, MD_KIND_AUTO_REPLY);
    assert_int_equal (n_recipients (a), 1);
    const MdRecipient *r = recipient (a, 0);
    assert_string_equal (r->recipient, "boss@example.org");
    assert_string_equal (r->reason, "vacation"); /* classification leaves it alone */
    assert_false (r->hard);
    assert_null (r->action);
    assert_string_equal (r->rule, "auto.vacation");

    g_autoptr (MdAnalysis) b = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    md_rules_run (set, MD_STAGE_EXTRACT, b, FALSE);
    assert_int_equal (b->kind, MD_KIND_MESSAGE);
    assert_null (b->bounce);
}

/* Hostile text naming more addresses than any bounce does: bounded, with one warning. */
static void
extract_recipient_count_is_bounded (void **state)
{
    (void) state;
    g_autoptr (GString) text = g_string_new (NULL);
    for (guint i = 0; i < MD_MAX_RECIPIENTS + 50; i++)
        g_string_append_printf (text, "u%u@example.org\n", i);
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    set_human_text (a, text->str);
    gint64 start = g_get_monotonic_time ();
    run_stage ("[many]\nstage = extract\nformat = f\nrecipients = (?<recipient>\\S+@\\S+)\n",
               MD_STAGE_EXTRACT, a, FALSE);
    gint64 elapsed = g_get_monotonic_time () - start;
    assert_true (elapsed < 2 * 1000 * 1000); /* ~15 ms here; generous for sanitizers */
    assert_int_equal (n_recipients (a), MD_MAX_RECIPIENTS);
    assert_int_equal (a->input.warnings->len, 1);
    const MdWarning *w = g_ptr_array_index (a->input.warnings, 0);
    assert_string_equal (w->code, "recipient-limit");
    assert_string_equal (w->item, "many");
}

#define CLASSIFY_RULES                                                                             \
    "[r.low]\nstage = classify\npriority = -5\nreason = undefined\nrecipient = ^\n"                \
    "[r.user]\nstage = classify\nreason = userunknown\nstatus = ^5\\.1\\.1$\n"                     \
    "[r.user-late]\nstage = classify\nreason = rejected\nstatus = ^5\\.1\\.1$\n"                   \
    "[r.full]\nstage = classify\npriority = 5\nreason = mailboxfull\nstatus = ^[45]\\.2\\.2$\n"    \
    "diagnostic = (?i)full\n"                                                                      \
    "[r.nullmx]\nstage = classify\nscope = recipient\nreason = notaccept\n"                        \
    "diagnostic = (?i)null MX\n"                                                                   \
    "[r.block]\nstage = classify\nreason = blocked\nhard = true\nreply = >= 550, < 560\n"          \
    "diagnostic = (?i)blocked\n"

static void
classify_first_match_and_default_hard (void **state)
{
    (void) state;
    static const struct {
        const char *address, *status;
        int reply;
        const char *diagnostic;
        const char *want_reason, *want_rule;
        gboolean want_hard;
    } rows[] = {
        { "user@example.org", "5.1.1", 550, "no such user", "userunknown", "r.user", TRUE },
        { "full@example.org", "4.2.2", 452, "mailbox full", "mailboxfull", "r.full", FALSE },
        { "nullmx-5@example.org", "5.1.10", 556, "domain has null MX", "notaccept", "r.nullmx",
          TRUE },
        { "nullmx-4@example.org", "4.4.4", 450, "null MX?", "notaccept", "r.nullmx", FALSE },
        { "nullmx-none@example.org", NULL, 0, "null MX", "notaccept", "r.nullmx", TRUE },
        { "block@example.org", "5.7.1", 554, "blocked", "blocked", "r.block", TRUE },
        { "other@example.org", "4.0.0", 421, "try later", "undefined", "r.low", FALSE },
    };
    g_autoptr (MdAnalysis) a = build (MD_KIND_BOUNCE, NULL, NULL, 0);
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
        add_recipient (a, rows[i].address, rows[i].status, rows[i].reply, rows[i].diagnostic);
    MdRecipient *nobody = add_recipient (a, "x@example.org", NULL, 0, NULL);
    nobody->recipient = NULL; /* no recipient: even the catch-all does not match */
    run_stage (CLASSIFY_RULES, MD_STAGE_CLASSIFY, a, FALSE);
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        const MdRecipient *r = recipient (a, (guint) i);
        if (g_strcmp0 (r->reason, rows[i].want_reason) != 0 ||
            g_strcmp0 (r->rule, rows[i].want_rule) != 0 || r->hard != rows[i].want_hard)
            fail_msg ("row %s: got %s %s hard=%d", rows[i].address, r->reason, r->rule, r->hard);
    }
    assert_null (nobody->reason);
    assert_null (nobody->rule);
    assert_int_equal (a->findings->len, 0); /* findings only with --explain */

    /* classify does not run its rules on other stages, nor without a bounce */
    g_autoptr (MdAnalysis) b = build (MD_KIND_MESSAGE, NULL, NULL, 0);
    run_stage (CLASSIFY_RULES, MD_STAGE_CLASSIFY, b, TRUE);
    run_stage (CLASSIFY_RULES, MD_STAGE_DIAGNOSE, b, TRUE);
    assert_null (b->bounce);
    assert_int_equal (b->findings->len, 0);
}

/* --explain shows which rule decided and why: one info finding per classified recipient. */
static void
classify_explain_names_the_rule (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = build (MD_KIND_BOUNCE, NULL, NULL, 0);
    add_recipient (a, "full@example.org", "4.2.2", 452, "Mailbox full");
    add_recipient (a, "user@example.org", "5.1.1", 550, "no such user");
    run_stage (CLASSIFY_RULES, MD_STAGE_CLASSIFY, a, TRUE);
    assert_int_equal (a->findings->len, 2);
    const MdFinding *f = g_ptr_array_index (a->findings, 0);
    assert_string_equal (f->rule, "r.full");
    assert_string_equal (f->title, "full@example.org classified as mailboxfull");
    assert_string_equal (f->category, "rejection");
    assert_int_equal (f->severity, MD_SEVERITY_INFO);
    assert_int_equal (f->subject_kind, MD_SUBJECT_RECIPIENT);
    assert_string_equal (f->subject, "full@example.org");
    assert_int_equal (f->evidence->len, 2); /* every condition, in file order */
    const MdEvidence *ev = g_ptr_array_index (f->evidence, 0);
    assert_string_equal (ev->field, "status");
    assert_string_equal (ev->value, "4.2.2");
    ev = g_ptr_array_index (f->evidence, 1);
    assert_string_equal (ev->field, "diagnostic");
    assert_string_equal (ev->value, "Mailbox full");
    assert_string_equal (ev->match, "full");
    f = g_ptr_array_index (a->findings, 1);
    assert_string_equal (f->rule, "r.user");
    assert_string_equal (f->subject, "user@example.org");
}

static const struct {
    const char *label, *condition, *scope;
    guint want; /* findings */
} bounce_sel_rows[] = {
    { "human-text", "human-text = (?m)^Your message", "message", 1 },
    { "human-text-miss", "human-text = ^nothing", "message", 0 },
    { "report-type", "report-type = ^delivery-status$", "message", 1 },
    { "bounce-format", "bounce.format = ^postfix$", "message", 1 },
    { "recipient-count", "recipient-count = == 3", "message", 1 },
    { "status-per-recipient", "status = ^5\\.", "recipient", 2 },
    { "status-any-recipient", "status = ^5\\.", "message", 1 },
    { "status-any-recipient-from-hop", "status = ^4\\.", "hop", 2 }, /* two hops */
    { "reply", "reply = >= 500", "recipient", 2 },
    { "reply-absent-when-zero", "reply = < 500", "recipient", 0 },
    { "action", "action = ^delayed$", "recipient", 1 },
    { "diagnostic", "diagnostic = (?i)unknown", "recipient", 1 },
    { "smtp-command", "smtp-command = ^RCPT$", "recipient", 2 },
    { "remote-mta", "remote-mta = example\\.org$", "recipient", 1 },
    { "recipient", "recipient = ^b@", "recipient", 1 },
    { "reason", "reason = ^mailboxfull$", "recipient", 1 },
    { "reason-absent-before-classify", "reason = .", "recipient", 2 },
    { "hard", "hard = == 1", "recipient", 1 },
    { "hard-absent-without-reason", "hard = == 0", "recipient", 1 },
};

static MdAnalysis *
build_bounce (void)
{
    const gint64 delays[] = { NO_DELAY, 5 };
    MdAnalysis *a = build (MD_KIND_BOUNCE, daemon_headers, delays, 2);
    set_human_text (a, "Hello.\nYour message could not be delivered.\n");
    a->body.report_type = "delivery-status";
    MdBounce *bounce = md_analysis_ensure_bounce (a);
    bounce->format = "postfix";
    bounce->reporting_mta = "mx.example.net";
    MdRecipient *r = add_recipient (a, "a@example.org", "5.1.1", 550, "User unknown");
    r->smtp_command = "RCPT";
    r->action = "failed";
    r->remote_mta = "mx.example.org";
    r->reason = "userunknown";
    r->hard = TRUE;
    r = add_recipient (a, "b@example.org", "5.2.2", 552, "over quota");
    r->smtp_command = "RCPT";
    r->action = "failed";
    r->reason = "mailboxfull";
    r = add_recipient (a, "c@example.org", "4.4.1", 0, "connection timed out");
    r->action = "delayed";
    return a;
}

static void
bounce_selectors (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (bounce_sel_rows); i++) {
        g_autofree char *rules =
            g_strdup_printf ("[s]\ntitle = T\ncategory = rejection\nscope = %s\n%s\n",
                             bounce_sel_rows[i].scope, bounce_sel_rows[i].condition);
        g_autoptr (MdAnalysis) a = build_bounce ();
        run_text (rules, a, FALSE);
        if (a->findings->len != bounce_sel_rows[i].want)
            fail_msg ("row %s: got %u findings, want %u", bounce_sel_rows[i].label,
                      a->findings->len, bounce_sel_rows[i].want);
    }
}

static void
recipient_rules_fill_placeholders (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = build_bounce ();
    MdRecipient *r = (MdRecipient *) recipient (a, 0);
    g_autofree char *longtext = g_strnfill (400, 'w');
    g_autofree char *diagnostic = g_strdup_printf ("bad\x1b[31m %s", longtext);
    r->diagnostic = md_analysis_intern (a, diagnostic, -1);
    run_text ("[d.user]\ntitle = {recipient}: {status} {reply} {reason} {smtp_command} "
              "{remote_mta} {format} {reporting_mta}\ncategory = rejection\nscope = recipient\n"
              "reason = ^userunknown$\nadvice = {diagnostic}\n"
              "[d.any]\ntitle = some {recipient} {status} {reply} {remote_mta}\n"
              "category = rejection\nstatus = ^4\\.\n",
              a, FALSE);
    const MdFinding *f = find (a, "d.user");
    assert_non_null (f);
    assert_int_equal (count_findings (a, "d.user"), 1);
    assert_int_equal (f->subject_kind, MD_SUBJECT_RECIPIENT);
    assert_string_equal (f->subject, "a@example.org");
    assert_string_equal (f->title, "a@example.org: 5.1.1 550 userunknown RCPT mx.example.org "
                                   "postfix mx.example.net");
    g_autofree char *want = g_strdup_printf ("bad [31m %.*s…", 300 - 9, longtext);
    assert_string_equal (f->advice, want); /* sanitised; cut at 300 characters */
    const MdEvidence *ev = g_ptr_array_index (f->evidence, 0);
    assert_string_equal (ev->field, "reason");
    assert_string_equal (ev->value, "userunknown");
    /* a message rule with a recipient condition: the recipient it matched */
    f = find (a, "d.any");
    assert_int_equal (f->subject_kind, MD_SUBJECT_RECIPIENT);
    assert_string_equal (f->subject, "c@example.org");
    assert_string_equal (f->title, "some c@example.org 4.4.1 (unknown) (unknown)");
}

/* The stages one after another, as the pipeline runs them. */
static void
stages_in_sequence (void **state)
{
    (void) state;
    const char *rules =
        POSTFIX_RULE "kind = bounce\n" CLASSIFY_RULES
                     "[d.hard]\ntitle = {recipient} bounced: {reason}\ncategory = rejection\n"
                     "severity = error\nscope = recipient\nhard = == 1\n";
    g_autoptr (MdRuleSet) set = load_text (rules);
    g_autoptr (MdAnalysis) a = build (MD_KIND_MESSAGE, daemon_headers, NULL, 0);
    set_human_text (a, POSTFIX_TEXT);
    md_rules_run (set, MD_STAGE_EXTRACT, a, FALSE);
    md_rules_run (set, MD_STAGE_CLASSIFY, a, FALSE);
    md_rules_run (set, MD_STAGE_DIAGNOSE, a, FALSE);
    assert_int_equal (a->kind, MD_KIND_BOUNCE);
    assert_string_equal (recipient (a, 0)->reason, "userunknown");
    assert_string_equal (recipient (a, 1)->reason, "mailboxfull");
    assert_int_equal (a->findings->len, 1);
    assert_string_equal (find (a, "d.hard")->title, "alice@example.org bounced: userunknown");
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
    /* the delay and format rules, and whatever bounce and reason files are shipped beside */
    assert_true (md_rules_count (set) >= 7);
    assert_true (md_rules_count_files (set) >= 2);
    assert_true (g_str_has_suffix (summary->str, " files"));
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
    /* the hand-built message has no Date, Message-ID or From: only the delay finding counts */
    assert_int_equal (count_findings (a, "delay.hop-slow"), 1);
    assert_string_equal (find (a, "delay.hop-slow")->advice,
                         "The message waited 10m before mx2.example.org received it from "
                         "relay2.example.net [192.0.2.2]. Mail usually crosses a server in "
                         "seconds, so the sending side held it: a long queue, slow virus or spam "
                         "scanning, or a sending rate limit. A single occurrence needs no action; "
                         "if it repeats, ask the administrator of relay2.example.net [192.0.2.2] "
                         "to look up this message in the mail log.");
}

/* ---- spam-filter verdicts (issue #9 item 4) ---- */

#define SPAM_RULES                                                                                 \
    "[sa.status]\nstage = extract\nspam-filter = sa\npriority = 10\n"                              \
    "header:X-Spam-Status = ^(?<verdict>Yes|No), score=(?<score>\\S+) "                            \
    "required=(?<threshold>\\S+)(?: tests=(?<tests>\\S*))?\n"                                      \
    "[sa.flag]\nstage = extract\nspam-filter = sa\nmerge = true\n"                                 \
    "header:X-Spam-Flag = ^(?<verdict>(?i:yes))$\n"                                                \
    "[sa.bare]\nstage = extract\nspam-filter = sa\n"                                               \
    "header:X-Spam-Bare = ^(?<score>\\S+) (?<threshold>\\S+)$\n"                                   \
    "[ms]\nstage = extract\nspam-filter = ms\n"                                                    \
    "header:X-MS = SFV:(?<verdict>[A-Z]+)\nspam-if = ^SPM$\nham-if = ^NSPM$\n"                     \
    "details = (?:^|;)(?<name>[A-Z]+):(?<value>[^;]*)\n"                                           \
    "[ms.scl]\nstage = extract\nspam-filter = ms\nmerge = true\n"                                  \
    "header:X-MS-SCL = ^(?=(?<SCL>-?\\d+))(?<score>-?\\d+)$\n"

static const MdSpamVerdict *
spam_row (const MdAnalysis *a, const char *label, guint i)
{
    if (i >= a->spam->len)
        fail_msg ("row %s: got %u verdicts", label, a->spam->len);
    return g_ptr_array_index (a->spam, i);
}

static const char *
detail (const MdSpamVerdict *v, const char *name)
{
    for (guint i = 0; i < v->details->len; i++) {
        const MdPair *p = g_ptr_array_index (v->details, i);
        if (strcmp (p->name, name) == 0)
            return p->value;
    }
    return NULL;
}

/* score parsing, verdict words, verdict from score against threshold, tests split */
static void
spam_verdicts_from_groups (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = load_text (SPAM_RULES);
    static const struct {
        const char *label, *header, *value, *verdict;
        gboolean has_score, has_threshold;
        double score, threshold;
        guint tests;
    } rows[] = {
        { "yes", "X-Spam-Status", "Yes, score=7.2 required=5.0 tests=A,B", "spam", TRUE, TRUE, 7.2,
          5, 2 },
        { "no-negative", "X-Spam-Status", "No, score=-0.1 required=5.0", "ham", TRUE, TRUE, -0.1, 5,
          0 },
        { "bad-number", "X-Spam-Status", "No, score=1e5 required=nan", "ham", FALSE, FALSE, 0, 0,
          0 },
        { "score-decides-spam", "X-Spam-Bare", "5 5", "spam", TRUE, TRUE, 5, 5, 0 },
        { "score-decides-ham", "X-Spam-Bare", "4.99 5", "ham", TRUE, TRUE, 4.99, 5, 0 },
        { "stars", "X-Spam-Bare", "*** 5", "ham", TRUE, TRUE, 3, 5, 0 },
        { "no-threshold", "X-Spam-Bare", "7 x", "unknown", TRUE, FALSE, 7, 0, 0 },
        { "spam-if", "X-MS", "SFV:SPM;SCL:9", "spam", FALSE, FALSE, 0, 0, 0 },
        { "ham-if", "X-MS", "SFV:NSPM;SCL:1", "ham", FALSE, FALSE, 0, 0, 0 },
        { "neither", "X-MS", "SFV:DMS;SCL:1", "unknown", FALSE, FALSE, 0, 0, 0 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS (rows); i++) {
        g_autoptr (MdAnalysis) a = md_analysis_new ();
        add_header (a, rows[i].header, rows[i].value);
        md_rules_run (set, MD_STAGE_EXTRACT, a, FALSE);
        const MdSpamVerdict *v = spam_row (a, rows[i].label, 0);
        if (a->spam->len != 1 || strcmp (v->verdict, rows[i].verdict) != 0 ||
            v->has_score != rows[i].has_score || v->has_threshold != rows[i].has_threshold ||
            (v->has_score && v->score != rows[i].score) ||
            (v->has_threshold && v->threshold != rows[i].threshold) ||
            v->tests->len != rows[i].tests || strcmp (v->header, rows[i].header) != 0)
            fail_msg ("row %s: got %u verdicts, %s %g/%g (%d %d), %u tests, header %s",
                      rows[i].label, a->spam->len, v->verdict, v->score, v->threshold, v->has_score,
                      v->has_threshold, v->tests->len, v->header);
    }
}

/* one verdict per (filter, header); merge = true fills the filter's verdict; only gaps fill */
static void
spam_verdicts_merge_and_details (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = load_text (SPAM_RULES);
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    add_header (a, "X-Spam-Flag", "YES");
    add_header (a, "X-Spam-Status", "No, score=1.5 required=5.0 tests=X");
    add_header (a, "X-MS", "CIP:192.0.2.1;SFV:SPM;CAT:PHSH;SFV:NSPM");
    add_header (a, "X-MS-SCL", "9");
    md_rules_run (set, MD_STAGE_EXTRACT, a, FALSE);
    if (a->spam->len != 2)
        fail_msg ("row merge: got %u verdicts", a->spam->len);
    const MdSpamVerdict *sa = spam_row (a, "sa", 0), *ms = spam_row (a, "ms", 1);
    /* sa.status (priority 10) first: the flag fills nothing, the verdict stays ham */
    if (strcmp (sa->filter, "sa") != 0 || strcmp (sa->header, "X-Spam-Status") != 0 ||
        strcmp (sa->verdict, "ham") != 0 || strcmp (sa->rule, "sa.status") != 0)
        fail_msg ("row sa: got %s %s %s %s", sa->filter, sa->header, sa->verdict, sa->rule);
    /* details: first of a name wins; the SCL group of the merged rule adds one, and its score */
    if (strcmp (ms->verdict, "spam") != 0 || g_strcmp0 (detail (ms, "SFV"), "SPM") != 0 ||
        g_strcmp0 (detail (ms, "CAT"), "PHSH") != 0 ||
        g_strcmp0 (detail (ms, "CIP"), "192.0.2.1") != 0 ||
        g_strcmp0 (detail (ms, "SCL"), "9") != 0 || !ms->has_score || ms->score != 9 ||
        ms->details->len != 4)
        fail_msg ("row ms: got %s, %u details, score %g", ms->verdict, ms->details->len, ms->score);

    /* without the status field the flag makes its own verdict */
    g_autoptr (MdAnalysis) b = md_analysis_new ();
    add_header (b, "X-Spam-Flag", "yes");
    md_rules_run (set, MD_STAGE_EXTRACT, b, FALSE);
    const MdSpamVerdict *flag = spam_row (b, "flag", 0);
    if (strcmp (flag->verdict, "spam") != 0 || strcmp (flag->header, "X-Spam-Flag") != 0)
        fail_msg ("row flag: got %s %s", flag->verdict, flag->header);
}

/* spam.* selectors, scope = spam (one finding per verdict), placeholders; a bounce rule's stop
 * does not hide verdicts */
static void
spam_selectors_and_scope (void **state)
{
    (void) state;
    g_autoptr (MdRuleSet) set = load_text (
        SPAM_RULES "[stopper]\nstage = extract\npriority = 100\nstop = true\nheader:Subject = .\n"
                   "[d.spam]\ntitle = {filter} {score}: {tests}\ncategory = spam\nscope = spam\n"
                   "spam.verdict = ^spam$\n"
                   "[d.detail]\ntitle = CAT {value}\ncategory = spam\nspam.detail:cat = ^PHSH$\n"
                   "[d.test]\ntitle = T\ncategory = spam\nspam.test = ^B$\nspam.score = >= 7\n"
                   "[d.filter]\ntitle = F\ncategory = spam\nspam.filter = ^nobody$\n");
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    add_header (a, "Subject", "hello");
    add_header (a, "X-Spam-Status", "Yes, score=7.2 required=5 tests=A,B");
    add_header (a, "X-MS", "SFV:SPM;CAT:PHSH");
    md_rules_run (set, MD_STAGE_EXTRACT, a, FALSE);
    md_rules_run (set, MD_STAGE_DIAGNOSE, a, FALSE);
    static const char *const want[][3] = {
        { "d.detail", "CAT PHSH", "X-MS" },
        { "d.test", "T", "X-Spam-Status" },
        { "d.spam", "sa score 7.2, threshold 5: A, B", "X-Spam-Status" },
        { "d.spam", "ms no score: none listed", "X-MS" },
    };
    if (a->findings->len != G_N_ELEMENTS (want))
        fail_msg ("row findings: got %u", a->findings->len);
    for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (strcmp (f->rule, want[i][0]) != 0 || strcmp (f->title, want[i][1]) != 0 ||
            g_strcmp0 (f->subject, want[i][2]) != 0)
            fail_msg ("row finding %u: got %s '%s' %s", i, f->rule, f->title, f->subject);
    }
}

static const struct {
    const char *label, *text, *error;
} spam_error_rows[] = {
    { "no-filter-key", "[r]\nstage = extract\nheader:X = (?<score>.)\ndetails = (?<A>.)\n",
      "t.rules:4: 'details' needs 'spam-filter'" },
    { "unknown-group", "[r]\nstage = extract\nspam-filter = x\nheader:X = (?<scores>.)\n",
      "t.rules:4: unknown group (?<scores>…) in 'header:X' (known: verdict, score, threshold, "
      "tests, or a detail name starting with a capital letter)" },
    { "no-header", "[r]\nstage = extract\nspam-filter = x\nhop-count = > 0\n",
      "t.rules:1: rule [r] has 'spam-filter' but no header:<Name> condition (the field the "
      "verdict is read from)" },
    { "with-kind", "[r]\nstage = extract\nspam-filter = x\nkind = bounce\nheader:X = .\n",
      "t.rules:3: a spam-filter rule adds a verdict: recipients, shared, format and kind belong "
      "to bounce rules" },
    { "spam-if-no-group", "[r]\nstage = extract\nspam-filter = x\nheader:X = .\nspam-if = y\n",
      "t.rules:5: 'spam-if' needs a (?<verdict>…) group in the header pattern" },
    { "verdict-twice",
      "[r]\nstage = extract\nspam-filter = x\nverdict = spam\nheader:X = (?<verdict>.)\n",
      "t.rules:4: 'verdict' fixes the verdict, but the pattern has a (?<verdict>…) group: keep "
      "one" },
    { "bad-verdict", "[r]\nstage = extract\nspam-filter = x\nverdict = maybe\nheader:X = .\n",
      "t.rules:4: verdict must be spam or ham, not 'maybe'" },
    { "details-groups",
      "[r]\nstage = extract\nspam-filter = x\nheader:X = .\ndetails = (?<name>.)\n",
      "t.rules:5: 'details' needs (?<name>…) with (?<value>…), or a group named after the "
      "detail ((?<SCL>…))" },
    { "outside-extract", "[r]\ntitle = T\ncategory = spam\nspam-filter = x\nheader:X = .\n",
      "t.rules:4: 'spam-filter' belongs to extract rules (stage = extract)" },
    { "detail-selector", "[r]\ntitle = T\ncategory = spam\nspam.detail: = .\n",
      "t.rules:4: selector 'spam.detail:' needs a detail name (spam.detail:SFV) after "
      "'spam.detail:'" },
};

static void
spam_rule_errors (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (spam_error_rows); i++) {
        g_autoptr (MdRuleSet) set = md_rules_new ();
        g_autoptr (GError) error = NULL;
        const char *text = spam_error_rows[i].text;
        if (md_rules_load_data (set, "t.rules", text, strlen (text), &error) ||
            strcmp (error->message, spam_error_rows[i].error) != 0)
            fail_msg ("row %s: got '%s'\n want '%s'", spam_error_rows[i].label,
                      error != NULL ? error->message : "(loaded)", spam_error_rows[i].error);
    }
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
        cmocka_unit_test (extract_every_match_with_named_groups),
        cmocka_unit_test (extracted_addresses_are_cleaned),
        cmocka_unit_test (extract_no_recipient_is_no_match_and_stop_ends_the_stage),
        cmocka_unit_test (extract_shared_fills_and_merge_adds),
        cmocka_unit_test (extract_kind_auto_reply_adds_the_sender),
        cmocka_unit_test (extract_recipient_count_is_bounded),
        cmocka_unit_test (classify_first_match_and_default_hard),
        cmocka_unit_test (classify_explain_names_the_rule),
        cmocka_unit_test (bounce_selectors),
        cmocka_unit_test (recipient_rules_fill_placeholders),
        cmocka_unit_test (stages_in_sequence),
        cmocka_unit_test (shipped_rules_load),
        cmocka_unit_test (shipped_rules_fire_and_stay_quiet),
        cmocka_unit_test (shipped_advice_reads_well),
        cmocka_unit_test (spam_verdicts_from_groups),
        cmocka_unit_test (spam_verdicts_merge_and_details),
        cmocka_unit_test (spam_selectors_and_scope),
        cmocka_unit_test (spam_rule_errors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
