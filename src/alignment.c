/* alignment.c - DMARC identifier alignment: the From domain against the SPF-authenticated domain
 * and the d= of passing DKIM results, relaxed (same Organizational Domain) and strict (equal).
 * Reads only results the receiving side added (trusted); it judges nothing (that is the rules').
 * Follows RFC 7489 §3.1 (alignment), §3.2 (Organizational Domain via the Public Suffix List). */
#include <string.h>
#include <libpsl.h>

#include "alignment.h"

/* RFC 1035 §2.3.4 caps a name at 255 octets; a longer value is damage, not a domain, and is not
 * worth a public-suffix lookup. */
#define MD_ALIGNMENT_MAX_DOMAIN 255

/* The list is loaded once per process and shared read-only by every thread (psl_registrable_domain
 * only reads it). psl_latest (NULL) takes the newer of libpsl's built-in list and the system's
 * (Debian: /usr/share/publicsuffix, updated by the publicsuffix package without relinking us),
 * so a new suffix reaches us with apt, not a rebuild; the built-in list is the fallback when no
 * file loads. It is never freed: it lives as long as the process, like a static table. */
static gpointer
load_psl (gpointer data)
{
    (void) data;
    const psl_ctx_t *psl = psl_latest (NULL);
    if (psl == NULL)
        psl = psl_builtin ();
    return (gpointer) psl;
}

static const psl_ctx_t *
get_psl (void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once (&once, load_psl, NULL);
}

/* The domain of @text: an address ("Bounce@Bounces.Example", "<a@b.example>") or a bare domain
 * when !@need_at (smtp.mailfrom may be either, RFC 8601 §2.7.2). Lower-cased (IDNs stay UTF-8,
 * compared lower-case), one trailing dot dropped. NULL for the null path "<>", an address literal,
 * an empty label or anything with characters no domain has. (transfer full) */
static char *
domain_dup (const char *text, gboolean need_at)
{
    if (text == NULL)
        return NULL;
    const char *start = text, *end = text + strlen (text);
    while (start < end && g_ascii_isspace (*start))
        start++;
    while (end > start && g_ascii_isspace (end[-1]))
        end--;
    if (start < end && *start == '<' && end[-1] == '>') {
        start++;
        end--;
    }
    const char *at = NULL;
    for (const char *p = start; p < end; p++)
        if (*p == '@')
            at = p;
    if (at != NULL)
        start = at + 1;
    else if (need_at)
        return NULL;
    if (end > start && end[-1] == '.')
        end--;
    gsize len = (gsize) (end - start);
    if (len == 0 || len > MD_ALIGNMENT_MAX_DOMAIN || *start == '.' ||
        !g_utf8_validate (start, (gssize) len, NULL))
        return NULL;
    for (const char *p = start; p < end; p++) {
        /* "[192.0.2.1]" is an address literal: DMARC has no Organizational Domain for it. */
        if ((guchar) *p <= ' ' || strchr ("<>@()[],;:\"\\/", *p) != NULL ||
            (*p == '.' && p + 1 < end && p[1] == '.'))
            return NULL;
    }
    return g_utf8_strdown (start, (gssize) len);
}

/* The Organizational Domain of normalised @domain: a pointer into it (transfer none). A public
 * suffix ("co.uk") has no registrable domain and is its own. Without any list (libpsl built
 * without data and no file), the last two labels: wrong for co.uk, right for most mail. */
static const char *
org_of (const char *domain)
{
    const psl_ctx_t *psl = get_psl ();
    if (psl == NULL) {
        const char *last = strrchr (domain, '.');
        if (last == NULL)
            return domain;
        for (const char *p = last - 1; p >= domain; p--)
            if (*p == '.')
                return p + 1;
        return domain;
    }
    const char *org = psl_registrable_domain (psl, domain);
    return org != NULL ? org : domain;
}

static gboolean
relaxed_aligned (const char *a, const char *b)
{
    return strcmp (org_of (a), org_of (b)) == 0;
}

static const char *
prop_get (const MdAuthResult *r, const char *name)
{
    for (guint i = 0; i < r->props->len; i++) {
        const MdPair *pair = g_ptr_array_index (r->props, i);
        if (pair->name != NULL && g_ascii_strcasecmp (pair->name, name) == 0)
            return pair->value;
    }
    return NULL;
}

static gboolean
is_pass (const MdAuthResult *r, const char *method)
{
    return r->trusted && r->method != NULL && r->result != NULL &&
           g_ascii_strcasecmp (r->method, method) == 0 &&
           g_ascii_strcasecmp (r->result, "pass") == 0;
}

/* The domain SPF authenticated. Authentication-Results: smtp.mailfrom, or smtp.helo when the
 * path was null (RFC 7489 §3.1.2 uses HELO then). Received-SPF (RFC 7208 §9.1): identity=helo
 * names the HELO check; otherwise envelope-from, then helo. (transfer full) */
static char *
spf_domain_dup (const MdAuthResult *r)
{
    char *domain = NULL;
    if (r->header != NULL && g_ascii_strcasecmp (r->header, "Received-SPF") == 0) {
        const char *identity = prop_get (r, "identity");
        if (identity == NULL || g_ascii_strcasecmp (identity, "helo") != 0)
            domain = domain_dup (prop_get (r, "envelope-from"), FALSE);
        if (domain == NULL)
            domain = domain_dup (prop_get (r, "helo"), FALSE);
        return domain;
    }
    domain = domain_dup (prop_get (r, "smtp.mailfrom"), FALSE);
    if (domain == NULL)
        domain = domain_dup (prop_get (r, "smtp.helo"), FALSE);
    return domain;
}

/* d= of a passing DKIM result; older verifiers write only header.i (the AUID, RFC 6376 §3.5),
 * whose domain is d= or a subdomain of it. (transfer full) */
static char *
dkim_domain_dup (const MdAuthResult *r)
{
    char *domain = domain_dup (prop_get (r, "header.d"), FALSE);
    if (domain == NULL)
        domain = domain_dup (prop_get (r, "header.i"), FALSE);
    return domain;
}

static char *
from_domain_dup (const MdAnalysis *a)
{
    if (a->message.from->len == 0)
        return NULL;
    const MdAddress *from = g_ptr_array_index (a->message.from, 0);
    return domain_dup (from->address, TRUE);
}

gboolean
md_alignment_org_domain (const char *domain, char **org)
{
    g_return_val_if_fail (org != NULL, FALSE);
    g_autofree char *norm = domain_dup (domain, FALSE);
    if (norm == NULL)
        return FALSE;
    *org = g_strdup (org_of (norm));
    return TRUE;
}

gboolean
md_alignment_domains_aligned (const char *a, const char *b, gboolean strict)
{
    g_autofree char *na = domain_dup (a, FALSE);
    g_autofree char *nb = domain_dup (b, FALSE);
    if (na == NULL || nb == NULL)
        return FALSE;
    return strict ? strcmp (na, nb) == 0 : relaxed_aligned (na, nb);
}

int
md_alignment_spf_strict (const MdAlignment *al)
{
    g_return_val_if_fail (al != NULL, -1);
    if (al->spf_aligned < 0 || al->from_domain == NULL || al->spf_domain == NULL)
        return -1;
    return strcmp (al->from_domain, al->spf_domain) == 0;
}

int
md_alignment_dkim_strict (const MdAlignment *al)
{
    g_return_val_if_fail (al != NULL, -1);
    if (al->dkim_aligned < 0 || al->from_domain == NULL)
        return -1;
    for (guint i = 0; i < al->dkim_domains->len; i++)
        if (strcmp (al->from_domain, g_ptr_array_index (al->dkim_domains, i)) == 0)
            return 1;
    return 0;
}

void
md_alignment_compute (MdAnalysis *a)
{
    g_return_if_fail (a != NULL);
    MdAlignment *al = &a->alignment;
    /* Idempotent: a second run starts from nothing. */
    al->from_domain = al->from_org_domain = al->spf_domain = NULL;
    al->spf_aligned = al->dkim_aligned = -1;
    al->computed = FALSE;
    g_ptr_array_set_size (al->dkim_domains, 0);

    g_autofree char *from = from_domain_dup (a);
    if (from != NULL) {
        al->from_domain = md_analysis_intern (a, from, -1);
        al->from_org_domain = md_analysis_intern (a, org_of (from), -1);
    }

    /* Untrusted results were written by whoever sent the mail: they must not look aligned. */
    gboolean any_trusted = FALSE;
    for (guint i = 0; i < a->auth->len; i++) {
        const MdAuthResult *r = g_ptr_array_index (a->auth, i);
        if (!r->trusted)
            continue;
        any_trusted = TRUE;
        if (al->spf_domain == NULL && is_pass (r, "spf")) {
            g_autofree char *spf = spf_domain_dup (r);
            if (spf != NULL)
                al->spf_domain = md_analysis_intern (a, spf, -1);
        } else if (is_pass (r, "dkim")) {
            g_autofree char *d = dkim_domain_dup (r);
            gboolean seen = d == NULL;
            for (guint j = 0; !seen && j < al->dkim_domains->len; j++)
                seen = strcmp (d, g_ptr_array_index (al->dkim_domains, j)) == 0;
            if (!seen)
                g_ptr_array_add (al->dkim_domains, (gpointer) md_analysis_intern (a, d, -1));
        }
    }
    if (from == NULL)
        return;
    if (al->spf_domain != NULL)
        al->spf_aligned = relaxed_aligned (from, al->spf_domain);
    if (al->dkim_domains->len > 0) {
        al->dkim_aligned = 0;
        for (guint j = 0; j < al->dkim_domains->len && al->dkim_aligned == 0; j++)
            al->dkim_aligned = relaxed_aligned (from, g_ptr_array_index (al->dkim_domains, j));
    }
    al->computed = any_trusted;
}
