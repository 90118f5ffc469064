/* authres.h - authentication headers → analysis->auth and analysis->dkim_signatures, and which of
 * them the receiving side wrote (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_authres_extract - walks analysis->headers (top first) and appends one MdAuthResult per method
 * result of each Authentication-Results, X-MS-Exchange-Authentication-Results,
 * ARC-Authentication-Results, X-Original-Authentication-Results, Authentication-Results-Original,
 * Received-SPF and ARC-Seal field, and one MdDkimSignature per DKIM-Signature field; then marks
 * each result trusted or not. @trusted_ids (NULL-terminated; NULL or empty = guess) are the
 * receiver's authserv-ids, compared ASCII case-insensitively.
 *
 * Trust rule. The anchor is the topmost Authentication-Results or
 * X-MS-Exchange-Authentication-Results field whose authserv-id is trusted; without @trusted_ids
 * that is simply the topmost such field, and its authserv-id (NULL for Microsoft 365) is trusted.
 * The receiver's block is every field above the first Received field below the anchor (Gmail
 * writes its A-R below its own Received, Postfix milters above it: both are inside). With no
 * anchor the block ends at the first Received field when guessing, and is empty when ids were
 * given. A result is trusted only inside the block, and then:
 *   Authentication-Results, X-MS-Exchange-…: its authserv-id is trusted, or it has none;
 *   ARC-Authentication-Results: its authserv-id is trusted (upstream results are not);
 *   Received-SPF: always (it has no authserv-id; the block is the receiver's);
 *   ARC-Seal: the ARC-Authentication-Results of the same instance is trusted;
 *   X-Original-Authentication-Results, Authentication-Results-Original: never.
 * When guessing, the ids of all A-R fields in the block are trusted, not only the anchor's:
 * one hop may write several (iCloud's bimi.… beside mx.…), and nobody upstream can write there. */
void md_authres_extract (MdAnalysis *analysis, const char *const *trusted_ids);
