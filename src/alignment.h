/* alignment.h - DMARC identifier alignment (RFC 7489 §3.1) of the From domain with the domains
 * that trusted SPF and DKIM results authenticated (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_alignment_compute - fills analysis->alignment from message.from and the trusted results in
 * analysis->auth (run after authres). Alignment there is relaxed; the strict verdicts are derived
 * on demand by md_alignment_spf_strict and md_alignment_dkim_strict (MdAlignment is public and
 * additive-only, and the JSON prints relaxed). computed is TRUE when there is a From domain and
 * at least one trusted result; otherwise the block prints as null. */
void md_alignment_compute (MdAnalysis *analysis);

/* md_alignment_org_domain - the Organizational Domain (RFC 7489 §3.2) of @domain (a domain or an
 * address; lower-cased, trailing dot dropped) in @org (transfer full); a public suffix is its own
 * organizational domain. FALSE, @org untouched, when @domain is not a domain. */
gboolean md_alignment_org_domain (const char *domain, char **org);

/* md_alignment_domains_aligned - whether domains (or addresses) @a and @b align: strict = equal
 * after lower-casing, relaxed = the same Organizational Domain. FALSE if either is no domain. */
gboolean md_alignment_domains_aligned (const char *a, const char *b, gboolean strict);

/* md_alignment_spf_strict - strict SPF alignment (spf_domain equals from_domain) of a computed
 * @alignment: -1 where spf_aligned is -1, else 0 or 1. A 1 in spf_aligned with 0 here is
 * "aligned relaxed but not strict" (a policy with aspf=s fails). */
int md_alignment_spf_strict (const MdAlignment *alignment);

/* md_alignment_dkim_strict - strict DKIM alignment (some dkim_domains entry equals from_domain):
 * -1 where dkim_aligned is -1, else 0 or 1 (adkim=s). */
int md_alignment_dkim_strict (const MdAlignment *alignment);
