/* findings.h - from findings and the model to the summary verdict (private). */
#pragma once
#include <maildiag/analysis.h>

/* md_findings_summarize - sets analysis->summary from its findings and delivery */
void md_findings_summarize (MdAnalysis *analysis);
