/* fuzz-authres - libFuzzer harness for src/authres.c (and alignment.c): one header field whose
 * name is chosen by the first byte, its value the rest, below a Received field so the trust block
 * is exercised; then md_authres_extract guessing, and again with a trusted authserv-id. */
#include <string.h>
#include "authres.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char *const names[] = {
    "Authentication-Results",
    "ARC-Authentication-Results",
    "X-MS-Exchange-Authentication-Results",
    "X-Original-Authentication-Results",
    "Authentication-Results-Original",
    "Received-SPF",
    "ARC-Seal",
    "DKIM-Signature",
};

static void
add_header (MdAnalysis *a, const char *name, const char *value, gsize len)
{
    MdHeader *h = g_new0 (MdHeader, 1);
    h->name = md_analysis_intern (a, name, -1);
    h->value = md_analysis_intern (a, value, (gssize) len);
    g_ptr_array_add (a->headers, h);
}

static void
run (const char *name, const char *value, gsize len, const char *const *trusted)
{
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    add_header (a, name, value, len);
    add_header (a, "Received", "from a.example.org by b.example.org; 1 Jan 2024 00:00:00 +0000", 60);
    md_authres_extract (a, trusted);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *name = names[data[0] % G_N_ELEMENTS (names)];
    const char *value = (const char *) data + 1;
    static const char *const trusted[] = { "mx.example.org", NULL };
    run (name, value, size - 1, NULL);
    run (name, value, size - 1, trusted);
    return 0;
}
