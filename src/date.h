/* date.h - RFC 5322 dates as real mail writes them → MdDate (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_date_parse - normalises @text (fractional seconds, missing day name, named and odd zones,
 * two-digit years, stray comments) and decodes it with GMime. Fills @out (raw is left to the
 * caller); returns out->valid. A missing, unknown or impossible zone gives zone_known = FALSE,
 * never a silent UTC. */
gboolean md_date_parse (const char *text, gsize len, MdDate *out);
