/* test-alignment - DMARC identifier alignment (RFC 7489 §3.1): rows of a From address and
 * authentication results, each checked for every alignment field and the strict verdicts; the
 * Organizational Domain through the Public Suffix List (co.uk, a suffix as From), and input that
 * is no domain. The PSL rows use suffixes that have been in the list for decades. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "alignment.h"

#define MAX_RESULTS 4

typedef struct {
    const char *header; /* NULL: Authentication-Results */
    gboolean trusted;
    const char *method, *result;
    const char *props; /* "name=value;name=value" */
} Result;

/* want: "from=F org=O spf=D R/S dkim=D1,D2 R/S", R/S the relaxed and strict verdicts (1, 0 or
 * "-" for null), "-" for no domain; a leading "null " when computed is FALSE (printed as null). */
static const struct {
    const char *label;
    const char *from; /* the first From address; NULL: no From field */
    Result results[MAX_RESULTS];
    const char *want;
} rows[] = {
    { "esp-bounce-domain-not-aligned",
      "news@brand.example",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=bounce-123@bounces.esp.example" },
        { NULL, TRUE, "dkim", "pass", "header.d=esp.example;header.s=s1" } },
      "from=brand.example org=brand.example spf=bounces.esp.example 0/0 dkim=esp.example 0/0" },
    { "co-uk-subdomain-aligned-relaxed",
      "shop@example.co.uk",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=mail.example.co.uk" },
        { NULL, TRUE, "dkim", "pass", "header.d=example.co.uk" } },
      "from=example.co.uk org=example.co.uk spf=mail.example.co.uk 1/0 dkim=example.co.uk 1/1" },
    /* co.uk is a suffix: other.co.uk is someone else's domain, not example.co.uk's sibling */
    { "co-uk-other-registrant-not-aligned",
      "shop@example.co.uk",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=other.co.uk" } },
      "from=example.co.uk org=example.co.uk spf=other.co.uk 0/0 dkim=- -/-" },
    { "from-subdomain-com-aligned",
      "alerts@sub.example.com",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=example.com" },
        { NULL, TRUE, "dkim", "pass", "header.d=example.com" } },
      "from=sub.example.com org=example.com spf=example.com 1/0 dkim=example.com 1/0" },
    { "strict-exact-match",
      "a@example.com",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=b@example.com" },
        { NULL, TRUE, "dkim", "pass", "header.d=example.com" } },
      "from=example.com org=example.com spf=example.com 1/1 dkim=example.com 1/1" },
    { "look-alike-suffix-not-aligned",
      "ceo@example.com",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=x@example.com.evil.example" },
        { NULL, TRUE, "dkim", "pass", "header.d=example.com.evil.example" } },
      "from=example.com org=example.com spf=example.com.evil.example 0/0 "
      "dkim=example.com.evil.example 0/0" },
    { "uppercase-from-domain",
      "Alice@Mail.EXAMPLE.Com",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=Bounce@EXAMPLE.com" },
        { NULL, TRUE, "dkim", "pass", "header.d=Example.COM" } },
      "from=mail.example.com org=example.com spf=example.com 1/0 dkim=example.com 1/0" },
    { "idn-utf8-compared-lower-case",
      "info@BÜCHER.example",
      { { NULL, TRUE, "dkim", "pass", "header.d=bücher.example" } },
      "from=bücher.example org=bücher.example spf=- -/- dkim=bücher.example 1/1" },
    { "no-from",
      NULL,
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=example.com" },
        { NULL, TRUE, "dkim", "pass", "header.d=example.com" } },
      "null from=- org=- spf=example.com -/- dkim=example.com -/-" },
    { "from-without-domain",
      "root",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=example.com" } },
      "null from=- org=- spf=example.com -/- dkim=- -/-" },
    { "no-auth-results",
      "a@example.com",
      { { NULL } },
      "null from=example.com org=example.com spf=- -/- dkim=- -/-" },
    /* forged by the sender: nothing the receiver vouched for */
    { "untrusted-only-ignored",
      "a@example.com",
      { { NULL, FALSE, "spf", "pass", "smtp.mailfrom=example.com" },
        { NULL, FALSE, "dkim", "pass", "header.d=example.com" } },
      "null from=example.com org=example.com spf=- -/- dkim=- -/-" },
    { "untrusted-pass-beside-trusted-fail",
      "a@example.com",
      { { NULL, FALSE, "dkim", "pass", "header.d=example.com" },
        { NULL, TRUE, "dkim", "fail", "header.d=example.com" },
        { NULL, FALSE, "spf", "pass", "smtp.mailfrom=example.com" },
        { NULL, TRUE, "spf", "softfail", "smtp.mailfrom=example.com" } },
      "from=example.com org=example.com spf=- -/- dkim=- -/-" },
    { "multiple-dkim-one-aligned-unique-in-order",
      "a@shop.example.org",
      { { NULL, TRUE, "dkim", "pass", "header.d=esp.example" },
        { NULL, TRUE, "dkim", "pass", "header.d=example.org" },
        { NULL, TRUE, "dkim", "pass", "header.d=ESP.example" },
        { NULL, TRUE, "dkim", "fail", "header.d=shop.example.org" } },
      "from=shop.example.org org=example.org spf=- -/- dkim=esp.example,example.org 1/0" },
    { "spf-fail-ignored-then-pass-used",
      "a@example.net",
      { { NULL, TRUE, "spf", "fail", "smtp.mailfrom=example.net" },
        { NULL, TRUE, "spf", "pass", "smtp.mailfrom=relay.example" } },
      "from=example.net org=example.net spf=relay.example 0/0 dkim=- -/-" },
    { "spf-fail-only",
      "a@example.net",
      { { NULL, TRUE, "spf", "fail", "smtp.mailfrom=example.net" } },
      "from=example.net org=example.net spf=- -/- dkim=- -/-" },
    /* RFC 7489 §3.1.2: a bounce's MAIL FROM:<> is checked by HELO */
    { "spf-null-path-uses-helo",
      "mailer-daemon@mx.example.net",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=<>;smtp.helo=mx.example.net" } },
      "from=mx.example.net org=example.net spf=mx.example.net 1/1 dkim=- -/-" },
    { "received-spf-envelope-from",
      "a@example.org",
      { { "Received-SPF", TRUE, "spf", "pass",
          "client-ip=192.0.2.1;envelope-from=<b@lists.example.org>;helo=mx.other.example" } },
      "from=example.org org=example.org spf=lists.example.org 1/0 dkim=- -/-" },
    { "received-spf-identity-helo",
      "a@example.org",
      { { "Received-SPF", TRUE, "spf", "pass",
          "identity=helo;envelope-from=b@example.org;helo=mx.other.example" } },
      "from=example.org org=example.org spf=mx.other.example 0/0 dkim=- -/-" },
    { "received-spf-untrusted",
      "a@example.org",
      { { "Received-SPF", FALSE, "spf", "pass", "envelope-from=b@example.org" } },
      "null from=example.org org=example.org spf=- -/- dkim=- -/-" },
    { "dkim-header-i-when-no-d",
      "a@example.org",
      { { NULL, TRUE, "dkim", "pass", "header.i=@news.example.org" } },
      "from=example.org org=example.org spf=- -/- dkim=news.example.org 1/0" },
    /* psl edge: a suffix has no registrable domain, so it is its own organizational domain */
    { "from-public-suffix-is-own-org",
      "x@co.uk",
      { { NULL, TRUE, "spf", "pass", "smtp.mailfrom=example.co.uk" },
        { NULL, TRUE, "dkim", "pass", "header.d=co.uk" } },
      "from=co.uk org=co.uk spf=example.co.uk 0/0 dkim=co.uk 1/1" },
    { "only-other-methods-trusted",
      "a@example.com",
      { { NULL, TRUE, "dmarc", "pass", "header.from=example.com" } },
      "from=example.com org=example.com spf=- -/- dkim=- -/-" },
};

static MdAnalysis *
build (size_t i)
{
    MdAnalysis *a = md_analysis_new ();
    if (rows[i].from != NULL) {
        MdAddress *addr = g_new0 (MdAddress, 1);
        addr->address = md_analysis_intern (a, rows[i].from, -1);
        g_ptr_array_add (a->message.from, addr);
    }
    for (size_t k = 0; k < MAX_RESULTS && rows[i].results[k].method != NULL; k++) {
        const Result *want = &rows[i].results[k];
        MdAuthResult *r = md_analysis_add_auth (a);
        r->header = want->header != NULL ? want->header : "Authentication-Results";
        r->authserv_id = "mx.example.net";
        r->trusted = want->trusted;
        r->method = want->method;
        r->result = want->result;
        g_auto (GStrv) props = g_strsplit (want->props, ";", -1);
        for (char **p = props; *p != NULL; p++) {
            g_auto (GStrv) kv = g_strsplit (*p, "=", 2);
            md_pairs_add (a, r->props, kv[0], kv[1]);
        }
    }
    return a;
}

static const char *
tristate (int value)
{
    return value < 0 ? "-" : value ? "1" : "0";
}

static const char *
or_dash (const char *text)
{
    return text != NULL ? text : "-";
}

/* The row's want format, from the alignment and the strict verdicts derived from it. */
static char *
describe (const MdAlignment *al)
{
    g_autoptr (GString) dkim = g_string_new (NULL);
    for (guint i = 0; i < al->dkim_domains->len; i++)
        g_string_append_printf (dkim, "%s%s", i > 0 ? "," : "",
                                (const char *) g_ptr_array_index (al->dkim_domains, i));
    return g_strdup_printf ("%sfrom=%s org=%s spf=%s %s/%s dkim=%s %s/%s",
                            al->computed ? "" : "null ", or_dash (al->from_domain),
                            or_dash (al->from_org_domain), or_dash (al->spf_domain),
                            tristate (al->spf_aligned), tristate (md_alignment_spf_strict (al)),
                            dkim->len > 0 ? dkim->str : "-", tristate (al->dkim_aligned),
                            tristate (md_alignment_dkim_strict (al)));
}

static void
alignment_rows (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (rows); i++) {
        g_autoptr (MdAnalysis) a = build (i);
        md_alignment_compute (a);
        md_alignment_compute (a); /* idempotent */
        g_autofree char *got = describe (&a->alignment);
        if (strcmp (got, rows[i].want) != 0)
            fail_msg ("row %s: got %s", rows[i].label, got);
    }
}

static const struct {
    const char *label, *domain, *want; /* want NULL: not a domain */
} org_rows[] = {
    { "com", "mail.example.com", "example.com" },
    { "co-uk", "mail.example.co.uk", "example.co.uk" },
    { "co-uk-registrable", "example.co.uk", "example.co.uk" },
    { "suffix-is-own-org", "co.uk", "co.uk" },
    { "tld-is-own-org", "com", "com" },
    { "unlisted-tld-default-rule", "bounces.esp.example", "esp.example" },
    { "upper-case-and-trailing-dot", "Mail.Example.COM.", "example.com" },
    { "address", "Bounce+x@Lists.Example.org", "example.org" },
    { "angle-address", "<b@news.example.net>", "example.net" },
    { "empty", "", NULL },
    { "null-path", "<>", NULL },
    { "address-literal", "root@[192.0.2.1]", NULL },
    { "empty-label", "a..example.com", NULL },
    { "leading-dot", ".example.com", NULL },
    { "space-inside", "exa mple.com", NULL },
    { "invalid-utf8", "ex\xff.com", NULL },
};

static void
alignment_org_domain_via_psl (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (org_rows); i++) {
        g_autofree char *org = NULL;
        gboolean ok = md_alignment_org_domain (org_rows[i].domain, &org);
        if (ok != (org_rows[i].want != NULL) || g_strcmp0 (org, org_rows[i].want) != 0)
            fail_msg ("row %s: got %d %s", org_rows[i].label, ok, org);
    }
    g_autofree char *longest = g_strnfill (300, 'a');
    g_autofree char *org = NULL;
    assert_false (md_alignment_org_domain (longest, &org)); /* over RFC 1035's 255 octets */
    assert_null (org);
}

static const struct {
    const char *label, *a, *b;
    gboolean relaxed, strict;
} pair_rows[] = {
    { "same", "example.com", "example.com", TRUE, TRUE },
    { "sub-of-org", "sub.example.com", "example.com", TRUE, FALSE },
    { "siblings", "a.example.com", "b.example.com", TRUE, FALSE },
    { "case", "EXAMPLE.com", "example.COM", TRUE, TRUE },
    { "co-uk-siblings", "mail.example.co.uk", "example.co.uk", TRUE, FALSE },
    { "co-uk-neighbours", "example.co.uk", "other.co.uk", FALSE, FALSE },
    { "look-alike", "example.com", "example.com.evil.example", FALSE, FALSE },
    { "no-domain", "example.com", "", FALSE, FALSE },
};

static void
alignment_domains_relaxed_and_strict (void **state)
{
    (void) state;
    for (size_t i = 0; i < G_N_ELEMENTS (pair_rows); i++) {
        gboolean relaxed = md_alignment_domains_aligned (pair_rows[i].a, pair_rows[i].b, FALSE);
        gboolean strict = md_alignment_domains_aligned (pair_rows[i].a, pair_rows[i].b, TRUE);
        if (relaxed != pair_rows[i].relaxed || strict != pair_rows[i].strict)
            fail_msg ("row %s: got relaxed=%d strict=%d", pair_rows[i].label, relaxed, strict);
    }
}

/* The list is loaded once (g_once): lookups from many threads see the same answers. */
static gpointer
lookup_many (gpointer data)
{
    (void) data;
    for (int n = 0; n < 200; n++) {
        g_autofree char *org = NULL;
        if (!md_alignment_org_domain ("a.b.example.co.uk", &org) ||
            strcmp (org, "example.co.uk") != 0)
            return GINT_TO_POINTER (1);
    }
    return NULL;
}

static void
alignment_psl_loads_once_across_threads (void **state)
{
    (void) state;
    GThread *threads[8];
    for (size_t i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("psl", lookup_many, NULL);
    int failed = 0;
    for (size_t i = 0; i < G_N_ELEMENTS (threads); i++)
        failed += GPOINTER_TO_INT (g_thread_join (threads[i]));
    assert_int_equal (failed, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (alignment_psl_loads_once_across_threads),
        cmocka_unit_test (alignment_rows),
        cmocka_unit_test (alignment_org_domain_via_psl),
        cmocka_unit_test (alignment_domains_relaxed_and_strict),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
