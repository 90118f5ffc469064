/* test-dsn - delivery status notifications → MdBounce. Rows copy message/delivery-status parts of
 * ../shared/corpus/bounces/emails (labelled by file; transfer encoding already undone, as
 * message.c hands them over) and assert every recipient field; rows labelled "brief-…" are forms
 * the corpus lacks, written from RFC 3464 and RFC 6533 (the corpus has no global DSN). Then the
 * field reader, the address cleaner, limits (10,000 recipients, long fields) and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "dsn.h"

typedef struct {
    const char *recipient, *original_recipient, *action, *status, *status_source, *status_title;
    int reply_code;
    const char *remote_mta, *diagnostic_type, *smtp_command;
    gint64 last_attempt; /* 0: none */
    const char *diagnostic;
} Want;

#define MAX_WANT 3
#define NO_WANT                                                                                    \
    {                                                                                              \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

typedef struct {
    const char *label, *text;
    gboolean global, ok;
    const char *format, *reporting_mta;
    gint64 arrival; /* 0: none */
    guint count;
    Want want[MAX_WANT];  /* the first recipients; any further ones are counted */
    const char *warnings; /* codes in order, comma-separated */
} Row;

static const Row corpus_rows[] = {
    /* Postfix local delivery: x-unix diagnostic folded over two lines, no reply code */
    { "lhost-postfix-01",
      "Reporting-MTA: dns; p351355.pool.example.ne.jp\n"
      "X-Postfix-Queue-ID: 00000000000\n"
      "X-Postfix-Sender: rfc822; shironeko@mx.example.jp\n"
      "Arrival-Date: Thu, 29 Apr 2013 23:45:41 +0900 (JST)\n"
      "\n"
      "Final-Recipient: rfc822; r@p351355.pool.example.ne.jp\n"
      "Original-Recipient: rfc822;kijitora@example.org\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Diagnostic-Code: x-unix; procmail: Couldn't create \"/var/spool/mail/neko\" id:\n"
      "    r.example.org: No such user\n",
      FALSE,
      TRUE,
      "rfc3464",
      "p351355.pool.example.ne.jp",
      1367246741,
      1,
      { { "r@p351355.pool.example.ne.jp", "kijitora@example.org", "failed", "5.1.1", "dsn",
          "Bad destination mailbox address", 0, NULL, "x-unix", NULL, 0,
          "procmail: Couldn't create \"/var/spool/mail/neko\" id: r.example.org: No such user" } },
      "" },
    /* two recipients */
    { "lhost-postfix-02",
      "Reporting-MTA: dns; smtp.example.com\n"
      "X-Postfix-Queue-ID: 7874F1FB8E\n"
      "X-Postfix-Sender: rfc822; kijitora@example.jp\n"
      "Arrival-Date: Sat, 21 Jun 2014 18:34:34 +0000 (UTC)\n"
      "\n"
      "Final-Recipient: rfc822; filtered@example.co.jp\n"
      "Original-Recipient: rfc822;filtered@example.co.jp\n"
      "Action: failed\n"
      "Status: 5.2.1\n"
      "Remote-MTA: dns; mx.example.co.jp\n"
      "Diagnostic-Code: smtp; 550 5.2.1 <filtered@example.co.jp>... User Unknown\n"
      "\n"
      "Final-Recipient: rfc822; userunknown@example.co.jp\n"
      "Original-Recipient: rfc822;userunknown@example.co.jp\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Remote-MTA: dns; mx.example.co.jp\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <userunknown@example.co.jp>... User Unknown\n",
      FALSE,
      TRUE,
      "rfc3464",
      "smtp.example.com",
      1403375674,
      2,
      { { "filtered@example.co.jp", "filtered@example.co.jp", "failed", "5.2.1", "dsn",
          "Mailbox disabled, not accepting messages", 550, "mx.example.co.jp", "smtp", NULL, 0,
          "550 5.2.1 <filtered@example.co.jp>... User Unknown" },
        { "userunknown@example.co.jp", "userunknown@example.co.jp", "failed", "5.1.1", "dsn",
          "Bad destination mailbox address", 550, "mx.example.co.jp", "smtp", NULL, 0,
          "550 5.1.1 <userunknown@example.co.jp>... User Unknown" } },
      "" },
    /* X-Postfix diagnostic (Postfix's own words), folded */
    { "lhost-postfix-06",
      "Reporting-MTA: dns; vagrant-centos65.vagrantup.com\n"
      "X-Postfix-Queue-ID: 9C81E2203D\n"
      "X-Postfix-Sender: rfc822; shironeko@example.jp\n"
      "Arrival-Date: Fri, 24 Oct 2014 10:46:18 +0000 (UTC)\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@neko.example.jp\n"
      "Original-Recipient: rfc822;kijitora@neko.example.jp\n"
      "Action: failed\n"
      "Status: 5.4.4\n"
      "Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error\n"
      "    for name=neko.example.jp type=AAAA: Host not found\n",
      FALSE,
      TRUE,
      "rfc3464",
      "vagrant-centos65.vagrantup.com",
      1414147578,
      1,
      { { "kijitora@neko.example.jp", "kijitora@neko.example.jp", "failed", "5.4.4", "dsn",
          "Unable to route", 0, NULL, "x-postfix", NULL, 0,
          "Host or domain name not found. Name service error for name=neko.example.jp "
          "type=AAAA: Host not found" } },
      "" },
    /* Status 5.0.0 yields to the server's 5.6.0; the reply code is split from it by a fold */
    { "lhost-postfix-39",
      "Reporting-MTA: dns; neko.example.com\n"
      "X-Postfix-Queue-ID: 0FFF0EEE22D\n"
      "X-Postfix-Sender: rfc822; nekonyaan@meow.example.com\n"
      "Arrival-Date: Thu, 29 Apr 2008 23:34:45 -0800 (PST)\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@example.com\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: X-Postfix; host mta.example.com[192.0.2.225] said: 554\n"
      "    5.6.0 This message has been scored as spam with a probability of more than\n"
      "    90% (in reply to end of DATA command)\n",
      FALSE,
      TRUE,
      "rfc3464",
      "neko.example.com",
      1209540885,
      1,
      { { "kijitora@example.com", NULL, "failed", "5.6.0", "diagnostic",
          "Other or undefined media error", 554, NULL, "x-postfix", "DATA", 0,
          "host mta.example.com[192.0.2.225] said: 554 5.6.0 This message has been scored as "
          "spam with a probability of more than 90% (in reply to end of DATA command)" } },
      "" },
    { "lhost-postfix-56",
      "Reporting-MTA: dns; mail.example.com\n"
      "X-Postfix-Queue-ID: 75FDC12192A3\n"
      "X-Postfix-Sender: rfc822; kijitora@example.net\n"
      "Arrival-Date: Wed,  4 Apr 2018 23:34:45 +0900 (JST)\n"
      "\n"
      "Final-Recipient: rfc822; nyaan@qq.example.com\n"
      "Original-Recipient: rfc822;nyaan@qq.example.com\n"
      "Action: failed\n"
      "Status: 4.4.2\n"
      "Diagnostic-Code: X-Postfix; lost connection with mx2.qq.com[184.105.206.86]\n"
      "    while performing the HELO handshake\n",
      FALSE,
      TRUE,
      "rfc3464",
      "mail.example.com",
      1522852485,
      1,
      { { "nyaan@qq.example.com", "nyaan@qq.example.com", "failed", "4.4.2", "dsn",
          "Bad connection", 0, NULL, "x-postfix", "HELO", 0,
          "lost connection with mx2.qq.com[184.105.206.86] while performing the HELO "
          "handshake" } },
      "" },
    /* the fold falls right after "connect to"; the port is no reply code */
    { "lhost-postfix-15",
      "Reporting-MTA: dns; kawaramachi.example.jp\n"
      "X-Postfix-Queue-ID: 54EF320C12\n"
      "X-Postfix-Sender: rfc822; root@kawaramachi.example.jp\n"
      "Arrival-Date: Fri, 13 Feb 2015 03:12:31 +0000 (UTC)\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@bukkoji.example.org\n"
      "Original-Recipient: rfc822;kijitora@bukkoji.example.org\n"
      "Action: failed\n"
      "Status: 4.4.1\n"
      "Diagnostic-Code: X-Postfix; connect to\n"
      "    bukkoji.example.org[192.0.2.1]:25: Connection timed out\n",
      FALSE,
      TRUE,
      "rfc3464",
      "kawaramachi.example.jp",
      1423797151,
      1,
      { { "kijitora@bukkoji.example.org", "kijitora@bukkoji.example.org", "failed", "4.4.1", "dsn",
          "No answer from host", 0, NULL, "x-postfix", "CONN", 0,
          "connect to bukkoji.example.org[192.0.2.1]:25: Connection timed out" } },
      "" },
    /* Gmail's multi-line reply, folded by Postfix */
    { "lhost-postfix-31",
      "Reporting-MTA: dns; nyaaan.example.com\n"
      "X-Postfix-Queue-ID: 2222EE22\n"
      "X-Postfix-Sender: rfc822; sironeko@neko.example.com\n"
      "Arrival-Date: Thu, 29 Apr 2017 23:34:45 +0900 (JST)\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@gmail.com\n"
      "Original-Recipient: rfc822;kijitora@gmail.com\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Remote-MTA: dns; gmail-smtp-in.l.google.com\n"
      "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does\n"
      "    not exist. Please try 550-5.1.1 double-checking the recipient's email\n"
      "    address for typos or 550-5.1.1 unnecessary spaces. Learn more at 550 5.1.1\n"
      "    https://support.google.com/mail/?p=NoSuchUser 00000000000000.000 - gsmtp\n",
      FALSE,
      TRUE,
      "rfc3464",
      "nyaaan.example.com",
      1493476485,
      1,
      { { "kijitora@gmail.com", "kijitora@gmail.com", "failed", "5.1.1", "dsn",
          "Bad destination mailbox address", 550, "gmail-smtp-in.l.google.com", "smtp", NULL, 0,
          "550-5.1.1 The email account that you tried to reach does not exist. Please try "
          "550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 "
          "unnecessary spaces. Learn more at 550 5.1.1 "
          "https://support.google.com/mail/?p=NoSuchUser 00000000000000.000 - gsmtp" } },
      "" },
    /* Exchange: "dns;" and "smtp;" without a space, X-Display-Name skipped */
    { "lhost-exchange2007-01",
      "Reporting-MTA: dns;mx4.example.org\n"
      "Received-From-MTA: dns;mx9.example.net\n"
      "Arrival-Date: Thu, 22 Feb 2011 23:34:45 +0900\n"
      "\n"
      "Final-Recipient: rfc822;mikeneko@example.co.jp\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Diagnostic-Code: smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found\n"
      "X-Display-Name: Neko\n"
      "\n",
      FALSE,
      TRUE,
      "rfc3464",
      "mx4.example.org",
      1298385285,
      1,
      { { "mikeneko@example.co.jp", NULL, "failed", "5.1.1", "dsn",
          "Bad destination mailbox address", 550, NULL, "smtp", NULL, 0,
          "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found" } },
      "" },
    /* reply 550 with status 4.4.7: the status is kept, the contradiction noted */
    { "lhost-exchange2007-05",
      "Reporting-MTA: dns;mlc-exchange1.mlcsyd.school\n"
      "Received-From-MTA: dns;mlc-exchange2.mlcsyd.school\n"
      "Arrival-Date: Thu, 1 Sep 2016 19:52:53 +0000\n"
      "\n"
      "Original-Recipient: rfc822;gwang1@student.mlcsyd.nsw.edu.au\n"
      "Final-Recipient: rfc822;gwang1@student.mlcsyd.nsw.edu.au\n"
      "Action: failed\n"
      "Status: 4.4.7\n"
      "Diagnostic-Code: smtp;550 4.4.7 QUEUE.Expired; message expired\n"
      "\n",
      FALSE,
      TRUE,
      "rfc3464",
      "mlc-exchange1.mlcsyd.school",
      1472759573,
      1,
      { { "gwang1@student.mlcsyd.nsw.edu.au", "gwang1@student.mlcsyd.nsw.edu.au", "failed", "4.4.7",
          "dsn", "Delivery time expired", 550, NULL, "smtp", NULL, 0,
          "550 4.4.7 QUEUE.Expired; message expired" } },
      "status-reply-mismatch" },
    /* SES: Status "5.0.0 (permanent failure)" yields to its own 5.3.0; the reply is quoted */
    { "lhost-amazonses-02",
      "Reporting-MTA: dns; a192-79.smtp-out.amazonses.com\n"
      "\n"
      "Final-Recipient: rfc822;this-local-part-does-not-exist-on-the-server@docomo.ne.jp\n"
      "Action: failed\n"
      "Status: 5.0.0 (permanent failure)\n"
      "Remote-MTA: dns; [203.138.181.240]\n"
      "Diagnostic-Code: smtp; 5.3.0 - Other mail system problem 550-'Unknown user "
      "this-local-part-does-not-exist-on-the-server@docomo.ne.jp' (delivery attempts: 0)\n",
      FALSE,
      TRUE,
      "rfc3464",
      "a192-79.smtp-out.amazonses.com",
      0,
      1,
      { { "this-local-part-does-not-exist-on-the-server@docomo.ne.jp", NULL, "failed", "5.3.0",
          "diagnostic", "Other or undefined mail system status", 550, "[203.138.181.240]", "smtp",
          NULL, 0,
          "5.3.0 - Other mail system problem 550-'Unknown user "
          "this-local-part-does-not-exist-on-the-server@docomo.ne.jp' (delivery attempts: 0)" } },
      "" },
    /* SES again: the server's 5.2.2, paired with its reply, beats SES's own 5.1.0 */
    { "lhost-amazonses-03",
      "Reporting-MTA: dns; a192-79.smtp-out.amazonses.com\n"
      "\n"
      "Final-Recipient: rfc822;kijitora@example.jp\n"
      "Action: failed\n"
      "Status: 5.0.0 (permanent failure)\n"
      "Remote-MTA: dns; [192.0.2.222]\n"
      "Diagnostic-Code: smtp; 5.1.0 - Unknown address error 550-'5.2.2 <kijitora@example.jp>... "
      "Mailbox Full' (delivery attempts: 0)\n",
      FALSE,
      TRUE,
      "rfc3464",
      "a192-79.smtp-out.amazonses.com",
      0,
      1,
      { { "kijitora@example.jp", NULL, "failed", "5.2.2", "diagnostic", "Mailbox full", 550,
          "[192.0.2.222]", "smtp", NULL, 0,
          "5.1.0 - Unknown address error 550-'5.2.2 <kijitora@example.jp>... Mailbox Full' "
          "(delivery attempts: 0)" } },
      "" },
    /* "Reporting-MTA: dsn;" (sic), fields in odd order */
    { "lhost-amazonses-17",
      "Reporting-MTA: dsn; e2-22.smtp-out.amazonses.com\n"
      "\n"
      "Action: failed\n"
      "Final-Recipient: rfc822; kijitora@example.com\n"
      "Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 "
      "4.4.2 Connection timed out>\n"
      "Status: 4.4.7\n"
      "\n",
      FALSE,
      TRUE,
      "rfc3464",
      "e2-22.smtp-out.amazonses.com",
      0,
      1,
      /* the server's reply quoted last wins over SES's own summary (and over Status:) */
      { { "kijitora@example.com", NULL, "failed", "4.4.2", "diagnostic", "Bad connection", 421,
          NULL, "smtp", NULL, 0,
          "554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection "
          "timed out>" } },
      "" },
    /* RFC 3464's own example shape: three recipients, one delayed, statuses with comments */
    { "rfc3464-35",
      "Reporting-MTA: dns; cs.utk.edu\n"
      "\n"
      "Original-Recipient: rfc822;kijitora@nyaan.example.com\n"
      "Final-Recipient: rfc822;kijitora@nyaan.example.com\n"
      "Action: failed\n"
      "Status: 5.0.0 (permanent failure)\n"
      "Diagnostic-Code: smtp;  550 'kijitora@nyaan.example.com' is not a\n"
      " registered gateway user\n"
      "Remote-MTA: dns; nyaan.example.com\n"
      "\n"
      "Original-Recipient: rfc822;sabatora@cat.example.net\n"
      "Final-Recipient: rfc822;sabatora@cat.example.net\n"
      "Action: delayed\n"
      "Status: 4.0.0 (cat.example.net: host name lookup failure)\n"
      "\n"
      "Original-Recipient: rfc822;mikeneko@neko.example.or.jp\n"
      "Final-Recipient: rfc822;mikeneko@neko.example.or.jp\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: smtp; 550 user unknown\n"
      "Remote-MTA: dns; neko.example.or.jp\n"
      "\n",
      FALSE,
      TRUE,
      "rfc3464",
      "cs.utk.edu",
      0,
      3,
      { { "kijitora@nyaan.example.com", "kijitora@nyaan.example.com", "failed", "5.0.0", "dsn",
          "Other undefined Status", 550, "nyaan.example.com", "smtp", NULL, 0,
          "550 'kijitora@nyaan.example.com' is not a registered gateway user" },
        { "sabatora@cat.example.net", "sabatora@cat.example.net", "delayed", "4.0.0", "dsn",
          "Other undefined Status", 0, NULL, NULL, NULL, 0, NULL },
        { "mikeneko@neko.example.or.jp", "mikeneko@neko.example.or.jp", "failed", "5.0.0", "dsn",
          "Other undefined Status", 550, "neko.example.or.jp", "smtp", NULL, 0,
          "550 user unknown" } },
      "" },
    /* a success report; "deliverable" is not an RFC 3464 action but is kept as written */
    { "rfc3464-28",
      "Reporting-MTA: dns; neko-222-2222.vs.example.ne.jp\n"
      "X-Postfix-Queue-ID: 22CC00222233\n"
      "X-Postfix-Sender: rfc822; root@neko-222-2222.vs.example.ne.jp\n"
      "Arrival-Date: Thu, 29 Apr 2015 23:34:45 +0900 (JST)\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@neko.example.jp\n"
      "Action: deliverable\n"
      "Status: 2.1.5\n"
      "Remote-MTA: dns; mail.neko.example.jp\n"
      "Diagnostic-Code: smtp; 250 2.1.5 Ok\n",
      FALSE,
      TRUE,
      "rfc3464",
      "neko-222-2222.vs.example.ne.jp",
      1430318085,
      1,
      { { "kijitora@neko.example.jp", NULL, "deliverable", "2.1.5", "dsn",
          "Destination address valid", 250, "mail.neko.example.jp", "smtp", NULL, 0,
          "250 2.1.5 Ok" } },
      "" },
    /* CRLF; per-recipient fields after a blank line with Final-Recipient last; the diagnostic
     * goes on over unindented "550-…" lines */
    { "rhost-messagelabs-01",
      "Arrival-Date: Thu, 17 Jul 2017 23:34:45 +0000\r\n"
      "Reporting-MTA: dns; server-0.bemta-0.messagelabs.com\r\n"
      "\r\n"
      "Last-Attempt-Date: Thu, 17 Jul 2017 23:34:45 +0000\r\n"
      "Diagnostic-Code: smtp; 550-Please turn on SMTP Authentication in your mail client. \r\n"
      "550-mail0.bemta0.messagelabs.com [198.51.100.21]:11111 is not permitted to\r\n"
      "550 relay through this server without authentication.\r\n"
      "Status: 5.0.0\r\n"
      "Action: failed\r\n"
      "Final-Recipient: rfc822; kijitora@example.messagelabs.com\r\n",
      FALSE,
      TRUE,
      "rfc3464",
      "server-0.bemta-0.messagelabs.com",
      1500334485,
      1,
      { { "kijitora@example.messagelabs.com", NULL, "failed", "5.0.0", "dsn",
          "Other undefined Status", 550, NULL, "smtp", NULL, 1500334485,
          "550-Please turn on SMTP Authentication in your mail client. "
          "550-mail0.bemta0.messagelabs.com [198.51.100.21]:11111 is not permitted to 550 relay "
          "through this server without authentication." } },
      "" },
    /* no per-message group, no Final-Recipient, no Status; "Remote-MTA" without a type */
    { "lhost-mcafee-01",
      "Original-Recipient: <kijitora@example.co.jp>\n"
      "Action: failed\n"
      "Diagnostic-Code: smtp; 550 Unknown user kijitora@example.co.jp\n"
      "Remote-MTA: 192.0.2.192\n"
      "\n",
      FALSE,
      TRUE,
      "rfc3464",
      NULL,
      0,
      1,
      { { "kijitora@example.co.jp", "kijitora@example.co.jp", "failed", NULL, NULL, NULL, 550,
          "192.0.2.192", "smtp", NULL, 0, "550 Unknown user kijitora@example.co.jp" } },
      "" },
    /* "ction: failed" (damaged) is no Action; "X-Unix; 77" is an exit status */
    { "lhost-sendmail-13",
      "Reporting-MTA: dns; mx6.example.co.jp\n"
      "Received-From-MTA: DNS; g5.example.jp\n"
      "Arrival-Date: Thu, 29 Apr 2013 23:45:00 +0900 (JST)\n"
      "\n"
      "Final-Recipient: RFC822; kijitora@example.or.jp\n"
      "ction: failed\n"
      "Status: 5.3.0\n"
      "Diagnostic-Code: X-Unix; 77\n"
      "Last-Attempt-Date: Thu, 29 Apr 2013 23:45:00 +0900 (JST)\n",
      FALSE,
      TRUE,
      "rfc3464",
      "mx6.example.co.jp",
      1367246700,
      1,
      { { "kijitora@example.or.jp", NULL, NULL, "5.3.0", "dsn",
          "Other or undefined mail system status", 0, NULL, "x-unix", NULL, 1367246700, "77" } },
      "" },
    /* "X-Unix; 255" looks like a reply code and is not one */
    { "lhost-sendmail-18",
      "Reporting-MTA: dns; mx356.example.jp\n"
      "Received-From-MTA: DNS; [192.0.2.22]\n"
      "Arrival-Date: Thu, 29 Apr 2009 23:34:45 +0900\n"
      "\n"
      "Final-Recipient: RFC822; kijitora@example.jp\n"
      "X-Actual-Recipient: X-Unix; |/home/kijitora/mail/catch.pl\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: X-Unix; 255\n"
      "Last-Attempt-Date: Thu, 29 Apr 2009 23:34:45 +0900\n",
      FALSE,
      TRUE,
      "rfc3464",
      "mx356.example.jp",
      1241015685,
      1,
      { { "kijitora@example.jp", NULL, "failed", "5.0.0", "dsn", "Other undefined Status", 0, NULL,
          "x-unix", NULL, 1241015685, "255" } },
      "" },
    /* CRLF, two recipients without a diagnostic */
    { "lhost-opensmtpd-17",
      "Reporting-MTA: dns; df.example.jp\r\n"
      "\r\n"
      "Final-Recipient: rfc822; userunknown@libsisimai.net\r\n"
      "Action: failed\r\n"
      "Status: 5.0.0\r\n"
      "\r\n"
      "Final-Recipient: rfc822; mailboxfull@libsisimai.net\r\n"
      "Action: failed\r\n"
      "Status: 5.0.0\r\n",
      FALSE,
      TRUE,
      "rfc3464",
      "df.example.jp",
      0,
      2,
      { { "userunknown@libsisimai.net", NULL, "failed", "5.0.0", "dsn", "Other undefined Status", 0,
          NULL, NULL, NULL, 0, NULL },
        { "mailboxfull@libsisimai.net", NULL, "failed", "5.0.0", "dsn", "Other undefined Status", 0,
          NULL, NULL, NULL, 0, NULL } },
      "" },
    /* no Reporting-MTA, an unreadable Arrival-Date, an empty Status, an untyped diagnostic */
    { "lhost-sendgrid-03",
      "X-SendGrid-QueueID: 515172155\n"
      "X-SendGrid-Sender: \n"
      "Arrival-Date: 2013-07-08 18-21-01\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@example.org\n"
      "Original-Recipient: rfc822; kijitora@example.org\n"
      "Action: expired\n"
      "Status: \n"
      "Diagnostic-Code: Connection timed out\n",
      FALSE,
      TRUE,
      "rfc3464",
      NULL,
      0,
      1,
      { { "kijitora@example.org", "kijitora@example.org", "expired", NULL, NULL, NULL, 0, NULL,
          NULL, NULL, 0, "Connection timed out" } },
      "" },
    /* the MIME boundary is lost: the returned message follows the report in the same part */
    { "rhost-franceptt-08",
      "Reporting-MTA: dns; xxxx.xxxx.net\n"
      "X-Postfix-Queue-ID: 6B093271F589\n"
      "X-Postfix-Sender: rfc822; xxxx@xxxx.fr\n"
      "Arrival-Date: Tue, 17 Dec 2019 11:32:37 +0100 (CET)\n"
      "\n"
      "Final-Recipient: rfc822; xxxx@wanadoo.fr\n"
      "Original-Recipient: rfc822;xxxx@wanadoo.fr\n"
      "Action: failed\n"
      "Status: 4.2.0\n"
      "Remote-MTA: dns; smtp-in.orange.fr\n"
      "Diagnostic-Code: smtp; 421 4.2.0 Service refuse. Veuillez essayer plus tard.\n"
      "    Service refused, please try later. OFR005_505 [505]\n"
      "\n"
      "--6B093271F589.1576627508/xxxx.odiso.net\n"
      "Content-Description: Undelivered Message\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "Return-Path: <xxxx@xxxx.fr>\n"
      "Message-Id: <1576578757.xxxx@xxxx.fr>\n"
      "Feedback-Id: 487:1459\n"
      "From: <xxxx@xxxx.fr>\n"
      "To: xxxx@wanadoo.fr\n"
      "Content-Type: text/html; charset=utf-8\n"
      "Subject: xxxx\n"
      "Content-Disposition: inline\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "MIME-Version: 1.0\n"
      "Date: Tue, 17 Dec 2019 11:32:37 +0100\n"
      "\n"
      "xxxx\n"
      "\n"
      "--6B093271F589.1576627508/regiesmtp1178.odiso.net--",
      FALSE,
      TRUE,
      "rfc3464",
      "xxxx.xxxx.net",
      1576578757,
      1,
      { { "xxxx@wanadoo.fr", "xxxx@wanadoo.fr", "failed", "4.2.0", "dsn",
          "Other or undefined mailbox status", 421, "smtp-in.orange.fr", "smtp", NULL, 0,
          "421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try "
          "later. OFR005_505 [505]" } },
      "report-stray-line" },
    /* "550 #5.1.0" beats Status 5.0.0; a Remote-MTA with a comment */
    { "rhost-gsuite-01",
      "Reporting-MTA: dns; googlemail.com\n"
      "Received-From-MTA: dns; sironeko@example.jp\n"
      "Arrival-Date: Fri, 24 Mar 2017 12:34:56 -0700 (PDT)\n"
      "X-Original-Message-ID: <00222222-2222-2222-2222-FF00FFFF0000@example.jp>\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@example.de\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Remote-MTA: dns; 192.0.2.222 (192.0.2.222, the server for the domain.)\n"
      "Diagnostic-Code: smtp; 550 #5.1.0 Address rejected.\n"
      "Last-Attempt-Date: Fri, 24 Mar 2017 12:34:56 -0700 (PDT)\n",
      FALSE,
      TRUE,
      "rfc3464",
      "googlemail.com",
      1490384096,
      1,
      { { "kijitora@example.de", NULL, "failed", "5.1.0", "diagnostic", "Other address status", 550,
          "192.0.2.222 (192.0.2.222, the server for the domain.)", "smtp", NULL, 1490384096,
          "550 #5.1.0 Address rejected." } },
      "" },
    /* diagnostic-type "unknown" */
    { "lhost-courier-04",
      "Reporting-MTA: dns; 5jo.example.org\n"
      "Arrival-Date: Sat, 11 Dec 2010 02:07:06 +0900\n"
      "Received-From-MTA: dns; mx.example.co.jp (c135.kyoto.example.ne.jp [192.0.2.135])\n"
      "\n"
      "Final-Recipient: rfc822; kijitora@example.cat\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: unknown; No such domain.\n",
      FALSE,
      TRUE,
      "rfc3464",
      "5jo.example.org",
      1292000826,
      1,
      { { "kijitora@example.cat", NULL, "failed", "5.0.0", "dsn", "Other undefined Status", 0, NULL,
          "unknown", NULL, 0, "No such domain." } },
      "" },
    /* a per-message group alone is no report of a recipient */
    { "lhost-x3-05",
      "Reporting-MTA: dns; nyaaaaaan.example.com [192.0.2.225]\n"
      "Received-From-MTA: dns; neko.example.net [203.0.113.225]\n"
      "Arrival-Date: Thu, 29 Apr 2009 23:34:45 +0000\n",
      FALSE, FALSE, NULL, NULL, 0, 0, NO_WANT, "" },
};

/* Forms the corpus lacks. RFC 6533 §3: a utf-8 address may carry \x{HEX} escapes, or raw UTF-8
 * in message/global-delivery-status. */
static const Row brief_rows[] = {
    { "brief-rfc6533-escapes",
      "Reporting-MTA: dns; mx.example.org\n"
      "Arrival-Date: Tue, 3 Nov 2026 10:15:07 +0000\n"
      "\n"
      "Original-Recipient: utf-8; j\\x{F6}rg@b\\x{FC}cher.example\n"
      "Final-Recipient: utf-8; \\x{7528}\\x{6237}@\\x{4F8B}\\x{5B50}.example\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Remote-MTA: dns; mx.例子.example\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <用户@例子.example>: 用户不存在 (in reply to RCPT TO\n"
      " command)\n"
      "Last-Attempt-Date: Tue, 3 Nov 2026 10:15:09 +0000\n",
      TRUE,
      TRUE,
      "rfc6533",
      "mx.example.org",
      1793700907,
      1,
      { { "用户@例子.example", "jörg@bücher.example", "failed", "5.1.1", "dsn",
          "Bad destination mailbox address", 550, "mx.例子.example", "smtp", "RCPT", 1793700909,
          "550 5.1.1 <用户@例子.example>: 用户不存在 (in reply to RCPT TO command)" } },
      "" },
    { "brief-rfc6533-raw-utf8",
      "Reporting-MTA: dns; correio.exemplo.br\r\n"
      "\r\n"
      "Final-Recipient: utf-8; pelé@exemplo.br\r\n"
      "Original-Recipient: utf-8; pel\\x{E9}@exemplo.br\r\n"
      "Action: failed\r\n"
      "Status: 5.2.2\r\n"
      "Diagnostic-Code: smtp; 552 5.2.2 caixa postal de pelé cheia\r\n"
      "\r\n"
      "Final-Recipient: utf-8; δοκιμή@παράδειγμα.example\r\n"
      "Action: delayed\r\n"
      "Status: 4.4.1\r\n"
      "Diagnostic-Code: X-Postfix; connect to παράδειγμα.example[192.0.2.7]:25: Connection\r\n"
      "    refused\r\n"
      "Will-Retry-Until: Wed, 4 Nov 2026 10:15:07 +0000\r\n",
      TRUE,
      TRUE,
      "rfc6533",
      "correio.exemplo.br",
      0,
      2,
      { { "pelé@exemplo.br", "pelé@exemplo.br", "failed", "5.2.2", "dsn", "Mailbox full", 552, NULL,
          "smtp", NULL, 0, "552 5.2.2 caixa postal de pelé cheia" },
        { "δοκιμή@παράδειγμα.example", NULL, "delayed", "4.4.1", "dsn", "No answer from host", 0,
          NULL, "x-postfix", "CONN", 0,
          "connect to παράδειγμα.example[192.0.2.7]:25: Connection refused" } },
      "" },
    /* escapes that are no Unicode scalar value stay as written; rfc822 addresses are not
     * decoded */
    { "brief-rfc6533-bad-escapes",
      "Final-Recipient: utf-8; a\\x{D800}b\\x{110000}c\\x{}d\\x{0}e\\x{41}f\\x{2F\n"
      "Original-Recipient: rfc822; \\x{41}@example.org\n"
      "Action: failed\n"
      "Status: 5.1.3\n",
      TRUE,
      TRUE,
      "rfc6533",
      NULL,
      0,
      1,
      { { "a\\x{D800}b\\x{110000}c\\x{}d\\x{0}eAf\\x{2F", "\\x{41}@example.org", "failed", "5.1.3",
          "dsn", "Bad destination mailbox address syntax", 0, NULL, NULL, NULL, 0, NULL } },
      "" },
    /* no per-message group and no blank line between recipients */
    { "brief-run-together",
      "Final-Recipient: rfc822; a@example.org\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Final-Recipient: rfc822; b@example.org\n"
      "Action: failed\n"
      "Status: 5.2.2\n",
      FALSE,
      TRUE,
      "rfc3464",
      NULL,
      0,
      2,
      { { "a@example.org", NULL, "failed", "5.1.1", "dsn", "Bad destination mailbox address", 0,
          NULL, NULL, NULL, 0, NULL },
        { "b@example.org", NULL, "failed", "5.2.2", "dsn", "Mailbox full", 0, NULL, NULL, NULL, 0,
          NULL } },
      "" },
    /* blank lines holding blanks, doubled CRs ("\r\r\n"), names in any case, a blank before
     * the colon, "<>" around the address */
    { "brief-blank-lines-and-case",
      "reporting-mta: DNS; mx.example.org\r\r\n"
      " \t \r\r\n"
      "final-recipient: RFC822; <A@Example.ORG>\r\r\n"
      "ACTION: FAILED\r\r\n"
      "status : 5.1.1\r\r\n"
      "\t\r\r\n"
      "\r\r\n"
      "FINAL-RECIPIENT: rfc822;b@example.org\r\r\n"
      "action: Delayed\r\r\n"
      "STATUS: 4.2.2\r\r\n",
      FALSE,
      TRUE,
      "rfc3464",
      "mx.example.org",
      0,
      2,
      { { "A@Example.ORG", NULL, "failed", "5.1.1", "dsn", "Bad destination mailbox address", 0,
          NULL, NULL, NULL, 0, NULL },
        { "b@example.org", NULL, "delayed", "4.2.2", "dsn", "Mailbox full", 0, NULL, NULL, NULL, 0,
          NULL } },
      "" },
    /* the returned header block after the report: an mbox "Status: RO" makes no recipient */
    { "brief-mbox-status-debris",
      "Final-Recipient: rfc822; a@example.org\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "\n"
      "Return-Path: <s@example.org>\n"
      "Status: RO\n"
      "X-Status: A\n",
      FALSE,
      TRUE,
      "rfc3464",
      NULL,
      0,
      1,
      { { "a@example.org", NULL, "failed", "5.1.1", "dsn", "Bad destination mailbox address", 0,
          NULL, NULL, NULL, 0, NULL } },
      "" },
    /* Status 5.0.0 keeps its class against a 4.x.y diagnostic */
    /* the server's specific status wins over a class-only Status, even of another class: the
     * reporting MTA gave up (5.0.0), the server's last word was a timeout */
    { "brief-class-only-gives-way",
      "Final-Recipient: rfc822; a@example.org\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: smtp; 421 4.4.2 mx.example.org: timeout exceeded\n",
      FALSE,
      TRUE,
      "rfc3464",
      NULL,
      0,
      1,
      { { "a@example.org", NULL, "failed", "4.4.2", "diagnostic", "Bad connection", 421, NULL,
          "smtp", NULL, 0, "421 4.4.2 mx.example.org: timeout exceeded" } },
      "" },
    /* no Status: the diagnostic's; a Status that is no code: warned, then the diagnostic's */
    { "brief-status-from-diagnostic",
      "Final-Recipient: rfc822; a@example.org\n"
      "Action: failed\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: Recipient address rejected\n"
      "\n"
      "Final-Recipient: rfc822; b@example.org\n"
      "Action: failed\n"
      "Status: 550\n"
      "Diagnostic-Code: smtp; 550-5.7.1 [192.0.2.1] blocked\n",
      FALSE,
      TRUE,
      "rfc3464",
      NULL,
      0,
      2,
      { { "a@example.org", NULL, "failed", "5.1.1", "diagnostic", "Bad destination mailbox address",
          550, NULL, "smtp", NULL, 0, "550 5.1.1 <a@example.org>: Recipient address rejected" },
        { "b@example.org", NULL, "failed", "5.7.1", "diagnostic",
          "Delivery not authorized, message refused", 550, NULL, "smtp", NULL, 0,
          "550-5.7.1 [192.0.2.1] blocked" } },
      "dsn-bad-status" },
    { "brief-not-a-report", "Subject: hello\n\nJust a letter.\n", FALSE, FALSE, NULL, NULL, 0, 0,
      NO_WANT, "report-stray-line" },
    { "brief-binary", "\x01\x02 hello\xff\xfe world\n\n\x7f\x80: x\n", FALSE, FALSE, NULL, NULL, 0,
      0, NO_WANT, "report-stray-line" },
    { "brief-empty", "", FALSE, FALSE, NULL, NULL, 0, 0, NO_WANT, "" },
};

static void
expect_str (const char *label, guint i, const char *what, const char *got, const char *want)
{
    if (g_strcmp0 (got, want) != 0)
        fail_msg ("row %s recipient %u %s: got %s%s%s want %s", label, i, what, got ? "'" : "",
                  got ? got : "NULL", got ? "'" : "", want ? want : "NULL");
}

static char *
warning_codes (const MdAnalysis *a)
{
    GString *codes = g_string_new (NULL);
    for (guint i = 0; i < a->input.warnings->len; i++) {
        const MdWarning *w = g_ptr_array_index (a->input.warnings, i);
        g_string_append_printf (codes, "%s%s", i > 0 ? "," : "", w->code);
    }
    return g_string_free (codes, FALSE);
}

static void
check_rows (const Row *rows, gsize n)
{
    for (gsize k = 0; k < n; k++) {
        const Row *row = &rows[k];
        g_autoptr (MdAnalysis) a = md_analysis_new ();
        gboolean ok = md_dsn_parse (a, row->text, strlen (row->text), row->global);
        g_autofree char *codes = warning_codes (a);
        if (ok != row->ok || strcmp (codes, row->warnings) != 0)
            fail_msg ("row %s: got ok %d warnings '%s'", row->label, ok, codes);
        if (!ok) {
            if (a->bounce != NULL)
                fail_msg ("row %s: a bounce without recipients", row->label);
            continue;
        }
        const MdBounce *b = a->bounce;
        expect_str (row->label, 0, "format", b->format, row->format);
        expect_str (row->label, 0, "reporting_mta", b->reporting_mta, row->reporting_mta);
        if ((row->arrival != 0) != b->arrival_date.valid ||
            (row->arrival != 0 && b->arrival_date.utc != row->arrival))
            fail_msg ("row %s: arrival %" G_GINT64_FORMAT, row->label, b->arrival_date.utc);
        if (b->recipients->len != row->count)
            fail_msg ("row %s: got %u recipients", row->label, b->recipients->len);
        for (guint i = 0; i < MIN (row->count, MAX_WANT); i++) {
            const MdRecipient *r = g_ptr_array_index (b->recipients, i);
            const Want *w = &row->want[i];
            expect_str (row->label, i, "recipient", r->recipient, w->recipient);
            expect_str (row->label, i, "original_recipient", r->original_recipient,
                        w->original_recipient);
            expect_str (row->label, i, "action", r->action, w->action);
            expect_str (row->label, i, "status", r->status, w->status);
            expect_str (row->label, i, "status_source", r->status_source, w->status_source);
            expect_str (row->label, i, "status_title", r->status_title, w->status_title);
            expect_str (row->label, i, "remote_mta", r->remote_mta, w->remote_mta);
            expect_str (row->label, i, "diagnostic_type", r->diagnostic_type, w->diagnostic_type);
            expect_str (row->label, i, "smtp_command", r->smtp_command, w->smtp_command);
            expect_str (row->label, i, "diagnostic", r->diagnostic, w->diagnostic);
            if (r->reply_code != w->reply_code)
                fail_msg ("row %s recipient %u: reply %d", row->label, i, r->reply_code);
            if ((w->last_attempt != 0) != r->last_attempt.valid ||
                (w->last_attempt != 0 && r->last_attempt.utc != w->last_attempt))
                fail_msg ("row %s recipient %u: last attempt %" G_GINT64_FORMAT, row->label, i,
                          r->last_attempt.utc);
            if (r->reason != NULL || r->hard || r->feedback_type != NULL)
                fail_msg ("row %s recipient %u: classified by the parser", row->label, i);
        }
    }
}

static void
dsn_corpus_reports (void **state)
{
    (void) state;
    check_rows (corpus_rows, G_N_ELEMENTS (corpus_rows));
}

static void
dsn_forms_the_corpus_lacks (void **state)
{
    (void) state;
    check_rows (brief_rows, G_N_ELEMENTS (brief_rows));
}

/* The raw text of a date is kept beside its value (DESIGN §3 {"raw","utc"}). */
static void
dsn_dates_keep_raw_text (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    const char *text = corpus_rows[0].text;
    assert_true (md_dsn_parse (a, text, strlen (text), FALSE));
    assert_string_equal (a->bounce->arrival_date.raw, "Thu, 29 Apr 2013 23:45:41 +0900 (JST)");
    assert_true (a->bounce->arrival_date.zone_known);
    assert_int_equal (a->bounce->arrival_date.tz_offset_min, 540);
}

static const struct {
    const char *label, *text;
    MdDsnItem items[6];
    const char *values[6];
} reader_rows[] = {
    { "field-fold-blank-stray",
      "A: 1\n  2\n\t3\nB:x\n   \nstray line\n",
      { MD_DSN_FIELD, MD_DSN_FIELD, MD_DSN_BLANK, MD_DSN_STRAY, MD_DSN_END },
      { "1 2 3", "x", "", "stray line", "" } },
    { "orphan-continuation",
      "  orphan\nC : v \r\n",
      { MD_DSN_STRAY, MD_DSN_FIELD, MD_DSN_END },
      { "orphan", "v", "" } },
    { "colon-missing",
      "No colon here\nX-Long-Name-\x01: y\n",
      { MD_DSN_STRAY, MD_DSN_STRAY, MD_DSN_END },
      { "No colon here", "X-Long-Name-\x01: y", "" } },
    { "empty-value-and-cr-only",
      "A:\rB: b\r\r",
      { MD_DSN_FIELD, MD_DSN_FIELD, MD_DSN_BLANK, MD_DSN_END },
      { "", "b", "", "" } },
    { "fold-ends-at-blank",
      "A: a\n \n b\n",
      { MD_DSN_FIELD, MD_DSN_BLANK, MD_DSN_STRAY, MD_DSN_END },
      { "a", "", "b", "" } },
};

static void
dsn_reader_items (void **state)
{
    (void) state;
    for (gsize k = 0; k < G_N_ELEMENTS (reader_rows); k++) {
        const char *text = reader_rows[k].text;
        gsize pos = 0, len = strlen (text);
        g_autoptr (GString) value = g_string_new (NULL);
        for (guint i = 0;; i++) {
            MdDsnLine line;
            MdDsnItem item = md_dsn_next (text, len, &pos, &line, value);
            if (item != reader_rows[k].items[i] || strcmp (value->str, reader_rows[k].values[i]))
                fail_msg ("row %s item %u: got %d '%s'", reader_rows[k].label, i, item, value->str);
            if (item == MD_DSN_END)
                break;
        }
    }
}

static const struct {
    const char *label, *value, *want;
} address_rows[] = {
    { "typed-angle", "rfc822; <a@example.org>", "a@example.org" },
    { "typed-no-space", "rfc822;a@example.org", "a@example.org" },
    { "untyped-angle", "<a@example.org>", "a@example.org" },
    { "bare", "a@example.org", "a@example.org" },
    { "blanks-everywhere", "  RFC822 ;  a@example.org  ", "a@example.org" },
    { "other-type", "x-local; a@example.org", "a@example.org" },
    { "unclosed-angle", "rfc822; <a@example.org", "a@example.org" },
    { "utf-8-escape", "utf-8; caf\\x{E9}@example.org", "café@example.org" },
    { "utf-8-type-case", "UTF-8; \\x{1F600}@example.org", "😀@example.org" },
    { "rfc822-escape-kept", "rfc822; caf\\x{E9}@example.org", "caf\\x{E9}@example.org" },
    { "only-first-type-stripped", "rfc822; a;b@example.org", "a;b@example.org" },
    { "type-only", "rfc822;", NULL },
    { "empty-angle", "rfc822; <>", NULL },
    { "empty", "", NULL },
};

static void
dsn_address_cleaning (void **state)
{
    (void) state;
    for (gsize k = 0; k < G_N_ELEMENTS (address_rows); k++) {
        g_autofree char *got = md_dsn_address (address_rows[k].value);
        if (g_strcmp0 (got, address_rows[k].want) != 0)
            fail_msg ("row %s: got %s", address_rows[k].label, got != NULL ? got : "NULL");
    }
}

static GString *
many_recipients (guint n)
{
    GString *text = g_string_new ("Reporting-MTA: dns; mx.example.org\n"
                                  "Arrival-Date: Tue, 3 Nov 2026 10:15:07 +0000\n");
    for (guint i = 0; i < n; i++)
        g_string_append_printf (
            text,
            "\nFinal-Recipient: rfc822; user%u@example.org\n"
            "Action: failed\nStatus: 5.1.1\n"
            "Remote-MTA: dns; mx%u.example.net\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <user%u@example.org>: Recipient\n"
            "    address rejected: User unknown (in reply to RCPT TO command)\n",
            i, i % 7, i);
    return text;
}

/* 10,000 recipients (about 2 MB) parse in linear time; more are cut at the limit, with a
 * warning. The time bound is loose enough for ASan. */
static void
dsn_ten_thousand_recipients (void **state)
{
    (void) state;
    g_autoptr (GString) text = many_recipients (MD_DSN_MAX_RECIPIENTS);
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    gint64 start = g_get_monotonic_time ();
    assert_true (md_dsn_parse (a, text->str, text->len, FALSE));
    gint64 elapsed = g_get_monotonic_time () - start;
    assert_true (elapsed < 5 * G_USEC_PER_SEC);
    assert_int_equal (a->bounce->recipients->len, MD_DSN_MAX_RECIPIENTS);
    assert_int_equal (a->input.warnings->len, 0);
    const MdRecipient *last = g_ptr_array_index (a->bounce->recipients, MD_DSN_MAX_RECIPIENTS - 1);
    assert_string_equal (last->recipient, "user9999@example.org");
    assert_string_equal (last->remote_mta, "mx3.example.net");
    assert_string_equal (last->status, "5.1.1");
    assert_string_equal (last->smtp_command, "RCPT");
    assert_int_equal (last->reply_code, 550);

    g_autoptr (GString) more = many_recipients (MD_DSN_MAX_RECIPIENTS + 50);
    g_autoptr (MdAnalysis) b = md_analysis_new ();
    assert_true (md_dsn_parse (b, more->str, more->len, FALSE));
    assert_int_equal (b->bounce->recipients->len, MD_DSN_MAX_RECIPIENTS);
    g_autofree char *codes = warning_codes (b);
    assert_string_equal (codes, "report-recipient-limit");
}

/* A diagnostic folded over 20 KB is cut at MD_DSN_MAX_VALUE, on a character boundary. */
static void
dsn_long_field_is_cut (void **state)
{
    (void) state;
    g_autoptr (GString) text =
        g_string_new ("Final-Recipient: rfc822; a@example.org\nStatus: 5.0.0\nDiagnostic-Code: "
                      "smtp; 550 5.7.1 é");
    for (guint i = 0; i < 2000; i++)
        g_string_append (text, "\n  ééééé");
    g_string_append (text, "\nAction: failed\n");
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    assert_true (md_dsn_parse (a, text->str, text->len, FALSE));
    const MdRecipient *r = g_ptr_array_index (a->bounce->recipients, 0);
    assert_true (strlen (r->diagnostic) <= MD_DSN_MAX_VALUE - strlen ("smtp; "));
    assert_true (strlen (r->diagnostic) > MD_DSN_MAX_VALUE - 20);
    assert_true (g_utf8_validate (r->diagnostic, -1, NULL));
    assert_null (strstr (r->diagnostic, "\xef\xbf\xbd")); /* no U+FFFD from a split character */
    assert_string_equal (r->status, "5.7.1");
    assert_string_equal (r->action, "failed");
    g_autofree char *codes = warning_codes (a);
    assert_string_equal (codes, "report-field-truncated");
}

/* Pointer and length: nothing past @len is read; NUL bytes inside are data, not an end. */
static void
dsn_reads_only_len (void **state)
{
    (void) state;
    static const char text[] = "Final-Recipient: rfc822; a@example.org\n"
                               "Action: fai\0led\n"
                               "Status: 5.1.1\n";
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    gsize cut = strlen ("Final-Recipient: rfc822; a@example.org\nAction: fai") + 4;
    assert_true (md_dsn_parse (a, text, cut, FALSE));
    const MdRecipient *r = g_ptr_array_index (a->bounce->recipients, 0);
    assert_null (r->status);
    assert_non_null (r->action);
    assert_true (g_str_has_prefix (r->action, "fai"));
    assert_true (g_utf8_validate (r->action, -1, NULL));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (dsn_corpus_reports),      cmocka_unit_test (dsn_forms_the_corpus_lacks),
        cmocka_unit_test (dsn_dates_keep_raw_text), cmocka_unit_test (dsn_reader_items),
        cmocka_unit_test (dsn_address_cleaning),    cmocka_unit_test (dsn_ten_thousand_recipients),
        cmocka_unit_test (dsn_long_field_is_cut),   cmocka_unit_test (dsn_reads_only_len),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
