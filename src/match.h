/* match.h - selectors and conditions (private): which model field a rule key names, and whether a
 * condition holds for a subject (the message, one hop, one recipient). Used by rules.c only. */
#pragma once

#include <maildiag/analysis.h>

#include "pattern.h"

/* What a rule runs once for (DESIGN §4 "scope"). */
typedef enum {
    MD_SCOPE_MESSAGE,
    MD_SCOPE_RECIPIENT,
    MD_SCOPE_HOP,
    MD_SCOPE_SPAM, /* one spam-filter verdict (analysis->spam) */
} MdScope;
#define MD_SCOPE_COUNT 4

typedef enum {
    MD_VALUE_STRING,   /* matched by a PCRE2 pattern */
    MD_VALUE_NUMBER,   /* compared: "OP NUMBER" */
    MD_VALUE_DURATION, /* compared: "OP NUMBER[s|m|h|d]", in seconds */
} MdValueType;

/* One value of a selector. text is valid until the next getter call (it may live in the run's
 * scratch buffer). */
typedef struct {
    const char *text; /* string selectors; also NULL for numbers */
    gsize len;
    double number;                /* number and duration selectors */
    const MdHop *hop;             /* the hop the value belongs to, or NULL */
    const char *header;           /* the header field name as written in the message, or NULL */
    const MdRecipient *recipient; /* the bounce recipient the value belongs to, or NULL */
    const MdSpamVerdict *spam;    /* the spam verdict the value belongs to, or NULL */
} MdValue;

/* A selector's getter yields the values of the field one at a time: *cursor starts at 0 and is the
 * getter's own; FALSE when there is no (further) value. @item is the hop (hop selectors) or the
 * recipient (recipient selectors), NULL for message selectors; @arg is what follows a prefix
 * ("X-Greylist" of "header:X-Greylist"); @buf is scratch for values that must be built. */
typedef gboolean (*MdSelectorGet) (const MdAnalysis *analysis, gconstpointer item, const char *arg,
                                   guint *cursor, GString *buf, MdValue *out);

typedef struct {
    const char *name; /* "hop.delay"; for a prefix selector its prefix: "header:", "auth." */
    gboolean prefix;  /* name is a prefix followed by an argument */
    MdValueType type;
    MdScope scope;     /* the model item the field belongs to */
    guint cost;        /* evaluation order inside a rule: numbers 0 … long texts 4 */
    MdSelectorGet get; /* NULL: the model has no such field yet; a condition on it never holds
                          and its rule is not even indexed */
} MdSelector;

/* md_selector_lookup - the selector named by rule key @key (transfer none), or NULL; for a prefix
 * selector *arg points into @key after the prefix (may be empty: the caller rejects that). */
const MdSelector *md_selector_lookup (const char *key, const char **arg);

typedef enum {
    MD_OP_LT,
    MD_OP_LE,
    MD_OP_GT,
    MD_OP_GE,
    MD_OP_EQ,
    MD_OP_NE,
} MdOp;

typedef struct {
    MdOp op;
    double number;
} MdComparison;

/* "hop.delay = >= 5m, < 30m": a range needs two; four leave room and bound the parser. */
#define MD_COND_MAX_COMPARISONS 4

typedef struct {
    char *key; /* as written: "header:X-Greylist", the evidence field */
    const MdSelector *selector;
    char *arg;          /* prefix argument or NULL */
    MdPattern *pattern; /* string selectors */
    MdComparison cmp[MD_COND_MAX_COMPARISONS];
    guint n_cmp;
} MdCond;

/* md_cond_clear - frees what @cond owns */
void md_cond_clear (MdCond *cond);

/* md_op_to_string - "<", "<=", … */
const char *md_op_to_string (MdOp op);

/* md_cond_parse_numeric - parses "OP NUMBER[unit]" (comma-separated, all must hold) into @cond;
 * units s m h d only for durations. FALSE with a message in *message (transfer full) naming the
 * problem. */
gboolean md_cond_parse_numeric (MdCond *cond, const char *text, char **message);

typedef struct {
    MdScope scope; /* MESSAGE: no item pinned */
    guint index;   /* array index into analysis->hops (HOP), bounce->recipients (RECIPIENT) or
                    * analysis->spam (SPAM) */
} MdSubject;

/* Per-run scratch: one match data for every pattern of the set, one string buffer. Not shared
 * between threads; the rules engine makes one per md_rules_run. */
typedef struct {
    const MdAnalysis *analysis;
    pcre2_match_data *data;
    guint data_pairs; /* allocate @data of this size on first use */
    pcre2_match_context *context;
    GString *buf;
    gboolean limit_hit; /* set when a pattern gave up; the caller warns and clears it */
} MdMatchRun;

typedef struct {
    MdValue value;
    gsize start, end; /* the match inside value.text (string selectors) */
} MdCondHit;

/* md_cond_eval - TRUE when some value of @cond's field for @subject satisfies it; @hit (may be
 * NULL) receives that value. A hop field in a rule whose subject is not a hop means "any hop"
 * (likewise a recipient field in a rule whose subject is not a recipient: "any recipient", and a
 * spam field outside a spam-scope rule: "any verdict"). A
 * pattern that hits a limit counts as no match and sets run->limit_hit. */
gboolean md_cond_eval (const MdCond *cond, const MdSubject *subject, MdMatchRun *run,
                       MdCondHit *hit);
