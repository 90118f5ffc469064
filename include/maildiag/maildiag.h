/* maildiag.h - public entry points of libmaildiag: analyse one message, load rules, format results.
 * The library never prints and never exits; src/cli/main.c does both. */
#pragma once

#include <glib.h>
#include <maildiag/analysis.h>

G_BEGIN_DECLS

#define MD_SCHEMA "maildiag/1"

#define MD_ERROR (md_error_quark ())
/* Append only: src/cli/main.c maps these codes to sysexits (DESIGN §7). */
typedef enum {
    MD_ERROR_NO_INPUT, /* a named file cannot be opened */
    MD_ERROR_READ,     /* reading failed midway */
    MD_ERROR_NOT_MAIL, /* no RFC 5322 header block at all: empty, binary */
    MD_ERROR_RULES,    /* invalid rule file; the message names file:line */
    MD_ERROR_TOO_BIG,  /* over --max-size */
    MD_ERROR_INTERNAL, /* a bug or resource failure */
} MdError;
MD_API GQuark md_error_quark (void);

/* The rule stages of DESIGN §4, run in this order. */
typedef enum {
    MD_STAGE_EXTRACT,
    MD_STAGE_CLASSIFY,
    MD_STAGE_DIAGNOSE,
} MdStage;

typedef struct MdRuleSet MdRuleSet;

/* md_rules_new - an empty rule set (transfer full) */
MD_API MdRuleSet *md_rules_new (void);
MD_API void md_rules_free (MdRuleSet *set);
/* md_rules_load_dir - loads every *.rules file of @dir in lexical order; a missing directory is
 * not an error when @optional. Errors name file:line. */
MD_API gboolean md_rules_load_dir (MdRuleSet *set, const char *dir, gboolean optional,
                                   GError **error);
/* md_rules_load_data - loads one rule file's text; @name is used in messages */
MD_API gboolean md_rules_load_data (MdRuleSet *set, const char *name, const char *data, gsize len,
                                    GError **error);
/* md_rules_count - how many enabled rules the set holds */
MD_API guint md_rules_count (const MdRuleSet *set);
/* md_rules_default_dirs - the directories of DESIGN §2 that exist, in load order (transfer full) */
MD_API GPtrArray *md_rules_default_dirs (void);

typedef struct {
    const MdRuleSet *rules; /* NULL: no rules run */
    gsize max_size;         /* 0: no limit */
    gboolean explain;       /* keep every condition's evidence in findings */
    const char *source;     /* "path" or "-" */
    guint index;            /* position in an mbox or file list */
    const char *const *authserv_ids; /* NULL-terminated; NULL: trust the topmost
                                      * Authentication-Results' authserv-id */
} MdOptions;

/* md_analyze_bytes - analyse one message of @len bytes; (transfer full), or NULL with @error set
 * (MD_ERROR_NOT_MAIL, MD_ERROR_TOO_BIG) */
MD_API MdAnalysis *md_analyze_bytes (const char *data, gsize len, const MdOptions *options,
                                     GError **error);

/* Formatters append to @out and read only the model. */
typedef struct {
    gboolean color;   /* ANSI colours (a TTY without NO_COLOR) */
    gboolean explain; /* show evidence under each finding */
} MdTextOptions;
MD_API void md_output_json (GString *out, const MdAnalysis *analysis, gboolean pretty);
MD_API void md_output_text (GString *out, const MdAnalysis *analysis, const MdTextOptions *options);
MD_API void md_output_markdown (GString *out, const MdAnalysis *analysis);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdRuleSet, md_rules_free)

G_END_DECLS
