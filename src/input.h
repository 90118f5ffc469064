/* input.h - bytes in: bounded reading, mbox splitting, paste repair, line endings (private).
 * Knows nothing of MIME; works on (pointer, length), never assumes NUL termination. */
#pragma once
#include <stdio.h>
#include <maildiag/maildiag.h>

/* md_input_read_fd - reads all of @fd (file or pipe) up to @max_size bytes (0: no limit).
 * Over the limit: NULL with MD_ERROR_TOO_BIG, unless @keep_over is set, then the whole input is
 * returned and *over set. (transfer full) */
GBytes *md_input_read_fd (int fd, gsize max_size, gboolean keep_over, gboolean *over,
                          GError **error);

/* md_input_is_mbox - TRUE when @data starts with an mbox "From " separator line */
gboolean md_input_is_mbox (const char *data, gsize len);

/* md_input_from_line_dated - TRUE when a "From " line ends in an asctime(3) date: such a line
 * separates mbox messages even without a blank line before it (--filter splits alike) */
gboolean md_input_from_line_dated (const char *line, gsize len);

/* A streaming mbox splitter over a stdio stream: memory is bounded by the largest message. */
typedef struct MdMboxReader MdMboxReader;
MdMboxReader *md_mbox_reader_new (FILE *stream);
/* md_mbox_reader_next - the next message without its From_ line and without the blank separator
 * line before the next one; ">From " lines are left as they are. *from_line is the From_ line with
 * its line end (NULL for text before the first one), so a filter can copy it byte for byte. Both
 * buffers are NUL-terminated after their length and valid until the next call. Returns FALSE at
 * the end or on error (@error set). */
gboolean md_mbox_reader_next (MdMboxReader *reader, const char **data, gsize *len,
                              const char **from_line, gsize *from_line_len, GError **error);
void md_mbox_reader_free (MdMboxReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdMboxReader, md_mbox_reader_free)

/* md_input_line_ending - the line ending style of @data */
MdLineEnding md_input_line_ending (const char *data, gsize len);

/* md_input_looks_binary - TRUE when @data is not mail text at all (mostly control bytes) */
gboolean md_input_looks_binary (const char *data, gsize len);

/* md_input_repair - repairs a pasted or damaged message for parsing. Appends a token (static
 * strings) to @repaired for each repair made, in this order: "bom", "nul-bytes", "cr-line-ends",
 * "mixed-line-ends" (both → LF), "quoted" ("> "), "leading-blank-lines", "indent" (a uniform one),
 * "unindented-continuation" (a field wrapped by a mail client), "no-blank-after-headers",
 * "trailing-whitespace" (a blank-looking separator line). Returns a new buffer (transfer full) of
 * *out_len bytes, or NULL when nothing needed repair. */
char *md_input_repair (const char *data, gsize len, gsize *out_len, GPtrArray *repaired);
