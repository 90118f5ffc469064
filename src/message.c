/* message.c - the GMime boundary: parses a message from memory and copies what the model needs
 * (headers, addresses, date, Received bodies). No GMime pointer outlives a call here (STYLE §5).
 * Only this file includes <gmime/gmime.h> (STYLE §1). */
#include <string.h>
#include <gmime/gmime.h>

#include "date.h"
#include "message.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)

void
md_message_init (void)
{
    static gsize done = 0;
    if (g_once_init_enter (&done)) {
        g_mime_init ();
        g_once_init_leave (&done, 1);
    }
}

gboolean
md_message_decode_date (const char *text, gint64 *utc, int *tz_offset_min)
{
    md_message_init ();
    GDateTime *dt = g_mime_utils_header_decode_date (text);
    if (dt == NULL)
        return FALSE;
    *utc = g_date_time_to_unix (dt);
    *tz_offset_min = (int) (g_date_time_get_utc_offset (dt) / G_TIME_SPAN_MINUTE);
    g_date_time_unref (dt);
    return TRUE;
}

/* Unfolds a raw header value (RFC 5322 §2.2.3) and, beyond the RFC, turns each line break with
 * the white space around it into one space: folded fields then read as one line in reports.
 * Leading and trailing white space is trimmed. (transfer full) */
static char *
unfold (const char *raw)
{
    gsize n = strlen (raw);
    char *out = g_malloc (n + 1);
    gsize o = 0;
    for (gsize i = 0; i < n; i++) {
        if (raw[i] == '\r' || raw[i] == '\n') {
            while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
            while (i + 1 < n && (raw[i + 1] == '\r' || raw[i + 1] == '\n' || raw[i + 1] == ' ' ||
                                 raw[i + 1] == '\t'))
                i++;
            out[o++] = ' ';
            continue;
        }
        out[o++] = raw[i];
    }
    out[o] = '\0';
    return g_strstrip (out);
}

static void
add_addresses (MdAnalysis *analysis, GPtrArray *into, InternetAddressList *list)
{
    if (list == NULL)
        return;
    int count = internet_address_list_length (list);
    for (int i = 0; i < count; i++) {
        InternetAddress *ia = internet_address_list_get_address (list, i);
        MdAddress *address = g_new0 (MdAddress, 1);
        const char *name = internet_address_get_name (ia);
        if (name != NULL && *name != '\0')
            address->name = md_analysis_intern (analysis, name, -1);
        if (INTERNET_ADDRESS_IS_MAILBOX (ia)) {
            const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
            if (addr != NULL && *addr != '\0')
                address->address = md_analysis_intern (analysis, addr, -1);
        }
        g_ptr_array_add (into, address);
    }
}

/* Copies one header list into the model; Received bodies go to @received as well. */
static void
add_headers (MdAnalysis *analysis, GMimeHeaderList *list, GPtrArray *received)
{
    int count = g_mime_header_list_get_count (list);
    for (int i = 0; i < count; i++) {
        GMimeHeader *header = g_mime_header_list_get_header_at (list, i);
        const char *name = g_mime_header_get_name (header);
        const char *raw = g_mime_header_get_raw_value (header);
        if (name == NULL)
            continue;
        g_autofree char *body = unfold (raw != NULL ? raw : "");
        MdHeader *h = g_new0 (MdHeader, 1);
        h->name = md_analysis_intern (analysis, name, -1);
        if (received != NULL && g_ascii_strcasecmp (name, "Received") == 0) {
            /* Received bodies are not RFC 2047 text: keep them as written. */
            h->value = md_analysis_intern (analysis, body, -1);
            g_ptr_array_add (received, (gpointer) h->value);
        } else {
            /* RFC 2047 words decoded (Subject, From); an undecodable word stays as written. Most
             * fields have none: the decoder is not worth its cost there. */
            g_autofree char *decoded =
                strstr (body, "=?") != NULL ? g_mime_utils_header_decode_text (NULL, body) : NULL;
            h->value = md_analysis_intern (analysis, decoded != NULL ? decoded : body, -1);
        }
        g_ptr_array_add (analysis->headers, h);
    }
}

/* The address inside "<…>" of Return-Path, or the text itself. */
static const char *
angle_address (MdAnalysis *analysis, const char *value)
{
    if (value == NULL)
        return NULL;
    const char *lt = strchr (value, '<');
    const char *gt = lt != NULL ? strchr (lt, '>') : NULL;
    if (lt != NULL && gt != NULL)
        return md_analysis_intern (analysis, lt + 1, gt - lt - 1);
    return value;
}

static void
copy_message (MdAnalysis *analysis, GMimeMessage *message, GPtrArray *received)
{
    add_headers (analysis, g_mime_object_get_header_list (GMIME_OBJECT (message)), received);
    /* DESIGN §6: top-level Content-* fields live on the MIME part, not in the message's list. */
    GMimeObject *body = g_mime_message_get_mime_part (message);
    if (body != NULL)
        add_headers (analysis, g_mime_object_get_header_list (body), NULL);

    MdMessage *m = &analysis->message;
    add_addresses (analysis, m->from, g_mime_message_get_from (message));
    add_addresses (analysis, m->to, g_mime_message_get_to (message));
    const char *subject = g_mime_message_get_subject (message);
    m->subject = subject != NULL ? md_analysis_intern (analysis, subject, -1) : NULL;
    const char *message_id = g_mime_message_get_message_id (message);
    m->message_id = message_id != NULL ? md_analysis_intern (analysis, message_id, -1) : NULL;
    m->return_path = angle_address (analysis, md_analysis_get_header (analysis, "Return-Path"));
    m->auto_submitted = md_analysis_get_header (analysis, "Auto-Submitted");
    m->list_id = md_analysis_get_header (analysis, "List-Id");
    const char *date = md_analysis_get_header (analysis, "Date");
    if (date != NULL) {
        md_date_parse (date, strlen (date), &m->date);
        m->date.raw = date;
    }
}

/* GMime's parser warnings, as tokens of input.warnings (STYLE §4: broken mail is data). */
static const struct {
    GMimeParserWarning code;
    const char *token;
} warning_tokens[] = {
    { GMIME_WARN_DUPLICATED_HEADER, "duplicated-header" },
    { GMIME_WARN_DUPLICATED_PARAMETER, "duplicated-parameter" },
    { GMIME_WARN_UNENCODED_8BIT_HEADER, "unencoded-8bit-header" },
    { GMIME_WARN_INVALID_CONTENT_TYPE, "invalid-content-type" },
    { GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "invalid-rfc2047-header" },
    { GMIME_WARN_MALFORMED_MULTIPART, "malformed-multipart" },
    { GMIME_WARN_TRUNCATED_MESSAGE, "truncated-message" },
    { GMIME_WARN_MALFORMED_MESSAGE, "malformed-message" },
    { GMIME_WARN_INVALID_ADDRESS_LIST, "invalid-address-list" },
    { GMIME_CRIT_INVALID_HEADER_NAME, "invalid-header-name" },
    { GMIME_CRIT_CONFLICTING_HEADER, "conflicting-header" },
    { GMIME_CRIT_CONFLICTING_PARAMETER, "conflicting-parameter" },
    { GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "multipart-without-boundary" },
    { GMIME_CRIT_NESTING_OVERFLOW, "mime-nesting-overflow" },
    { GMIME_WARN_PART_WITHOUT_CONTENT, "part-without-content" },
    { GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "part-without-headers-or-content" },
};

typedef struct {
    MdAnalysis *analysis;
    gboolean header_only; /* only the header block was given: "truncated" is ours, not the sender's */
} ParseContext;

static void
on_parser_warning (gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user_data)
{
    ParseContext *context = user_data;
    if (code == GMIME_WARN_TRUNCATED_MESSAGE && context->header_only)
        return;
    for (guint i = 0; i < G_N_ELEMENTS (warning_tokens); i++)
        if (warning_tokens[i].code == code) {
            md_analysis_warn (context->analysis, warning_tokens[i].token,
                              offset > 0 ? (gsize) offset : 0, item);
            return;
        }
    md_analysis_warn (context->analysis, "parser-warning", offset > 0 ? (gsize) offset : 0, item);
}

static gboolean
parse_stream (MdAnalysis *analysis, GMimeStream *stream, GPtrArray *received)
{
    ParseContext context = { analysis, TRUE };
    GMimeParserOptions *options = g_mime_parser_options_new ();
    g_mime_parser_options_set_warning_callback (options, on_parser_warning, &context);
    g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (stream);
    g_autoptr (GMimeMessage) message = g_mime_parser_construct_message (parser, options);
    g_mime_parser_options_free (options);
    if (message == NULL)
        return FALSE;
    copy_message (analysis, message, received);
    return TRUE;
}

/* The length of the header block of @data with its blank line, or @len when there is no body.
 * The body is not parsed here: nothing in the model needs it yet, and it is where GMime spends
 * most of its time on a bounce (STYLE §1: parse only what a message needs). */
static gsize
header_block_length (const char *data, gsize len)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (gsize) (end - p));
        if (nl == NULL)
            return len;
        gsize n = (gsize) (nl - p);
        if (n == 0 || (n == 1 && p[0] == '\r'))
            return (gsize) (nl + 1 - data);
        p = nl + 1;
    }
    return len;
}

gboolean
md_message_parse (MdAnalysis *analysis, const char *data, gsize len, GPtrArray *received)
{
    md_message_init ();
    len = header_block_length (data, len);
    /* A byte array that borrows @data: no copy of the message (DESIGN §6: a memory stream). It
     * outlives the stream and every GMime object, which may keep substreams of it. */
    GByteArray *array = g_byte_array_new_take ((guint8 *) data, len);
    gboolean ok;
    {
        g_autoptr (GMimeStream) stream = g_mime_stream_mem_new_with_byte_array (array);
        g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
        ok = parse_stream (analysis, stream, received);
    }
    (void) g_byte_array_steal (array, NULL); /* the bytes are the caller's */
    g_byte_array_unref (array);
    return ok;
}
