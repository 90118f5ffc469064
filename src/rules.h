/* rules.h - the rules engine (DESIGN §4): load and validate rule files, run them over the model
 * (private). pattern.c wraps PCRE2, match.c evaluates selectors against the model. */
#pragma once
#include <maildiag/maildiag.h>

/* md_rules_run - runs every enabled rule of @stage over @analysis, appending MdFinding to
 * analysis->findings (diagnose) or filling the model (extract, classify: later issues). With
 * @explain, each finding keeps the evidence of every condition, not only the first. */
void md_rules_run (const MdRuleSet *set, MdStage stage, MdAnalysis *analysis, gboolean explain);

/* md_rules_summary - appends "N rules in M files" to @out (enabled rules; files loaded), for
 * --check-rules */
void md_rules_summary (const MdRuleSet *set, GString *out);

/* md_rules_count_files - how many rule files were loaded into @set */
guint md_rules_count_files (const MdRuleSet *set);
