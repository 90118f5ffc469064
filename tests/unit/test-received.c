/* test-received - Received fields → MdHop, one labelled row per real form (family/source file in
 * ../shared/corpus, line of the field), each asserting every field; then the chain: order, delays,
 * clock skew, unknown zones, totals; then hostile input. RFC 5321 §4.4. Rows labelled "brief-…"
 * are the forms the issue names that the corpus lacks, written from the MTAs' documented formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "received.h"

typedef struct {
    const char *label, *text;
    const char *helo, *rdns, *ip, *by, *via, *with, *id, *for_addr, *tls;
    gboolean authenticated;
    gint64 utc; /* 0: no valid date */
    gboolean zone_known, parse_ok;
} Row;

/* Real fields from the corpus; the family is the MTA that wrote the field, not the file's name. */
static const Row corpus_rows[] = {
    { "postfix/lhost-postfix-01:4",
      "from p351355.pool.example.ne.jp (p351355.pool.example.ne.jp [192.0.2.31]) by "
      "mx.mx.example.jp (Postfix) with ESMTP id 0000000000 for <shironeko@mx.example.jp>; Thu, 29 "
      "Apr 2013 23:45:32 +0900 (JST)",
      "p351355.pool.example.ne.jp", "p351355.pool.example.ne.jp", "192.0.2.31", "mx.mx.example.jp",
      NULL, "ESMTP", "0000000000", "shironeko@mx.example.jp", NULL, FALSE, 1367246732, TRUE, TRUE },
    { "postfix/lhost-postfix-01:7",
      "by p351355.pool.example.ne.jp (Postfix) id 00000000000; Thu, 29 Apr 2013 23:45:32 +0900 "
      "(JST)",
      NULL, NULL, NULL, "p351355.pool.example.ne.jp", NULL, NULL, "00000000000", NULL, NULL, FALSE,
      1367246732, TRUE, TRUE },
    { "postfix/lhost-postfix-03:61",
      "by e1.example.ne.jp (Postfix, from userid 255) id 97DAA44A0204; Thu,  1 Jul 2014 23:45:59 "
      "+0900 (JST)",
      NULL, NULL, NULL, "e1.example.ne.jp", NULL, NULL, "97DAA44A0204", NULL, NULL, FALSE,
      1404225959, TRUE, TRUE },
    { "postfix/lhost-postfix-06:61",
      "from [127.0.0.1] (localhost [IPv6:::1]) by vagrant-centos65.vagrantup.com (Postfix) with "
      "ESMTP id 9C81E2203D for <kijitora@neko.example.jp>; Fri, 24 Oct 2014 10:46:18 +0000 (UTC)",
      "[127.0.0.1]", "localhost", "::1", "vagrant-centos65.vagrantup.com", NULL, "ESMTP",
      "9C81E2203D", "kijitora@neko.example.jp", NULL, FALSE, 1414147578, TRUE, TRUE },
    { "postfix/lhost-postfix-07:5",
      "by smtp.mirror.example.ne.jp (Postfix) via BOUNCE id 4061F2BEA; Fri, 17 Jul 2009 18:29:19 "
      "+0900 (JST)",
      NULL, NULL, NULL, "smtp.mirror.example.ne.jp", "BOUNCE", NULL, "4061F2BEA", NULL, NULL, FALSE,
      1247822959, TRUE, TRUE },
    { "postfix/rhost-outlook-08:1",
      "from CAT000-NEKO222.hotmail.com (cat000-neko222.hotmail.com [198.51.100.22]) (using TLSv1 "
      "with cipher AES256-SHA (256/256 bits)) (No client certificate requested) by "
      "neko1.example.co.jp (Postfix) with ESMTPS id FFFFFFFF000 for <sironeko@example.co.jp>; Thu, "
      "29 Apr 2015 23:34:45 +0000 (UTC)",
      "CAT000-NEKO222.hotmail.com", "cat000-neko222.hotmail.com", "198.51.100.22",
      "neko1.example.co.jp", NULL, "ESMTPS", "FFFFFFFF000", "sironeko@example.co.jp",
      "TLS1.0 AES256-SHA", FALSE, 1430350485, TRUE, TRUE },
    { "postfix/rhost-outlook-08:55",
      "from r091.example.org (neko.example.co.jp [203.0.113.31]) (Authenticated sender: "
      "sironeko-nyaan) by r1.example.co.jp (Postfix) with ESMTPA id EEEEEEEE000 for "
      "<kijitora@hotmail.com>; Thu, 29 Apr 2015 23:34:45 +0000 (UTC)",
      "r091.example.org", "neko.example.co.jp", "203.0.113.31", "r1.example.co.jp", NULL, "ESMTPA",
      "EEEEEEEE000", "kijitora@hotmail.com", NULL, TRUE, 1430350485, TRUE, TRUE },
    { "postfix/rhost-mimecast-01:67",
      "from 6bBckZSRc0zMvk9Z (unknown [192.0.2.2]) (Authenticated sender: kijitora@example.co.jp) "
      "by smtp.example.co.jp (Postfix) with ESMTPSA id XkB0QWwjfhzQcf0c for "
      "<sabatora@example.com>; Thu,  2 Feb 2021 23:34:45 +0900 (JST)",
      "6bBckZSRc0zMvk9Z", NULL, "192.0.2.2", "smtp.example.co.jp", NULL, "ESMTPSA",
      "XkB0QWwjfhzQcf0c", "sabatora@example.com", "TLS", TRUE, 1612276485, TRUE, TRUE },
    { "postfix/arf-20:49",
      "from smtp.example.net (smtp.example.net [192.0.2.127]) (using TLSv1.1 with cipher "
      "AECDH-AES256-SHA (256/256 bits)) (No client certificate requested) by ietf.example.com "
      "(Postfix) with ESMTPS id AAAAAAAA222 for <dmarc-postmaster@ietf.example.org>; Thu, 29 Apr "
      "2015 23:34:45 +0000 (UTC)",
      "smtp.example.net", "smtp.example.net", "192.0.2.127", "ietf.example.com", NULL, "ESMTPS",
      "AAAAAAAA222", "dmarc-postmaster@ietf.example.org", "TLS1.1 AECDH-AES256-SHA", FALSE,
      1430350485, TRUE, TRUE },
    { "postfix/lhost-exchange2003-03:4",
      "from mailgw0.example.net (unknown [192.0.2.98]) by mx.mx.example.jp (Postfix) with ESMTP id "
      "0000000000 for <shironeko@mx.example.jp>; Thu, 29 Apr 2009 23:45:42 +0900 (JST)",
      "mailgw0.example.net", NULL, "192.0.2.98", "mx.mx.example.jp", NULL, "ESMTP", "0000000000",
      "shironeko@mx.example.jp", NULL, FALSE, 1241016342, TRUE, TRUE },
    { "postfix/rhost-godaddy-03:8",
      "by r5.neko.example.org (Postfix) id EEEEEE22222222 Thu, 29 Apr 2017 23:34:45 +0000 (UTC)",
      NULL, NULL, NULL, "r5.neko.example.org", NULL, NULL, "EEEEEE22222222", NULL, NULL, FALSE,
      1493508885, TRUE, TRUE },
    { "postfix/lhost-exchange2007-06:22",
      "from wm.ville-saumur.fr (unknown [10.1.0.124]) by imsva82a.ville-saumur.fr (Postfix) with "
      "ESMTPS for <ha3dsljxgizc2mjrgq2dkobx@mb.newsletter-autos.fr>; Wed, 13 Dec 2017 16:10:01 "
      "+0100 (CET)",
      "wm.ville-saumur.fr", NULL, "10.1.0.124", "imsva82a.ville-saumur.fr", NULL, "ESMTPS", NULL,
      "ha3dsljxgizc2mjrgq2dkobx@mb.newsletter-autos.fr", "TLS", FALSE, 1513177801, TRUE, TRUE },
    { "postfix/lhost-postfix-04:74",
      "from [192.0.2.31] (c135.kyoto.ocn.ne.jp [192.0.2.135]) by r.example.ne.jp (Postfix) with "
      "ESMTP for <kijitora@example.co.jp>; Mon, 24 May 2010 19:06:50 +0900 (JST)",
      "[192.0.2.31]", "c135.kyoto.ocn.ne.jp", "192.0.2.135", "r.example.ne.jp", NULL, "ESMTP", NULL,
      "kijitora@example.co.jp", NULL, FALSE, 1274695610, TRUE, TRUE },
    { "postfix/lhost-exchange2007-04:127",
      "from localhost (localhost.localdomain [127.0.0.1])\tby\r\n mail.example.org (Postfix) with "
      "ESMTP id D7AB28CED6D2 for\r\n <neko-nyaan@cat.example.jp>; Thu, 29 Apr 2017 23:34:45 +0900 "
      "(JST)",
      "localhost", "localhost.localdomain", "127.0.0.1", "mail.example.org", NULL, "ESMTP",
      "D7AB28CED6D2", "neko-nyaan@cat.example.jp", NULL, FALSE, 1493476485, TRUE, TRUE },
    { "postfix/rhost-aol-01:1232",
      "from [192.0.2.2] (c135.kyoto.example.ne.jp [192.0.2.135]) (using TLSv1 with cipher "
      "AES128-SHA (128/128 bits)) (No client certificate requested) by mtaout-mcc01.mx.aol.com "
      "(MUA/Third Party Client Interface) with ESMTPSA id E2C3E380000A0 for <kijitora@example.jp>; "
      "Fri, 21 Nov 2014 17:15:25 -0500 (EST)",
      "[192.0.2.2]", "c135.kyoto.example.ne.jp", "192.0.2.135", "mtaout-mcc01.mx.aol.com", NULL,
      "ESMTPSA", "E2C3E380000A0", "kijitora@example.jp", "TLS1.0 AES128-SHA", TRUE, 1416608125,
      TRUE, TRUE },
    { "sendmail/lhost-sendmail-06:1",
      "from e.example.com ([192.0.2.128]) by email-g1.example.jp (8.14.4/8.14.4) with ESMTP id "
      "z000000000000 for <postmaster@example.jp>; Thu, 29 Apr 2012 23:45:44 +0900 (JST)",
      "e.example.com", NULL, "192.0.2.128", "email-g1.example.jp", NULL, "ESMTP", "z000000000000",
      "postmaster@example.jp", NULL, FALSE, 1335710744, TRUE, TRUE },
    { "sendmail/lhost-sendmail-02:2",
      "from localhost (localhost) by nijo.example.jp (V8/cf) id s1QB5ma0018057; Wed, 26 Feb 2014 "
      "06:05:48 -0500",
      "localhost", "localhost", NULL, "nijo.example.jp", NULL, NULL, "s1QB5ma0018057", NULL, NULL,
      FALSE, 1393412748, TRUE, TRUE },
    { "sendmail/lhost-sendmail-02:62",
      "from [10.22.22.222] (smtp-gateway.kyoto.ocn.ne.jp [192.0.2.222]) (authenticated bits=0) by "
      "nijo.example.jp (V8/cf) with ESMTP id s1QB5ka0018055; Wed, 26 Feb 2014 06:05:47 -0500",
      "[10.22.22.222]", "smtp-gateway.kyoto.ocn.ne.jp", "192.0.2.222", "nijo.example.jp", NULL,
      "ESMTP", "s1QB5ka0018055", NULL, NULL, TRUE, 1393412747, TRUE, TRUE },
    { "sendmail/lhost-sendmail-04:47",
      "(from httpd@localhost) by host1.mx.example.jp (8.14.4/8.13.8/Submit) id oAIFWTpo021016 for "
      "kijitora@example.com; Thu, 29 Apr 2009 23:45:00 +0900",
      NULL, NULL, NULL, "host1.mx.example.jp", NULL, NULL, "oAIFWTpo021016", "kijitora@example.com",
      NULL, FALSE, 1241016300, TRUE, TRUE },
    { "sendmail/lhost-exchange2007-02:2",
      "from nekof2.nn.example.edu (nekof2.nn.example.edu [192.0.2.225]) by nekonyaan.example.com "
      "(8.15.0/8.15.0) with ESMTP id p3TNYjg94533 (version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA "
      "bits=256 verify=NO) for <error@neko.example.com>; Thu, 29 Apr 2011 23:34:45 +0000",
      "nekof2.nn.example.edu", "nekof2.nn.example.edu", "192.0.2.225", "nekonyaan.example.com",
      NULL, "ESMTP", "p3TNYjg94533", "error@neko.example.com", "TLS DHE-RSA-AES256-SHA", FALSE,
      1304120085, TRUE, TRUE },
    { "sendmail/lhost-notes-03:7",
      "from smtp-gw1.example.com (c135.example.com [192.0.2.98] (may be forged)) by "
      "mx451.example.co.jp with SMTP id 00000000 for <shironeko@example.com>; Thu, 29 Apr 1999 "
      "23:45:10 +0900 (JST)",
      "smtp-gw1.example.com", "c135.example.com", "192.0.2.98", "mx451.example.co.jp", NULL, "SMTP",
      "00000000", "shironeko@example.com", NULL, FALSE, 925397110, TRUE, TRUE },
    { "sendmail/mbox-0:1277",
      "from as05.bis.ap.blackberry.com (mail.bis.ap.blackberry.com.247.9.216.in-addr.arpa "
      "[216.9.247.4] (may be forged)) by mail-676.smtp.example.ne.jp (8.14.3/8.14.3) with ESMTP id "
      "n3R88s6c008068 for <webmaster@example.ne.jp>; Mon, 27 Apr 2009 17:08:56 +0900 (JST)",
      "as05.bis.ap.blackberry.com", "mail.bis.ap.blackberry.com.247.9.216.in-addr.arpa",
      "216.9.247.4", "mail-676.smtp.example.ne.jp", NULL, "ESMTP", "n3R88s6c008068",
      "webmaster@example.ne.jp", NULL, FALSE, 1240819736, TRUE, TRUE },
    { "sendmail/lhost-sendmail-07:50",
      "from [192.168.0.3] (PPPa693.w4.eacc.example.ne.jp [110.74.122.186]) by "
      "vsmtp08.example.ne.jp (3.11v) with ESMTP AUTH id o5C7YdYv029865 for <kijitora@example.org>; "
      "Sat, 12 Jun 2010 16:34:40 +0900 (JST)",
      "[192.168.0.3]", "PPPa693.w4.eacc.example.ne.jp", "110.74.122.186", "vsmtp08.example.ne.jp",
      NULL, "ESMTP AUTH", "o5C7YdYv029865", "kijitora@example.org", NULL, TRUE, 1276328080, TRUE,
      TRUE },
    { "sendmail/lhost-sendmail-09:49",
      "from [sdg] (localhost.example.jp [127.0.0.1]) by mx.example.jp (8.14.4/8.14.4) with SMTP id "
      "o91ACe2i021635 for <kijitora@example.co.jp>; Fri, 1 Oct 2010 19:13:03 +0900 (JST)",
      "[sdg]", "localhost.example.jp", "127.0.0.1", "mx.example.jp", NULL, "SMTP", "o91ACe2i021635",
      "kijitora@example.co.jp", NULL, FALSE, 1285927983, TRUE, TRUE },
    { "sendmail/arf-16:57",
      "from mail.example.net ([192.0.1.3]) (authenticated bits=0) by mail.example.net "
      "(8.13.1/8.13.1) with ESMTP id t3P00000000000 (version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA "
      "bits=256 verify=NO); Thu, 29 Apr 2015 23:34:45 GMT",
      "mail.example.net", NULL, "192.0.1.3", "mail.example.net", NULL, "ESMTP", "t3P00000000000",
      NULL, "TLS DHE-RSA-AES256-SHA", TRUE, 1430350485, TRUE, TRUE },
    { "exim/lhost-exim-01:8",
      "from mail by e1.example.org with local (Exim 4.72) id 1P1ceB-000FL1-4q for "
      "shironeko@example.jp; Fri, 01 Oct 2010 19:15:23 +0900",
      "mail", NULL, NULL, "e1.example.org", NULL, "local", "1P1ceB-000FL1-4q",
      "shironeko@example.jp", NULL, FALSE, 1285928123, TRUE, TRUE },
    { "exim/lhost-exim-01:31",
      "from localhost ([127.0.0.1]) by e1.example.org with smtp (Exim 4.72) (envelope-from "
      "<shironeko@example.jp>) id 1P1ce6-000Egt-GZ for kijitora@example.ed.jp; Fri, 01 Oct 2010 "
      "19:15:19 +0900",
      "localhost", "localhost", "127.0.0.1", "e1.example.org", NULL, "smtp", "1P1ce6-000Egt-GZ",
      "kijitora@example.ed.jp", NULL, FALSE, 1285928119, TRUE, TRUE },
    { "exim/lhost-exim-59:28",
      "from localhost ([::1]:24882 helo=example.com) by nyaan.example.net with esmtpa (Exim 4.77) "
      "(envelope-from <sironeko@example.com>) id 2Nekos-0202ne-Cr; Thu, 29 Apr 2013 23:34:45 +0000",
      "example.com", "localhost", "::1", "nyaan.example.net", NULL, "esmtpa", "2Nekos-0202ne-Cr",
      NULL, NULL, TRUE, 1367278485, TRUE, TRUE },
    { "exim/rhost-franceptt-03:20",
      "from [198.51.100.102] (helo=198.51.100.102.static-user.example.br) by example.co.uk with "
      "esmtp (Exim 4.69) (envelope-from <noranyaans@lists.example.net>) id NEKO22-NEKO30-FF for "
      "noraneko.nyaan@example.com; Mon, 29 Apr 2013 23:34:45 +0000",
      "198.51.100.102.static-user.example.br", NULL, "198.51.100.102", "example.co.uk", NULL,
      "esmtp", "NEKO22-NEKO30-FF", "noraneko.nyaan@example.com", NULL, FALSE, 1367278485, TRUE,
      TRUE },
    { "exim/rhost-franceptt-03:25",
      "from 198.51.100.102(helo=neko.nyaan.example.org) by 198.51.100.102.static-user.example.br "
      "with esmtpa (Exim 4.69) (envelope-from ) id NEKO42-2222CC-F0 for "
      "noraneko.nyaan@example.com; Mon, 29 Apr 2013 23:34:45 +0000",
      "neko.nyaan.example.org", NULL, "198.51.100.102", "198.51.100.102.static-user.example.br",
      NULL, "esmtpa", "NEKO42-2222CC-F0", "noraneko.nyaan@example.com", NULL, TRUE, 1367278485,
      TRUE, TRUE },
    { "exim/lhost-mailru-02:39",
      "from [192.0.2.135] (port=51704 helo=[192.0.2.203]) by smtp12.mail.ru with esmtpa "
      "(envelope-from <shironeko@mail.example.ru>) id 1XsaQU-0005KF-1Q for kijitora@example.jp; "
      "Sun, 23 Nov 2014 19:54:21 +0300",
      "[192.0.2.203]", NULL, "192.0.2.135", "smtp12.mail.ru", NULL, "esmtpa", "1XsaQU-0005KF-1Q",
      "kijitora@example.jp", NULL, TRUE, 1416761661, TRUE, TRUE },
    { "exim/rhost-gsuite-02:6",
      "from mail-lf0-f66.google.com ([209.85.215.66]) by shelby.example.net with esmtps "
      "(TLS1.2:RSA_AES_128_CBC_SHA1:128) (Exim 4.80) id 1crLWb-0001Wu-2x for "
      "issue218@linux.example.de; Fri, 24 Mar 2017 10:28:49 +0100",
      "mail-lf0-f66.google.com", "mail-lf0-f66.google.com", "209.85.215.66", "shelby.example.net",
      NULL, "esmtps", "1crLWb-0001Wu-2x", "issue218@linux.example.de",
      "TLS1.2 RSA_AES_128_CBC_SHA1", FALSE, 1490347729, TRUE, TRUE },
    { "exim/lhost-postfix-31:9",
      "from nyaaan.example.com ([192.0.2.222]:22222) by neko.example.com with esmtps "
      "(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256) (Exim 4.87) id Neko22-Nyaaan-ok for "
      "sironeko@neko.example.com; Thu, 29 Apr 2017 23:34:45 +0900",
      "nyaaan.example.com", "nyaaan.example.com", "192.0.2.222", "neko.example.com", NULL, "esmtps",
      "Neko22-Nyaaan-ok", "sironeko@neko.example.com", "TLS1.2 ECDHE-RSA-AES256-GCM-SHA384", FALSE,
      1493476485, TRUE, TRUE },
    { "exim/lhost-postfix-45:63",
      "from [192.0.2.25] by r202.r.example.com with esmtpsa (TLSv1:DHE-RSA-AES256-SHA:256) (Exim "
      "4.82) (envelope-from <nekonyaan@p.example.com>) id 000022-000022-EE; Thu, 17 Jul 2014 "
      "23:34:45 -0300",
      "[192.0.2.25]", NULL, "192.0.2.25", "r202.r.example.com", NULL, "esmtpsa", "000022-000022-EE",
      NULL, "TLS1.0 DHE-RSA-AES256-SHA", TRUE, 1405650885, TRUE, TRUE },
    { "exim/rhost-apple-01:4",
      "from mail-in2.apple.com ([192.0.2.1]:1111) by neko.example.com with esmtp (Exim 4.80) id "
      "20000A-00000B-NN for nekonyaan@example.com; Thu, 17 Jul 2014 23:34:45 -0500",
      "mail-in2.apple.com", "mail-in2.apple.com", "192.0.2.1", "neko.example.com", NULL, "esmtp",
      "20000A-00000B-NN", "nekonyaan@example.com", NULL, FALSE, 1405658085, TRUE, TRUE },
    { "exim/lhost-mailru-06:40",
      "by f424.i.mail.ru with local (envelope-from <kijitora@mail.example.ru>) id 1d5Q3i-0002gb-Ta "
      "for nyan@haineko.org; Tue, 02 May 2017 08:09:11 +0300",
      NULL, NULL, NULL, "f424.i.mail.ru", NULL, "local", "1d5Q3i-0002gb-Ta", "nyan@haineko.org",
      NULL, FALSE, 1493701751, TRUE, TRUE },
    { "exim/lhost-exchange2007-07:62",
      "from sironeko by neko.example.com with local (Exim 4.87)\n        (envelope-from "
      "<sironeko@neko.example.com>)    id cK8B3D-Y3watN-Ts;=\n Thu, 17 Jul 2017 23:34:45 -0500",
      "sironeko", NULL, NULL, "neko.example.com", NULL, "local", "cK8B3D-Y3watN-Ts", NULL, NULL,
      FALSE, 0, FALSE, FALSE },
    { "qmail/lhost-qmail-01:28",
      "from relay13.example.co.jp (HELO rr41.out.example.co.jp) (192.0.2.4) by mx4s.example.jp "
      "with SMTP; 24 Apr 2013 00:00:00 +0900",
      "rr41.out.example.co.jp", "relay13.example.co.jp", "192.0.2.4", "mx4s.example.jp", NULL,
      "SMTP", NULL, NULL, NULL, FALSE, 1366729200, TRUE, TRUE },
    { "qmail/lhost-qmail-01:7", "(qmail 10000 invoked for bounce); 24 Apr 2013 00:00:00 +0900",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, FALSE, 1366729200, TRUE, FALSE },
    { "qmail/lhost-qmail-01:25", "(qmail 10000 invoked by uid 999); 24 Apr 2013 00:00:00 +0900",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, FALSE, 1366729200, TRUE, FALSE },
    { "qmail/lhost-apachejames-01:1",
      "(qmail 21084 invoked from network); 12 Jun 2013 02:22:14 -0000", NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, NULL, FALSE, 1371003734, TRUE, FALSE},
    { "qmail/lhost-qmail-02:30",
      "from unknown (HELO ?127.0.0.1?) (172.25.73.1) by 172.25.73.144 with SMTP; 1 Jul 2014 "
      "08:30:40 -0000",
      "?127.0.0.1?", NULL, "172.25.73.1", "172.25.73.144", NULL, "SMTP", NULL, NULL, NULL, FALSE,
      1404203440, TRUE, TRUE},
    { "qmail/lhost-qmail-06:25",
      "from unknown (HELO ?192.0.2.129?) (shironeko@192.0.2.199 with plain) by "
      "smtp05.relay-4.example.co.jp with SMTP; 31 Mar 2010 13:59:43 -0000",
      "?192.0.2.129?", NULL, "192.0.2.199", "smtp05.relay-4.example.co.jp", NULL, "SMTP", NULL,
      NULL, NULL, TRUE, 1270043983, TRUE, TRUE},
    { "qmail/lhost-qmail-06:3",
      "from 192.0.2.68  (HELO smtp05.relay-4.example.co.jp) (192.0.2.68) by "
      "mx317.relay-9.example.co.jp with SMTP; Thu, 01 Apr 2010 23:59:45 +0900",
      "smtp05.relay-4.example.co.jp", NULL, "192.0.2.68", "mx317.relay-9.example.co.jp", NULL,
      "SMTP", NULL, NULL, NULL, FALSE, 1270133985, TRUE, TRUE },
    { "qmail/lhost-x4-01:26",
      "from unknown (HELO smtpd-02-022.r3.p5.example.net) ([203.0.113.31]) (envelope-sender "
      "<nekonyaan@example.com>) by psmtpd-01.r3.p5.example.net (qmail-1.03) with SMTP for "
      "<kijitora@example.com>; 17 Jul 2013 23:34:45 -0000",
      "smtpd-02-022.r3.p5.example.net", NULL, "203.0.113.31", "psmtpd-01.r3.p5.example.net", NULL,
      "SMTP", NULL, "kijitora@example.com", NULL, FALSE, 1374104085, TRUE, TRUE},
    { "qmail/lhost-amazonses-02:40",
      "from unknown (HELO aws-bacon-dlvr-svc-na-i-68075b08.us-east-1.amazon.com) ([10.13.204.161]) "
      "by na-mm-outgoing-6102-bacon.iad6.amazon.com with ESMTP; 08 Oct 2011 02:53:28 +0000",
      "aws-bacon-dlvr-svc-na-i-68075b08.us-east-1.amazon.com", NULL, "10.13.204.161",
      "na-mm-outgoing-6102-bacon.iad6.amazon.com", NULL, "ESMTP", NULL, NULL, NULL, FALSE,
      1318042408, TRUE, TRUE },
    { "qmail/lhost-qmail-20:1",
      "indimail-mta queue 58965 by host email.example.jp (invoked by alias); Wed, 26 Jun 2024 "
      "15:21:00 +0900",
      NULL, NULL, NULL, "host", NULL, NULL, NULL, NULL, NULL, FALSE, 1719382860, TRUE, FALSE },
    { "microsoft/lhost-postfix-57:4",
      "from BY2NAM03FT015.eop-NAM03.prod.protection.outlook.com (10.152.84.59) by "
      "BY2NAM03HT158.eop-NAM03.prod.protection.outlook.com (10.152.85.21) with Microsoft SMTP "
      "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384) id 15.20.1771.16; "
      "Wed, 17 Apr 2019 05:39:02 +0000",
      "BY2NAM03FT015.eop-NAM03.prod.protection.outlook.com", NULL, "10.152.84.59",
      "BY2NAM03HT158.eop-NAM03.prod.protection.outlook.com", NULL, "Microsoft SMTP Server",
      "15.20.1771.16", NULL, "TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", FALSE, 1555479542,
      TRUE, TRUE },
    { "microsoft/lhost-postfix-57:15",
      "from rokujo.cr.nyaan.jp (192.0.2.202) by\n    BY2NAM03FT015.mail.protection.outlook.com "
      "(10.152.84.212) with Microsoft SMTP\n    Server (version=TLS1_2, "
      "cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384) id\n    15.20.1771.16 via Frontend Transport; "
      "Wed, 17 Apr 2019 05:39:01 +0000",
      "rokujo.cr.nyaan.jp", NULL, "192.0.2.202", "BY2NAM03FT015.mail.protection.outlook.com",
      "Frontend Transport", "Microsoft SMTP Server", "15.20.1771.16", NULL,
      "TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", FALSE, 1555479541, TRUE, TRUE },
    { "microsoft/lhost-exchange2007-01:54",
      "from mx9.example.net (172.21.25.141) by SMTP2.TCAABUDHABI.AE (172.21.24.13) with Microsoft "
      "SMTP Server id 8.2.234.1; Thu, 22 Feb 2011 23:34:45 +0900",
      "mx9.example.net", NULL, "172.21.25.141", "SMTP2.TCAABUDHABI.AE", NULL,
      "Microsoft SMTP Server", "8.2.234.1", NULL, NULL, FALSE, 1298385285, TRUE, TRUE },
    { "microsoft/lhost-exchange2007-02:157",
      "from nekof2.nn.example.edu (192.0.2.225) by r3.qs.example.edu (192.0.2.127) with Microsoft "
      "SMTP Server (TLS) id 8.3.169.0; Thu, 29 Apr 2011 23:34:45 +0000",
      "nekof2.nn.example.edu", NULL, "192.0.2.225", "r3.qs.example.edu", NULL,
      "Microsoft SMTP Server", "8.3.169.0", NULL, "TLS", FALSE, 1304120085, TRUE, TRUE },
    { "microsoft/rfc3834-02:8",
      "from neko.nyaan.example.net ([fe80::ffff:ffff:ffff:0000%22]) by neko1.nyaan2.example.net "
      "([fe80::0000:0000:0000:ffff%22]) with Microsoft SMTP Server id 14.02.0318.004; Thu, 17 Jul "
      "2013 23:34:45 -0400",
      "neko.nyaan.example.net", NULL, "fe80::ffff:ffff:ffff:0000%22", "neko1.nyaan2.example.net",
      NULL, "Microsoft SMTP Server", "14.02.0318.004", NULL, NULL, FALSE, 1374118485, TRUE, TRUE },
    { "microsoft/rhost-microsoft-03:149",
      "from NEKO22NYAAN0.eop-NAM03.prod.protection.outlook.com (2222:2222:2222:2222::2222) by "
      "NEKO22NYAAN22.outlook.office365.com (2022:2222:2222:2222::2222) with Microsoft SMTP Server "
      "(version=3DTLS1_2, cipher=3DTLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P256) id 15.20.13.10 via "
      "Frontend Transport; Thu, 29 Apr 2017 23:34:45 +0000",
      "NEKO22NYAAN0.eop-NAM03.prod.protection.outlook.com", NULL, "2222:2222:2222:2222::2222",
      "NEKO22NYAAN22.outlook.office365.com", "Frontend Transport", "Microsoft SMTP Server",
      "15.20.13.10", NULL, "TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P256", FALSE, 1493508885,
      TRUE, TRUE },
    { "microsoft/rhost-outlook-01:8",
      "from BLU004-OMC3S13.hotmail.example.com ([65.55.116.88]) by "
      "BAY004-MC2F13.hotmail.example.com over TLS secured channel with Microsoft "
      "SMTPSVC(7.5.7601.22712); Fri, 21 Nov 2014 14:17:54 -0800",
      "BLU004-OMC3S13.hotmail.example.com", NULL, "65.55.116.88",
      "BAY004-MC2F13.hotmail.example.com", NULL, "Microsoft SMTPSVC", NULL, NULL, "TLS", FALSE,
      1416608274, TRUE, TRUE },
    { "microsoft/rfc3464-26:44",
      "from mail pickup service by example.net with Microsoft SMTPSVC; Sun, 31 Aug 2014 23:45:56 "
      "+0900",
      "mail", NULL, NULL, "example.net", NULL, "Microsoft SMTPSVC", NULL, NULL, NULL, FALSE,
      1409496356, TRUE, TRUE },
    { "microsoft/lhost-exchange2003-04:6",
      "by mx8.example.com with SMTP (Microsoft Exchange Server Internet Mail Connector Version "
      "4.0.994.63) id <00000000.00000000@mx8.example.com>; Thu, 29 Apr 2001 23:34:45 +0900",
      NULL, NULL, NULL, "mx8.example.com", NULL, "SMTP", "<00000000.00000000@mx8.example.com>",
      NULL, NULL, FALSE, 988554885, TRUE, TRUE },
    { "microsoft/lhost-exchange2007-02:61",
      "from nekof2.nn.example.edu (192.0.2.225) by r3.qs.example.edu (192.0.2.127) with Microsoft "
      "SMTP Server (TLS=",
      "nekof2.nn.example.edu", NULL, "192.0.2.225", "r3.qs.example.edu", NULL,
      "Microsoft SMTP Server", NULL, NULL, NULL, FALSE, 0, FALSE, FALSE },
    { "gmail/lhost-gmail-01:2",
      "by 10.194.5.104 with SMTP id r8csp190892wjr; Fri, 18 Jul 2014 00:31:04 -0700 (PDT)", NULL,
      NULL, NULL, "10.194.5.104", NULL, "SMTP", "r8csp190892wjr", NULL, NULL, FALSE, 1405668664,
      TRUE, TRUE },
    { "gmail/lhost-gmail-01:54",
      "from [192.0.2.202] (c213502.kyoto.example.ne.jp. [192.0.2.135]) by mx.google.com with "
      "ESMTPSA id nw13sm19667002pab.37.2014.07.18.00.31.00 for <multiple recipients> "
      "(version=TLSv1 cipher=ECDHE-RSA-RC4-SHA bits=128/128); Fri, 18 Jul 2014 00:31:01 -0700 "
      "(PDT)",
      "[192.0.2.202]", "c213502.kyoto.example.ne.jp", "192.0.2.135", "mx.google.com", NULL,
      "ESMTPSA", "nw13sm19667002pab.37.2014.07.18.00.31.00", "multiple recipients",
      "TLS1.0 ECDHE-RSA-RC4-SHA", TRUE, 1405668661, TRUE, TRUE },
    { "gmail/lhost-gmail-16:7",
      "from mail-vk0-x245.google.com (mail-vk0-x245.google.com. [2607:f8b0:400c:c05::245]) by "
      "mx.google.com with ESMTPS id k20si5266180vkd.122.2016.02.29.10.25.21 for "
      "<sironeko@google.example.com> (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 "
      "bits=128/128); Mon, 29 Feb 2016 10:25:21 -0800 (PST)",
      "mail-vk0-x245.google.com", "mail-vk0-x245.google.com", "2607:f8b0:400c:c05::245",
      "mx.google.com", NULL, "ESMTPS", "k20si5266180vkd.122.2016.02.29.10.25.21",
      "sironeko@google.example.com", "TLS1.2 ECDHE-RSA-AES128-GCM-SHA256", FALSE, 1456770321, TRUE,
      TRUE },
    { "gmail/lhost-googleworkspace-01:29",
      "from mail-sor-f69.google.com (mail-sor-f69.google.com. [209.85.220.69]) by mx.google.com "
      "with SMTPS id q4-20020a2e9144000000b002946a078ae0sor1225584ljg.16.2023.02.26.18.30.56 for "
      "<kijitora-cat-neko-nyaan@google.example.com> (Google Transport Security); Thu, 26 Feb 2023 "
      "18:30:56 -0800 (PST)",
      "mail-sor-f69.google.com", "mail-sor-f69.google.com", "209.85.220.69", "mx.google.com", NULL,
      "SMTPS", "q4-20020a2e9144000000b002946a078ae0sor1225584ljg.16.2023.02.26.18.30.56",
      "kijitora-cat-neko-nyaan@google.example.com", "TLS", FALSE, 1677465056, TRUE, TRUE },
    { "gmail/lhost-googleworkspace-01:2",
      "by 2002:ab2:1785:0:b0:19a:50ce:a944 with SMTP id x5csp577194lqe; Thu, 26 Feb 2023 18:30:56 "
      "-0800 (PST)",
      NULL, NULL, NULL, "2002:ab2:1785:0:b0:19a:50ce:a944", NULL, "SMTP", "x5csp577194lqe", NULL,
      NULL, FALSE, 1677465056, TRUE, TRUE },
    { "gmail/lhost-googlegroups-14:97",
      "from mbox.example.jp (tk2-236-27544.vs.sakura.ne.jp. [160.16.120.48]) by gmr-mx.google.com "
      "with ESMTPS id x12si660477plv.3.2019.03.03.00.05.22 for <libsisimai@googlegroups.com> "
      "(version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128); Tue, 029 Apr 2019 "
      "23:34:45 -0800 (PST)",
      "mbox.example.jp", "tk2-236-27544.vs.sakura.ne.jp", "160.16.120.48", "gmr-mx.google.com",
      NULL, "ESMTPS", "x12si660477plv.3.2019.03.03.00.05.22", "libsisimai@googlegroups.com",
      "TLS1.2 ECDHE-RSA-AES128-GCM-SHA256", FALSE, 1556609685, TRUE, TRUE },
    { "gmail/lhost-gmail-04:68", "by 10.66.159.39 with HTTP; Tue, 30 Oct 2012 02:28:41 -0700 (PDT)",
      NULL, NULL, NULL, "10.66.159.39", NULL, "HTTP", NULL, NULL, NULL, FALSE, 1351589321, TRUE,
      TRUE },
    { "yahoo/lhost-yahoo-02:26",
      "from 183.79.56.197  (EHLO nh503-vm11.bullet.mail.kks.y.example.co.jp) (183.79.56.197) by "
      "mta514.mail.kks.y.example.co.jp with SMTP; Sat, 22 Nov 2014 07:23:30 +0900",
      "nh503-vm11.bullet.mail.kks.y.example.co.jp", NULL, "183.79.56.197",
      "mta514.mail.kks.y.example.co.jp", NULL, "SMTP", NULL, NULL, NULL, FALSE, 1416608610, TRUE,
      TRUE },
    { "yahoo/lhost-yahoo-06:61",
      "from p225-ix6.kyoto.example.ne.jp (EHLO [192.0.2.225]) ([198.51.100.225]) by "
      "smtp420.mail.sg3.yahoo.com (Oath Hermes SMTP Server) with ESMTPA ID "
      "509d918b63b096cb66546fb3368b15e3 for <otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp>; Mon, "
      "21 May 2018 05:27:46 +0000 (UTC)",
      "[192.0.2.225]", "p225-ix6.kyoto.example.ne.jp", "198.51.100.225",
      "smtp420.mail.sg3.yahoo.com", NULL, "ESMTPA", "509d918b63b096cb66546fb3368b15e3",
      "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp", NULL, TRUE, 1526880466, TRUE, TRUE },
    { "yahoo/lhost-yahoo-02:54",
      "from unknown (HELO ?192.0.2.3?) (192.0.2.135 with plain) by "
      "applesmtp522.mail.kks.y.example.co.jp with SMTP; 21 Nov 2014 22:23:28 -0000",
      "?192.0.2.3?", NULL, "192.0.2.135", "applesmtp522.mail.kks.y.example.co.jp", NULL, "SMTP",
      NULL, NULL, NULL, TRUE, 1416608608, TRUE, TRUE},
    { "yahoo/lhost-yahoo-06:31",
      "from sonic.gate.mail.ne1.yahoo.com by sonic307.consmr.mail.sg3.yahoo.com with HTTP; Mon, 21 "
      "May 2018 05:31:48 +0000",
      "sonic.gate.mail.ne1.yahoo.com", NULL, NULL, "sonic307.consmr.mail.sg3.yahoo.com", NULL,
      "HTTP", NULL, NULL, NULL, FALSE, 1526880708, TRUE, TRUE },
    { "yahoo/arf-14:7",
      "from 127.0.0.1  (EHLO a22-22.smtp-out.amazonses.com) (192.0.2.222) by "
      "mta2222.biz.mail.sg2.yahoo.com with SMTPS; Thu, 29 Apr 2017 23:34:45 +0000",
      "a22-22.smtp-out.amazonses.com", NULL, "192.0.2.222", "mta2222.biz.mail.sg2.yahoo.com", NULL,
      "SMTPS", NULL, NULL, "TLS", FALSE, 1493508885, TRUE, TRUE },
    { "amavis/lhost-x2-05:5",
      "from mail.example.jp ([127.0.0.1]) by localhost (neko2.example.jp [127.0.0.1]) "
      "(amavisd-new, port 10024) with ESMTP id klar4P8j028197 for <neko-nyaan@example.com>; Thu, "
      "29 Apr 2015 23:34:45 +0900 (JST)",
      "mail.example.jp", NULL, "127.0.0.1", "localhost", NULL, "ESMTP", "klar4P8j028197",
      "neko-nyaan@example.com", NULL, FALSE, 1430318085, TRUE, TRUE },
    { "amavis/lhost-amavis-03:74",
      "esmtp-2.example.com (localhost [127.0.0.1]) by smtp-2.example.com (Postfix) with ESMTPS for "
      "<kijitora@example.com>; Thu, 29 Apr 2013 23:34:45 -0800 (PST)",
      NULL, NULL, NULL, "smtp-2.example.com", NULL, "ESMTPS", NULL, "kijitora@example.com", "TLS",
      FALSE, 1367307285, TRUE, FALSE },
    { "amavis/lhost-exchange2007-04:130",
      "from mail.example.org ([127.0.0.1])\tby localhost (re2.example.org\n [127.0.0.1]) "
      "(amavisd-new, port 24)\twith ESMTP id B95OZpsj016974 for\n "
      "<neko-nyaan@cat.example.jp>;\tThu, 29 Apr 2017 23:34:45 +0900 (JST)",
      "mail.example.org", NULL, "127.0.0.1", "localhost", NULL, "ESMTP", "B95OZpsj016974",
      "neko-nyaan@cat.example.jp", NULL, FALSE, 1493476485, TRUE, TRUE },
    { "courier/lhost-courier-01:8",
      "from localhost (localhost [127.0.0.1]) (ftp://ftp.isi.edu/in-notes/rfc1894.txt) by "
      "marutamachi.example.org with dsn; Sat, 11 Dec 2010 12:19:59 +0900 id "
      "0EFECD52.4D02EDDF.0000C65A",
      "localhost", "localhost", "127.0.0.1", "marutamachi.example.org", NULL, "dsn",
      "0EFECD52.4D02EDDF.0000C65A", NULL, NULL, FALSE, 1292037599, TRUE, TRUE },
    { "courier/lhost-courier-02:70",
      "from 1jo.example.org (localhost [127.0.0.1]) by 1jo.example.org with ESMTP; Fri, 10 Dec "
      "2010 13:21:19 +0900 id 0EFD1EE6.4D01AABF.0000A424",
      "1jo.example.org", "localhost", "127.0.0.1", "1jo.example.org", NULL, "ESMTP",
      "0EFD1EE6.4D01AABF.0000A424", NULL, NULL, FALSE, 1291954879, TRUE, TRUE },
    { "opensmtpd/lhost-opensmtpd-01:6",
      "from localhost (localhost [local]); by localhost (OpenSMTPD) with ESMTPA id 1e2a9eaa; for "
      "<kijitora@example.jp>; Thu, 17 Jul 2014 11:20:14 +0000 (UTC)",
      "localhost", "localhost", NULL, "localhost", NULL, "ESMTPA", "1e2a9eaa",
      "kijitora@example.jp", NULL, TRUE, 1405596014, TRUE, TRUE },
    { "opensmtpd/lhost-opensmtpd-10:2",
      "from df.example.jp (df.example.jp [local]) by df.example.jp (OpenSMTPD) with ESMTPA id "
      "951c3d2b for <kijitora@df.example.jp>; Mon, 17 Jun 2024 05:01:58 +0000 (UTC)",
      "df.example.jp", "df.example.jp", NULL, "df.example.jp", NULL, "ESMTPA", "951c3d2b",
      "kijitora@df.example.jp", NULL, TRUE, 1718600518, TRUE, TRUE },
    { "amazonses/lhost-amazonworkmail-01:2",
      "from a27-5.smtp-out.us-west-2.amazonses.com (a27-5.smtp-out.us-west-2.amazonses.com "
      "[54.240.27.5])  by inbound-smtp.us-west-2.amazonaws.com with SMTP id "
      "k6sbr4gfpakd50h3l0qtp3gteubfgi4rv5kvlh01 for shironeko@nyaan.example.awsapps.com; Thu, 14 "
      "Jan 2016 07:45:12 +0000",
      "a27-5.smtp-out.us-west-2.amazonses.com", "a27-5.smtp-out.us-west-2.amazonses.com",
      "54.240.27.5", "inbound-smtp.us-west-2.amazonaws.com", NULL, "SMTP",
      "k6sbr4gfpakd50h3l0qtp3gteubfgi4rv5kvlh01", "shironeko@nyaan.example.awsapps.com", NULL,
      FALSE, 1452757512, TRUE, TRUE },
    { "amazonses/lhost-receivingses-01:53",
      "from nyaan.example.co.jp (nyaan.example.co.jp [192.0.2.22]) by "
      "inbound-smtp.us-west-2.amazonaws.com with SMTP id m8udbiboi34u53ubdet5bhftamqdgt0mmr8k4v01 "
      "for userunknown@neko.example.jp; Thu, 01 Oct 2015 13:48:54 +0000 (UTC)",
      "nyaan.example.co.jp", "nyaan.example.co.jp", "192.0.2.22",
      "inbound-smtp.us-west-2.amazonaws.com", NULL, "SMTP",
      "m8udbiboi34u53ubdet5bhftamqdgt0mmr8k4v01", "userunknown@neko.example.jp", NULL, FALSE,
      1443707334, TRUE, TRUE },
    { "sendgrid/lhost-sendgrid-01:55",
      "by 192.0.2.80 with SMTP id mf39.31452.5090F3731 Wed, 31 Oct 2012 04:46:27 -0500 (CDT)", NULL,
      NULL, NULL, "192.0.2.80", NULL, "SMTP", "mf39.31452.5090F3731", NULL, NULL, FALSE, 1351676787,
      TRUE, TRUE },
    { "sendgrid/lhost-sendgrid-01:57",
      "from nijo.example.jp (unknown [10.60.208.17]) by None (SG) with ESMTP id "
      "5090f373.15fb.5e72c3 Wed, 31 Oct 2012 04:46:27 -0500 (CST)",
      "nijo.example.jp", NULL, "10.60.208.17", "None", NULL, "ESMTP", "5090f373.15fb.5e72c3", NULL,
      NULL, FALSE, 1351676787, TRUE, TRUE },
    { "sendgrid/lhost-sendgrid-03:69",
      "from neko (c135.kyoto.example.ne.jp [192.0.2.135]) by mi1.sendgrid.net (SG) with HTTP id "
      "13fb00e37eb.1e71.117b798 for <kijitora@example.org>; Fri, 05 Jul 2013 23:34:45 -0500 (CST)",
      "neko", "c135.kyoto.example.ne.jp", "192.0.2.135", "mi1.sendgrid.net", NULL, "HTTP",
      "13fb00e37eb.1e71.117b798", "kijitora@example.org", NULL, FALSE, 1373085285, TRUE, TRUE },
    { "oracle/lhost-messagingserver-01:13",
      "from mr21p30im-asmtp004.me.example.com (Oracle Communications Messaging Server 7.0.5.33.0 "
      "64bit (built Aug 27 2014)) id <0NFC0035VKOVHW00@mr21p30im-asmtp004.me.example.com>; Thu, 29 "
      "Apr 2014 23:34:45 +0000 (GMT)",
      "mr21p30im-asmtp004.me.example.com", NULL, NULL, NULL, NULL, NULL,
      "<0NFC0035VKOVHW00@mr21p30im-asmtp004.me.example.com>", NULL, NULL, FALSE, 1398814485, TRUE,
      TRUE },
    { "oracle/lhost-messagingserver-01:79",
      "from [192.0.2.203] (c135.kyoto.example.ne.jp [192.0.2.135]) by "
      "mr21p30im-asmtp004.me.example.com (Oracle Communications Messaging Server 7.0.5.33.0 64bit "
      "(built Aug 27 2014)) with ESMTPSA id <0NFC009FIKOSVMA0@mr21p30im-asmtp004.me.example.com> "
      "for kijitora@example.jp; Thu, 29 Apr 2014 23:34:45 +0000 (GMT)",
      "[192.0.2.203]", "c135.kyoto.example.ne.jp", "192.0.2.135",
      "mr21p30im-asmtp004.me.example.com", NULL, "ESMTPSA",
      "<0NFC009FIKOSVMA0@mr21p30im-asmtp004.me.example.com>", "kijitora@example.jp", "TLS", TRUE,
      1398814485, TRUE, TRUE },
    { "lotus/lhost-notes-01:22",
      "from smtp-gw7.example.co.jp ([192.0.2.89]) by n.example.co.jp (Lotus SMTP MTA Internal "
      "build v1.2 hotfix4 (684.3 7-31-1998)) with SMTP id 00000000.00000000; Thu, 29 Apr 2009 "
      "12:34:29 +0900",
      "smtp-gw7.example.co.jp", NULL, "192.0.2.89", "n.example.co.jp", NULL, "SMTP",
      "00000000.00000000", NULL, NULL, FALSE, 1240976069, TRUE, TRUE },
    { "imail/lhost-imailserver-01:14",
      "from example.org [192.0.2.88] by example.org with ESMTP (SMTPD32-5.05) id 000000000000 Thu, "
      "29 Apr 2009 23:45:10 -0600",
      "example.org", NULL, "192.0.2.88", "example.org", NULL, "ESMTP", "000000000000", NULL, NULL,
      FALSE, 1241070310, TRUE, TRUE },
    { "mxlogic/lhost-mxlogic-01:29",
      "from unknown [192.0.2.89] (EHLO 2jo.example.jp) by relay0.mxl8.example.net(mxl_mta-6.5.0-4) "
      "with ESMTP id ffffffff.0.000000.00-000.000000.relay0.mxl8.example.net (envelope-from "
      "<shironeko@example.jp>); Thu, 29 Apr 2011 23:45:10 +0900 (JST)",
      "2jo.example.jp", NULL, "192.0.2.89", "relay0.mxl8.example.net", NULL, "ESMTP",
      "ffffffff.0.000000.00-000.000000.relay0.mxl8.example.net", NULL, NULL, FALSE, 1304088310,
      TRUE, TRUE },
    { "messagelabs/rhost-messagelabs-01:14",
      "from mail0.bemta0.messagelabs.com (HELO mail0.bemta0.messagelabs.com) (192.0.2.225) by "
      "server-0.tower-0.messagelabs.com with DHE-RSA-AES256-GCM-SHA384 encrypted SMTP; 17 Jul 2017 "
      "23:34:45 -0000",
      "mail0.bemta0.messagelabs.com", "mail0.bemta0.messagelabs.com", "192.0.2.225",
      "server-0.tower-0.messagelabs.com", NULL, "DHE-RSA-AES256-GCM-SHA384 encrypted SMTP", NULL,
      NULL, "TLS DHE-RSA-AES256-GCM-SHA384", FALSE, 1500334485, TRUE, TRUE},
    { "messagelabs/lhost-exchange2007-04:14",
      "from [192.0.2.12] (using TLSv1.2 with cipher DHE-RSA-AES256-GCM-SHA384 (256 bits)) by "
      "server-2.bemta.neko.jp-kyoto-2.aws.example.net id vbOz9C-dDJwaB-XF; Thu, 29 Apr 2017 "
      "23:34:45 +0000",
      "[192.0.2.12]", NULL, "192.0.2.12", "server-2.bemta.neko.jp-kyoto-2.aws.example.net", NULL,
      NULL, "vbOz9C-dDJwaB-XF", NULL, "TLS1.2 DHE-RSA-AES256-GCM-SHA384", FALSE, 1493508885, TRUE,
      TRUE },
    { "dragonfly/lhost-dragonfly-02:21",
      "from root (uid 0) (envelope-from kijitora@df.example.jp) id e06d1 by df.example.jp "
      "(DragonFly Mail Agent v0.13); Tue, 11 Jun 2024 18:04:00 +0900",
      "root", NULL, NULL, "df.example.jp", NULL, NULL, "e06d1", NULL, NULL, FALSE, 1718096640, TRUE,
      TRUE },
    { "powermta/lhost-powermta-01:41",
      "from (127.0.0.1) by mail22.neko.example.net (PowerMTA(TM) v3.5r16) id hehvng0ik18p for "
      "<kijitora@example.jp>; Sat, 17 Sep 2011 07:07:29 -0400 (envelope-from "
      "<bounce-5899542-1206365-kijitora=example.jp@mail22.neko.example.net>)",
      NULL, NULL, "127.0.0.1", "mail22.neko.example.net", NULL, NULL, "hehvng0ik18p",
      "kijitora@example.jp", NULL, FALSE, 1316257649, TRUE, TRUE },
    { "ecelerity/arf-18:41",
      "from [192.0.2.222] ([192.0.2.222:222] helo=mta-2.example.org) by example.org (envelope-from "
      "<sironeko@example.org>) (ecelerity 3.6.5.1 r(Core:3.6.5.0)) with ESMTPS "
      "(cipher=AES256-GCM-SHA384 id 22/00-00000-EEEEEEEE; Thu, 29 Apr 2015 23:34:45 +0000",
      "mta-2.example.org", NULL, "192.0.2.222", "example.org", NULL, "ESMTPS", NULL, NULL,
      "TLS AES256-GCM-SHA384", FALSE, 1430350485, TRUE, FALSE },
    { "gmx/lhost-gmx-01:31", "from [192.0.2.135] by 3capp-mailcom-lxa02.server.lan (via",
      "[192.0.2.135]", NULL, "192.0.2.135", "3capp-mailcom-lxa02.server.lan", NULL, NULL, NULL,
      NULL, NULL, FALSE, 0, FALSE, FALSE },
    { "yandex/lhost-yandex-01:4",
      "from forward1h.mail.yandex.net (forward1h.mail.yandex.net [84.201.187.146])\n\tby "
      "mxback1h.mail.yandex.net (nwsmtp/Yandex) with ESMTP id 5AY3JsL5XW-CSdqOshM;\n\tSat,  6 Dec "
      "2014 20:12:28 +0300",
      "forward1h.mail.yandex.net", "forward1h.mail.yandex.net", "84.201.187.146",
      "mxback1h.mail.yandex.net", NULL, "ESMTP", "5AY3JsL5XW-CSdqOshM", NULL, NULL, FALSE,
      1417885948, TRUE, TRUE },
    { "zoho/lhost-zoho-01:2",
      "from mail.zoho.com by mx.zohomail.com with SMTP id 1418381185105625.5030548674308; Fri, 12 "
      "Dec 2014 02:46:25 -0800 (PST)",
      "mail.zoho.com", NULL, NULL, "mx.zohomail.com", NULL, "SMTP",
      "1418381185105625.5030548674308", NULL, NULL, FALSE, 1418381185, TRUE, TRUE },
    { "dovecot/lhost-exchange2007-07:3",
      "from neko.example.com by neko.example.com (Dovecot) with LMTP id TKs2nTbdtvzbHKNL for "
      "<sironeko@neko.example.com>; Thu, 17 Jul 2017 23:34:45 -0500",
      "neko.example.com", NULL, NULL, "neko.example.com", NULL, "LMTP", "TKs2nTbdtvzbHKNL",
      "sironeko@neko.example.com", NULL, FALSE, 1500352485, TRUE, TRUE },
    { "fetchmail/lhost-x5-01:3",
      "from 192.0.2.172 [192.0.2.172] by host-022.example.com with POP3 (fetchmail-6.3.17) for "
      "<nekobatch@localhost> (single-drop); Thu, 15 Oct 2015 15:22:22 +0900 (JST)",
      "192.0.2.172", NULL, "192.0.2.172", "host-022.example.com", NULL, "POP3", NULL,
      "nekobatch@localhost", NULL, FALSE, 1444890142, TRUE, TRUE },
};

/* Forms the issue names that no corpus file has. */
static const Row brief_rows[] = {
    { "postfix/brief-tls13",
      "from mail.example.org (mail.example.org [192.0.2.1]) (using TLSv1.3 with cipher "
      "TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 "
      "bits) server-digest SHA256) (No client certificate requested) by mx.example.net (Postfix) "
      "with ESMTPS id 4Q1w2x3y4z for <alice@example.net>; Tue, 3 Nov 2026 10:15:07 +0000 (UTC)",
      "mail.example.org", "mail.example.org", "192.0.2.1", "mx.example.net", NULL, "ESMTPS",
      "4Q1w2x3y4z", "alice@example.net", "TLS1.3 TLS_AES_256_GCM_SHA384", FALSE, 1793700907, TRUE,
      TRUE },
    { "postfix/brief-ipv6-literal",
      "from mail.example.org (mail.example.org [IPv6:2001:db8::1]) by mx.example.net (Postfix) "
      "with ESMTPS id 4Q1w2x3y5a for <alice@example.net>; Tue, 3 Nov 2026 10:15:07 +0000 (UTC)",
      "mail.example.org", "mail.example.org", "2001:db8::1", "mx.example.net", NULL, "ESMTPS",
      "4Q1w2x3y5a", "alice@example.net", "TLS", FALSE, 1793700907, TRUE, TRUE },
    { "exim/brief-tls13",
      "from mail.example.org ([192.0.2.7] helo=mx.example.org) by mx.example.net with esmtps "
      "(TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <bob@example.org>) id "
      "1qAbCd-000123-4x for alice@example.net; Tue, 03 Nov 2026 10:15:07 +0000",
      "mx.example.org", "mail.example.org", "192.0.2.7", "mx.example.net", NULL, "esmtps",
      "1qAbCd-000123-4x", "alice@example.net", "TLS1.3 TLS_AES_256_GCM_SHA384", FALSE, 1793700907,
      TRUE, TRUE },
    { "exim/brief-tls12-auth",
      "from [192.0.2.8] (helo=laptop) by smtp.example.net with esmtpsa (TLS1.2) tls "
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim 4.94.2) (envelope-from <bob@example.net>) id "
      "1qAbCe-000124-5y; Tue, 03 Nov 2026 10:15:07 +0000",
      "laptop", NULL, "192.0.2.8", "smtp.example.net", NULL, "esmtpsa", "1qAbCe-000124-5y", NULL,
      "TLS1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", TRUE, 1793700907, TRUE, TRUE },
    { "qmail/brief-invoked-from-network", "(qmail invoked from network); 3 Nov 2026 10:15:07 -0000",
      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, FALSE, 1793700907, TRUE, FALSE },
    { "microsoft/brief-tls13-https",
      "from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:208:ab::12) by "
      "AM0PR01MB5678.eurprd01.prod.exchangelabs.com with HTTPS; Tue, 3 Nov 2026 10:15:07 +0000",
      "AM0PR01MB1234.eurprd01.prod.exchangelabs.com", NULL, "2603:10a6:208:ab::12",
      "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", NULL, "HTTPS", NULL, NULL, "TLS", FALSE,
      1793700907, TRUE, TRUE },
    { "microsoft/brief-tls13",
      "from EUR01-AM0-obe.outbound.protection.outlook.com (2a01:111:f400:fe1e::71a) by "
      "AM0PR01MB5678.eurprd01.prod.exchangelabs.com (2603:10a6:208:ab::34) with Microsoft SMTP "
      "Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7181.19 via Frontend "
      "Transport; Tue, 3 Nov 2026 10:15:07 +0000",
      "EUR01-AM0-obe.outbound.protection.outlook.com", NULL, "2a01:111:f400:fe1e::71a",
      "AM0PR01MB5678.eurprd01.prod.exchangelabs.com", "Frontend Transport", "Microsoft SMTP Server",
      "15.20.7181.19", NULL, "TLS1.3 TLS_AES_256_GCM_SHA384", FALSE, 1793700907, TRUE, TRUE },
    { "generic/brief-authenticated-as",
      "from client.example.org (client.example.org [192.0.2.9]) (authenticated as alice) by "
      "smtp.example.net with ESMTP id 77AB; Tue, 3 Nov 2026 10:15:07 -0700",
      "client.example.org", "client.example.org", "192.0.2.9", "smtp.example.net", NULL, "ESMTP",
      "77AB", NULL, NULL, TRUE, 1793726107, TRUE, TRUE },
    { "sendgrid/brief-go-date",
      "by filter0225p1mdw1.sendgrid.net with SMTP id filter0225p1mdw1-5454-5B73534F-2A-1 "
      "2018-08-14 22:01:27.610180118 +0000 UTC m=+555016.72",
      NULL, NULL, NULL, "filter0225p1mdw1.sendgrid.net", NULL, "SMTP",
      "filter0225p1mdw1-5454-5B73534F-2A-1", NULL, NULL, FALSE, 1534284087, TRUE, TRUE },
    { "generic/brief-fraction-seconds",
      "from a.example.org (a.example.org [192.0.2.10]) by b.example.net with ESMTP id X1; Tue, 3 "
      "Nov 2026 10:15:07.123 +0000 (UTC)",
      "a.example.org", "a.example.org", "192.0.2.10", "b.example.net", NULL, "ESMTP", "X1", NULL,
      NULL, FALSE, 1793700907, TRUE, TRUE },
    { "generic/brief-comment-first",
      "(from a.example.org) (comment (nested (deeply))) by b.example.net with ESMTP id X2; Tue, 3 "
      "Nov 2026 10:15:07 +0100",
      NULL, NULL, NULL, "b.example.net", NULL, "ESMTP", "X2", NULL, NULL, FALSE, 1793697307, TRUE,
      TRUE },
    { "generic/brief-unknown-zone",
      "from a.example.org ([192.0.2.11]) by b.example.net with SMTP; Tue, 3 Nov 2026 10:15:07 JST",
      "a.example.org", NULL, "192.0.2.11", "b.example.net", NULL, "SMTP", NULL, NULL, NULL, FALSE,
      1793700907, FALSE, TRUE },
    { "generic/brief-no-zone",
      "from a.example.org ([192.0.2.12]) by b.example.net with SMTP; Tue, 3 Nov 2026 10:15:07",
      "a.example.org", NULL, "192.0.2.12", "b.example.net", NULL, "SMTP", NULL, NULL, NULL, FALSE,
      1793700907, FALSE, TRUE },
    { "generic/brief-only-date", "Tue, 3 Nov 2026 10:15:07 +0000", NULL, NULL, NULL, NULL, NULL,
      NULL, NULL, NULL, NULL, FALSE, 1793700907, TRUE, FALSE },
    { "generic/brief-empty", "", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, FALSE, 0,
      FALSE, FALSE },
    { "generic/brief-no-date", "from a.example.org ([192.0.2.13]) by b.example.net with SMTP id X3",
      "a.example.org", NULL, "192.0.2.13", "b.example.net", NULL, "SMTP", "X3", NULL, NULL, FALSE,
      0, FALSE, FALSE },
};

static gboolean
same (const char *got, const char *want)
{
    return g_strcmp0 (got, want) == 0;
}

#define S(x) ((x) != NULL ? (x) : "(null)")

/* check_row - compares every field; prints "row LABEL: got …" for each difference */
static int
check_row (const Row *row)
{
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    MdHop hop;
    memset (&hop, 0xA5, sizeof hop); /* parse must set every field it owns */
    hop.index = 7;
    md_received_parse (a, row->text, strlen (row->text), &hop);
    int bad = 0;
    static const char *const names[] = { "helo", "rdns", "ip",  "by", "via",
                                         "with", "id",   "for", "tls" };
    const char *got[] = { hop.from_helo, hop.from_rdns, hop.from_ip,  hop.by, hop.via,
                          hop.with,      hop.id,        hop.for_addr, hop.tls };
    const char *want[] = { row->helo, row->rdns, row->ip,       row->by, row->via,
                           row->with, row->id,   row->for_addr, row->tls };
    for (gsize k = 0; k < G_N_ELEMENTS (names); k++) {
        if (!same (got[k], want[k])) {
            print_error ("row %s: got %s=%s, want %s\n", row->label, names[k], S (got[k]),
                         S (want[k]));
            bad++;
        }
        if (got[k] != NULL && !g_utf8_validate (got[k], -1, NULL)) {
            print_error ("row %s: got %s not UTF-8\n", row->label, names[k]);
            bad++;
        }
    }
    gboolean valid = row->utc != 0;
    if (hop.authenticated != row->authenticated || hop.date.valid != valid ||
        (valid && hop.date.utc != row->utc) || hop.date.zone_known != row->zone_known ||
        hop.parse_ok != row->parse_ok) {
        print_error ("row %s: got authenticated=%d valid=%d utc=%" G_GINT64_FORMAT
                     " zone_known=%d parse_ok=%d, want %d %d %" G_GINT64_FORMAT " %d %d\n",
                     row->label, hop.authenticated, hop.date.valid, hop.date.utc,
                     hop.date.zone_known, hop.parse_ok, row->authenticated, valid, row->utc,
                     row->zone_known, row->parse_ok);
        bad++;
    }
    if (hop.raw == NULL || hop.index != 7 || (valid && hop.date.raw == NULL)) {
        print_error ("row %s: got raw=%p index=%u date.raw=%p\n", row->label, (void *) hop.raw,
                     hop.index, (void *) hop.date.raw);
        bad++;
    }
    return bad;
}

static void
check_rows (const Row *rows, gsize n)
{
    int failures = 0;
    for (gsize i = 0; i < n; i++)
        failures += check_row (&rows[i]) > 0;
    if (failures > 0)
        fail_msg ("%d of %zu rows failed", failures, n);
}

static void
test_received_corpus_forms (void **state)
{
    (void) state;
    check_rows (corpus_rows, G_N_ELEMENTS (corpus_rows));
}

static void
test_received_brief_forms (void **state)
{
    (void) state;
    check_rows (brief_rows, G_N_ELEMENTS (brief_rows));
}

/* At least 60 real forms from at least 12 MTA families (the issue's floor). */
static void
test_received_corpus_coverage (void **state)
{
    (void) state;
    g_autoptr (GHashTable) families = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS (corpus_rows); i++) {
        const char *slash = strchr (corpus_rows[i].label, '/');
        assert_non_null (slash);
        g_hash_table_add (families,
                          g_strndup (corpus_rows[i].label, (gsize) (slash - corpus_rows[i].label)));
    }
    assert_true (G_N_ELEMENTS (corpus_rows) >= 60);
    assert_true (g_hash_table_size (families) >= 12);
}

/* raw keeps the field (unfolded, CR and LF made spaces); date.raw is the date as written */
static void
test_received_raw_and_date_raw (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    MdHop hop = { 0 };
    static const char text[] = "from a.example ([192.0.2.1])\r\n\tby b.example with SMTP;\r\n\t"
                               "Thu, 29 Apr 2013 23:45:32 +0900 (JST)";
    md_received_parse (a, text, strlen (text), &hop);
    assert_string_equal (hop.raw, "from a.example ([192.0.2.1])  \tby b.example with SMTP;  \t"
                                  "Thu, 29 Apr 2013 23:45:32 +0900 (JST)");
    assert_string_equal (hop.date.raw, "Thu, 29 Apr 2013 23:45:32 +0900 (JST)");
    assert_int_equal (hop.date.tz_offset_min, 540);
}

/* Input is pointer + length (STYLE §4): bytes after @len are not part of the field. */
static void
test_received_reads_only_len (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    MdHop hop = { 0 };
    static const char text[] = "from a.example ([192.0.2.1]) by b.example with SMTP id X; "
                               "Thu, 29 Apr 2013 23:45:32 +0900 for <z@example>";
    md_received_parse (a, text, strlen (text) - strlen (" for <z@example>"), &hop);
    assert_null (hop.for_addr);
    assert_true (hop.parse_ok);
    /* a NUL inside the field is a separator, not its end; invalid UTF-8 becomes U+FFFD */
    static const char nul[] = "from caf\xe9.example ([192.0.2.1]) by b.example\0with SMTP; "
                              "Thu, 29 Apr 2013 23:45:32 +0900";
    md_received_parse (a, nul, sizeof nul - 1, &hop);
    assert_string_equal (hop.from_helo, "caf\xef\xbf\xbd.example");
    assert_string_equal (hop.with, "SMTP");
    assert_true (g_utf8_validate (hop.raw, -1, NULL));
}

/* Hostile input ends in linear time and keeps parse_ok FALSE: 10,000 nested "(", a megabyte of
 * "<", ";", keywords, day names, random bytes, and one word longer than any line may be. */
static void
test_received_hostile_input_is_bounded (void **state)
{
    (void) state;
    gsize n = 1 << 20;
    g_autofree char *text = g_malloc (n);
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    MdHop hop = { 0 };
    gint64 start = g_get_monotonic_time ();

    memcpy (text, "from a (", 8);
    memset (text + 8, '(', 10000);
    md_received_parse (a, text, 10008, &hop);
    assert_false (hop.parse_ok);
    assert_string_equal (hop.from_helo, "a");

    static const char *const fills[] = { "(",   "<",          ";",    "with id ", "Mon ",
                                         "12 ", "[1.2.3.4] ", "(a) ", "\\(" };
    for (gsize f = 0; f < G_N_ELEMENTS (fills); f++) {
        gsize k = strlen (fills[f]);
        for (gsize i = 0; i + k <= n; i += k)
            memcpy (text + i, fills[f], k);
        md_received_parse (a, text, n - n % k, &hop);
        assert_false (hop.parse_ok);
    }
    for (gsize i = 0; i < n; i++)
        text[i] = (char) g_random_int ();
    md_received_parse (a, text, n, &hop);
    assert_true (hop.raw != NULL && g_utf8_validate (hop.raw, -1, NULL));

    /* RFC 5322 §2.1.1: no value may be longer than a line; a longer one is cut and flagged */
    memset (text, 'x', n);
    memcpy (text, "from ", 5);
    static const char tail[] = " by b.example; Thu, 29 Apr 2013 23:45:32 +0900";
    memcpy (text + n - strlen (tail), tail, strlen (tail));
    md_received_parse (a, text, n, &hop);
    assert_false (hop.parse_ok);
    assert_int_equal (strlen (hop.from_helo), 998);
    assert_string_equal (hop.by, "b.example");
    assert_true (hop.date.valid);

    /* quadratic work would take minutes here, even unsanitised */
    assert_true (g_get_monotonic_time () - start < 20 * G_USEC_PER_SEC);
}

/* ---- the chain ---------------------------------------------------------------------------- */

static GPtrArray *
fields_new (const char *const *fields, gsize n)
{
    GPtrArray *array = g_ptr_array_new ();
    for (gsize i = 0; i < n; i++)
        g_ptr_array_add (array, (gpointer) fields[i]);
    return array;
}

static const MdHop *
hop_at (const MdAnalysis *a, guint k)
{
    return g_ptr_array_index (a->hops, k);
}

/* Fields come topmost first; hops are oldest first, index 1 = oldest, position 0 = topmost. */
static void
test_chain_orders_oldest_first_with_delays (void **state)
{
    (void) state;
    static const char *const fields[] = {
        "from b.example (b.example [192.0.2.2]) by c.example with ESMTP id C; "
        "Tue, 3 Nov 2026 11:15:07 +0100", /* 10:15:07Z */
        "from a.example (a.example [192.0.2.1]) by b.example with ESMTP id B; "
        "Tue, 3 Nov 2026 02:10:07 -0800", /* 10:10:07Z */
        "by a.example (Postfix, from userid 1000) id A; Tue, 3 Nov 2026 10:00:07 +0000",
    };
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    g_autoptr (GPtrArray) in = fields_new (fields, G_N_ELEMENTS (fields));
    md_received_build_chain (a, in);
    assert_int_equal (a->hops->len, 3);
    static const struct {
        guint index, position;
        const char *id;
        gboolean has_delay;
        gint64 delay_s;
    } want[] = { { 1, 2, "A", FALSE, 0 }, { 2, 1, "B", TRUE, 600 }, { 3, 0, "C", TRUE, 300 } };
    for (guint k = 0; k < G_N_ELEMENTS (want); k++) {
        const MdHop *h = hop_at (a, k);
        if (h->index != want[k].index || h->position != want[k].position ||
            !same (h->id, want[k].id) || h->has_delay != want[k].has_delay ||
            (h->has_delay && h->delay_s != want[k].delay_s))
            fail_msg (
                "row hop-%u: got index=%u position=%u id=%s has_delay=%d delay=%" G_GINT64_FORMAT,
                k, h->index, h->position, S (h->id), h->has_delay, h->delay_s);
    }
    const MdDelivery *d = &a->delivery;
    assert_int_equal (d->hop_count, 3);
    assert_true (d->has_total);
    assert_int_equal (d->total_delay_s, 900);
    assert_true (d->has_max);
    assert_int_equal (d->max_hop_delay_s, 600);
    assert_int_equal (d->slowest_hop, 2);
    assert_false (d->clock_skew);

    /* building again replaces, never appends */
    md_received_build_chain (a, in);
    assert_int_equal (a->hops->len, 3);
    assert_int_equal (a->delivery.total_delay_s, 900);
}

/* A negative delay is a wrong clock: kept as it is (never wrapped into a day) and flagged. */
static void
test_chain_negative_delay_is_clock_skew (void **state)
{
    (void) state;
    static const char *const fields[] = {
        "from b.example ([192.0.2.2]) by c.example with ESMTP; Tue, 3 Nov 2026 10:08:07 +0000",
        "from a.example ([192.0.2.1]) by b.example with ESMTP; Tue, 3 Nov 2026 10:10:07 +0000",
        "by a.example (Postfix) id A; Tue, 3 Nov 2026 10:00:07 +0000",
    };
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    g_autoptr (GPtrArray) in = fields_new (fields, G_N_ELEMENTS (fields));
    md_received_build_chain (a, in);
    assert_int_equal (hop_at (a, 1)->delay_s, 600);
    assert_true (hop_at (a, 2)->has_delay);
    assert_int_equal (hop_at (a, 2)->delay_s, -120);
    assert_true (a->delivery.clock_skew);
    assert_int_equal (a->delivery.max_hop_delay_s, 600);
    assert_int_equal (a->delivery.slowest_hop, 2);
    assert_int_equal (a->delivery.total_delay_s, 480);
}

/* DESIGN §6: an unknown or missing zone must not invent a delay; the next hop measures against
 * the last hop whose time is known. qmail's "invoked" lines stay in the chain with parse_ok
 * FALSE, and their "-0000" dates are Universal Time (RFC 5322 §3.3), so they still count. */
static void
test_chain_unknown_zone_gives_no_delay (void **state)
{
    (void) state;
    static const char *const fields[] = {
        "from b.example ([192.0.2.2]) by c.example with ESMTP; Tue, 3 Nov 2026 10:20:07 +0000",
        "(qmail 1234 invoked by uid 89); 3 Nov 2026 10:15:07 -0000",
        "from a.example ([192.0.2.1]) by b.example with SMTP; Tue, 3 Nov 2026 19:10:07 JST",
        "from x.example ([192.0.2.9]) by a.example with SMTP; Tue, 3 Nov 2026 10:05:07",
        "by a.example (Postfix) id A; Tue, 3 Nov 2026 10:00:07 +0000",
    };
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    g_autoptr (GPtrArray) in = fields_new (fields, G_N_ELEMENTS (fields));
    md_received_build_chain (a, in);
    assert_int_equal (a->delivery.hop_count, 5);
    assert_false (hop_at (a, 0)->has_delay);
    assert_false (hop_at (a, 1)->has_delay);
    assert_false (hop_at (a, 1)->date.zone_known);
    assert_false (hop_at (a, 2)->has_delay);
    assert_false (hop_at (a, 3)->parse_ok);
    assert_true (hop_at (a, 3)->date.zone_known);
    assert_true (hop_at (a, 3)->has_delay);
    assert_int_equal (hop_at (a, 3)->delay_s, 900);
    assert_true (hop_at (a, 4)->has_delay);
    assert_int_equal (hop_at (a, 4)->delay_s, 300);
    assert_int_equal (a->delivery.slowest_hop, 4);
    assert_int_equal (a->delivery.total_delay_s, 1200);
    assert_false (a->delivery.clock_skew);
}

/* Nothing dated twice: no total, no slowest hop. */
static void
test_chain_without_two_dates_has_no_totals (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    g_autoptr (GPtrArray) none = g_ptr_array_new ();
    md_received_build_chain (a, none);
    assert_int_equal (a->hops->len, 0);
    assert_int_equal (a->delivery.hop_count, 0);
    assert_false (a->delivery.has_total);
    assert_false (a->delivery.has_max);

    static const char *const one[] = {
        "from a.example ([192.0.2.1]) by b.example with SMTP; Tue, 3 Nov 2026 10:05:07 +0000",
        "from damaged (TLS=",
    };
    g_autoptr (GPtrArray) in = fields_new (one, G_N_ELEMENTS (one));
    md_received_build_chain (a, in);
    assert_int_equal (a->delivery.hop_count, 2);
    assert_false (hop_at (a, 0)->parse_ok);
    assert_false (a->delivery.has_total);
    assert_false (a->delivery.has_max);
    assert_int_equal (a->delivery.slowest_hop, 0);
}

/* A real chain: not-bounces/is-not-bounce-02, four fields, folded as in the file. */
static void
test_chain_real_gmail_message (void **state)
{
    (void) state;
    static const char *const fields[] = {
        "from [172.17.234.195] (p5B283A6B.dip0.t-ipconnect.de. [91.40.58.107])\n        by "
        "smtp.example.com with ESMTPSA id p16-v6sm7861105wro.29.2018.11.08.14.39.35\n        for "
        "<dummy2@example.com>\n        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 "
        "bits=128/128);\n        Thu, 08 Nov 2018 14:39:35 -0800 (PST)",
        "by 2002:a17:906:4cca:0:0:0:0 with SMTP id q10-v6csp51694ejt;\n        Thu, 8 Nov 2018 "
        "14:38:18 -0800 (PST)",
        "from mail-sor-f41.example.com (mail-sor-f41.example.com. [209.85.220.41])\n        by "
        "mx.example.com with SMTPS id j3-v6sor4060253wrq.14.2018.11.08.14.38.18\n        for "
        "<dummy2@example.com>\n        (Google Transport Security);\n        Thu, 08 Nov 2018 "
        "14:38:18 -0800 (PST)",
        "from [172.17.234.195] (p5B283A6B.dip0.t-ipconnect.de. [91.40.58.107])\n        by "
        "smtp.example.com with ESMTPSA id v11-v6sm4030321wrt.40.2018.11.08.14.38.17\n        for "
        "<dummy2@example.com>\n        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 "
        "bits=128/128);\n        Thu, 08 Nov 2018 14:38:17 -0800 (PST)",
    };
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    g_autoptr (GPtrArray) in = fields_new (fields, G_N_ELEMENTS (fields));
    md_received_build_chain (a, in);
    static const gint64 delays[] = { 0, 1, 0, 77 };
    for (guint k = 0; k < 4; k++) {
        const MdHop *h = hop_at (a, k);
        assert_true (h->parse_ok);
        assert_int_equal (h->index, k + 1);
        assert_int_equal (h->position, 3 - k);
        assert_int_equal (h->has_delay, k > 0);
        assert_int_equal (h->delay_s, k > 0 ? delays[k] : h->delay_s);
    }
    assert_string_equal (hop_at (a, 0)->tls, "TLS1.2 ECDHE-RSA-AES128-GCM-SHA256");
    assert_true (hop_at (a, 0)->authenticated);
    assert_string_equal (hop_at (a, 1)->from_ip, "209.85.220.41");
    assert_int_equal (a->delivery.total_delay_s, 78);
    assert_int_equal (a->delivery.max_hop_delay_s, 77);
    assert_int_equal (a->delivery.slowest_hop, 4);
    assert_false (a->delivery.clock_skew);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_received_corpus_forms),
        cmocka_unit_test (test_received_brief_forms),
        cmocka_unit_test (test_received_corpus_coverage),
        cmocka_unit_test (test_received_raw_and_date_raw),
        cmocka_unit_test (test_received_reads_only_len),
        cmocka_unit_test (test_received_hostile_input_is_bounded),
        cmocka_unit_test (test_chain_orders_oldest_first_with_delays),
        cmocka_unit_test (test_chain_negative_delay_is_clock_skew),
        cmocka_unit_test (test_chain_unknown_zone_gives_no_delay),
        cmocka_unit_test (test_chain_without_two_dates_has_no_totals),
        cmocka_unit_test (test_chain_real_gmail_message),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
