/* rules-private.h - the rule set's insides, shared by rules.c (loading, validation) and
 * rules-run.c (running, findings). Nothing outside those two files includes it. */
#pragma once

#include "match.h"
#include "rules.h"

typedef struct {
    char *id;   /* the group name: the stable rule id */
    char *file; /* where it was defined, for messages */
    guint line;
    MdStage stage;
    MdScope scope;
    char *title;  /* may hold {placeholders} */
    char *advice; /* the variant for the current locale; may hold {placeholders} */
    char *category, *reason, *ref;
    MdSeverity severity;
    int hard; /* classify: -1 unset (DESIGN §5 default) */
    int priority;
    gboolean stop, override, disabled;
    /* extract rules (rules/README.md "Bounce extraction and classification") */
    char *format;          /* bounce->format when this rule extracts, or NULL */
    MdPattern *recipients; /* every match over human-text is a recipient; has (?<recipient>) */
    MdPattern *shared;     /* its first match fills what each recipient lacks */
    int set_kind;          /* MdKind the rule sets, or -1 */
    char *action;          /* action of the recipients it creates: "failed" unless set */
    gboolean merge;        /* create recipients even when the bounce has some */
    char *recipients_in;   /* header whose values the recipients pattern reads instead of the
                            * human text ("X-Failed-Recipients"), or NULL */
    /* spam-verdict extract rules (rules/README.md "Spam-filter verdicts") */
    char *spam_filter;      /* MdSpamVerdict.filter; NULL: not a verdict rule */
    char *spam_verdict;     /* a fixed "spam" or "ham" (key verdict), or NULL */
    MdPattern *spam_if;     /* the (?<verdict>) text that reads as spam, or NULL */
    MdPattern *ham_if;      /* … as ham, or NULL */
    MdPattern *details;     /* every match over the header value adds a detail, or NULL */
    MdPattern *tests_split; /* separator of the (?<tests>) text, or NULL: commas, white space */
    int groups_cond;        /* the header condition whose named groups fill the verdict */
    MdCond *conds; /* file order: conds[0] is the evidence of a finding without --explain */
    guint n_conds;
    guint *order;       /* evaluation order: cheapest selector first */
    gboolean indexable; /* every selector has a getter: otherwise the rule can never match */
    guint seq;          /* load sequence: ties of priority keep file order */
} MdRule;

struct MdRuleSet {
    GPtrArray *rules;  /* MdRule *, owned; an overridden rule is replaced */
    GHashTable *by_id; /* id → MdRule * (in rules) */
    GPtrArray
        *index[MD_STAGE_DIAGNOSE + 1][MD_SCOPE_COUNT]; /* enabled, indexable; priority order */
    guint n_files;
    guint max_pairs; /* ovector pairs the largest pattern needs */
    guint seq;
    pcre2_match_context *context; /* limits; read-only while matching, so shared by runs */
};

/* The named groups of a spam-verdict rule's header condition (rules.c); a group whose name starts
 * with an upper-case letter is a detail of that name instead. */
typedef enum {
    MD_SPAM_GROUP_VERDICT,
    MD_SPAM_GROUP_SCORE,
    MD_SPAM_GROUP_THRESHOLD,
    MD_SPAM_GROUP_TESTS,
} MdSpamGroup;
#define MD_SPAM_GROUP_COUNT 4
extern const char *const md_rules_spam_groups[MD_SPAM_GROUP_COUNT];

/* The named groups an extraction pattern fills, in recipient field order (rules.c). */
typedef enum {
    MD_GROUP_RECIPIENT,
    MD_GROUP_STATUS,
    MD_GROUP_REPLY,
    MD_GROUP_DIAGNOSTIC,
    MD_GROUP_REMOTE_MTA,
    MD_GROUP_SMTP_COMMAND,
    MD_GROUP_ACTION,
} MdGroup;
#define MD_GROUP_COUNT 7
extern const char *const md_rules_groups[MD_GROUP_COUNT];
/* The action vocabulary of DESIGN §3 (rules.c). */
#define MD_ACTION_COUNT 5
extern const char *const md_rules_actions[MD_ACTION_COUNT];

/* md_rules_check_template - TRUE when every {placeholder} of @text is known; else FALSE with
 * *message set (transfer full). "{{" and "}}" are literal braces. (rules-run.c) */
gboolean md_rules_check_template (const char *text, char **message);
