/* received.h - Received fields → MdHop, and the chain's order, delays and totals (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_received_parse - parses one unfolded Received field body of @len bytes into @hop; strings are
 * interned in @analysis. Sets hop->parse_ok; never fails. index/position/delay are left alone. */
void md_received_parse (MdAnalysis *analysis, const char *text, gsize len, MdHop *hop);

/* md_received_build_chain - parses @fields (const char *, unfolded bodies, topmost first) into
 * analysis->hops oldest first, computes delay_s against the previous dated hop and
 * analysis->delivery (totals, slowest hop, clock skew). */
void md_received_build_chain (MdAnalysis *analysis, GPtrArray *fields);
