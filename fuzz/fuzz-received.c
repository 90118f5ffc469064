/* fuzz-received - libFuzzer harness for src/received.c: the whole input as one Received body, then
 * each line as one field of a chain (topmost first), with dates, delays and totals. */
#include <string.h>
#include "received.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    const char *text = (const char *) data;
    g_autoptr (MdAnalysis) a = md_analysis_new ();
    MdHop hop = { 0 };
    md_received_parse (a, text, size, &hop);

    /* md_received_build_chain takes NUL-terminated bodies: intern each line (as message.c does). */
    g_autoptr (GPtrArray) fields = g_ptr_array_new ();
    gsize start = 0;
    for (gsize i = 0; i <= size; i++) {
        if (i == size || text[i] == '\n') {
            g_ptr_array_add (fields, (gpointer) md_analysis_intern (a, text + start, (gssize) (i - start)));
            start = i + 1;
        }
    }
    md_received_build_chain (a, fields);
    return 0;
}
