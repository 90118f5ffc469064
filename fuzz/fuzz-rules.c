/* fuzz-rules - libFuzzer harness for the rule loader (src/rules.c, pattern.c): one rule file's
 * text; when it loads, its rules also run over a small fixed message. */
#include <string.h>
#include "rules.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char message[] =
    "Received: from a.example.org ([192.0.2.1]) by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\n"
    "From: Mail Delivery System <MAILER-DAEMON@example.org>\n"
    "To: user@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Mon, 1 Jan 2024 00:00:01 +0000\n"
    "\n"
    "<nobody@example.net>: host mx.example.net said: 550 5.1.1 User unknown\n";

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    g_autoptr (MdRuleSet) set = md_rules_new ();
    g_autoptr (GError) error = NULL;
    if (!md_rules_load_data (set, "fuzz.rules", (const char *) data, size, &error)) {
        if (error == NULL)
            __builtin_trap (); /* a failure always says why */
        return 0;
    }
    MdOptions options = { .rules = set, .explain = TRUE };
    g_autoptr (MdAnalysis) a = md_analyze_bytes (message, sizeof message - 1, &options, NULL);
    if (a == NULL)
        __builtin_trap (); /* the message is mail whatever the rules say */
    g_autoptr (GString) out = g_string_new (NULL);
    md_output_json (out, a, FALSE);
    return 0;
}
