/* pattern.h - PCRE2 behind one small API (private): compile once with UTF and JIT, match under
 * limits (STYLE §6). Included only by rules.c, match.c and pattern.c; nothing here is thread-shared
 * except the compiled pattern and the match context, which PCRE2 only reads while matching. */
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <glib.h>
#include <pcre2.h>

/* PCRE2 declares no g_autoptr support; these are the project's only definitions (STYLE §5). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (pcre2_code, pcre2_code_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (pcre2_match_data, pcre2_match_data_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (pcre2_match_context, pcre2_match_context_free)

/* Backtracking steps before a match gives up: "^(a+)+$" on 50 000 'a' and a 'b' stops in ~0.2 ms
 * with JIT, ~1.5 ms without, while real rule patterns over a header need a few hundred steps. */
#define MD_PATTERN_MATCH_LIMIT 100000u
/* Nested backtracking depth of the interpreter (JIT ignores it; the match limit bounds JIT). */
#define MD_PATTERN_DEPTH_LIMIT 10000u
/* Heap for the interpreter's backtracking frames, in KiB: bounds memory per match on hostile
 * input (PCRE2's own default is 20 MiB). */
#define MD_PATTERN_HEAP_LIMIT_KIB 4096u

typedef enum {
    MD_MATCH_NO,
    MD_MATCH_YES,
    MD_MATCH_LIMIT, /* a limit was hit: treat as no match and warn */
} MdMatch;

typedef struct MdPattern MdPattern;

/* md_pattern_new - compiles @len bytes of @text with PCRE2_UTF (subjects are valid UTF-8), then JIT
 * (a JIT failure is slower, not wrong). (transfer full), or NULL with @error set to PCRE2's
 * message (MD_ERROR_RULES) and *error_offset to the byte offset PCRE2 blames. */
MdPattern *md_pattern_new (const char *text, gsize len, gsize *error_offset, GError **error);
void md_pattern_free (MdPattern *pattern);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdPattern, md_pattern_free)

/* md_pattern_get_pairs - ovector pairs a match of @pattern needs (captures + 1) */
guint md_pattern_get_pairs (const MdPattern *pattern);

/* md_pattern_context_new - a match context carrying the limits above (transfer full) */
pcre2_match_context *md_pattern_context_new (void);

/* md_pattern_match - matches @pattern against @len bytes of @subject (no NUL needed) using the
 * caller's @data (at least md_pattern_get_pairs pairs; not shared between threads) and @context.
 * On MD_MATCH_YES, *start and *end (may be NULL) delimit the whole match. */
MdMatch md_pattern_match (const MdPattern *pattern, const char *subject, gsize len,
                          pcre2_match_data *data, pcre2_match_context *context, gsize *start,
                          gsize *end);
/* md_pattern_match_from - md_pattern_match starting at byte @offset of @subject: for global
 * matching, where a lookbehind or \b must still see the text before @offset. */
MdMatch md_pattern_match_from (const MdPattern *pattern, const char *subject, gsize len,
                               gsize offset, pcre2_match_data *data, pcre2_match_context *context,
                               gsize *start, gsize *end);

/* md_pattern_get_names - the distinct names of @pattern's named groups, in the order PCRE2 sorts
 * them (transfer full; NULL-terminated, never NULL) */
char **md_pattern_get_names (const MdPattern *pattern);
/* md_pattern_get_named - after MD_MATCH_YES with @data: the first set group named @name
 * (several groups may share a name under (?J) or (?|…)); FALSE when none is set */
gboolean md_pattern_get_named (const MdPattern *pattern, pcre2_match_data *data, const char *name,
                               gsize *start, gsize *end);
