/* test-status - RFC 3463 codes: parse (the grammar and its look-alikes), IANA titles with the class
 * fallback, format; then the scanners over server text as real MTAs write it (rows labelled by the
 * corpus file or the MTA whose wording they copy), and text that must not yield a code: IP
 * addresses, versions, dates, ports, long numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "status.h"

static const struct {
    const char *label, *text;
    gsize want_len;
    MdStatus want;
} parse_rows[] = {
    { "plain", "5.1.1 user unknown", 5, { 5, 1, 1 } },
    { "ip-not-status", "5.1.1.1 said:", 0, { 0, 0, 0 } }, /* want_len 0: must not parse */
    { "sentence-end", "5.1.1. Bye", 5, { 5, 1, 1 } },
    { "three-digit-detail", "4.7.650 rate limited", 7, { 4, 7, 650 } },
    { "two-digit-detail", "5.7.26", 6, { 5, 7, 26 } },
    { "success", "2.0.0", 5, { 2, 0, 0 } },
    { "dsn-comment", "5.0.0 (permanent failure)", 5, { 5, 0, 0 } },
    { "class-3", "3.1.1", 0, { 0, 0, 0 } },
    { "class-two-digits", "55.1.1", 0, { 0, 0, 0 } },
    { "short", "5.1", 0, { 0, 0, 0 } },
    { "no-subject", "5..1", 0, { 0, 0, 0 } },
    { "no-detail", "5.1. x", 0, { 0, 0, 0 } },
    { "subject-four-digits", "5.1234.1", 0, { 0, 0, 0 } },
    { "detail-four-digits", "5.1.1234", 0, { 0, 0, 0 } },
    { "version-parses", "4.96.1", 6, { 4, 96, 1 } }, /* the grammar allows it; md_status_scan not */
    { "empty", "", 0, { 0, 0, 0 } },
};

static void
status_parse_grammar_and_look_alikes (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (parse_rows); i++) {
        MdStatus got = { 0, 0, 0 };
        gsize len = md_status_parse (parse_rows[i].text, strlen (parse_rows[i].text), &got);
        if (len != parse_rows[i].want_len ||
            (len > 0 && memcmp (&got, &parse_rows[i].want, sizeof got) != 0))
            fail_msg ("row %s: got %zu %u.%u.%u", parse_rows[i].label, len, got.klass, got.subject,
                      got.detail);
    }
}

/* Input is pointer + length: nothing past @len is read, and no NUL is needed. */
static void
status_parse_reads_only_len (void **state)
{
    (void) state;
    MdStatus got = { 0, 0, 0 };
    assert_int_equal (md_status_parse ("5.1.1", 4, &got), 0);
    assert_int_equal (md_status_parse ("5.1.12", 5, &got), 5);
    assert_int_equal (got.detail, 1);
    char exact[5] = { '4', '.', '2', '.', '2' }; /* no NUL after it */
    assert_int_equal (md_status_parse (exact, sizeof exact, &got), 5);
    assert_int_equal (got.klass, 4);
}

static const struct {
    const char *label;
    MdStatus status;
    const char *want; /* NULL: no title */
} title_rows[] = {
    { "registered", { 5, 1, 1 }, "Bad destination mailbox address" },
    { "same-title-any-class", { 4, 1, 1 }, "Bad destination mailbox address" },
    { "success", { 2, 1, 5 }, "Destination address valid" },
    { "undefined", { 5, 0, 0 }, "Other undefined Status" },
    { "two-digit-detail", { 5, 1, 10 }, "Recipient address has null MX" },
    { "last-row", { 5, 7, 30 }, "REQUIRETLS support required" },
    { "unregistered-permanent", { 5, 7, 999 }, "Permanent Failure" },
    { "unregistered-transient", { 4, 9, 9 }, "Persistent Transient Failure" },
    { "unregistered-success", { 2, 8, 1 }, "Success" },
    { "microsoft-private", { 5, 7, 606 }, "Permanent Failure" },
    { "invalid-class-3", { 3, 1, 1 }, NULL },
    { "invalid-class-0", { 0, 0, 0 }, NULL },
    { "invalid-class-9", { 9, 1, 1 }, NULL },
};

static void
status_title_registry_with_class_fallback (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (title_rows); i++) {
        const char *got = md_status_title (&title_rows[i].status);
        if (g_strcmp0 (got, title_rows[i].want) != 0)
            fail_msg ("row %s: got %s", title_rows[i].label, got != NULL ? got : "NULL");
    }
}

static void
status_format_round_trips (void **state)
{
    (void) state;
    static const MdStatus statuses[] = { { 5, 1, 1 }, { 4, 7, 650 }, { 5, 999, 999 }, { 2, 0, 0 } };
    static const char *const want[] = { "5.1.1", "4.7.650", "5.999.999", "2.0.0" };
    for (size_t i = 0; i < G_N_ELEMENTS (statuses); i++) {
        char buf[MD_STATUS_FORMAT_SIZE];
        md_status_format (&statuses[i], buf);
        assert_string_equal (buf, want[i]);
        MdStatus back;
        assert_int_equal (md_status_parse (buf, strlen (buf), &back), strlen (want[i]));
        assert_memory_equal (&back, &statuses[i], sizeof back);
    }
}

typedef struct {
    const char *label, *text;
    gboolean found;
    MdStatus status; /* klass 0: none */
    int reply;
    gsize offset; /* of the status */
} ScanRow;

static const ScanRow scan_rows[] = {
    /* what servers and MTAs write */
    { "postfix-recipient-rejected",
      "550 5.1.1 <kijitora@example.org>: Recipient address rejected: User unknown in local "
      "recipient table",
      TRUE,
      { 5, 1, 1 },
      550,
      4 },
    { "gmail-continuation",
      "550-5.1.1 The email account that you tried to reach does not exist. Please try "
      "550-5.1.1 double-checking the recipient's email",
      TRUE,
      { 5, 1, 1 },
      550,
      83 }, /* the last reply-and-status pair: the same on every continuation line */

    { "rhost-gsuite-01 hash", "550 #5.1.0 Address rejected.", TRUE, { 5, 1, 0 }, 550, 5 },
    { "exchange-hash-then-smtp",
      "#< #5.1.1 smtp;550 5.1.1 User unknown> #SMTP#",
      TRUE,
      { 5, 1, 1 },
      550,
      19 },
    { "hash-alone", "<kijitora@example.com> #5.1.1", TRUE, { 5, 1, 1 }, 0, 24 },
    { "status-only", "5.1.1 user unknown", TRUE, { 5, 1, 1 }, 0, 0 },
    { "smtp-type-kept", "smtp; 550 5.7.1 Message rejected as spam", TRUE, { 5, 7, 1 }, 550, 10 },
    { "qmail-said-reply-only",
      "Remote host said: 554 Transaction failed",
      TRUE,
      { 0, 0, 0 },
      554,
      0 },
    { "qmail-block",
      "192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 <kijitora@example.jp>... "
      "User Unknown\nGiving up on 192.0.2.1.\n",
      TRUE,
      { 5, 1, 1 },
      550,
      57 },
    { "postfix-said",
      "host mx.example.jp[192.0.2.1] said: 550 5.1.1 <x@example.jp>: Recipient address rejected "
      "(in reply to RCPT TO command)",
      TRUE,
      { 5, 1, 1 },
      550,
      40 },
    { "sendmail-transcript",
      "... while talking to mx.example.jp.:\n>>> RCPT To:<kijitora@example.jp>\n<<< 550 5.1.1 "
      "<kijitora@example.jp>... User Unknown\n",
      TRUE,
      { 5, 1, 1 },
      550,
      79 },
    /* Amazon SES puts its own status first, then quotes the server (lhost-amazonses-03) */
    { "lhost-amazonses-03 quoted-server",
      "5.1.0 - Unknown address error 550-'5.2.2 <kijitora@example.jp>... Mailbox Full' "
      "(delivery attempts: 0)",
      TRUE,
      { 5, 2, 2 },
      550,
      35 },
    { "lhost-amazonses-02 quoted-reply",
      "5.3.0 - Other mail system problem 550-'Unknown user x@docomo.ne.jp' (delivery attempts: 0)",
      TRUE,
      { 5, 3, 0 },
      550,
      0 },
    /* the classes disagree: both reported as written, the caller trusts the status */
    /* the relay's summary first, the server's own reply quoted last: the server's wins */
    { "lhost-amazonses-17 relay-quotes-server",
      "554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed "
      "out>",
      TRUE,
      { 4, 4, 2 },
      421,
      65 },
    { "lhost-postfix-28 ipv6-and-spaces",
      "550-5.7.1 [2401:2500:102:3032:192.0.2.222      13] Messages with multiple 550 5.7.1 "
      "addresses in From: header are not accepted.",
      TRUE,
      { 5, 7, 1 },
      550,
      78 }, /* the same pair again on the continuation: the last one is taken */
    { "rhost-messagelabs-01 reply-first",
      "550-Please turn on SMTP Authentication in your mail client. 550 relay denied",
      TRUE,
      { 0, 0, 0 },
      550,
      0 },
    { "reply-then-later-status", "550 Unknown user; 550 5.1.1 blah", TRUE, { 5, 1, 1 }, 550, 22 },
    { "rfc3464-28 delivered", "250 2.1.5 Ok", TRUE, { 2, 1, 5 }, 250, 4 },
    { "exim-said",
      "SMTP error from remote mail server after RCPT TO:<k@example.jp>:\n    host mx.example.jp "
      "[192.0.2.1]: 550 5.1.1 <k@example.jp>: User unknown",
      TRUE,
      { 5, 1, 1 },
      550,
      105 },
    { "bracket-reply", "(450 4.2.0 Greylisted)", TRUE, { 4, 2, 0 }, 450, 5 },
    /* look-alikes: nothing here is a code */
    { "ip-not-status", "Connected to 5.1.1.1 but sender was rejected.", FALSE, { 0, 0, 0 }, 0, 0 },
    { "ip-octets", "Fix reverse DNS for 203.0.113.2 and 10.250.5.1", FALSE, { 0, 0, 0 }, 0, 0 },
    { "exim-version",
      "mx.example.org ESMTP Exim 4.96.1 Thu, 29 Apr 2013",
      FALSE,
      { 0, 0, 0 },
      0,
      0 },
    { "short-version", "Exim 4.96 said", FALSE, { 0, 0, 0 }, 0, 0 },
    { "dovecot-version", "Dovecot 2.3.19 ready", FALSE, { 0, 0, 0 }, 0, 0 },
    { "apache-version", "Apache/2.4.58 (Debian)", FALSE, { 0, 0, 0 }, 0, 0 },
    { "dotted-date", "queued 2013.04.12 and retried", FALSE, { 0, 0, 0 }, 0, 0 },
    { "iso-date", "at 2013-04-12 23:45:00 the message", FALSE, { 0, 0, 0 }, 0, 0 },
    { "rfc5322-date", "Thu, 29 Apr 2013 23:45:32 +0900 (JST)", FALSE, { 0, 0, 0 }, 0, 0 },
    { "port",
      "connect to mx.example.org[192.0.2.1]:25: Connection refused",
      FALSE,
      { 0, 0, 0 },
      0,
      0 },
    { "submission-port", "relay via port 587 failed", FALSE, { 0, 0, 0 }, 0, 0 },
    { "long-number", "queue id 5501234 deferred", FALSE, { 0, 0, 0 }, 0, 0 },
    { "parameter", "id=250-09 size=4500", FALSE, { 0, 0, 0 }, 0, 0 },
    { "seconds-in-prose", "retry timeout exceeded after 450 seconds", FALSE, { 0, 0, 0 }, 0, 0 },
    { "rhost-franceptt-08 bracketed", "OFR005_505 [505]", FALSE, { 0, 0, 0 }, 0, 0 },
    { "second-digit-6", "error 560 5.0.0", TRUE, { 5, 0, 0 }, 0, 10 },
    { "subject-over-7", "5.8.1 no such subject", FALSE, { 0, 0, 0 }, 0, 0 },
    { "status-in-word", "5.1.1a and x5.1.1", FALSE, { 0, 0, 0 }, 0, 0 },
    { "lone-success-is-version", "2.1.5 Ok", FALSE, { 0, 0, 0 }, 0, 0 },
    { "empty", "", FALSE, { 0, 0, 0 }, 0, 0 },
};

static void
status_scan_server_text (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (scan_rows); i++) {
        const ScanRow *row = &scan_rows[i];
        MdStatus got = { 9, 9, 9 };
        int reply = -1;
        gsize offset = 999;
        gboolean found = md_status_scan (row->text, strlen (row->text), &got, &reply, &offset);
        if (found != row->found || memcmp (&got, &row->status, sizeof got) != 0 ||
            reply != row->reply || offset != row->offset)
            fail_msg ("row %s: got %d %u.%u.%u reply %d offset %zu", row->label, found, got.klass,
                      got.subject, got.detail, reply, offset);
    }
}

/* The scan stops at @len, takes NULL out-pointers, and its work is bounded on big input. */
static void
status_scan_bounds (void **state)
{
    (void) state;
    MdStatus got;
    int reply;
    assert_true (md_status_scan ("550 5.1.1", 3, &got, &reply, NULL));
    assert_int_equal (reply, 550);
    assert_int_equal (got.klass, 0);
    assert_true (md_status_scan ("550 5.1.1", 9, NULL, NULL, NULL));
    assert_false (md_status_scan (NULL, 0, &got, &reply, NULL));

    gsize big = 4u * 1024 * 1024;
    char *text = g_malloc (big);
    for (gsize i = 0; i < big; i++)
        text[i] = "1234567890 .-:;"[i % 15];
    gint64 start = g_get_monotonic_time ();
    md_status_scan (text, big, &got, &reply, NULL);
    md_smtp_command_scan (text, big);
    assert_true (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
    g_free (text);
}

static const struct {
    const char *label, *text, *want;
} command_rows[] = {
    { "postfix-rcpt", "550 5.1.1 User unknown (in reply to RCPT TO command)", "RCPT" },
    { "postfix-folded-data",
      "554 5.6.0 scored as spam with a probability of more than\n    90% (in reply to\n    end of "
      "DATA command)",
      "DATA" },
    { "postfix-mail", "does not exist (in reply to MAIL FROM command)", "MAIL" },
    { "postfix-mail-folded", "does not exist (in reply to MAIL FROM\n    command)", "MAIL" },
    { "postfix-data", "said: 550 Protocol violation (in reply to DATA command)", "DATA" },
    { "postfix-ehlo", "said: 421 go away (in reply to EHLO command)", "EHLO" },
    { "postfix-starttls", "said: 454 TLS not available (in reply to STARTTLS command)",
      "STARTTLS" },
    { "postfix-quit", "said: 500 huh (in reply to QUIT command)", "QUIT" },
    { "postfix-rset", "said: 500 huh (in reply to RSET command)", "RSET" },
    { "postfix-helo-handshake",
      "lost connection with mx2.qq.com[184.105.206.86] while performing the HELO handshake",
      "HELO" },
    { "postfix-while-sending",
      "conversation with mx.example.org[192.0.2.1] timed out while sending end of data -- "
      "message may be sent more than once",
      "DATA" },
    { "postfix-lost-rcpt", "lost connection with mx.example.org[192.0.2.1] while sending RCPT TO",
      "RCPT" },
    { "postfix-connect", "connect to example.org[203.0.113.225]:25: Connection timed out", "CONN" },
    { "postfix-greeting", "timed out while receiving the initial server greeting", "CONN" },
    { "postfix-tls", "Cannot start TLS: handshake failure", "STARTTLS" },
    { "exim-rcpt",
      "SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>:", "RCPT" },
    { "exim-mail",
      "SMTP error from remote mail server after MAIL FROM:<s@example.com> SIZE=1024:", "MAIL" },
    { "exim-end-of-data", "SMTP error from remote mail server after end of data:", "DATA" },
    { "exim-pipelined", "SMTP error from remote mail server after pipelined DATA:", "DATA" },
    { "exim-initial", "SMTP error from remote mail server after initial connection:", "CONN" },
    { "exim-auth", "SMTP error from remote mail server after AUTH PLAIN:", "AUTH" },
    { "rcpt-command", "SMTP error from remote server after RCPT command:", "RCPT" },
    { "sendmail-rcpt",
      "... while talking to mx.example.jp.:\n>>> RCPT To:<kijitora@example.jp>\n<<< 550 5.1.1 "
      "<kijitora@example.jp>... User Unknown",
      "RCPT" },
    { "sendmail-data", "... while talking to mx.example.jp.:\n>>> DATA\n<<< 554 5.7.1 rejected",
      "DATA" },
    { "sendmail-mail", ">>> MAIL From:<s@example.org> SIZE=1543\n<<< 553 5.1.8 Domain of sender",
      "MAIL" },
    { "command-beats-stage", "connect to mx: ok; 550 no (in reply to RCPT TO command)", "RCPT" },
    /* no command named */
    { "none", "550 5.2.2 Mailbox full", NULL },
    { "after-time", "please try again after 5 minutes", NULL },
    { "email-word", "E-MAIL address rejected; mail from this sender refused", NULL },
    { "lower-case-verb", "we could not deliver the data after rcpt checks", NULL },
    { "data-without-end-of", "after data was checked", NULL },
    { "qmail-not-guessed", "192.0.2.1 failed after I sent the message.", NULL },
    { "word-prefix", "reconnect to the server later", NULL },
    { "empty", "", NULL },
};

static void
smtp_command_scan_phrases (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (command_rows); i++) {
        const char *got =
            md_smtp_command_scan (command_rows[i].text, strlen (command_rows[i].text));
        if (g_strcmp0 (got, command_rows[i].want) != 0)
            fail_msg ("row %s: got %s", command_rows[i].label, got != NULL ? got : "NULL");
    }
    assert_null (md_smtp_command_scan ("in reply to RCPT TO command", 15)); /* cut at @len */
    assert_null (md_smtp_command_scan (NULL, 0));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (status_parse_grammar_and_look_alikes),
        cmocka_unit_test (status_parse_reads_only_len),
        cmocka_unit_test (status_title_registry_with_class_fallback),
        cmocka_unit_test (status_format_round_trips),
        cmocka_unit_test (status_scan_server_text),
        cmocka_unit_test (status_scan_bounds),
        cmocka_unit_test (smtp_command_scan_phrases),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
