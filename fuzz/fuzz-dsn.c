/* fuzz-dsn - libFuzzer harness for src/dsn.c: a delivery-status body, RFC 3464 or (low bit of the
 * first byte) RFC 6533 global. */
#include <string.h>
#include "dsn.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    if (size == 0)
        return 0;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    gboolean global = (data[0] & 1) != 0;
    (void) md_dsn_parse (a, (const char *) data + 1, size - 1, global);
    if (a->bounce != NULL && a->bounce->recipients->len > MD_DSN_MAX_RECIPIENTS)
        __builtin_trap ();
    return 0;
}
