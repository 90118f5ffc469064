/* fuzz-input - libFuzzer harness for src/input.c: paste repair, line-ending and binary sniffing on
 * the whole input, then the streaming mbox splitter reading it through fmemopen. */
#include <stdio.h>
#include <string.h>
#include "input.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    const char *text = (const char *) data;
    (void) md_input_line_ending (text, size);
    (void) md_input_looks_binary (text, size);
    (void) md_input_is_mbox (text, size);
    g_autoptr (GPtrArray) repaired = g_ptr_array_new ();
    gsize fixed_len = 0;
    g_autofree char *fixed = md_input_repair (text, size, &fixed_len, repaired);
    if (fixed != NULL && fixed_len > 2 * size + 64)
        __builtin_trap (); /* repair only removes or rewrites: it must not grow the text much (a space per line at most) */

    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer */
    FILE *stream = fmemopen ((void *) data, size, "r");
    if (stream == NULL)
        return 0;
    g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
    const char *message, *from;
    gsize len, from_len, total = 0;
    while (md_mbox_reader_next (reader, &message, &len, &from, &from_len, NULL)) {
        if (message[len] != '\0' || (from != NULL && from[from_len] != '\0'))
            __builtin_trap (); /* both are documented NUL-terminated after their length */
        total += len + from_len;
        if (total > size)
            __builtin_trap (); /* the splitter never invents bytes */
    }
    fclose (stream);
    return 0;
}
