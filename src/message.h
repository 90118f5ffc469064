/* message.h - the GMime boundary (private): the only module that includes <gmime/gmime.h>. */
#pragma once
#include <maildiag/analysis.h>

/* md_message_init - initialises GMime once; thread-safe */
void md_message_init (void);

/* md_message_decode_date - GMime's RFC 5322 date decoder on a NUL-terminated, already normalised
 * @text: seconds since the epoch in *utc and the zone in *tz_offset_min. FALSE when unreadable. */
gboolean md_message_decode_date (const char *text, gint64 *utc, int *tz_offset_min);

/* md_message_parse - parses @len bytes (already repaired) with GMime into @analysis: headers,
 * message fields, and the Received field bodies (topmost first) into @received (const char *,
 * interned). Sets kind to MESSAGE or HEADERS. FALSE when GMime finds no message at all. */
gboolean md_message_parse (MdAnalysis *analysis, const char *data, gsize len, GPtrArray *received);
