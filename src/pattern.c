/* pattern.c - PCRE2 wrapper: compile once (UTF, invalid UTF tolerated, JIT), match under match,
 * depth and heap limits. Knows nothing of rules or the model; a limit hit is reported to the
 * caller, which records the warning (STYLE §6, after Rspamd src/libutil/regexp.c). */
#include <string.h>

#include <maildiag/maildiag.h>

#include "pattern.h"

struct MdPattern {
    pcre2_code *code;
    guint pairs;
    gboolean jit; /* JIT-compiled: matched with pcre2_jit_match */
};

MdPattern *
md_pattern_new (const char *text, gsize len, gsize *error_offset, GError **error)
{
    int code = 0;
    PCRE2_SIZE offset = 0;
    /* Not PCRE2_MATCH_INVALID_UTF, which STYLE §6 asks for: in PCRE2 10.42 its JIT code never
     * lets \S, \D or \W match a non-ASCII character ("^\\S+$" fails on "café"), and rules
     * use them on Japanese and accented bounce texts. Every subject is valid UTF-8 by
     * construction (md_analysis_intern), which is what that option guarded against.
     * NEVER_BACKSLASH_C: \C can split a UTF-8 character. */
    g_autoptr (pcre2_code) compiled = pcre2_compile (
        (PCRE2_SPTR) text, len, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
        &code, &offset, NULL);
    if (compiled == NULL) {
        PCRE2_UCHAR message[256];
        if (pcre2_get_error_message (code, message, sizeof message) < 0)
            g_strlcpy ((char *) message, "unknown PCRE2 error", sizeof message);
        if (error_offset != NULL)
            *error_offset = offset;
        g_set_error (error, MD_ERROR, MD_ERROR_RULES, "%s", (const char *) message);
        return NULL;
    }
    /* A JIT failure is not an error: the interpreter gives the same result, slower. */
    gboolean jit = pcre2_jit_compile (compiled, PCRE2_JIT_COMPLETE) == 0;
    uint32_t captures = 0;
    pcre2_pattern_info (compiled, PCRE2_INFO_CAPTURECOUNT, &captures);
    MdPattern *pattern = g_new0 (MdPattern, 1);
    pattern->code = g_steal_pointer (&compiled);
    pattern->pairs = captures + 1;
    pattern->jit = jit;
    return pattern;
}

void
md_pattern_free (MdPattern *pattern)
{
    if (pattern == NULL)
        return;
    pcre2_code_free (pattern->code);
    g_free (pattern);
}

guint
md_pattern_get_pairs (const MdPattern *pattern)
{
    return pattern->pairs;
}

pcre2_match_context *
md_pattern_context_new (void)
{
    pcre2_match_context *context = pcre2_match_context_create (NULL);
    pcre2_set_match_limit (context, MD_PATTERN_MATCH_LIMIT);
    pcre2_set_depth_limit (context, MD_PATTERN_DEPTH_LIMIT);
    pcre2_set_heap_limit (context, MD_PATTERN_HEAP_LIMIT_KIB);
    return context;
}

MdMatch
md_pattern_match (const MdPattern *pattern, const char *subject, gsize len, pcre2_match_data *data,
                  pcre2_match_context *context, gsize *start, gsize *end)
{
    return md_pattern_match_from (pattern, subject, len, 0, data, context, start, end);
}

MdMatch
md_pattern_match_from (const MdPattern *pattern, const char *subject, gsize len, gsize offset,
                       pcre2_match_data *data, pcre2_match_context *context, gsize *start,
                       gsize *end)
{
    g_return_val_if_fail (pattern != NULL && data != NULL, MD_MATCH_NO);
    if (subject == NULL)
        subject = "";
    if (offset > len)
        return MD_MATCH_NO;
    /* pcre2_jit_match skips pcre2_match's argument checks: a third of the cost of a failed match
     * on a 100-byte diagnostic, where classification runs tens of patterns (pcre2jit(3)). The
     * match limit still holds; the JIT stack limit stands in for the depth limit. */
    int rc = pattern->jit
                 ? pcre2_jit_match (pattern->code, (PCRE2_SPTR) subject, len, offset, 0, data, context)
                 : pcre2_match (pattern->code, (PCRE2_SPTR) subject, len, offset, 0, data, context);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return MD_MATCH_LIMIT;
    if (rc < 0)
        return MD_MATCH_NO;
    /* rc == 0 only when the ovector is too small; the whole match is still in pair 0. */
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer (data);
    if (start != NULL)
        *start = ovector[0];
    if (end != NULL)
        *end = ovector[1] < ovector[0] ? ovector[0] : ovector[1]; /* \K can invert them */
    return MD_MATCH_YES;
}

/* The name table (pcre2api(3) "Information about a pattern"): entries of a fixed size, each a
 * big-endian group number in two code units, then the name and a NUL; sorted by name. */
typedef struct {
    const guchar *table;
    uint32_t count, size;
} NameTable;

static NameTable
name_table (const pcre2_code *code)
{
    NameTable t = { NULL, 0, 0 };
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info (code, PCRE2_INFO_NAMECOUNT, &t.count);
    pcre2_pattern_info (code, PCRE2_INFO_NAMEENTRYSIZE, &t.size);
    pcre2_pattern_info (code, PCRE2_INFO_NAMETABLE, &table);
    t.table = table;
    if (t.table == NULL)
        t.count = 0;
    return t;
}

char **
md_pattern_get_names (const MdPattern *pattern)
{
    g_autoptr (GPtrArray) names = g_ptr_array_new ();
    NameTable t = name_table (pattern->code);
    for (uint32_t i = 0; i < t.count; i++) {
        const char *name = (const char *) t.table + (gsize) i * t.size + 2;
        if (names->len == 0 || strcmp (g_ptr_array_index (names, names->len - 1), name) != 0)
            g_ptr_array_add (names, g_strdup (name)); /* sorted: duplicates are neighbours */
    }
    g_ptr_array_add (names, NULL);
    return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

gboolean
md_pattern_get_named (const MdPattern *pattern, pcre2_match_data *data, const char *name,
                      gsize *start, gsize *end)
{
    PCRE2_SPTR first = NULL, last = NULL;
    int size = pcre2_substring_nametable_scan (pattern->code, (PCRE2_SPTR) name, &first, &last);
    if (size <= 0)
        return FALSE;
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer (data);
    uint32_t pairs = pcre2_get_ovector_count (data);
    for (PCRE2_SPTR e = first; e <= last; e += size) {
        uint32_t group = ((uint32_t) e[0] << 8) | e[1];
        if (group >= pairs || ovector[2 * group] == PCRE2_UNSET)
            continue;
        *start = ovector[2 * group];
        *end = MAX (ovector[2 * group + 1], ovector[2 * group]);
        return TRUE;
    }
    return FALSE;
}
