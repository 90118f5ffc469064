/* fuzz-date - libFuzzer harness for src/date.c: md_date_parse on bytes that need no NUL. */
#include <string.h>
#include "date.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
    MdDate date = { 0 };
    gboolean valid = md_date_parse ((const char *) data, size, &date);
    if (valid != date.valid)
        __builtin_trap ();
    if (date.zone_known && (date.tz_offset_min < -24 * 60 || date.tz_offset_min > 24 * 60))
        __builtin_trap (); /* no zone is a day away from UTC */
    return 0;
}
