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

/* MdRuleTrace - told the id of each rule that matched during md_rules_run_traced */
typedef void (*MdRuleTrace) (const char *id, gpointer data);
/* md_rules_run_traced - md_rules_run that calls @trace (when not NULL) for every rule that
 * matches: an extract rule whose conditions hold (and whose recipients pattern, if it applies,
 * named someone), the classify rule that decided a recipient, a diagnose rule per finding. For
 * tests (tests/unit/test-rule-cases.c): extraction leaves no other trace of which rule read
 * the text. */
void md_rules_run_traced (const MdRuleSet *set, MdStage stage, MdAnalysis *analysis,
                          gboolean explain, MdRuleTrace trace, gpointer data);

/* md_rules_extract_spam - runs only the spam-verdict extract rules (spam-filter) over @analysis:
 * for a returned message, and for tests of diagnose rules that read verdicts. The extract stage
 * of md_rules_run runs them too, before the bounce rules; a bounce rule's stop does not end them.
 */
void md_rules_extract_spam (const MdRuleSet *set, MdAnalysis *analysis);

/* MdRuleInfo - one enabled rule, as md_rules_foreach shows it */
typedef struct {
    const char *id;
    MdStage stage;
    const char *format;      /* the bounce.format an extract rule sets, or NULL */
    const char *spam_filter; /* the filter of a spam-verdict extract rule, or NULL */
} MdRuleInfo;
/* md_rules_foreach - calls @fn for every enabled rule of @set, in load order (tests check that
 * each has cases) */
void md_rules_foreach (const MdRuleSet *set, void (*fn) (const MdRuleInfo *info, gpointer data),
                       gpointer data);

/* md_rules_summary - appends "N rules in M files" to @out (enabled rules; files loaded), for
 * --check-rules */
void md_rules_summary (const MdRuleSet *set, GString *out);

/* md_rules_count_files - how many rule files were loaded into @set */
guint md_rules_count_files (const MdRuleSet *set);
