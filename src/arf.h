/* arf.h - RFC 5965 message/feedback-report bodies (abuse reports, feedback loops) → the
 * analysis' bounce (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_arf_parse - reads a feedback report into the analysis' bounce (format "arf"): one recipient
 * per Original-Rcpt-To, or one with no address, each with the Feedback-Type and reason
 * "feedback". Returns FALSE, leaving the analysis as it was but for warnings, without a
 * Feedback-Type field. */
gboolean md_arf_parse (MdAnalysis *analysis, const char *text, gsize len);
