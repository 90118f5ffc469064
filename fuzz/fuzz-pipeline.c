/* fuzz-pipeline - libFuzzer harness for the whole pipeline: md_analyze_bytes with the shipped
 * rules (loaded once from the source tree), then the JSON (compact and pretty) and text outputs,
 * checking that the JSON output parses. */
#include <string.h>
#include <json-c/json.h>
#include "config.h"
#include <maildiag/maildiag.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static MdRuleSet *rules;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    g_autoptr (GError) error = NULL;
    rules = md_rules_new ();
    if (!md_rules_load_dir (rules, MD_SOURCE_RULES_DIR, FALSE, &error)) {
        g_printerr ("fuzz-pipeline: %s\n", error->message);
        __builtin_trap ();
    }
    return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    static const char *const trusted[] = { "mx.example.org", NULL };
    MdOptions options = { .rules = rules, .explain = (size & 1) != 0, .source = "fuzz" };
    if (size & 2)
        options.authserv_ids = trusted;
    g_autoptr (GError) error = NULL;
    g_autoptr (MdAnalysis) a = md_analyze_bytes ((const char *) data, size, &options, &error);
    if (a == NULL) {
        if (error == NULL)
            __builtin_trap ();
        return 0;
    }
    g_autoptr (GString) out = g_string_new (NULL);
    md_output_json (out, a, FALSE);
    json_object *parsed = json_tokener_parse (out->str);
    if (parsed == NULL)
        __builtin_trap (); /* the JSON output must always be JSON */
    json_object_put (parsed);
    g_string_truncate (out, 0);
    md_output_json (out, a, TRUE);
    g_string_truncate (out, 0);
    MdTextOptions text = { .color = (size & 4) != 0, .explain = options.explain };
    md_output_text (out, a, &text);
    return 0;
}
