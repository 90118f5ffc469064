/* message.h - the GMime boundary (private): the only module that includes <gmime/gmime.h>. */
#pragma once
#include <maildiag/analysis.h>

/* md_message_init - initialises GMime once; thread-safe */
void md_message_init (void);

/* md_message_decode_date - GMime's RFC 5322 date decoder on a NUL-terminated, already normalised
 * @text: seconds since the epoch in *utc and the zone in *tz_offset_min. FALSE when unreadable. */
gboolean md_message_decode_date (const char *text, gint64 *utc, int *tz_offset_min);

/* The returned message of a bounce or report, read by the same code as the message itself. */
typedef struct {
    MdAnalysis *original; /* headers and message fields of the returned message, or NULL */
    GPtrArray *received;  /* its Received bodies, topmost first (strings of @original) */
} MdReturned;

/* md_message_parse - parses @len bytes (already repaired) with GMime into @analysis: headers,
 * message fields, and the Received field bodies (topmost first) into @received (const char *,
 * interned). With @returned, the body is read too: analysis->body (readable text, delivery-status
 * and feedback-report parts) and the returned message into @returned (caller frees both fields).
 * Without it only the header block is parsed. FALSE when GMime finds no message at all. */
gboolean md_message_parse (MdAnalysis *analysis, const char *data, gsize len, GPtrArray *received,
                           MdReturned *returned);
