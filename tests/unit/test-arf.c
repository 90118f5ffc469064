/* test-arf - feedback reports (RFC 5965) → MdBounce with format "arf". Rows copy the
 * message/feedback-report parts of ../shared/corpus/bounces/emails/arf-*.eml (labelled by file)
 * and assert every field the parser sets; "brief-…" rows are forms the corpus lacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "arf.h"

#define MAX_RCPT 7

typedef struct {
    const char *label, *text;
    gboolean ok;
    const char *reporting_mta;
    gint64 arrival; /* 0: none */
    const char *feedback_type, *diagnostic;
    guint count;
    const char *recipients[MAX_RCPT]; /* NULL: left for bounce.c to fill from the returned To */
} Row;

static const Row rows[] = {
    /* "Received-Date", the drafts' name for Arrival-Date; no recipient named */
    { "arf-01",
      "Feedback-Type: abuse\n"
      "User-Agent: SMP-FBL\n"
      "Version: 1.0\n"
      "Received-Date: Thu, 29 Apr 2009 00:00:00 -0000 (EST)\n"
      "Source-IP: 192.0.2.89\n"
      "Reported-Domain: example.ed.jp\n"
      "Redacted-Address: redacted\n"
      "Redacted-Address: redacted@\n"
      "\n",
      TRUE,
      NULL,
      1240963200,
      "abuse",
      "Source-IP: 192.0.2.89; Reported-Domain: example.ed.jp",
      1,
      { NULL } },
    /* Yahoo!: an empty Authentication-Results, a named zone */
    { "arf-02",
      "Feedback-Type: abuse\n"
      "User-Agent: Yahoo!-Mail-Feedback/1.0\n"
      "Version: 0.1\n"
      "Original-Mail-From: <shironeko@example.com>\n"
      "Original-Rcpt-To: this-local-part-does-not-exist-on-yahoo@yahoo.com\n"
      "Received-Date: Thu, 29 Apr 2013 23:45:50 PST\n"
      "Reported-Domain: example.com\n"
      "Authentication-Results: \n",
      TRUE,
      NULL,
      1367307950,
      "abuse",
      "Reported-Domain: example.com",
      1,
      { "this-local-part-does-not-exist-on-yahoo@yahoo.com" } },
    /* the minimum: Feedback-Type, User-Agent, Version */
    { "arf-11",
      "Feedback-Type: abuse\n"
      "User-Agent: ARF-Agent/1.0\n"
      "Version: 0.1\n",
      TRUE,
      NULL,
      0,
      "abuse",
      NULL,
      1,
      { NULL } },
    /* an opt-out report names the address to remove */
    { "arf-12",
      "Feedback-Type: opt-out\n"
      "User-Agent: ARF-Agent/1.0\n"
      "Version: 0.1\n"
      "Removal-Recipient: user@example.com\n",
      TRUE,
      NULL,
      0,
      "opt-out",
      NULL,
      1,
      { "user@example.com" } },
    { "arf-14",
      "Feedback-Type: abuse\n"
      "User-Agent: Yahoo!-Mail-Feedback/2.0\n"
      "Version: 0.1\n"
      "Original-Mail-From: "
      "<2222222222222222-22222222-0000-eeee-ffff-222222222222-222222@amazonses.com>\n"
      "Original-Rcpt-To: kijitora@y.example.com\n"
      "Received-Date: Thu, 29 Apr 2017 23:34:45 +0000\n"
      "Reported-Domain: amazonses.com\n"
      "Authentication-Results: mta2222.mail.bf2.yahoo.com  from=example.jp; domainkeys=neutral (no "
      "sig);  from=amazonses.com; dkim=pass (ok)\n",
      TRUE,
      NULL,
      1493508885,
      "abuse",
      "Reported-Domain: amazonses.com",
      1,
      { "kijitora@y.example.com" } },
    /* Original-Rcpt-To repeats (RFC 5965 §3.2): one recipient each; the first Reported-Domain */
    { "arf-16",
      "User-Agent: ReturnPathFBL/1.0\n"
      "Abuse-Type: complaint\n"
      "Arrival-Date: Thu, 29 Apr 2015 23:34:45 +0000\n"
      "Feedback-Type: abuse\n"
      "Version: 1\n"
      "Source-IP: 192.0.2.1\n"
      "Original-Rcpt-To: kijitora@example.com\n"
      "Original-Rcpt-To: sironeko@example.com\n"
      "Original-Rcpt-To: mikeneko@example.com\n"
      "Original-Rcpt-To: sabatora@example.com\n"
      "Original-Rcpt-To: sirokiji@example.org\n"
      "Original-Rcpt-To: kuroneko@example.com\n"
      "Original-Rcpt-To: sabineko@example.com\n"
      "Original-Mail-From: neko@example.jp\n"
      "Reported-Domain: example.com\n"
      "Reported-Domain: example.org\n",
      TRUE,
      NULL,
      1430350485,
      "abuse",
      "Source-IP: 192.0.2.1; Reported-Domain: example.com",
      7,
      { "kijitora@example.com", "sironeko@example.com", "mikeneko@example.com",
        "sabatora@example.com", "sirokiji@example.org", "kuroneko@example.com",
        "sabineko@example.com" } },
    /* an RFC 6591 authentication failure report */
    { "arf-18",
      "Feedback-Type: auth-failure\n"
      "User-Agent: Lua/1.0\n"
      "Version: 1.0\n"
      "Original-Mail-From: sironeko@example.org\n"
      "Original-Rcpt-To: kijitora@example.com\n"
      "Arrival-Date: Thu, 29 Apr 2015 23:34:45 +0000\n"
      "Message-ID: <000000000.2222222.1500000000222@example.net>\n"
      "Authentication-Results: dmarc=fail (p=none; dis=none) header.from=example.org\n"
      "Source-IP: 192.0.2.222\n"
      "Delivery-Result: delivered\n"
      "Auth-Failure: dmarc\n"
      "Reported-Domain: example.net\n",
      TRUE,
      NULL,
      1430350485,
      "auth-failure",
      "Source-IP: 192.0.2.222; Auth-Failure: dmarc; Delivery-Result: delivered; Reported-Domain: "
      "example.net",
      1,
      { "kijitora@example.com" } },
    { "brief-reporting-mta-and-case",
      "feedback-type: Abuse\r\n"
      "version: 1\r\n"
      "reporting-mta: dns; fbl.example.net\r\n"
      "original-rcpt-to: <complainer@example.org>\r\n"
      "arrival-date: Tue, 3 Nov 2026 10:15:07 +0000\r\n"
      "source-ip:\r\n"
      "  192.0.2.9\r\n",
      TRUE,
      "fbl.example.net",
      1793700907,
      "abuse",
      "Source-IP: 192.0.2.9",
      1,
      { "complainer@example.org" } },
    /* no Feedback-Type: not a feedback report, even with ARF-like fields */
    { "brief-no-feedback-type",
      "User-Agent: Something/1.0\nOriginal-Rcpt-To: a@example.org\nSource-IP: 192.0.2.1\n",
      FALSE,
      NULL,
      0,
      NULL,
      NULL,
      0,
      { NULL } },
    { "brief-garbage", "\x01\x02\xff\n\n:::\n  \n", FALSE, NULL, 0, NULL, NULL, 0, { NULL } },
    { "brief-empty", "", FALSE, NULL, 0, NULL, NULL, 0, { NULL } },
};

static void
expect_str (const char *label, const char *what, const char *got, const char *want)
{
    if (g_strcmp0 (got, want) != 0)
        fail_msg ("row %s %s: got %s want %s", label, what, got ? got : "NULL",
                  want ? want : "NULL");
}

static void
arf_reports (void **state)
{
    (void) state;
    for (gsize k = 0; k < G_N_ELEMENTS (rows); k++) {
        const Row *row = &rows[k];
        g_autoptr (MdAnalysis) a = md_analysis_new ();
        gboolean ok = md_arf_parse (a, row->text, strlen (row->text));
        if (ok != row->ok || a->input.warnings->len != 0)
            fail_msg ("row %s: got ok %d, %u warnings", row->label, ok, a->input.warnings->len);
        if (!ok) {
            if (a->bounce != NULL)
                fail_msg ("row %s: a bounce from no report", row->label);
            continue;
        }
        const MdBounce *b = a->bounce;
        expect_str (row->label, "format", b->format, "arf");
        expect_str (row->label, "reporting_mta", b->reporting_mta, row->reporting_mta);
        if ((row->arrival != 0) != b->arrival_date.valid ||
            (row->arrival != 0 && b->arrival_date.utc != row->arrival))
            fail_msg ("row %s: arrival %" G_GINT64_FORMAT, row->label, b->arrival_date.utc);
        if (b->recipients->len != row->count)
            fail_msg ("row %s: got %u recipients", row->label, b->recipients->len);
        for (guint i = 0; i < row->count; i++) {
            const MdRecipient *r = g_ptr_array_index (b->recipients, i);
            expect_str (row->label, "recipient", r->recipient, row->recipients[i]);
            expect_str (row->label, "feedback_type", r->feedback_type, row->feedback_type);
            expect_str (row->label, "diagnostic", r->diagnostic, row->diagnostic);
            expect_str (row->label, "reason", r->reason, "feedback");
            if (r->action != NULL || r->status != NULL || r->reply_code != 0 || r->hard ||
                r->remote_mta != NULL || r->diagnostic_type != NULL)
                fail_msg ("row %s: delivery fields set on feedback", row->label);
        }
    }
}

/* Original-Rcpt-To is bounded like a DSN's recipients. */
static void
arf_recipient_limit (void **state)
{
    (void) state;
    g_autoptr (GString) text = g_string_new ("Feedback-Type: abuse\n");
    for (guint i = 0; i < 1500; i++)
        g_string_append_printf (text, "Original-Rcpt-To: u%u@example.org\n", i);
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    assert_true (md_arf_parse (a, text->str, text->len));
    assert_int_equal (a->bounce->recipients->len, 1000);
    assert_int_equal (a->input.warnings->len, 1);
    const MdWarning *w = g_ptr_array_index (a->input.warnings, 0);
    assert_string_equal (w->code, "report-recipient-limit");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (arf_reports),
        cmocka_unit_test (arf_recipient_limit),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
