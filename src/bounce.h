/* bounce.h - completes the bounce the DSN/ARF parsers and the extraction rules found (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_bounce_finish - for each recipient: status and reply code from the diagnostic text where the
 * report gave none (status_source "diagnostic"), the IANA status title, the SMTP command; the ARF
 * recipient from the returned message; the analysis kind. Takes @original (transfer full) as the
 * bounce's returned message, or frees it when the message is no bounce. */
void md_bounce_finish (MdAnalysis *analysis, MdAnalysis *original);
