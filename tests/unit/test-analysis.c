/* test-analysis - the model's helpers: interning makes valid UTF-8 without line breaks, durations
 * read as a person says them, header lookup is case-insensitive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <maildiag/maildiag.h>

static void
test_duration_format (void **state)
{
    (void) state;
    static const struct {
        gint64 seconds;
        const char *want;
    } rows[] = {
        { 0, "0s" },         { 12, "12s" },        { 60, "1m" },       { 65, "1m 5s" },
        { 2820, "47m" },     { 3600, "1h" },       { 7500, "2h 5m" },  { 86400, "1d" },
        { 273600, "3d 4h" }, { -540, "-9m" },      { -61, "-1m 1s" },  { 3599, "59m 59s" },
        { G_MININT64, "-106751991167300d 15h" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        char buf[48];
        md_duration_format (rows[i].seconds, buf, sizeof buf);
        if (strcmp (buf, rows[i].want) != 0)
            fail_msg ("row %" G_GINT64_FORMAT ": got %s, want %s", rows[i].seconds, buf,
                      rows[i].want);
    }
}

static void
test_intern_makes_clean_utf8 (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    assert_string_equal (md_analysis_intern (a, "plain", -1), "plain");
    assert_string_equal (md_analysis_intern (a, "a\r\nb", -1), "a  b");
    assert_string_equal (md_analysis_intern (a, "x\0y", 3), "x y");
    const char *latin1 = md_analysis_intern (a, "caf\xe9", -1);
    assert_true (g_utf8_validate (latin1, -1, NULL));
    assert_string_equal (latin1, "caf\xef\xbf\xbd");
    assert_null (md_analysis_intern (a, NULL, 0));
    /* longer than a word: a control byte or an 8-bit byte anywhere is still found */
    assert_string_equal (md_analysis_intern (a, "0123456789abc\ndefghijklmnop", -1),
                         "0123456789abc defghijklmnop");
    assert_string_equal (md_analysis_intern (a, "tab\tkept in a long field value", -1),
                         "tab\tkept in a long field value");
    const char *high = md_analysis_intern (a, "0123456789abcdef\xff", -1);
    assert_string_equal (high, "0123456789abcdef\xef\xbf\xbd");
}

static void
test_header_lookup (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    static const char *const names[] = { "Received", "received", "X-Greylist" };
    for (gsize i = 0; i < G_N_ELEMENTS (names); i++) {
        MdHeader *h = g_new0 (MdHeader, 1);
        h->name = names[i];
        h->value = names[i];
        g_ptr_array_add (a->headers, h);
    }
    assert_int_equal (md_analysis_count_header (a, "RECEIVED"), 2);
    assert_string_equal (md_analysis_get_header (a, "x-greylist"), "X-Greylist");
    assert_null (md_analysis_get_header (a, "Date"));
}

static void
test_enum_names (void **state)
{
    (void) state;
    assert_string_equal (md_kind_to_string (MD_KIND_AUTO_REPLY), "auto-reply");
    assert_string_equal (md_verdict_to_string (MD_VERDICT_DELAYED), "delayed");
    assert_string_equal (md_line_ending_to_string (MD_LINE_ENDING_CRLF), "crlf");
    assert_int_equal (md_severity_from_string ("warning"), MD_SEVERITY_WARNING);
    assert_int_equal (md_severity_from_string ("none"), -1);
    assert_int_equal (md_severity_from_string ("bogus"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_duration_format),
        cmocka_unit_test (test_intern_makes_clean_utf8),
        cmocka_unit_test (test_header_lookup),
        cmocka_unit_test (test_enum_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
