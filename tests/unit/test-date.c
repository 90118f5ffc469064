/* test-date - dates as real mail writes them: named and numeric zones, comments, fractions, old
 * years; a missing, unknown or impossible zone is never read as UTC (DESIGN §6); garbage is
 * refused without a crash. RFC 5322 §3.3 and §4.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "date.h"

static const struct {
    const char *label, *text;
    gboolean valid, zone_known;
    gint64 utc; /* for an unknown zone, the reading as UTC that zone_known says not to use */
    int tz_offset_min;
} rows[] = {
    { "rfc5322-numeric-jst-comment", "Thu, 29 Apr 2013 23:45:32 +0900 (JST)", TRUE, TRUE,
      1367246732, 540 },
    { "no-day-name", "29 Apr 2013 04:00:00 +0000", TRUE, TRUE, 1367208000, 0 },
    { "fractional-seconds", "Tue, 3 Nov 2026 10:15:07.123 +0000", TRUE, TRUE, 1793700907, 0 },
    /* mail-parser#71: SendGrid writes Go's time.String() */
    { "go-time-sendgrid", "2018-08-14 22:01:27.610180118 +0000 UTC m=+555016.72", TRUE, TRUE,
      1534284087, 0 },
    { "iso-8601-z", "2026-11-03T10:15:07Z", TRUE, TRUE, 1793700907, 0 },
    { "iso-8601-offset", "2026-11-03T10:15:07+09:00", TRUE, TRUE, 1793668507, 540 },
    { "utc-comment", "Tue, 17 Dec 2019 02:53:09 +0000 (UTC)", TRUE, TRUE, 1576551189, 0 },
    { "plus-0000-gmt-comment", "Thu, 29 Apr 2009 00:00:00 +0000 (GMT)", TRUE, TRUE, 1240963200, 0 },
    { "named-gmt", "Thu, 29 Apr 2009 00:00:00 GMT", TRUE, TRUE, 1240963200, 0 },
    { "named-ut", "Thu, 29 Apr 2009 00:00:00 UT", TRUE, TRUE, 1240963200, 0 },
    { "named-utc", "Tue, 17 Dec 2019 02:53:09 UTC", TRUE, TRUE, 1576551189, 0 },
    { "named-z", "29 Apr 2009 10:00:00 Z", TRUE, TRUE, 1240999200, 0 },
    { "named-est", "Fri, 21 Nov 2014 17:15:38 EST", TRUE, TRUE, 1416608138, -300 },
    { "named-edt", "Tue, 2 May 2017 01:16:02 EDT", TRUE, TRUE, 1493702162, -240 },
    { "named-cst", "Wed, 31 Oct 2012 04:46:27 CST", TRUE, TRUE, 1351680387, -360 },
    { "named-cdt", "Wed, 31 Oct 2012 04:46:27 CDT", TRUE, TRUE, 1351676787, -300 },
    { "named-mst", "Wed, 31 Oct 2012 04:46:27 MST", TRUE, TRUE, 1351683987, -420 },
    { "named-mdt", "Wed, 31 Oct 2012 04:46:27 MDT", TRUE, TRUE, 1351680387, -360 },
    { "named-pst", "Fri, 12 Dec 2014 02:46:25 PST", TRUE, TRUE, 1418381185, -480 },
    { "named-pdt-lowercase", "fri, 18 jul 2014 00:31:04 pdt", TRUE, TRUE, 1405668664, -420 },
    { "numeric-minus-0700-pdt-comment", "Mon, 15 Jul 2013 13:16:38 -0700 (PDT)", TRUE, TRUE,
      1373919398, -420 },
    { "numeric-plus-0530", "Mon, 15 Jul 2013 13:16:38 +0530", TRUE, TRUE, 1373874398, 330 },
    { "numeric-plus-1400", "Mon, 15 Jul 2013 13:16:38 +1400", TRUE, TRUE, 1373843798, 840 },
    /* RFC 5322 §4.3: 00-49 → 20xx, 50-99 and three digits → 1900 + value */
    { "two-digit-year-13", "Thu, 29 Apr 13 23:34:45 +0900", TRUE, TRUE, 1367246085, 540 },
    { "two-digit-year-99", "29 Apr 99 23:34:45 +0000", TRUE, TRUE, 925428885, 0 },
    { "three-digit-year-113", "29 Apr 113 23:34:45 +0000", TRUE, TRUE, 1367278485, 0 },
    { "odd-spacing", "Tue,  2 May 2017   01:16:02\t-0400  (EDT)", TRUE, TRUE, 1493702162, -240 },
    { "no-comma", "Thu 29 Apr 2010 23:34:45 +0900", TRUE, TRUE, 1272551685, 540 },
    /* lhost-googlegroups-14 */
    { "day-029-google-groups", "Tue, 029 Apr 2019 23:34:45 -0800 (PST)", TRUE, TRUE, 1556609685,
      -480 },
    { "full-month-name", "29 April 2013 10:00:00 +0000", TRUE, TRUE, 1367229600, 0 },
    { "no-seconds", "29 Apr 2013 23:45 +0900", TRUE, TRUE, 1367246700, 540 },
    { "leap-second-clamped", "31 Dec 2016 23:59:60 +0000", TRUE, TRUE, 1483228799, 0 },
    { "comment-before", "(received late) 29 Apr 2013 10:00:00 +0000", TRUE, TRUE, 1367229600, 0 },
    { "quoted-paren-in-comment", "(a \\) b) 29 Apr 2013 10:00:00 +0000", TRUE, TRUE, 1367229600,
      0 },
    /* lhost-courier-01: Courier writes its id after the date */
    { "courier-id-after", "Sat, 11 Dec 2010 12:19:59 +0900 id 0EFECD52.4D02EDDF.0000C65A", TRUE,
      TRUE, 1292037599, 540 },
    { "asctime-no-zone", "Thu Apr 29 23:34:45 2010", TRUE, FALSE, 1272584085, 0 },
    /* RFC 5322 §3.3: "-0000" is Universal Time with the local zone unknown (qmail writes it) */
    { "minus-0000-is-utc", "29 Apr 2013 04:00:00 -0000", TRUE, TRUE, 1367208000, 0 },
    { "plus-9999-impossible", "29 Apr 2009 10:00:00 +9999", TRUE, FALSE, 1240999200, 0 },
    { "plus-1500-impossible", "29 Apr 2009 10:00:00 +1500", TRUE, FALSE, 1240999200, 0 },
    { "plus-0099-impossible", "29 Apr 2009 10:00:00 +0099", TRUE, FALSE, 1240999200, 0 },
    { "five-digit-zone", "29 Apr 2009 10:00:00 +09000", TRUE, FALSE, 1240999200, 0 },
    { "named-jst-unknown", "Tue, 16 Jul 2013 05:16:35 JST", TRUE, FALSE, 1373951795, 0 },
    { "named-cest-unknown", "Tue, 16 Jul 2013 05:16:35 CEST", TRUE, FALSE, 1373951795, 0 },
    /* RFC 5322 §4.3: military zones other than Z were defined with the wrong sign */
    { "military-a-unknown", "29 Apr 2009 10:00:00 A", TRUE, FALSE, 1240999200, 0 },
    { "missing-zone", "Thu, 29 Apr 2010 23:34:45", TRUE, FALSE, 1272584085, 0 },
    { "missing-zone-comment-only", "Thu, 29 Apr 2010 23:34:45 (JST)", TRUE, FALSE, 1272584085, 0 },
    { "garbage-word", "garbage", FALSE, FALSE, 0, 0 },
    { "garbage-empty", "", FALSE, FALSE, 0, 0 },
    { "garbage-blank", "  \t ", FALSE, FALSE, 0, 0 },
    { "garbage-binary", "\x01\x02\xff\xfe(\x80", FALSE, FALSE, 0, 0 },
    { "garbage-no-time", "Thu, 29 Apr 2013", FALSE, FALSE, 0, 0 },
    { "garbage-feb-30", "30 Feb 2021 10:00:00 +0000", FALSE, FALSE, 0, 0 },
    { "garbage-hour-24", "29 Apr 2013 24:00:00 +0000", FALSE, FALSE, 0, 0 },
    { "garbage-minute-60", "29 Apr 2013 23:60:00 +0000", FALSE, FALSE, 0, 0 },
    { "garbage-month", "29 Foo 2013 10:00:00 +0000", FALSE, FALSE, 0, 0 },
    { "garbage-year-1899", "29 Apr 1899 10:00:00 +0000", FALSE, FALSE, 0, 0 },
    { "garbage-words-first", "from a.example by b.example 29 Apr 2013 10:00:00 +0000", FALSE, FALSE,
      0, 0 },
    /* lhost-exchange2007-07: a quoted-printable soft break left in a pasted field */
    { "garbage-qp-damage", "= Thu, 17 Jul 2017 23:34:45 -0500", FALSE, FALSE, 0, 0 },
    { "garbage-time-only", "10:00:00 +0000", FALSE, FALSE, 0, 0 },
    { "garbage-unclosed-comment", "(29 Apr 2013 10:00:00 +0000", FALSE, FALSE, 0, 0 },
};

static void
test_date_rows (void **state)
{
    (void) state;
    int failures = 0;
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        MdDate got = { .raw = "untouched" };
        gboolean ok = md_date_parse (rows[i].text, strlen (rows[i].text), &got);
        if (ok != got.valid || got.valid != rows[i].valid || got.zone_known != rows[i].zone_known ||
            got.utc != rows[i].utc || got.tz_offset_min != rows[i].tz_offset_min ||
            strcmp (got.raw, "untouched") != 0) {
            print_error ("row %s: got valid=%d zone_known=%d utc=%" G_GINT64_FORMAT
                         " offset=%d, want valid=%d zone_known=%d utc=%" G_GINT64_FORMAT
                         " offset=%d\n",
                         rows[i].label, got.valid, got.zone_known, got.utc, got.tz_offset_min,
                         rows[i].valid, rows[i].zone_known, rows[i].utc, rows[i].tz_offset_min);
            failures++;
        }
    }
    if (failures > 0)
        fail_msg ("%d of %zu rows failed", failures, G_N_ELEMENTS (rows));
}

/* Input is pointer + length (STYLE §4): bytes after @len must not count. */
static void
test_date_reads_only_len (void **state)
{
    (void) state;
    static const char text[] = "29 Apr 2013 10:00:00 +0900 and then 31 Dec 2020 23:59:59 -0800";
    MdDate got = { 0 };
    assert_true (md_date_parse (text, strlen ("29 Apr 2013 10:00:00"), &got));
    assert_false (got.zone_known);
    char exact[26];
    memcpy (exact, text, sizeof exact); /* "29 Apr 2013 10:00:00 +0900", no NUL */
    assert_true (md_date_parse (exact, sizeof exact, &got));
    assert_true (got.zone_known);
    assert_int_equal (got.tz_offset_min, 540);
    assert_int_equal (got.utc, 1367197200);
    assert_false (md_date_parse (NULL, 0, &got));
    assert_false (got.valid);
}

/* Hostile input: 10,000 nested "(" and a megabyte of digits end quickly and cleanly. */
static void
test_date_hostile_input_is_bounded (void **state)
{
    (void) state;
    gsize n = 1 << 20;
    g_autofree char *text = g_malloc (n);
    MdDate got = { 0 };
    memset (text, '(', 10000);
    memcpy (text + 10000, "29 Apr 2013 10:00:00 +0000", 26);
    assert_false (md_date_parse (text, 10026, &got));
    memset (text, '9', n);
    assert_false (md_date_parse (text, n, &got));
    memset (text, ' ', n);
    memcpy (text + n - 26, "29 Apr 2013 10:00:00 +0000", 26);
    assert_false (md_date_parse (text, n, &got)); /* beyond the scan limit: not read */
    for (gsize i = 0; i < n; i++)
        text[i] = (char) g_random_int ();
    md_date_parse (text, n, &got); /* any result, no crash */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_date_rows),
        cmocka_unit_test (test_date_reads_only_len),
        cmocka_unit_test (test_date_hostile_input_is_bounded),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
