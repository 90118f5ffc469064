/* filter.h - --filter and --format=headers: the X-Maildiag field (RFC 8601 authres-payload) and
 * the byte-exact pass-through that carries it (DESIGN §7). Private. */
#pragma once
#include <stdio.h>
#include <maildiag/maildiag.h>

/* Called once per message the filter writes: @analysis, or NULL with @error when the message
 * could not be analysed (it still passed through, with verdict=error). */
typedef void (*MdFilterNotify) (const MdAnalysis *analysis, const GError *error,
                                gpointer user_data);

typedef struct {
    const MdOptions *analysis; /* for md_analyze_bytes; index is set per message */
    const char *authserv_id;   /* NULL: the local host name */
    gboolean force_mbox;       /* --mbox: split even without a leading From_ line */
    const GError *fail_all;    /* set: analyse nothing, every message gets verdict=error (the
                                * rules could not be loaded) */
    MdFilterNotify notify;
    gpointer user_data;
} MdFilterOptions;

/* md_filter_authserv_id - the authserv-id the field names: the local host name (transfer none) */
const char *md_filter_authserv_id (void);

/* md_filter_field - appends one "X-Maildiag: …" field for @analysis, or, when @analysis is NULL,
 * the verdict=error field for @error; folded at 78 columns with @eol, and ending with @eol */
void md_filter_field (GString *out, const MdAnalysis *analysis, const GError *error,
                      const char *authserv_id, const char *eol);

/* md_filter_strip - the length of @data (one message, without its From_ line) with every
 * X-Maildiag field of the top header block removed, continuation lines included. Writes the kept
 * bytes to *out (transfer full) when something was removed, else sets *out to NULL. */
gsize md_filter_strip (const char *data, gsize len, char **out);

/* md_filter_write - writes @data, the whole input, to @stream as --filter does: per message its
 * From_ line, one X-Maildiag field, the message without earlier X-Maildiag fields, and the blank
 * separator line, all byte for byte. FALSE when writing fails (errno set). */
gboolean md_filter_write (FILE *stream, const char *data, gsize len,
                          const MdFilterOptions *options);
