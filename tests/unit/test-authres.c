/* test-authres - authentication headers → auth[] and dkim_signatures[]: one labelled row per real
 * form (source file in ../shared/corpus, or "brief-" for forms written from the servers'
 * documented output with example domains), each asserting every result's method, result,
 * authserv_id, reason, comment and props; then the trust boundary (#9 item 2), positions, DKIM
 * signatures and hostile input. RFC 8601, RFC 8617, RFC 7208 §9.1, RFC 6376 §3.5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "authres.h"

#define MAX_WANT 10

typedef struct {
    const char *method, *result, *reason, *comment;
    const char *props; /* "name=value | name=value", "" for none */
} Want;

typedef struct {
    const char *label, *name, *value;
    const char *authserv_id;
    int instance;
    gboolean trusted; /* alone in a message, with no --authserv-id */
    guint n;
    Want want[MAX_WANT];
} Row;

static const Row rows[] = {
    /* ---- corpus ---- */
    { "gmail/is-not-bounce-02:aar",
      "ARC-Authentication-Results",
      "i=1; mx.example.com; dkim=pass header.i=@example.com header.s=20161025 header.b=RJNz7oaY; "
      "spf=pass (example.com: domain of dummy@example.com designates 209.85.220.41 as permitted "
      "sender) smtp.mailfrom=dummy@example.com; dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) "
      "header.from=example.com",
      "mx.example.com",
      1,
      FALSE,
      3,
      { { "dkim", "pass", NULL, NULL,
          "header.i=@example.com | header.s=20161025 | header.b=RJNz7oaY" },
        { "spf", "pass", NULL,
          "example.com: domain of dummy@example.com designates 209.85.220.41 as permitted sender",
          "smtp.mailfrom=dummy@example.com" },
        { "dmarc", "pass", NULL, "p=NONE sp=QUARANTINE dis=NONE", "header.from=example.com" } } },
    { "gmail/is-not-bounce-02:ar",
      "Authentication-Results",
      "mx.example.com; dkim=pass header.i=@example.com header.s=20161025 header.b=RJNz7oaY; "
      "spf=pass (example.com: domain of dummy@example.com designates 209.85.220.41 as permitted "
      "sender) smtp.mailfrom=dummy@example.com; dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) "
      "header.from=example.com",
      "mx.example.com",
      0,
      TRUE,
      3,
      { { "dkim", "pass", NULL, NULL,
          "header.i=@example.com | header.s=20161025 | header.b=RJNz7oaY" },
        { "spf", "pass", NULL,
          "example.com: domain of dummy@example.com designates 209.85.220.41 as permitted sender",
          "smtp.mailfrom=dummy@example.com" },
        { "dmarc", "pass", NULL, "p=NONE sp=QUARANTINE dis=NONE", "header.from=example.com" } } },
    { "gmail/is-not-bounce-02:received-spf",
      "Received-SPF",
      "pass (example.com: domain of dummy@example.com designates 209.85.220.41 as permitted "
      "sender) client-ip=209.85.220.41;",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL,
          "example.com: domain of dummy@example.com designates 209.85.220.41 as permitted sender",
          "client-ip=209.85.220.41" } } },
    { "gmail/is-not-bounce-02:arc-seal",
      "ARC-Seal",
      "i=1; a=rsa-sha256; t=1541716698; cv=none; d=example.com; s=arc-20160816; "
      "b=GKpdbTMPvynmnz2/9zlJFSQgGyZWvtnqzUcwDfnG1mBKc/lbf6Iedn2u7CBnZ7+vJT "
      "0rtTY+sJZYPj2Ffu0UuwSqdoOWr961ycEgy3ha4gkh6B/PexKAJjiEzJsTgxeztJxWqu",
      NULL,
      1,
      FALSE,
      1,
      { { "arc", "none", NULL, NULL, "d=example.com | s=arc-20160816" } } },
    { "gmail/best-guess-helo",
      "Authentication-Results",
      "mx.google.com; dkim=pass header.i=@googlemail.com; spf=pass (google.com: best guess "
      "record for domain of postmaster@mail-qk0-x246.google.com designates "
      "2607:f8b0:400d:c09::246 as permitted sender) smtp.helo=mail-qk0-x246.google.com; "
      "dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=googlemail.com",
      "mx.google.com",
      0,
      TRUE,
      3,
      { { "dkim", "pass", NULL, NULL, "header.i=@googlemail.com" },
        { "spf", "pass", NULL,
          "google.com: best guess record for domain of postmaster@mail-qk0-x246.google.com "
          "designates 2607:f8b0:400d:c09::246 as permitted sender",
          "smtp.helo=mail-qk0-x246.google.com" },
        { "dmarc", "pass", NULL, "p=QUARANTINE sp=QUARANTINE dis=NONE",
          "header.from=googlemail.com" } } },
    { "sendmail/sender-id-smtp.mfrom",
      "Authentication-Results",
      "aneyakoji.example.jp; sender-id=none header.from=no-reply@sns.amazonaws.com; spf=pass "
      "smtp.mfrom=01010158992be865-000000@us-west-2.amazonses.com",
      "aneyakoji.example.jp",
      0,
      TRUE,
      2,
      { { "sender-id", "none", NULL, NULL, "header.from=no-reply@sns.amazonaws.com" },
        { "spf", "pass", NULL, NULL,
          "smtp.mfrom=01010158992be865-000000@us-west-2.amazonses.com" } } },
    { "opensmtpd/sender-id-fail",
      "Authentication-Results",
      "6jo.example.jp; sender-id=fail (MalformedDomain) header.from=MAILER-DAEMON@localhost",
      "6jo.example.jp",
      0,
      TRUE,
      1,
      { { "sender-id", "fail", NULL, "MalformedDomain", "header.from=MAILER-DAEMON@localhost" } } },
    { "yahoo/lhost-x2-02:28-from-before-method",
      "Authentication-Results",
      "mx90.mail.example.com  from=example.jp; domainkeys=neutral (no sig)",
      "mx90.mail.example.com",
      0,
      TRUE,
      1,
      { { "domainkeys", "neutral", NULL, "no sig", "from=example.jp" } } },
    { "yahoo/lhost-yahoo-02:25-prop-after-semicolon",
      "Authentication-Results",
      "mta514.mail.kks.y.example.co.jp  from=y.example.co.jp; domainkeys=pass (ok); dkim=pass "
      "(ok); header.i=@y.example.co.jp",
      "mta514.mail.kks.y.example.co.jp",
      0,
      TRUE,
      2,
      { { "domainkeys", "pass", NULL, "ok", "from=y.example.co.jp" },
        { "dkim", "pass", NULL, "ok", "header.i=@y.example.co.jp" } } },
    { "yahoo/lhost-yahoo-13:27-two-from",
      "Authentication-Results",
      "mta4124.aol.mail.gq1.yahoo.com  from=yahoo.com; domainkeys=neutral (no sig);  "
      "from=yahoo.com; dkim=pass (ok)",
      "mta4124.aol.mail.gq1.yahoo.com",
      0,
      TRUE,
      2,
      { { "domainkeys", "neutral", NULL, "no sig", "from=yahoo.com" },
        { "dkim", "pass", NULL, "ok", "from=yahoo.com" } } },
    { "sendmail/auth-cram-md5",
      "Authentication-Results",
      "shironeko.example.org; sender-id=pass header.from=kijitora@example.org; auth=pass "
      "(CRAM-MD5); spf=pass smtp.mfrom=kijitora@example.org",
      "shironeko.example.org",
      0,
      TRUE,
      3,
      { { "sender-id", "pass", NULL, NULL, "header.from=kijitora@example.org" },
        { "auth", "pass", NULL, "CRAM-MD5", "" },
        { "spf", "pass", NULL, NULL, "smtp.mfrom=kijitora@example.org" } } },
    { "hotmail/lhost-outlook-06:2-x-hmca",
      "Authentication-Results",
      "hotmail.com; spf=none (sender IP is 65.54.190.29; identity alignment result is pass and "
      "alignment mode is relaxed) smtp.helo=BAY004-OMC1S18.hotmail.com; dkim=none (identity "
      "alignment result is pass and alignment mode is relaxed) header.d=mail.hotmail.com; "
      "x-hmca=none header.id=postmaster@mail.hotmail.com",
      "hotmail.com",
      0,
      TRUE,
      3,
      { { "spf", "none", NULL,
          "sender IP is 65.54.190.29; identity alignment result is pass and alignment mode is "
          "relaxed",
          "smtp.helo=BAY004-OMC1S18.hotmail.com" },
        { "dkim", "none", NULL, "identity alignment result is pass and alignment mode is relaxed",
          "header.d=mail.hotmail.com" },
        { "x-hmca", "none", NULL, NULL, "header.id=postmaster@mail.hotmail.com" } } },
    { "ironport/lhost-x5-01:116-received-spf-quoted",
      "Received-SPF",
      "None (mx05.example.co.jp: no sender authenticity information available from domain of "
      "shironeko@cat.example.co.jp) identity=mailfrom; client-ip=192.0.2.61; "
      "receiver=mx05.example.co.jp; envelope-from=\"shironeko@cat.example.co.jp\"; "
      "x-sender=\"shironeko@cat.example.co.jp\"; x-conformance=spf_only",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "none", NULL,
          "mx05.example.co.jp: no sender authenticity information available from domain of "
          "shironeko@cat.example.co.jp",
          "identity=mailfrom | client-ip=192.0.2.61 | receiver=mx05.example.co.jp | "
          "envelope-from=shironeko@cat.example.co.jp | x-sender=shironeko@cat.example.co.jp | "
          "x-conformance=spf_only" } } },
    { "gmail/lhost-courier-04:10-empty-value",
      "Authentication-Results",
      "mx.google.com; spf=neutral (google.com: 192.0.2.128 is neither permitted nor denied by "
      "best guess record for domain of mx.example.org) smtp.mail=",
      "mx.google.com",
      0,
      TRUE,
      1,
      { { "spf", "neutral", NULL,
          "google.com: 192.0.2.128 is neither permitted nor denied by best guess record for "
          "domain of mx.example.org",
          "smtp.mail=" } } },
    { "amazonses/lhost-postfix-30:9-spf-keys-in-ar",
      "Authentication-Results",
      "amazonses.com; spf=pass (spfCheck: domain of here-redacted.net.br designates "
      "here-redacted as permitted sender) client-ip=here-redacted; "
      "envelope-from=postmaster@example.net.br; helo=here-redacted.net.br;",
      "amazonses.com",
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL,
          "spfCheck: domain of here-redacted.net.br designates here-redacted as permitted sender",
          "client-ip=here-redacted | envelope-from=postmaster@example.net.br | "
          "helo=here-redacted.net.br" } } },
    { "microsoft/lhost-postfix-57:9-no-id-bare-domain",
      "Authentication-Results",
      "spf=none (sender IP is 192.0.2.202) smtp.helo=rokujo.cr.nyaan.jp; outlook.com; dkim=none "
      "(message not signed) header.d=none;outlook.com; dmarc=none action=none "
      "header.from=rokujo.cr.nyaan.jp;",
      NULL,
      0,
      TRUE,
      3,
      { { "spf", "none", NULL, "sender IP is 192.0.2.202", "smtp.helo=rokujo.cr.nyaan.jp" },
        { "dkim", "none", NULL, "message not signed", "header.d=none" },
        { "dmarc", "none", NULL, NULL, "action=none | header.from=rokujo.cr.nyaan.jp" } } },
    { "microsoft/rhost-microsoft-03:23-null-path",
      "Authentication-Results",
      "spf=none (sender IP is ) smtp.mailfrom=<>; ",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "none", NULL, "sender IP is", "smtp.mailfrom=<>" } } },
    { "yahoo/received-spf-comment-only",
      "Received-SPF",
      "none (domain of sonic309-56.consmr.mail.gq1.yahoo.com does not designate permitted sender "
      "hosts)",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "none", NULL,
          "domain of sonic309-56.consmr.mail.gq1.yahoo.com does not designate permitted sender "
          "hosts",
          "" } } },
    { "mailru/lhost-mailru-08:16",
      "Authentication-Results",
      "f42.i.mail.ru; auth=pass smtp.auth=mailer-daemon@corp.mail.ru "
      "smtp.mailfrom=mailer-daemon@corp.mail.ru; iprev=pass policy.iprev=127.0.0.1",
      "f42.i.mail.ru",
      0,
      TRUE,
      2,
      { { "auth", "pass", NULL, NULL,
          "smtp.auth=mailer-daemon@corp.mail.ru | smtp.mailfrom=mailer-daemon@corp.mail.ru" },
        { "iprev", "pass", NULL, NULL, "policy.iprev=127.0.0.1" } } },
    { "mailru/lhost-sendmail-55:3-empty-comment",
      "Authentication-Results",
      "mxs.mail.ru; spf=none () smtp.helo=nijo.example.jp",
      "mxs.mail.ru",
      0,
      TRUE,
      1,
      { { "spf", "none", NULL, NULL, "smtp.helo=nijo.example.jp" } } },
    { "opendmarc/rhost-nttdocomo-03:10",
      "Authentication-Results",
      "mbox.example.jp; dmarc=none (p=none dis=none) header.from=4j.example.jp",
      "mbox.example.jp",
      0,
      TRUE,
      1,
      { { "dmarc", "none", NULL, "p=none dis=none", "header.from=4j.example.jp" } } },

    /* ---- Microsoft 365 / Exchange ---- */
    { "brief-m365-compauth-pass",
      "Authentication-Results",
      "spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=bounces.example.org; dkim=pass "
      "(signature was verified) header.d=example.org;dmarc=pass action=none "
      "header.from=example.org;compauth=pass reason=100",
      NULL,
      0,
      TRUE,
      4,
      { { "spf", "pass", NULL, "sender IP is 192.0.2.10", "smtp.mailfrom=bounces.example.org" },
        { "dkim", "pass", NULL, "signature was verified", "header.d=example.org" },
        { "dmarc", "pass", NULL, NULL, "action=none | header.from=example.org" },
        { "compauth", "pass", "100", NULL, "" } } },
    { "brief-m365-oreject",
      "Authentication-Results",
      "spf=fail (sender IP is 192.0.2.66) smtp.mailfrom=example.com; dkim=none (message not "
      "signed) header.d=none;dmarc=fail action=oreject header.from=example.com;compauth=fail "
      "reason=000",
      NULL,
      0,
      TRUE,
      4,
      { { "spf", "fail", NULL, "sender IP is 192.0.2.66", "smtp.mailfrom=example.com" },
        { "dkim", "none", NULL, "message not signed", "header.d=none" },
        { "dmarc", "fail", NULL, NULL, "action=oreject | header.from=example.com" },
        { "compauth", "fail", "000", NULL, "" } } },
    { "brief-x-ms-exchange-authentication-results",
      "X-MS-Exchange-Authentication-Results",
      "spf=softfail (sender IP is 198.51.100.7) smtp.mailfrom=example.net; dkim=fail (body hash "
      "did not verify) header.d=example.net;dmarc=bestguesspass action=none "
      "header.from=example.net;",
      NULL,
      0,
      TRUE,
      3,
      { { "spf", "softfail", NULL, "sender IP is 198.51.100.7", "smtp.mailfrom=example.net" },
        { "dkim", "fail", NULL, "body hash did not verify", "header.d=example.net" },
        { "dmarc", "bestguesspass", NULL, NULL, "action=none | header.from=example.net" } } },
    { "brief-m365-aar-version",
      "ARC-Authentication-Results",
      "i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=example.com; dmarc=pass action=none "
      "header.from=example.com; dkim=pass header.d=example.com; arc=none",
      "mx.microsoft.com",
      1,
      FALSE,
      4,
      { { "spf", "pass", NULL, NULL, "smtp.mailfrom=example.com" },
        { "dmarc", "pass", NULL, NULL, "action=none | header.from=example.com" },
        { "dkim", "pass", NULL, NULL, "header.d=example.com" },
        { "arc", "none", NULL, NULL, "" } } },
    { "brief-m365-original-untrusted",
      "Authentication-Results-Original",
      "dkim=pass (signature was verified) header.d=example.org;compauth=pass reason=109",
      NULL,
      0,
      FALSE,
      2,
      { { "dkim", "pass", NULL, "signature was verified", "header.d=example.org" },
        { "compauth", "pass", "109", NULL, "" } } },
    { "brief-m365-received-spf",
      "Received-SPF",
      "SoftFail (protection.outlook.com: domain of transitioning example.com discourages use of "
      "198.51.100.7 as permitted sender) receiver=protection.outlook.com; client-ip=198.51.100.7; "
      "helo=mail.example.com;",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "softfail", NULL,
          "protection.outlook.com: domain of transitioning example.com discourages use of "
          "198.51.100.7 as permitted sender",
          "receiver=protection.outlook.com | client-ip=198.51.100.7 | helo=mail.example.com" } } },

    /* ---- id-less and relay forms ---- */
    { "brief-postfix-auth-no-id",
      "Authentication-Results",
      "auth=pass smtp.auth=alice@example.org",
      NULL,
      0,
      TRUE,
      1,
      { { "auth", "pass", NULL, NULL, "smtp.auth=alice@example.org" } } },
    { "brief-mimecast-auth",
      "Authentication-Results",
      "relay.mimecast.com; auth=pass smtp.auth=bob@example.org smtp.mailfrom=bob@example.org",
      "relay.mimecast.com",
      0,
      TRUE,
      1,
      { { "auth", "pass", NULL, NULL,
          "smtp.auth=bob@example.org | smtp.mailfrom=bob@example.org" } } },

    /* ---- Yahoo ---- */
    { "brief-yahoo-comment-no-space",
      "Authentication-Results",
      "atlas-production.v2-mail-prod1-gq1.omega.yahoo.com; dkim=pass header.i=@example.com "
      "header.s=s1024; spf=pass smtp.mailfrom=example.com; dmarc=pass(p=REJECT) "
      "header.from=example.com;",
      "atlas-production.v2-mail-prod1-gq1.omega.yahoo.com",
      0,
      TRUE,
      3,
      { { "dkim", "pass", NULL, NULL, "header.i=@example.com | header.s=s1024" },
        { "spf", "pass", NULL, NULL, "smtp.mailfrom=example.com" },
        { "dmarc", "pass", NULL, "p=REJECT", "header.from=example.com" } } },
    { "brief-yahoo-perm-fail",
      "Authentication-Results",
      "atlas.example.yahoo.com; dkim=perm_fail header.i=@example.net header.s=sel; spf=softfail "
      "smtp.mailfrom=example.net; dmarc=fail(p=NONE,sp=NONE) header.from=example.net;",
      "atlas.example.yahoo.com",
      0,
      TRUE,
      3,
      { { "dkim", "perm_fail", NULL, NULL, "header.i=@example.net | header.s=sel" },
        { "spf", "softfail", NULL, NULL, "smtp.mailfrom=example.net" },
        { "dmarc", "fail", NULL, "p=NONE,sp=NONE", "header.from=example.net" } } },

    /* ---- Gmail ---- */
    { "brief-gmail-arc-comment",
      "Authentication-Results",
      "mx.google.com; dkim=pass header.i=@example.org header.s=sel header.b=Ab12Cd34; arc=pass "
      "(i=1 spf=pass spfdomain=example.org dkim=pass dkdomain=example.org dmarc=pass "
      "fromdomain=example.org); spf=pass (google.com: domain of list@example.org designates "
      "192.0.2.5 as permitted sender) smtp.mailfrom=list@example.org; dmarc=pass (p=NONE sp=NONE "
      "dis=NONE) header.from=example.org",
      "mx.google.com",
      0,
      TRUE,
      4,
      { { "dkim", "pass", NULL, NULL, "header.i=@example.org | header.s=sel | header.b=Ab12Cd34" },
        { "arc", "pass", NULL,
          "i=1 spf=pass spfdomain=example.org dkim=pass dkdomain=example.org dmarc=pass "
          "fromdomain=example.org",
          "" },
        { "spf", "pass", NULL,
          "google.com: domain of list@example.org designates 192.0.2.5 as permitted sender",
          "smtp.mailfrom=list@example.org" },
        { "dmarc", "pass", NULL, "p=NONE sp=NONE dis=NONE", "header.from=example.org" } } },
    { "brief-gmail-dmarc-quarantined",
      "Authentication-Results",
      "mx.google.com; dkim=neutral (body hash did not verify) header.i=@example.com header.s=sel "
      "header.b=Ab12Cd34=; spf=softfail (google.com: domain of transitioning bounce@example.com "
      "does not designate 198.51.100.9 as permitted sender) smtp.mailfrom=bounce@example.com; "
      "dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=example.com",
      "mx.google.com",
      0,
      TRUE,
      3,
      { { "dkim", "neutral", NULL, "body hash did not verify",
          "header.i=@example.com | header.s=sel | header.b=Ab12Cd34=" },
        { "spf", "softfail", NULL,
          "google.com: domain of transitioning bounce@example.com does not designate "
          "198.51.100.9 as permitted sender",
          "smtp.mailfrom=bounce@example.com" },
        { "dmarc", "fail", NULL, "p=REJECT sp=REJECT dis=QUARANTINE",
          "header.from=example.com" } } },
    { "brief-google-groups-original-untrusted",
      "X-Original-Authentication-Results",
      "mx.google.com; spf=pass (google.com: domain of alice@example.org designates 192.0.2.7 as "
      "permitted sender) smtp.mailfrom=alice@example.org",
      "mx.google.com",
      0,
      FALSE,
      1,
      { { "spf", "pass", NULL,
          "google.com: domain of alice@example.org designates 192.0.2.7 as permitted sender",
          "smtp.mailfrom=alice@example.org" } } },

    /* ---- Fastmail, Proton, iCloud ---- */
    { "brief-fastmail-many-methods",
      "Authentication-Results",
      "mx1.messagingengine.example; dkim=pass (2048-bit rsa key sha256) header.d=example.com "
      "header.i=@example.com header.b=Xy12 header.a=rsa-sha256 header.s=fm1 x-bits=2048; "
      "dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none "
      "(p=none,d=none,d.eval=none) header.from=example.com; iprev=pass "
      "smtp.remote-ip=192.0.2.1 (mail.example.com); x-aligned-from=pass (Address match); "
      "x-tls=pass smtp.version=TLSv1.3 smtp.cipher=TLS_AES_256_GCM_SHA384 smtp.bits=256/256; "
      "x-vs=clean score=-100 state=0",
      "mx1.messagingengine.example",
      0,
      TRUE,
      6,
      { { "dkim", "pass", NULL, "2048-bit rsa key sha256",
          "header.d=example.com | header.i=@example.com | header.b=Xy12 | header.a=rsa-sha256 | "
          "header.s=fm1 | x-bits=2048" },
        { "dmarc", "pass", NULL, "p=none,d=none,d.eval=none",
          "policy.published-domain-policy=none | policy.applied-disposition=none | "
          "header.from=example.com" },
        { "iprev", "pass", NULL, "mail.example.com", "smtp.remote-ip=192.0.2.1" },
        { "x-aligned-from", "pass", NULL, "Address match", "" },
        { "x-tls", "pass", NULL, NULL,
          "smtp.version=TLSv1.3 | smtp.cipher=TLS_AES_256_GCM_SHA384 | smtp.bits=256/256" },
        { "x-vs", "clean", NULL, NULL, "score=-100 | state=0" } } },
    { "brief-proton",
      "Authentication-Results",
      "mail.protonmail.example; dkim=pass (Good 2048 bit rsa-sha256 signature) "
      "header.d=example.com "
      "header.a=rsa-sha256; dmarc=pass (p=none dis=none) header.from=example.com; spf=pass "
      "smtp.mailfrom=example.com; arc=none smtp.remote-ip=192.0.2.1",
      "mail.protonmail.example",
      0,
      TRUE,
      4,
      { { "dkim", "pass", NULL, "Good 2048 bit rsa-sha256 signature",
          "header.d=example.com | header.a=rsa-sha256" },
        { "dmarc", "pass", NULL, "p=none dis=none", "header.from=example.com" },
        { "spf", "pass", NULL, NULL, "smtp.mailfrom=example.com" },
        { "arc", "none", NULL, NULL, "smtp.remote-ip=192.0.2.1" } } },
    { "brief-proton-aar-i2",
      "ARC-Authentication-Results",
      "i=2; mail.protonmail.example; dkim=pass (Good 2048 bit rsa-sha256 signature) "
      "header.d=example.com header.a=rsa-sha256",
      "mail.protonmail.example",
      2,
      FALSE,
      1,
      { { "dkim", "pass", NULL, "Good 2048 bit rsa-sha256 signature",
          "header.d=example.com | header.a=rsa-sha256" } } },
    { "brief-icloud-quoted-reason-semicolon",
      "Authentication-Results",
      "mx.icloud.example; dkim=pass reason=\"2048-bit key; unprotected key\" header.d=example.com "
      "header.i=@example.com header.b=Xy12Ab34",
      "mx.icloud.example",
      0,
      TRUE,
      1,
      { { "dkim", "pass", "2048-bit key; unprotected key", NULL,
          "header.d=example.com | header.i=@example.com | header.b=Xy12Ab34" } } },
    { "brief-icloud-bimi",
      "Authentication-Results",
      "bimi.icloud.example; bimi=skipped reason=\"insufficient dmarc\"",
      "bimi.icloud.example",
      0,
      TRUE,
      1,
      { { "bimi", "skipped", "insufficient dmarc", NULL, "" } } },
    { "brief-icloud-received-spf",
      "Received-SPF",
      "pass (mx.icloud.example: domain of alice@example.com designates 192.0.2.1 as permitted "
      "sender) receiver=mx.icloud.example; client-ip=192.0.2.1; helo=mail.example.com; "
      "envelope-from=alice@example.com",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL,
          "mx.icloud.example: domain of alice@example.com designates 192.0.2.1 as permitted sender",
          "receiver=mx.icloud.example | client-ip=192.0.2.1 | helo=mail.example.com | "
          "envelope-from=alice@example.com" } } },

    /* ---- milters and filters ---- */
    { "brief-opendkim-comment-semicolon",
      "Authentication-Results",
      "mail.example.org; dkim=pass (2048-bit key; unprotected) header.d=example.com "
      "header.i=@example.com header.a=rsa-sha256 header.s=sel1 header.b=Xy12Zw34",
      "mail.example.org",
      0,
      TRUE,
      1,
      { { "dkim", "pass", NULL, "2048-bit key; unprotected",
          "header.d=example.com | header.i=@example.com | header.a=rsa-sha256 | header.s=sel1 | "
          "header.b=Xy12Zw34" } } },
    { "brief-opendkim-id-comment-reason",
      "Authentication-Results",
      "mail.example.org (OpenDKIM); dkim=fail reason=\"signature verification failed\" "
      "(1024-bit key) header.d=example.com header.i=@example.com header.b=\"Ab/+Cd\"",
      "mail.example.org",
      0,
      TRUE,
      1,
      { { "dkim", "fail", "signature verification failed", "1024-bit key",
          "header.d=example.com | header.i=@example.com | header.b=Ab/+Cd" } } },
    { "brief-opendmarc-fail",
      "Authentication-Results",
      "mail.example.org; dmarc=fail (p=reject dis=none) header.from=example.com",
      "mail.example.org",
      0,
      TRUE,
      1,
      { { "dmarc", "fail", NULL, "p=reject dis=none", "header.from=example.com" } } },
    { "brief-openarc",
      "Authentication-Results",
      "mail.example.org; arc=pass smtp.remote-ip=192.0.2.1",
      "mail.example.org",
      0,
      TRUE,
      1,
      { { "arc", "pass", NULL, NULL, "smtp.remote-ip=192.0.2.1" } } },
    { "brief-rspamd-quoted-values",
      "Authentication-Results",
      "mx.example.org; dkim=pass header.d=example.com header.s=sel header.b=\"aB1+/cD\"; "
      "dmarc=pass "
      "(policy=reject) header.from=example.com; spf=pass (mx.example.org: domain of "
      "\"bounce@example.com\" designates 192.0.2.1 as permitted sender) "
      "smtp.mailfrom=\"bounce@example.com\"; arc=none",
      "mx.example.org",
      0,
      TRUE,
      4,
      { { "dkim", "pass", NULL, NULL, "header.d=example.com | header.s=sel | header.b=aB1+/cD" },
        { "dmarc", "pass", NULL, "policy=reject", "header.from=example.com" },
        { "spf", "pass", NULL,
          "mx.example.org: domain of \"bounce@example.com\" designates 192.0.2.1 as permitted "
          "sender",
          "smtp.mailfrom=bounce@example.com" },
        { "arc", "none", NULL, NULL, "" } } },
    { "brief-rspamd-none",
      "Authentication-Results",
      "mx.example.org; none",
      "mx.example.org",
      0,
      TRUE,
      0,
      { { NULL } } },
    { "brief-amavis",
      "Authentication-Results",
      "mail.example.org (amavisd-new); dkim=pass (2048-bit key) header.d=example.com "
      "header.i=@example.com header.b=\"AbCd1234\"",
      "mail.example.org",
      0,
      TRUE,
      1,
      { { "dkim", "pass", NULL, "2048-bit key",
          "header.d=example.com | header.i=@example.com | header.b=AbCd1234" } } },
    { "brief-zimbra-amavis-dns-error",
      "Authentication-Results",
      "zimbra.example.org (amavisd-new); dkim=neutral (invalid, public key: DNS error: SERVFAIL) "
      "header.d=example.com header.b=Ab12Cd34",
      "zimbra.example.org",
      0,
      TRUE,
      1,
      { { "dkim", "neutral", NULL, "invalid, public key: DNS error: SERVFAIL",
          "header.d=example.com | header.b=Ab12Cd34" } } },
    { "brief-exim-all",
      "Authentication-Results",
      "mx.example.org; iprev=pass (mail.example.net) smtp.remote-ip=192.0.2.1; spf=pass "
      "smtp.mailfrom=example.net; dkim=pass header.d=example.net header.s=sel "
      "header.a=rsa-sha256; dmarc=pass header.from=example.net; arc=none",
      "mx.example.org",
      0,
      TRUE,
      5,
      { { "iprev", "pass", NULL, "mail.example.net", "smtp.remote-ip=192.0.2.1" },
        { "spf", "pass", NULL, NULL, "smtp.mailfrom=example.net" },
        { "dkim", "pass", NULL, NULL, "header.d=example.net | header.s=sel | header.a=rsa-sha256" },
        { "dmarc", "pass", NULL, NULL, "header.from=example.net" },
        { "arc", "none", NULL, NULL, "" } } },
    { "brief-exim-auth",
      "Authentication-Results",
      "mx.example.org; auth=pass (PLAIN) smtp.auth=alice",
      "mx.example.org",
      0,
      TRUE,
      1,
      { { "auth", "pass", NULL, "PLAIN", "smtp.auth=alice" } } },
    { "brief-pypolicyd-received-spf",
      "Received-SPF",
      "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=mail.example.net; "
      "envelope-from=alice@example.net; receiver=<UNKNOWN>",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL, "mailfrom",
          "identity=mailfrom | client-ip=192.0.2.1 | helo=mail.example.net | "
          "envelope-from=alice@example.net | receiver=<UNKNOWN>" } } },

    /* ---- RFC 8601 grammar ---- */
    { "rfc8601-version-none",
      "Authentication-Results",
      "example.com 1; none",
      "example.com",
      0,
      TRUE,
      0,
      { { NULL } } },
    { "rfc8601-method-version",
      "Authentication-Results",
      "example.com; dkim/1=pass header.d=example.org",
      "example.com",
      0,
      TRUE,
      1,
      { { "dkim", "pass", NULL, NULL, "header.d=example.org" } } },
    { "rfc8601-two-reasons",
      "Authentication-Results",
      "example.com; dkim=pass reason=\"good signature\" header.i=@mail-router.example.net; "
      "dkim=fail reason=\"bad signature\" header.i=@newyork.example.com",
      "example.com",
      0,
      TRUE,
      2,
      { { "dkim", "pass", "good signature", NULL, "header.i=@mail-router.example.net" },
        { "dkim", "fail", "bad signature", NULL, "header.i=@newyork.example.com" } } },
    { "rfc8601-cfws-everywhere",
      "Authentication-Results",
      "example.org (c1) 1 (c2); (c3) spf (c4) = (c5) pass (c6) smtp (c7) . (c8) mailfrom (c9) = "
      "x@example.org (c10)",
      "example.org",
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL, "c3; c4; c5; c6; c7; c8; c9; c10",
          "smtp.mailfrom=x@example.org" } } },
    { "nested-and-several-comments",
      "Authentication-Results",
      "mx.example.org; spf=pass (ok (really (nested))) smtp.mailfrom=a@example.org (second)",
      "mx.example.org",
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL, "ok (really (nested)); second", "smtp.mailfrom=a@example.org" } } },
    { "missing-semicolon-between-methods",
      "Authentication-Results",
      "mx.example.org; dkim=pass header.d=example.com spf=pass smtp.mailfrom=example.com",
      "mx.example.org",
      0,
      TRUE,
      2,
      { { "dkim", "pass", NULL, NULL, "header.d=example.com" },
        { "spf", "pass", NULL, NULL, "smtp.mailfrom=example.com" } } },
    { "case-folded-method-result-ptype",
      "Authentication-Results",
      "MX.Example.ORG; SPF=Pass smtp.MailFrom=a@Example.com",
      "MX.Example.ORG",
      0,
      TRUE,
      1,
      { { "spf", "pass", NULL, NULL, "smtp.mailfrom=a@Example.com" } } },
    { "unknown-method-and-ptype-kept",
      "Authentication-Results",
      "mx.example.org; x-custom=pass x-ptype.x-prop=val; dnswl=pass dns.zone=list.dnswl.example "
      "policy.ip=127.0.11.0 policy.txt=\"example.net https://dnswl.example/s?s=1\"",
      "mx.example.org",
      0,
      TRUE,
      2,
      { { "x-custom", "pass", NULL, NULL, "x-ptype.x-prop=val" },
        { "dnswl", "pass", NULL, NULL,
          "dns.zone=list.dnswl.example | policy.ip=127.0.11.0 | "
          "policy.txt=example.net https://dnswl.example/s?s=1" } } },
    { "unterminated-quote-runs-to-end",
      "Authentication-Results",
      "mx.example.org; dkim=fail reason=\"unterminated",
      "mx.example.org",
      0,
      TRUE,
      1,
      { { "dkim", "fail", "unterminated", NULL, "" } } },
    { "received-spf-unclosed-comment",
      "Received-SPF",
      "fail (mx.example.org: domain of a@example.com does not designate",
      NULL,
      0,
      TRUE,
      1,
      { { "spf", "fail", NULL, "mx.example.org: domain of a@example.com does not designate",
          "" } } },
    { "received-spf-no-result",
      "Received-SPF",
      "(only a comment)",
      NULL,
      0,
      TRUE,
      0,
      { { NULL } } },
    { "arc-seal-pass-folded-b",
      "ARC-Seal",
      "i=2; a=rsa-sha256; t=1700000000; cv=pass; d=lists.example.org; s=arc-2023; b=abc def\tghi=",
      NULL,
      2,
      FALSE,
      1,
      { { "arc", "pass", NULL, NULL, "d=lists.example.org | s=arc-2023" } } },
    { "arc-seal-fail-upper",
      "ARC-Seal",
      "i=3; cv=Fail; d=example.net; s=x; b=AAAA",
      NULL,
      3,
      FALSE,
      1,
      { { "arc", "fail", NULL, NULL, "d=example.net | s=x" } } },
    { "arc-seal-without-cv",
      "ARC-Seal",
      "i=1; a=rsa-sha256; d=example.net; s=x; b=AAAA",
      NULL,
      0,
      FALSE,
      0,
      { { NULL } } },
    { "empty-value", "Authentication-Results", "", NULL, 0, TRUE, 0, { { NULL } } },
    { "only-semicolons", "Authentication-Results", ";;;;", NULL, 0, TRUE, 0, { { NULL } } },
    { "stray-equals", "Authentication-Results", "=pass ) = (", NULL, 0, TRUE, 0, { { NULL } } },
};

static void
join_props (const MdAuthResult *r, GString *out)
{
    g_string_truncate (out, 0);
    for (guint i = 0; i < r->props->len; i++) {
        const MdPair *p = g_ptr_array_index (r->props, i);
        g_string_append_printf (out, "%s%s=%s", i > 0 ? " | " : "", p->name, p->value);
    }
}

static MdAnalysis *
analysis_with (const char *const *fields, gsize n)
{
    MdAnalysis *a = md_analysis_new ();
    for (gsize i = 0; i + 1 < n; i += 2) {
        MdHeader *h = g_new0 (MdHeader, 1);
        h->name = fields[i];
        h->value = fields[i + 1];
        g_ptr_array_add (a->headers, h);
    }
    return a;
}

static void
test_rows (void **state)
{
    (void) state;
    g_autoptr (GString) props = g_string_new (NULL);
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        const Row *row = &rows[i];
        const char *fields[] = { row->name, row->value };
        g_autoptr (MdAnalysis) a = analysis_with (fields, 2);
        md_authres_extract (a, NULL);
        if (a->auth->len != row->n)
            fail_msg ("row %s: got %u results, want %u", row->label, a->auth->len, row->n);
        for (guint k = 0; k < row->n; k++) {
            const MdAuthResult *r = g_ptr_array_index (a->auth, k);
            const Want *w = &row->want[k];
            join_props (r, props);
            if (g_strcmp0 (r->method, w->method) != 0 || g_strcmp0 (r->result, w->result) != 0 ||
                g_strcmp0 (r->reason, w->reason) != 0 || g_strcmp0 (r->comment, w->comment) != 0 ||
                g_strcmp0 (props->str, w->props) != 0 ||
                g_strcmp0 (r->authserv_id, row->authserv_id) != 0 || r->instance != row->instance ||
                r->trusted != row->trusted || g_strcmp0 (r->header, row->name) != 0 ||
                r->position != 0)
                fail_msg ("row %s[%u]: got method=%s result=%s reason=%s comment=%s props=[%s] "
                          "id=%s instance=%d trusted=%d header=%s position=%u",
                          row->label, k, r->method, r->result, r->reason, r->comment, props->str,
                          r->authserv_id, r->instance, r->trusted, r->header, r->position);
        }
    }
}

/* ---- trust boundary (#9 item 2) ---- */

#define MAX_FIELDS 16

typedef struct {
    const char *label;
    const char *ids[3];             /* --authserv-id values; { NULL }: guess */
    const char *fields[MAX_FIELDS]; /* name, value, …, top first, NULL-terminated */
    const char *want;               /* one letter per result in field order: T trusted, F not */
} TrustRow;

#define RCVD_RECEIVER "from mail.example.net ([192.0.2.1]) by mx.example.org with ESMTPS"
#define RCVD_SENDER "from [10.0.0.2] by mail.example.net with ESMTPSA"

static const TrustRow trust_rows[] = {
    { "milter-above-own-received",
      { NULL },
      { "Authentication-Results", "mx.example.org; spf=pass smtp.mailfrom=example.net", "Received",
        RCVD_RECEIVER, NULL },
      "T" },
    { "forged-same-id-below-receiver",
      { NULL },
      { "Authentication-Results", "mx.example.org; dmarc=fail header.from=bank.example", "Received",
        RCVD_RECEIVER, "Received", RCVD_SENDER, "Authentication-Results",
        "mx.example.org; dmarc=pass header.from=bank.example", NULL },
      "TF" },
    { "forged-other-id-below-receiver",
      { NULL },
      { "Authentication-Results", "mx.example.org; dkim=none", "Received", RCVD_RECEIVER,
        "Authentication-Results", "evil.example; dkim=pass header.d=bank.example", NULL },
      "TF" },
    { "gmail-order-ar-below-own-received",
      { NULL },
      { "ARC-Seal", "i=1; a=rsa-sha256; cv=none; d=google.com; s=arc-20160816; b=x",
        "ARC-Authentication-Results", "i=1; mx.google.com; spf=pass smtp.mailfrom=example.net",
        "Received", "from mail.example.net by mx.google.com with ESMTPS", "Received-SPF",
        "pass (google.com: domain of a@example.net designates 192.0.2.1 as permitted sender) "
        "client-ip=192.0.2.1;",
        "Authentication-Results", "mx.google.com; spf=pass smtp.mailfrom=example.net", "Received",
        RCVD_SENDER, "Authentication-Results", "mx.google.com; dmarc=pass header.from=bank.example",
        NULL },
      "TTTTF" },
    { "m365-no-id-below-internal-hops",
      { NULL },
      { "Received", "from BN8PR.namprd.prod.outlook.com by SN6PR.namprd.prod.outlook.com",
        "Authentication-Results",
        "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.net; dmarc=pass action=none "
        "header.from=example.net;compauth=pass reason=100",
        "X-MS-Exchange-Authentication-Results",
        "spf=pass (sender IP is 192.0.2.1) "
        "smtp.mailfrom=example.net;",
        "Received-SPF",
        "Pass (protection.outlook.com: domain of example.net designates 192.0.2.1 "
        "as permitted sender) receiver=protection.outlook.com; client-ip=192.0.2.1;",
        "Received", "from mail.example.net (192.0.2.1) by BN8NAM.mail.protection.outlook.com",
        "Authentication-Results", "mx.example.com; dmarc=pass header.from=bank.example", NULL },
      "TTTTTF" },
    { "upstream-aar-and-seal-below",
      { NULL },
      { "ARC-Seal", "i=2; cv=pass; d=google.com; s=arc; b=x", "ARC-Authentication-Results",
        "i=2; mx.google.com; arc=pass", "Authentication-Results", "mx.google.com; arc=pass",
        "Received", "from lists.example.org by mx.google.com", "ARC-Seal",
        "i=1; cv=none; d=lists.example.org; s=arc; b=x", "ARC-Authentication-Results",
        "i=1; lists.example.org; dkim=pass header.d=example.net", NULL },
      "TTTFF" },
    { "aar-foreign-id-inside-block-untrusted",
      { NULL },
      { "ARC-Authentication-Results", "i=1; other.example; dkim=pass", "Authentication-Results",
        "mx.example.org; dkim=pass", "Received", RCVD_RECEIVER, NULL },
      "FT" },
    { "icloud-two-ids-one-hop",
      { NULL },
      { "Authentication-Results", "bimi.icloud.example; bimi=skipped reason=\"insufficient dmarc\"",
        "Authentication-Results", "mx.icloud.example; dmarc=pass header.from=example.com",
        "Authentication-Results", "mx.icloud.example; dkim=pass header.d=example.com",
        "Received-SPF", "pass (mx.icloud.example: …) client-ip=192.0.2.1", "Received",
        RCVD_RECEIVER, NULL },
      "TTTT" },
    { "no-ar-received-spf-above-first-received",
      { NULL },
      { "Received-SPF", "pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1", "Received",
        RCVD_RECEIVER, "Received-SPF", "pass (forged) client-ip=192.0.2.9", NULL },
      "TF" },
    { "none-at-top-still-anchors",
      { NULL },
      { "Authentication-Results", "mx.example.org; none", "Received", RCVD_RECEIVER,
        "Authentication-Results", "mx.example.org; dkim=pass header.d=bank.example", NULL },
      "F" },
    { "id-less-below-boundary-untrusted",
      { NULL },
      { "Authentication-Results", "mx.example.org; spf=pass smtp.mailfrom=example.net", "Received",
        RCVD_RECEIVER, "Authentication-Results", "auth=pass smtp.auth=forged", NULL },
      "TF" },
    { "x-original-inside-block-untrusted",
      { NULL },
      { "X-Original-Authentication-Results", "mx.example.org; spf=pass", "Authentication-Results",
        "mx.example.org; spf=pass", "Received", RCVD_RECEIVER, NULL },
      "FT" },
    { "authserv-id-given-skips-downstream",
      { "mx.example.org", NULL },
      { "Authentication-Results", "filter.example.org; spf=pass", "Received",
        "from mx.example.org by filter.example.org", "Authentication-Results",
        "mx.example.org; spf=fail smtp.mailfrom=example.net", "Received-SPF",
        "fail (mx.example.org) client-ip=192.0.2.9", "Received", RCVD_RECEIVER, NULL },
      "FTT" },
    { "authserv-id-case-insensitive",
      { "MX.EXAMPLE.ORG", NULL },
      { "Authentication-Results", "mx.example.org; spf=pass", "Received", RCVD_RECEIVER, NULL },
      "T" },
    { "authserv-id-given-forged-below",
      { "mx.example.org", NULL },
      { "Authentication-Results", "mx.example.org; dmarc=fail", "Received", RCVD_RECEIVER,
        "Authentication-Results", "mx.example.org; dmarc=pass", NULL },
      "TF" },
    { "authserv-id-given-absent-trusts-nothing",
      { "mx.example.org", NULL },
      { "Authentication-Results", "other.example; spf=pass", "Received-SPF",
        "pass (x) client-ip=192.0.2.1", "Authentication-Results", "auth=pass smtp.auth=a",
        "Received", RCVD_RECEIVER, NULL },
      "FFF" },
    { "two-authserv-ids-given",
      { "mx.example.org", "filter.example.org", NULL },
      { "Authentication-Results", "filter.example.org; spf=pass", "Authentication-Results",
        "mx.example.org; dkim=pass", "Received", RCVD_RECEIVER, NULL },
      "TT" },
};

static void
test_trust (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (trust_rows); i++) {
        const TrustRow *row = &trust_rows[i];
        gsize n = 0;
        while (n < MAX_FIELDS && row->fields[n] != NULL)
            n++;
        g_autoptr (MdAnalysis) a = analysis_with (row->fields, n);
        md_authres_extract (a, row->ids[0] != NULL ? row->ids : NULL);
        g_autoptr (GString) got = g_string_new (NULL);
        for (guint k = 0; k < a->auth->len; k++) {
            const MdAuthResult *r = g_ptr_array_index (a->auth, k);
            g_string_append_c (got, r->trusted ? 'T' : 'F');
        }
        if (strcmp (got->str, row->want) != 0)
            fail_msg ("row %s: got %s, want %s", row->label, got->str, row->want);
    }
}

/* An empty --authserv-id list is the same as none: guess (authres.h). */
static void
test_empty_ids_guess (void **state)
{
    (void) state;
    static const char *const fields[] = { "Authentication-Results", "mx.example.org; spf=pass" };
    static const char *const empty[] = { NULL };
    g_autoptr (MdAnalysis) a = analysis_with (fields, G_N_ELEMENTS (fields));
    md_authres_extract (a, empty);
    assert_int_equal (a->auth->len, 1);
    assert_true (((MdAuthResult *) g_ptr_array_index (a->auth, 0))->trusted);
}

static void
test_positions (void **state)
{
    (void) state;
    static const char *const fields[] = {
        "Authentication-Results",
        "a.example; spf=pass",
        "authentication-results",
        "a.example; none",
        "X-MS-Exchange-Authentication-Results",
        "dkim=none",
        "AUTHENTICATION-RESULTS",
        "b.example; dkim=pass; dmarc=pass",
    };
    g_autoptr (MdAnalysis) a = analysis_with (fields, G_N_ELEMENTS (fields));
    md_authres_extract (a, NULL);
    static const struct {
        const char *header;
        guint position;
    } want[] = { { "Authentication-Results", 0 },
                 { "X-MS-Exchange-Authentication-Results", 0 },
                 { "AUTHENTICATION-RESULTS", 2 },
                 { "AUTHENTICATION-RESULTS", 2 } };
    assert_int_equal (a->auth->len, G_N_ELEMENTS (want));
    for (gsize i = 0; i < G_N_ELEMENTS (want); i++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, i);
        if (strcmp (r->header, want[i].header) != 0 || r->position != want[i].position)
            fail_msg ("row %zu: got %s #%u", i, r->header, r->position);
    }
}

/* ---- DKIM-Signature ---- */

static const struct {
    const char *label, *value;
    const char *d, *s, *a, *i; /* d NULL: no signature */
} dkim_rows[] = {
    { "gmail/is-not-bounce-02-folded",
      "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=20161025; "
      "h=from:content-transfer-encoding:mime-version:subject:message-id:date :to; "
      "bh=RarS/pY26SoZ9t7u+csjkoR6wz1tPUsfs26574w9WmY=; b=RJNz7oaYizzixehKFhR+GdHUVUQWzvfo/yLl6j "
      "RPwMtmUlvpfqwCotAUSsaxWKJPG2",
      "example.com", "20161025", "rsa-sha256", NULL },
    { "amazonses/q-and-t-first",
      "v=1; a=rsa-sha256; q=dns/txt; c=relaxed/simple; s=gdwg2y3kokkkj5a55z2ilkup5wp5hhxx; "
      "d=amazonses.com; t=1480038541; h=Date:From:To; bh=DMFg=; b=b4kl wNNo",
      "amazonses.com", "gdwg2y3kokkkj5a55z2ilkup5wp5hhxx", "rsa-sha256", NULL },
    { "brief-identity-and-spaces",
      " v=1 ; a = ed25519-sha256 ; d = example.org ; s = ed1 ; i = @mail.example.org ; b = x y z",
      "example.org", "ed1", "ed25519-sha256", "@mail.example.org" },
    { "brief-duplicate-tag-first-wins", "d=first.example; d=second.example; s=a", "first.example",
      "a", NULL, NULL },
    { "no-d-no-signature", "v=1; a=rsa-sha256; s=sel; b=x", NULL, NULL, NULL, NULL },
    { "tags-without-values", "d; s=; =x; ;;", NULL, NULL, NULL, NULL },
};

static void
test_dkim_signatures (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (dkim_rows); i++) {
        const char *fields[] = { "DKIM-Signature", dkim_rows[i].value };
        g_autoptr (MdAnalysis) a = analysis_with (fields, 2);
        md_authres_extract (a, NULL);
        guint want_n = dkim_rows[i].d != NULL ? 1 : 0;
        if (a->dkim_signatures->len != want_n || a->auth->len != 0)
            fail_msg ("row %s: got %u signatures", dkim_rows[i].label, a->dkim_signatures->len);
        if (want_n == 0)
            continue;
        const MdDkimSignature *sig = g_ptr_array_index (a->dkim_signatures, 0);
        if (g_strcmp0 (sig->domain, dkim_rows[i].d) != 0 ||
            g_strcmp0 (sig->selector, dkim_rows[i].s) != 0 ||
            g_strcmp0 (sig->algorithm, dkim_rows[i].a) != 0 ||
            g_strcmp0 (sig->identity, dkim_rows[i].i) != 0)
            fail_msg ("row %s: got d=%s s=%s a=%s i=%s", dkim_rows[i].label, sig->domain,
                      sig->selector, sig->algorithm, sig->identity);
    }
}

/* ---- hostile input: linear time, bounded output, no recursion ---- */

static gint64
extract_one (const char *name, const char *value, guint *n_results)
{
    const char *fields[] = { name, value };
    g_autoptr (MdAnalysis) a = analysis_with (fields, 2);
    gint64 start = g_get_monotonic_time ();
    md_authres_extract (a, NULL);
    gint64 took = g_get_monotonic_time () - start;
    *n_results = a->auth->len;
    for (guint i = 0; i < a->auth->len; i++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, i);
        assert_true (r->comment == NULL || strlen (r->comment) <= 998);
        assert_true (r->props->len <= 32);
        assert_true (g_utf8_validate (r->method, -1, NULL));
    }
    return took;
}

#define HOSTILE_BYTES (1024 * 1024)
#define HOSTILE_MAX_US                                                                             \
    (2 * G_USEC_PER_SEC) /* linear work on 1 MB is milliseconds, even under ASan */

static void
test_hostile (void **state)
{
    (void) state;
    guint n;
    g_autoptr (GString) v = g_string_new ("mx.example.org");
    for (int i = 0; i < 10000; i++)
        g_string_append (v, "; spf=pass smtp.mailfrom=a@example.org");
    assert_true (extract_one ("Authentication-Results", v->str, &n) < HOSTILE_MAX_US);
    assert_int_equal (n, 256); /* MD_AUTHRES_MAX_RESULTS, with a warning */

    g_autofree char *open = g_malloc (HOSTILE_BYTES + 1);
    memset (open, '(', HOSTILE_BYTES);
    open[HOSTILE_BYTES] = '\0';
    memcpy (open, "x; spf=pass ", 12);
    assert_true (extract_one ("Authentication-Results", open, &n) < HOSTILE_MAX_US);
    assert_int_equal (n, 1);

    g_autofree char *quote = g_strnfill (HOSTILE_BYTES, 'a');
    memcpy (quote, "x; dkim=fail reason=\"", 21);
    assert_true (extract_one ("Authentication-Results", quote, &n) < HOSTILE_MAX_US);
    assert_int_equal (n, 1);

    g_autoptr (GString) props = g_string_new ("x; dkim=pass");
    while (props->len < HOSTILE_BYTES)
        g_string_append (props, " header.d=example.org");
    assert_true (extract_one ("Authentication-Results", props->str, &n) < HOSTILE_MAX_US);
    assert_int_equal (n, 1);

    g_autofree char *spaces = g_strnfill (HOSTILE_BYTES, ' ');
    assert_true (extract_one ("Received-SPF", spaces, &n) < HOSTILE_MAX_US);
    assert_int_equal (n, 0);
    g_autofree char *semis = g_strnfill (HOSTILE_BYTES, ';');
    assert_true (extract_one ("ARC-Authentication-Results", semis, &n) < HOSTILE_MAX_US);
    assert_true (extract_one ("ARC-Seal", semis, &n) < HOSTILE_MAX_US);
    g_autofree char *eq = g_strnfill (HOSTILE_BYTES, '=');
    assert_true (extract_one ("DKIM-Signature", eq, &n) < HOSTILE_MAX_US);
    assert_true (extract_one ("Authentication-Results", eq, &n) < HOSTILE_MAX_US);

    /* 8-bit junk comes out valid UTF-8 */
    assert_true (extract_one ("Authentication-Results", "x; sp\xff=pa\xc3ss (\xfe) h.d=\x80", &n) <
                 HOSTILE_MAX_US);
}

static void
test_limit_warns (void **state)
{
    (void) state;
    g_autoptr (GString) v = g_string_new ("mx.example.org");
    for (int i = 0; i < 300; i++)
        g_string_append (v, "; dkim=pass");
    const char *fields[] = { "Authentication-Results", v->str };
    g_autoptr (MdAnalysis) a = analysis_with (fields, 2);
    md_authres_extract (a, NULL);
    gboolean warned = FALSE;
    for (guint i = 0; i < a->input.warnings->len; i++) {
        const MdWarning *w = g_ptr_array_index (a->input.warnings, i);
        warned = warned || strcmp (w->code, "auth-limit") == 0;
    }
    assert_true (warned);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rows),
        cmocka_unit_test (test_trust),
        cmocka_unit_test (test_empty_ids_guess),
        cmocka_unit_test (test_positions),
        cmocka_unit_test (test_dkim_signatures),
        cmocka_unit_test (test_hostile),
        cmocka_unit_test (test_limit_warns),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
