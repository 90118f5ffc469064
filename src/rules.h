/* rules.h - the rules engine (DESIGN §4): load and validate rule files, run them over the model
 * (private). pattern.c wraps PCRE2, match.c evaluates selectors against the model. */
#pragma once
#include <maildiag/maildiag.h>

/* Recipients one bounce may hold after extraction: real bounces list a few, a mailing-list
 * bounce some hundreds; a hostile text repeating addresses must not grow the model without
 * bound. Reaching it stops the extract rule with a "recipient-limit" warning naming it. */
#define MD_MAX_RECIPIENTS 10000

/* md_rules_run - runs every enabled rule of @stage over @analysis: extract rules add bounce
 * recipients, format and kind; classify rules set each recipient's reason, hard and rule;
 * diagnose rules append MdFinding to analysis->findings. With @explain, each finding keeps the
 * evidence of every condition, not only the first, and each classified recipient gets an info
 * finding naming the classify rule that decided. */
void md_rules_run (const MdRuleSet *set, MdStage stage, MdAnalysis *analysis, gboolean explain);

/* md_rules_summary - appends "N rules in M files" to @out (enabled rules; files loaded), for
 * --check-rules */
void md_rules_summary (const MdRuleSet *set, GString *out);

/* md_rules_count_files - how many rule files were loaded into @set */
guint md_rules_count_files (const MdRuleSet *set);
