/* test-findings - the summary: verdict, severity, categories and the line for humans follow from
 * the findings the rules produced (issue #7: a delay finding makes the verdict "delayed"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "findings.h"

static void
add_finding (MdAnalysis *a, const char *rule, const char *category, MdSeverity severity,
             const char *title)
{
    MdFinding *f = g_new0 (MdFinding, 1);
    f->rule = rule;
    f->category = category;
    f->severity = severity;
    f->title = title;
    g_ptr_array_add (a->findings, f);
}

static MdAnalysis *
chain (guint hops, gint64 total, gint64 max, guint slowest)
{
    MdAnalysis *a = md_analysis_new ();
    a->delivery = (MdDelivery){ .hop_count = hops, .total_delay_s = total, .max_hop_delay_s = max,
                                .slowest_hop = slowest, .has_total = TRUE, .has_max = TRUE };
    return a;
}

static void
test_no_finding_is_ok (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = chain (3, 6, 4, 3);
    md_findings_summarize (a);
    assert_int_equal (a->summary.verdict, MD_VERDICT_OK);
    assert_int_equal (a->summary.severity, MD_SEVERITY_NONE);
    assert_int_equal (a->summary.categories->len, 0);
    assert_int_equal (a->summary.hard, -1);
    assert_string_equal (a->summary.text, "No problem found; 3 hops, 6s in all, slowest hop 3 (4s)");
}

static void
test_delay_finding_names_the_cause (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = chain (4, 2826, 2820, 3);
    add_finding (a, "delay.clock-skew", "configuration", MD_SEVERITY_WARNING, "Skew");
    add_finding (a, "delay.greylisting", "delay", MD_SEVERITY_INFO, "Greylisted");
    add_finding (a, "delay.hop-retried", "delay", MD_SEVERITY_NOTICE, "Retried");
    md_findings_summarize (a);
    assert_int_equal (a->summary.verdict, MD_VERDICT_DELAYED);
    assert_int_equal (a->summary.severity, MD_SEVERITY_WARNING);
    assert_int_equal (a->summary.categories->len, 2);
    assert_string_equal (g_ptr_array_index (a->summary.categories, 0), "configuration");
    assert_string_equal (g_ptr_array_index (a->summary.categories, 1), "delay");
    /* the verdict's cause is the worst delay finding, not the worst finding */
    assert_string_equal (a->summary.text,
                         "Delayed: Retried; 4 hops, 47m 6s in all, slowest hop 3 (47m)");
}

static void
test_notice_and_warning_wording (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    add_finding (a, "format.no-received", "format", MD_SEVERITY_NOTICE, "No Received lines");
    md_findings_summarize (a);
    assert_int_equal (a->summary.verdict, MD_VERDICT_OK);
    assert_string_equal (a->summary.text, "Worth a look: No Received lines; no Received chain");
    add_finding (a, "x.warn", "configuration", MD_SEVERITY_WARNING, "Bad");
    md_findings_summarize (a);
    assert_int_equal (a->summary.categories->len, 2);
    assert_string_equal (a->summary.text, "Problem found: Bad; no Received chain");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_finding_is_ok),
        cmocka_unit_test (test_delay_finding_names_the_cause),
        cmocka_unit_test (test_notice_and_warning_wording),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
