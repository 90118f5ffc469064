/* input.c - bytes in: reads files and pipes under a size cap, splits mbox files as a stream,
 * names line endings, and repairs header blocks pasted from mail clients so that GMime can parse
 * them. Knows nothing of MIME. Follows RFC 5322 §2.2 (fields, folding) and §4.5 (obsolete
 * white space before the colon); mbox as RFC 4155 describes it, ">From " lines left as they are. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* One read () call. Linux pipes hand over at most 64 KiB per call anyway. */
#define MD_INPUT_READ_CHUNK ((gsize) 64 * 1024)

/* One fread () call of the mbox reader: big enough that the stdio layer is bypassed, small enough
 * to stay far under the 32 MB RSS budget of a 1 GB mbox. */
#define MD_MBOX_CHUNK ((gsize) 128 * 1024)

/* The largest mbox message or From_ line the reader holds: a GByteArray ends at 4 GiB, and a
 * message this big is far over any --max-size. Past it, the reader fails rather than abort. */
#define MD_MBOX_MAX_MESSAGE ((gsize) G_MAXINT)

/* Bytes of the input md_input_looks_binary examines: the header block comes first, and 1 KB of
 * it tells text from binary as well as 4 KB did, at a quarter of the cost on every message. */
#define MD_INPUT_BINARY_SAMPLE ((gsize) 1024)

static void
over_limit_error (gsize max_size, GError **error)
{
    g_set_error (error, MD_ERROR, MD_ERROR_TOO_BIG,
                 "input is over the size limit of %" G_GSIZE_FORMAT " bytes (--max-size)",
                 max_size);
}

GBytes *
md_input_read_fd (int fd, gsize max_size, gboolean keep_over, gboolean *over, GError **error)
{
    g_return_val_if_fail (fd >= 0, NULL);
    g_return_val_if_fail (error == NULL || *error == NULL, NULL);
    if (over != NULL)
        *over = FALSE;
    /* Without keep_over, never hold more than max_size + 1 bytes: one byte past the limit proves
     * the input is over it. */
    gboolean capped = max_size > 0 && !keep_over && max_size < G_MAXSIZE - MD_INPUT_READ_CHUNK;
    gsize cap = MD_INPUT_READ_CHUNK;
    struct stat st;
    if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)) {
        /* A regular file tells its size: refuse at once, or read it in one allocation (+1 so the
         * final read () that sees the end needs no growth). */
        off_t here = lseek (fd, 0, SEEK_CUR);
        gsize left = (here >= 0 && st.st_size > here) ? (gsize) (st.st_size - here) : 0;
        if (capped && left > max_size) {
            over_limit_error (max_size, error);
            return NULL;
        }
        if (left < G_MAXSIZE - 1)
            cap = MAX (cap, left + 1);
    }
    if (capped)
        cap = MIN (cap, max_size + 1);
    g_autofree char *buf = g_malloc (cap);
    gsize used = 0;
    for (;;) {
        if (used == cap) {
            if (capped && used > max_size) {
                over_limit_error (max_size, error);
                return NULL;
            }
            if (cap > G_MAXSIZE / 2) {
                g_set_error (error, MD_ERROR, MD_ERROR_TOO_BIG, "input is too large to hold");
                return NULL;
            }
            cap *= 2;
            if (capped)
                cap = MIN (cap, max_size + 1);
            buf = g_realloc (buf, cap);
        }
        ssize_t got = read (fd, buf + used, cap - used);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            g_set_error (error, MD_ERROR, MD_ERROR_READ, "cannot read input: %s",
                         g_strerror (saved));
            return NULL;
        }
        if (got == 0)
            break;
        used += (gsize) got;
    }
    if (max_size > 0 && used > max_size) {
        if (!keep_over) {
            over_limit_error (max_size, error);
            return NULL;
        }
        if (over != NULL)
            *over = TRUE;
    }
    if (used == 0)
        return g_bytes_new (NULL, 0);
    if (cap - used > MD_INPUT_READ_CHUNK)
        buf = g_realloc (buf, used); /* give back what doubling over-allocated */
    return g_bytes_new_take (g_steal_pointer (&buf), used);
}

gboolean
md_input_is_mbox (const char *data, gsize len)
{
    return len >= 5 && memcmp (data, "From ", 5) == 0;
}

/* --- mbox splitting ----------------------------------------------------------------------- */

struct MdMboxReader {
    FILE *stream; /* not owned */
    char *buf;    /* read buffer: [pos, end) not yet consumed */
    gsize size, pos, end;
    gboolean eof;      /* the stream has no more bytes */
    gboolean done;     /* the last message was returned */
    gboolean at_start; /* nothing read yet: a From_ line here needs no blank line before it */
    GByteArray *message;
    GByteArray *from_line; /* the From_ line of the message in @message, with its line end */
    GByteArray *next_from; /* the From_ line that ended @message and starts the next one */
    gboolean has_from, has_next;
};

MdMboxReader *
md_mbox_reader_new (FILE *stream)
{
    g_return_val_if_fail (stream != NULL, NULL);
    MdMboxReader *reader = g_new0 (MdMboxReader, 1);
    reader->stream = stream;
    reader->size = MD_MBOX_CHUNK;
    reader->buf = g_malloc (reader->size);
    reader->at_start = TRUE;
    reader->message = g_byte_array_new ();
    reader->from_line = g_byte_array_new ();
    reader->next_from = g_byte_array_new ();
    return reader;
}

void
md_mbox_reader_free (MdMboxReader *reader)
{
    if (reader == NULL)
        return;
    g_free (reader->buf);
    g_byte_array_unref (reader->message);
    g_byte_array_unref (reader->from_line);
    g_byte_array_unref (reader->next_from);
    g_free (reader);
}

/* next_line - the next line of the stream with its "\n" (the last line may lack one), valid until
 * the next call: 1, 0 at the end, -1 on a read error. The buffer grows only for a line longer than
 * itself, so memory stays bounded by the longest line. */
static int
next_line (MdMboxReader *r, const char **line, gsize *len, GError **error)
{
    gsize scan = r->pos;
    for (;;) {
        const char *nl = memchr (r->buf + scan, '\n', r->end - scan);
        if (nl != NULL) {
            *line = r->buf + r->pos;
            *len = (gsize) (nl + 1 - *line);
            r->pos += *len;
            return 1;
        }
        if (r->eof) {
            if (r->pos == r->end)
                return 0;
            *line = r->buf + r->pos;
            *len = r->end - r->pos;
            r->pos = r->end;
            return 1;
        }
        /* Keep the partial line at the front, make room, read more. */
        gsize keep = r->end - r->pos;
        if (r->pos > 0) {
            memmove (r->buf, r->buf + r->pos, keep);
            r->pos = 0;
            r->end = keep;
        }
        if (r->end == r->size) {
            r->size *= 2;
            r->buf = g_realloc (r->buf, r->size);
        }
        scan = r->end;
        gsize got = fread (r->buf + r->end, 1, r->size - r->end, r->stream);
        r->end += got;
        if (got == 0) {
            if (ferror (r->stream)) {
                int saved = errno;
                if (saved == EINTR) {
                    clearerr (r->stream);
                    continue;
                }
                g_set_error (error, MD_ERROR, MD_ERROR_READ, "cannot read mbox: %s",
                             g_strerror (saved));
                return -1;
            }
            r->eof = TRUE;
        }
    }
}

static gboolean
append_line_bounded (GByteArray *array, const char *line, gsize len, GError **error)
{
    if (len > MD_MBOX_MAX_MESSAGE - array->len) {
        g_set_error (error, MD_ERROR, MD_ERROR_TOO_BIG,
                     "an mbox message is over %" G_GSIZE_FORMAT " bytes", MD_MBOX_MAX_MESSAGE);
        return FALSE;
    }
    g_byte_array_append (array, (const guint8 *) line, (guint) len);
    return TRUE;
}

static gboolean
is_blank_line (const char *line, gsize len)
{
    return (len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r' && line[1] == '\n');
}

/* TRUE when a "From " line ends in an asctime(3) date ("… Thu Jul  2 12:05:05 2020"), as every
 * mbox writer's separator does: such a line separates messages even without a blank line before
 * it, which some writers forget after a MIME closing boundary (rhost-cox-01). */
gboolean
md_input_from_line_dated (const char *line, gsize len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len < 30)
        return FALSE;
    const char *year = line + len - 4;
    const char *time = line + len - 13; /* "hh:mm:ss yyyy" */
    for (int i = 0; i < 4; i++)
        if (!g_ascii_isdigit (year[i]))
            return FALSE;
    return year[-1] == ' ' && g_ascii_isdigit (time[0]) && g_ascii_isdigit (time[1]) &&
           time[2] == ':' && g_ascii_isdigit (time[3]) && g_ascii_isdigit (time[4]) &&
           time[5] == ':' && g_ascii_isdigit (time[6]) && g_ascii_isdigit (time[7]) &&
           time[-1] == ' ';
}

/* read_message - reads the next message into r->message: 1, 0 at the end, -1 on error. A message
 * ends before a "From " line that follows a blank line, or that carries a separator's date;
 * that blank line belongs to neither. */
static int
read_message (MdMboxReader *r, GError **error)
{
    if (r->done)
        return 0;
    GByteArray *swap = r->from_line;
    r->from_line = r->next_from;
    r->next_from = swap;
    r->has_from = r->has_next;
    r->has_next = FALSE;
    g_byte_array_set_size (r->message, 0);
    gsize blank = 0; /* length of the previous line when it was blank */
    gboolean any = FALSE;
    for (;;) {
        const char *line;
        gsize len;
        int rc = next_line (r, &line, &len, error);
        if (rc < 0) {
            r->done = TRUE;
            return -1;
        }
        if (rc == 0) {
            r->done = TRUE;
            /* mbox writers end every message with a blank line, the last one too. */
            g_byte_array_set_size (r->message, r->message->len - (guint) blank);
            return (r->has_from || any) ? 1 : 0;
        }
        gboolean from = len >= 5 && memcmp (line, "From ", 5) == 0;
        gboolean ok;
        if (from && r->at_start) {
            r->at_start = FALSE;
            r->has_from = TRUE;
            ok = append_line_bounded (r->from_line, line, len, error);
        } else if (from && (blank > 0 || md_input_from_line_dated (line, len))) {
            g_byte_array_set_size (r->message, r->message->len - (guint) blank);
            g_byte_array_set_size (r->next_from, 0);
            r->has_next = TRUE;
            if (append_line_bounded (r->next_from, line, len, error))
                return 1;
            ok = FALSE;
        } else {
            r->at_start = FALSE;
            any = TRUE;
            blank = is_blank_line (line, len) ? len : 0;
            ok = append_line_bounded (r->message, line, len, error);
        }
        if (!ok) {
            r->done = TRUE;
            return -1;
        }
    }
}

static gboolean
only_white_space (const guint8 *data, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isspace (data[i]))
            return FALSE;
    return TRUE;
}

/* A NUL after the last byte, not counted: callers may treat the data as a C string. */
static const char *
terminated (GByteArray *array)
{
    guint len = array->len;
    g_byte_array_append (array, (const guint8 *) "", 1);
    g_byte_array_set_size (array, len);
    return (const char *) array->data;
}

gboolean
md_mbox_reader_next (MdMboxReader *reader, const char **data, gsize *len, const char **from_line,
                     gsize *from_line_len, GError **error)
{
    g_return_val_if_fail (reader != NULL && data != NULL && len != NULL, FALSE);
    g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
    for (;;) {
        if (read_message (reader, error) <= 0)
            return FALSE;
        /* Blank lines before the first From_ line are not a message; any other text is one,
         * without a From_ line (--mbox on a file that does not start with one). */
        if (reader->has_from || !only_white_space (reader->message->data, reader->message->len))
            break;
    }
    *data = terminated (reader->message);
    *len = reader->message->len;
    if (from_line != NULL)
        *from_line = reader->has_from ? terminated (reader->from_line) : NULL;
    if (from_line_len != NULL)
        *from_line_len = reader->has_from ? reader->from_line->len : 0;
    return TRUE;
}

/* --- line endings and binary detection ---------------------------------------------------- */

MdLineEnding
md_input_line_ending (const char *data, gsize len)
{
    if (len == 0)
        return MD_LINE_ENDING_NONE;
    const char *end = data + len;
    gsize lf = 0, crlf = 0, cr = 0;
    for (const char *p = data; (p = memchr (p, '\n', (gsize) (end - p))) != NULL; p++) {
        if (p > data && p[-1] == '\r')
            crlf++;
        else
            lf++;
    }
    for (const char *p = data; (p = memchr (p, '\r', (gsize) (end - p))) != NULL; p++)
        cr++;
    cr -= crlf; /* a CR not followed by LF */
    int kinds = (lf > 0) + (crlf > 0) + (cr > 0);
    if (kinds == 0)
        return MD_LINE_ENDING_NONE;
    if (kinds > 1)
        return MD_LINE_ENDING_MIXED;
    return lf > 0 ? MD_LINE_ENDING_LF : crlf > 0 ? MD_LINE_ENDING_CRLF : MD_LINE_ENDING_CR;
}

/* Control bytes that text does not have: all but TAB, LF, FF, CR, and ESC (ISO-2022-JP mail
 * switches character sets with it). A table, so the loop over every message has no branch. */
static const guint8 control_byte[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x0b] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1,
    [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
    [0x19] = 1, [0x1a] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, [0x7f] = 1,
};

gboolean
md_input_looks_binary (const char *data, gsize len)
{
    gsize start = 0;
    while (start < len && g_ascii_isspace (data[start]))
        start++;
    if (start == len)
        return TRUE; /* nothing but white space */
    gsize n = MIN (len - start, MD_INPUT_BINARY_SAMPLE);
    const guchar *p = (const guchar *) data + start;
    gsize control = 0, high = 0;
    for (gsize i = 0; i < n; i++) {
        control += control_byte[p[i]];
        high += p[i] >> 7;
    }
    /* Text has almost no control bytes; random bytes have about 11 % (28 of 256 values) and half
     * their bytes high, which the second test catches when the first falls just short. */
    return control * 10 > n || (control * 32 > n && high * 4 > n);
}

/* --- paste repair ------------------------------------------------------------------------- */

/* The tokens of md_input_repair, in the order they are reported. */
typedef enum {
    REPAIR_BOM = 1 << 0,
    REPAIR_NUL = 1 << 1,
    REPAIR_CR = 1 << 2,
    REPAIR_MIXED = 1 << 3,
    REPAIR_QUOTED = 1 << 4,
    REPAIR_LEADING_BLANK = 1 << 5,
    REPAIR_INDENT = 1 << 6,
    REPAIR_UNINDENTED = 1 << 7,
    REPAIR_NO_BLANK = 1 << 8,
    REPAIR_TRAILING_WS = 1 << 9,
} RepairFlag;

static const char *const repair_tokens[] = {
    "bom",
    "nul-bytes",
    "cr-line-ends",
    "mixed-line-ends",
    "quoted",
    "leading-blank-lines",
    "indent",
    "unindented-continuation",
    "no-blank-after-headers",
    "trailing-whitespace",
};

typedef struct {
    const char *text; /* the content, without its line end */
    gsize len;
    const char *eol; /* "\n", "\r\n" or "" (the last line) */
    gsize eol_len;
} Line;

/* split_line - the line at *pos of @buf, advancing *pos past it: FALSE at the end */
static gboolean
split_line (const char *buf, gsize len, gsize *pos, Line *line)
{
    if (*pos >= len)
        return FALSE;
    const char *p = buf + *pos;
    gsize rest = len - *pos;
    const char *nl = memchr (p, '\n', rest);
    gsize n = nl != NULL ? (gsize) (nl - p) : rest;
    line->eol_len = nl != NULL ? 1 : 0;
    if (nl != NULL && n > 0 && p[n - 1] == '\r') {
        n--;
        line->eol_len = 2;
    }
    line->text = p;
    line->len = n;
    line->eol = p + n;
    *pos += n + line->eol_len;
    return TRUE;
}

/* Leading SP and HTAB bytes (RFC 5322 WSP). */
static gsize
indent_of (const char *text, gsize len)
{
    gsize i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    return i;
}

static gboolean
is_blank (const Line *line)
{
    return indent_of (line->text, line->len) == line->len;
}

/* Levels of e-mail quoting: each ">" with one optional space after it; *rest is where the
 * quoted text starts. */
static gsize
quote_depth (const char *text, gsize len, gsize *rest)
{
    gsize depth = 0, i = 0;
    while (i < len && text[i] == '>') {
        i++;
        if (i < len && text[i] == ' ')
            i++;
        depth++;
    }
    *rest = i;
    return depth;
}

static void
unquote (Line *line, gsize levels)
{
    for (gsize i = 0; i < levels && line->len > 0 && line->text[0] == '>'; i++) {
        gsize k = (line->len > 1 && line->text[1] == ' ') ? 2 : 1;
        line->text += k;
        line->len -= k;
    }
}

/* looks_like_field - TRUE when @text starts a header field: field-name ":" where field-name =
 * 1*ftext, ftext = %d33-57 / %d59-126 (RFC 5322 §3.6.8), with the obsolete white space before
 * the colon (§4.5, obs-optional). This judges broken pastes, so text that only fits the grammar by
 * accident is refused on purpose: a name not starting with a letter ("[2001:db8::1]", "10:15:07",
 * "<mailto:"), a name holding "=" (a DKIM or ARC tag list broken onto its own line:
 * "h=from:to:subject;"), and "name://" (a URL). With @plain, only letters, digits and "-" directly
 * followed by ":". */
static gboolean
looks_like_field (const char *text, gsize len, gboolean plain)
{
    if (len == 0 || !g_ascii_isalpha (text[0]))
        return FALSE;
    gsize i = 0;
    while (i < len && text[i] >= 33 && text[i] <= 126 && text[i] != ':') {
        if (text[i] == '=' || (plain && !g_ascii_isalnum (text[i]) && text[i] != '-'))
            return FALSE;
        i++;
    }
    if (!plain)
        i += indent_of (text + i, len - i);
    if (i >= len || text[i] != ':')
        return FALSE;
    return !(len - i >= 3 && text[i + 1] == '/' && text[i + 2] == '/');
}

typedef enum { LINE_FIELD, LINE_CONTINUATION, LINE_BLANK, LINE_OTHER } LineClass;

static LineClass
classify (const char *text, gsize len)
{
    gsize w = indent_of (text, len);
    if (w == len)
        return LINE_BLANK;
    if (w > 0)
        return LINE_CONTINUATION;
    return looks_like_field (text, len, FALSE) ? LINE_FIELD : LINE_OTHER;
}

/* What md_input_repair will do to the lines of @buf, found before anything is written. Offsets
 * are line starts in @buf; NONE marks an absent line. */
#define NONE G_MAXSIZE
typedef struct {
    const char *buf;
    gsize len;
    guint flags;
    gsize from_end;     /* end of an mbox From_ line kept as it is, else 0 */
    gsize from_line;    /* a From_ line after quoting or blank lines, kept unquoted, or NONE */
    gsize quote;        /* quoting levels stripped from every line */
    gsize first;        /* the first line after leading blank lines */
    gboolean headers;   /* the first line is a header field: the header repairs apply */
    gsize block_end;    /* the line that ends the header block (blank), or len */
    gsize first_indent; /* stripped from the first line */
    gsize indent;       /* stripped from the other lines of the block that have as much */
    gsize body_indent;  /* stripped from body lines (the body is indented as much throughout) */
    gsize last_field;   /* the last field line of the block */
    gsize insert_at;    /* a blank line goes before this line, or NONE */
    gboolean clear_separator; /* the white-space-only line at block_end becomes empty */
} Plan;

/* Reads the line at *pos through the quoting; FALSE at the end. */
static gboolean
plan_line (const Plan *plan, gsize *pos, Line *line)
{
    if (!split_line (plan->buf, plan->len, pos, line))
        return FALSE;
    unquote (line, plan->quote);
    return TRUE;
}

/* How much leading white space a line of the block (not the first) loses: the block's indent,
 * or nothing when it has less (it stays a continuation line). */
static gsize
block_strip (const Plan *plan, const Line *line)
{
    gsize w = indent_of (line->text, line->len);
    if (w == line->len)
        return MIN (w, plan->indent);
    return w >= plan->indent ? plan->indent : 0;
}

static gsize
body_strip (const Plan *plan, const Line *line)
{
    return MIN (indent_of (line->text, line->len), plan->body_indent);
}

/* What the last look-ahead found: the first line from which it stopped (a field, an empty line
 * or the end) and whether that line is a field. */
typedef struct {
    gsize stop;
    gboolean field;
} Ahead;

/* field_ahead - TRUE when a line that looks like a field (after its indent) comes at or after
 * @pos, before an empty line. A later call from before @ahead->stop gets the same answer without
 * reading again, so a scan that asks at every line stays linear. */
static gboolean
field_ahead (const Plan *plan, gsize pos, Ahead *ahead)
{
    if (pos < ahead->stop)
        return ahead->field;
    Line line;
    ahead->field = FALSE;
    ahead->stop = plan->len;
    while (pos < plan->len) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        gsize w = indent_of (line.text, line.len);
        if (line.len == 0 || looks_like_field (line.text + w, line.len - w, FALSE)) {
            ahead->field = line.len > 0;
            ahead->stop = start;
            break;
        }
    }
    return ahead->field;
}

/* Finds the header block: from the first line to an empty line, or to a white-space-only line
 * that no header field follows, at once or after a line of text (GMime reads
 * white-space-only lines as folding, RFC 5322 §4.2 obs-FWS, so one followed by a field stays
 * inside). Also finds the indent of the block (see
 * md_input_repair). */
static void
plan_block (Plan *plan)
{
    Line line;
    gsize pos = plan->first;
    if (!plan_line (plan, &pos, &line))
        return;
    gsize f = indent_of (line.text, line.len);
    plan->headers = looks_like_field (line.text + f, line.len - f, FALSE);
    if (!plan->headers)
        return;
    gsize first_end = pos;
    gsize min_field = NONE;     /* least indent of the other lines that look like fields */
    gsize min_field_top = NONE; /* the same above the first other line at column 0 */
    gsize min_top = NONE;       /* least indent of any non-blank line there */
    gsize plain_at_min = 0;     /* of the lines at min_top: how many are plain fields */
    gboolean all_plain_at_min = TRUE;
    gboolean top = TRUE;
    Ahead ahead = { 0, FALSE };
    plan->block_end = plan->len;
    while (pos < plan->len) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        gsize w = indent_of (line.text, line.len);
        if (line.len == 0) {
            plan->block_end = start;
            break;
        }
        if (w == line.len) {
            /* A run of white-space-only lines: inside the block only if a field follows it. */
            gsize next = pos;
            Line after;
            gboolean more;
            while ((more = plan_line (plan, &next, &after)) && after.len > 0 &&
                   indent_of (after.text, after.len) == after.len)
                pos = next;
            gsize aw = more ? indent_of (after.text, after.len) : 0;
            if (more && looks_like_field (after.text + aw, after.len - aw, FALSE))
                continue;
            /* Text after it, then more fields: a long field a mail client wrapped, with its
             * fold's white space left on a line of its own. */
            if (more && after.len > 0 && field_ahead (plan, next, &ahead))
                continue;
            plan->block_end = start;
            break;
        }
        gboolean field = looks_like_field (line.text + w, line.len - w, FALSE);
        if (field)
            min_field = MIN (min_field, w);
        top = top && w > 0;
        if (!top)
            continue;
        if (field)
            min_field_top = MIN (min_field_top, w);
        if (w < min_top) {
            min_top = w;
            plain_at_min = 0;
            all_plain_at_min = TRUE;
        }
        if (looks_like_field (line.text + w, line.len - w, TRUE) && w == min_top)
            plain_at_min++;
        else if (w == min_top)
            all_plain_at_min = FALSE;
    }
    if (f > 0) {
        /* GMime returns NULL when the first line starts with white space. The fields below it
         * are indented as much (a uniform indent: strip it from every line that has it) or not
         * at all (only the first line was: strip it there). A line at column 0 ends the
         * uniform part; continuation lines keep their indent beyond the block's. */
        plan->first_indent = f;
        plan->indent = min_field_top != NONE ? min_field_top : min_field != NONE ? min_field : f;
        plan->flags |= REPAIR_INDENT;
    } else if (min_top != NONE && all_plain_at_min && plain_at_min >= 2) {
        /* The first line lost its indent when it was copied and every other line kept it, up
         * to a line at column 0 (a body pasted without the blank line, or broken folding). A
         * single field folded over lines that happen to look like fields ("h=from:to:…") must
         * stay one field, so this needs two plain field names at that indent and nothing else
         * there. */
        plan->indent = min_top;
        plan->flags |= REPAIR_INDENT;
    }
    if (plan->indent == 0)
        return;
    /* A white-space-only line that the indent empties is the blank line after the headers. */
    for (pos = first_end; pos < plan->block_end;) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        if (indent_of (line.text, line.len) == line.len && line.len <= plan->indent) {
            plan->block_end = start;
            break;
        }
    }
}

/* Classifies the block's lines once stripped: a line that is neither a field nor a continuation
 * before the last field was folded by a mail client without white space; after the last field
 * it starts a body pasted without the blank line. */
static void
plan_fields (Plan *plan)
{
    Line line;
    gsize pos = plan->first;
    plan_line (plan, &pos, &line);
    plan->last_field = plan->first;
    while (pos < plan->block_end) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        gsize strip = block_strip (plan, &line);
        if (classify (line.text + strip, line.len - strip) == LINE_FIELD)
            plan->last_field = start;
    }
    pos = plan->first;
    plan_line (plan, &pos, &line);
    while (pos < plan->block_end) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        gsize strip = block_strip (plan, &line);
        if (classify (line.text + strip, line.len - strip) != LINE_OTHER)
            continue;
        if (start < plan->last_field) {
            plan->flags |= REPAIR_UNINDENTED;
        } else {
            plan->insert_at = start;
            plan->flags |= REPAIR_NO_BLANK;
            break;
        }
    }
}

/* The body keeps its indent unless every non-blank line has the block's indent. */
static void
plan_body (Plan *plan)
{
    if (plan->indent == 0 || plan->block_end >= plan->len)
        return;
    Line line;
    gsize pos = plan->block_end;
    while (plan_line (plan, &pos, &line)) {
        gsize w = indent_of (line.text, line.len);
        if (w < line.len && w < plan->indent)
            return;
    }
    plan->body_indent = plan->indent;
}

/* A white-space-only line meant as the blank line after the headers hides the body from GMime,
 * which folds it into the last field and drops the text after it: empty it when text that is no
 * continuation follows it. */
static void
plan_separator (Plan *plan)
{
    if (plan->insert_at != NONE || plan->block_end >= plan->len)
        return;
    Line line;
    gsize pos = plan->block_end;
    plan_line (plan, &pos, &line);
    if (line.len == 0 || block_strip (plan, &line) == line.len)
        return;
    while (plan_line (plan, &pos, &line)) {
        gsize strip = body_strip (plan, &line);
        if (strip == line.len)
            return; /* an empty line: GMime ends the header block there */
        LineClass k = classify (line.text + strip, line.len - strip);
        if (k == LINE_BLANK)
            continue;
        if (k == LINE_FIELD || k == LINE_OTHER) {
            plan->clear_separator = TRUE;
            plan->flags |= REPAIR_TRAILING_WS;
        }
        return;
    }
}

/* The first line at or after @pos that is not blank; a skipped line is a repair. */
static gsize
skip_blank_lines (Plan *plan, gsize pos)
{
    Line line;
    gsize start = pos, first = pos;
    while (plan_line (plan, &pos, &line) && is_blank (&line))
        first = pos;
    if (first > start)
        plan->flags |= REPAIR_LEADING_BLANK;
    return first;
}

static void
plan_lines (Plan *plan)
{
    Line line;
    gsize pos = 0;
    /* The mbox From_ line stays: it is no header, and the caller strips it. */
    if (md_input_is_mbox (plan->buf, plan->len)) {
        split_line (plan->buf, plan->len, &pos, &line);
        plan->from_end = pos;
    }
    /* Quoting counts when every line with text has it: a quoted blank line (">" or "> >")
     * may have fewer levels. The first unquoted line ends the scan. */
    gsize quote = NONE;
    for (pos = plan->from_end; quote > 0 && split_line (plan->buf, plan->len, &pos, &line);) {
        gsize rest;
        gsize depth = quote_depth (line.text, line.len, &rest);
        if (indent_of (line.text + rest, line.len - rest) < line.len - rest)
            quote = MIN (quote, depth);
    }
    plan->quote = quote == NONE ? 0 : quote;
    if (plan->quote > 0)
        plan->flags |= REPAIR_QUOTED;
    plan->first = skip_blank_lines (plan, plan->from_end);
    /* A From_ line under quoting, indent or blank lines stays too, without them. */
    plan->from_line = NONE;
    pos = plan->first;
    if (plan->from_end == 0 && plan_line (plan, &pos, &line)) {
        gsize w = indent_of (line.text, line.len);
        if (md_input_is_mbox (line.text + w, line.len - w)) {
            plan->from_line = plan->first;
            plan->flags |= w > 0 ? REPAIR_INDENT : 0;
            plan->first = skip_blank_lines (plan, pos);
        }
    }
    plan->block_end = plan->len;
    plan->insert_at = NONE;
    plan_block (plan);
    if (!plan->headers)
        return;
    plan_fields (plan);
    plan_body (plan);
    plan_separator (plan);
}

static void
append_line (GString *out, const char *text, gsize len, const Line *line)
{
    g_string_append_len (out, text, (gssize) len);
    g_string_append_len (out, line->eol, (gssize) line->eol_len);
}

/* Writes @plan->buf as planned: one pass, each line written once. */
static GString *
emit (const Plan *plan)
{
    GString *out = g_string_sized_new (plan->len + 64);
    g_string_append_len (out, plan->buf, (gssize) plan->from_end);
    Line line, prev = { "", 0, "\n", 1 };
    gsize pos = plan->from_line;
    if (plan->from_line != NONE && plan_line (plan, &pos, &line)) {
        gsize w = indent_of (line.text, line.len);
        append_line (out, line.text + w, line.len - w, &line);
    }
    pos = plan->first;
    gsize body = plan->headers ? plan->block_end : plan->first;
    while (plan->headers && pos < plan->block_end) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        gsize strip = start == plan->first ? plan->first_indent : block_strip (plan, &line);
        const char *text = line.text + strip;
        gsize len = line.len - strip;
        if (start == plan->insert_at)
            g_string_append_len (out, prev.eol, (gssize) prev.eol_len);
        if (start < plan->last_field && classify (text, len) == LINE_OTHER)
            g_string_append_c (out, ' ');
        append_line (out, text, len, &line);
        prev = line;
    }
    for (pos = body; pos < plan->len;) {
        gsize start = pos;
        plan_line (plan, &pos, &line);
        gsize strip = body_strip (plan, &line);
        if (plan->headers && start == plan->block_end)
            strip = plan->clear_separator ? line.len : block_strip (plan, &line);
        append_line (out, line.text + strip, line.len - strip, &line);
    }
    return out;
}

/* Copies @len bytes with NUL as a space and, when @fix_ends, every CR LF and lone CR as LF. */
static char *
normalize_bytes (const char *data, gsize len, gboolean fix_ends, gsize *out_len)
{
    char *out = g_malloc (len + 1);
    gsize o = 0;
    for (gsize i = 0; i < len; i++) {
        char c = data[i];
        if (c == '\0')
            c = ' ';
        else if (c == '\r' && fix_ends) {
            if (i + 1 < len && data[i + 1] == '\n')
                continue;
            c = '\n';
        }
        out[o++] = c;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* md_input_repair: the byte repairs come first (BOM, NUL, line ends), then the line repairs
 * see the text as a person would: through "> " quoting, past leading blank lines and a From_
 * line, then the header block's indent, broken folding, and its missing or white-space-only
 * end. Each step is a pass over the lines; the output is written once. Tokens, in this order:
 * bom, nul-bytes, cr-line-ends, mixed-line-ends, quoted, leading-blank-lines, indent,
 * unindented-continuation, no-blank-after-headers, trailing-whitespace. The indent rule, with c
 * the least indent of the other lines that look like fields, above the first line at column 0:
 *   - first line indented by f: strip f from it and c from every other line that has that much
 *     (a uniform indent; c is 0 when only the first line was indented);
 *   - first line not indented: strip c only when every other line there has c and two plain
 *     field names sit at c (the first line lost its indent when copied);
 *   - a white-space-only line that this empties ends the header block; body lines lose the
 *     same indent when all of them have it. */
char *
md_input_repair (const char *data, gsize len, gsize *out_len, GPtrArray *repaired)
{
    g_return_val_if_fail (data != NULL || len == 0, NULL);
    g_return_val_if_fail (out_len != NULL, NULL);
    *out_len = 0;
    Plan plan = { 0 };
    if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0) {
        plan.flags |= REPAIR_BOM;
        data += 3;
        len -= 3;
    }
    g_autofree char *normal = NULL;
    MdLineEnding ending = md_input_line_ending (data, len);
    gboolean fix_ends = ending == MD_LINE_ENDING_CR || ending == MD_LINE_ENDING_MIXED;
    gboolean nul = len > 0 && memchr (data, '\0', len) != NULL;
    if (fix_ends || nul) {
        normal = normalize_bytes (data, len, fix_ends, &len);
        data = normal;
        plan.flags |= (nul ? REPAIR_NUL : 0) | (ending == MD_LINE_ENDING_CR ? REPAIR_CR : 0) |
                      (ending == MD_LINE_ENDING_MIXED ? REPAIR_MIXED : 0);
    }
    plan.buf = data;
    plan.len = len;
    plan_lines (&plan);
    if (plan.flags == 0)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS (repair_tokens); i++)
        if (repaired != NULL && (plan.flags & (1u << i)) != 0)
            g_ptr_array_add (repaired, (gpointer) repair_tokens[i]);
    GString *out = emit (&plan);
    *out_len = out->len;
    return g_string_free (out, FALSE);
}
