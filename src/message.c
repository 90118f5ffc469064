/* message.c - the GMime boundary: parses a message from memory and copies what the model needs:
 * headers, addresses, date, Received bodies, and for a message with a body the parts bounce
 * extraction reads (readable text, RFC 3464/6533 delivery-status and RFC 5965 feedback-report
 * parts, the returned message). It interprets none of them. No GMime pointer outlives a call here
 * (STYLE §5); only this file includes <gmime/gmime.h> (STYLE §1). */
#define _GNU_SOURCE /* memmem */
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

/* A header value longer than this is cut in the model, with a "header-truncated" warning naming
 * the field: the longest real fields (DKIM-Signature, ARC-Seal, long To: lists) are a few KB, and
 * a megabyte "value" is garbage that every copy, rule pattern and output would pay for again
 * (a 100 MB Subject cost 790 MB of memory before; GMime's own copies remain). */
#define MD_MAX_HEADER_VALUE (64u * 1024)

/* The length of @text cut to at most MD_MAX_HEADER_VALUE bytes, at a UTF-8 character boundary. */
static gsize
capped_length (const char *text, gsize len)
{
    if (len <= MD_MAX_HEADER_VALUE)
        return len;
    len = MD_MAX_HEADER_VALUE;
    while (len > 0 && ((guchar) text[len] & 0xC0) == 0x80)
        len--;
    return len;
}

/* Interns a string GMime decoded (a subject, a display name), cut at MD_MAX_HEADER_VALUE. */
static const char *
intern_capped (MdAnalysis *analysis, const char *text)
{
    return md_analysis_intern (analysis, text, (gssize) capped_length (text, strlen (text)));
}

/* Unfolds a raw header value into @out (RFC 5322 §2.2.3) and, beyond the RFC, turns each line
 * break with the white space around it into one space: folded fields then read as one line in
 * reports. Leading and trailing white space is trimmed. One buffer serves every field. Returns
 * FALSE when the value was cut at MD_MAX_HEADER_VALUE bytes. */
static gboolean
unfold (const char *raw, GString *out)
{
    gsize n = strlen (raw);
    gboolean whole = TRUE;
    /* Unfolding never lengthens: read a little past the cap, cut the result at a boundary. */
    if (n > MD_MAX_HEADER_VALUE + 4) {
        n = MD_MAX_HEADER_VALUE + 4;
        whole = FALSE;
    }
    g_string_set_size (out, n);
    char *o = out->str;
    gsize len = 0;
    gsize i = 0;
    while (i < n && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n'))
        i++;
    for (; i < n; i++) {
        if (raw[i] == '\r' || raw[i] == '\n') {
            while (len > 0 && (o[len - 1] == ' ' || o[len - 1] == '\t'))
                len--;
            while (i + 1 < n && (raw[i + 1] == '\r' || raw[i + 1] == '\n' || raw[i + 1] == ' ' ||
                                 raw[i + 1] == '\t'))
                i++;
            o[len++] = ' ';
            continue;
        }
        o[len++] = raw[i];
    }
    if (len > MD_MAX_HEADER_VALUE) {
        len = capped_length (o, len);
        whole = FALSE;
    }
    while (len > 0 && (o[len - 1] == ' ' || o[len - 1] == '\t'))
        len--;
    g_string_truncate (out, len);
    return whole;
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
            address->name = intern_capped (analysis, name);
        if (INTERNET_ADDRESS_IS_MAILBOX (ia)) {
            const char *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (ia));
            if (addr != NULL && *addr != '\0')
                address->address = intern_capped (analysis, addr);
        }
        g_ptr_array_add (into, address);
    }
}

/* Copies one header list into the model; Received bodies go to @received as well. */
static void
add_headers (MdAnalysis *analysis, GMimeHeaderList *list, GPtrArray *received)
{
    int count = g_mime_header_list_get_count (list);
    g_autoptr (GString) body = g_string_sized_new (1024);
    for (int i = 0; i < count; i++) {
        GMimeHeader *header = g_mime_header_list_get_header_at (list, i);
        const char *name = g_mime_header_get_name (header);
        const char *raw = g_mime_header_get_raw_value (header);
        if (name == NULL)
            continue;
        gboolean whole = unfold (raw != NULL ? raw : "", body);
        MdHeader *h = g_new0 (MdHeader, 1);
        h->name = intern_capped (analysis, name);
        if (!whole)
            md_analysis_warn (analysis, "header-truncated", 0, h->name);
        if (received != NULL && g_ascii_strcasecmp (name, "Received") == 0) {
            /* Received bodies are not RFC 2047 text: keep them as written. */
            h->value = md_analysis_intern (analysis, body->str, (gssize) body->len);
            g_ptr_array_add (received, (gpointer) h->value);
        } else {
            /* RFC 2047 words decoded (Subject, From); an undecodable word stays as written. Most
             * fields have none: the decoder is not worth its cost there. */
            g_autofree char *decoded = memmem (body->str, body->len, "=?", 2) != NULL
                                           ? g_mime_utils_header_decode_text (NULL, body->str)
                                           : NULL;
            h->value = decoded != NULL ? intern_capped (analysis, decoded)
                                       : md_analysis_intern (analysis, body->str, (gssize) body->len);
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
    m->subject = subject != NULL ? intern_capped (analysis, subject) : NULL;
    const char *message_id = g_mime_message_get_message_id (message);
    m->message_id = message_id != NULL ? intern_capped (analysis, message_id) : NULL;
    m->return_path = angle_address (analysis, md_analysis_get_header (analysis, "Return-Path"));
    m->auto_submitted = md_analysis_get_header (analysis, "Auto-Submitted");
    m->list_id = md_analysis_get_header (analysis, "List-Id");
    const char *date = md_analysis_get_header (analysis, "Date");
    if (date != NULL) {
        md_date_parse (date, strlen (date), &m->date);
        m->date.raw = date;
    }
}

#define MD_MAX_MIME_DEPTH 32            /* bounces nest 3 deep; deeper is hostile or broken */
#define MD_MAX_HUMAN_TEXT (256u * 1024) /* the readable part of a bounce is a few KB */
#define MD_MAX_REPORT_PART (1024u * 1024) /* a DSN of 10,000 recipients is about 1 MB */

typedef struct {
    MdAnalysis *analysis;
    MdReturned *returned;
    GString *human, *html, *delivery_status, *feedback;
    gboolean global_dsn;
} BodyWalk;

/* Appends the decoded content of @part (transfer encoding undone, charset untouched) to @into,
 * up to @limit bytes. */
static void
append_content (GMimePart *part, GString *into, gsize limit)
{
    GMimeDataWrapper *wrapper = g_mime_part_get_content (part);
    if (wrapper == NULL || into->len >= limit)
        return;
    g_autoptr (GMimeStream) mem = g_mime_stream_mem_new ();
    g_mime_data_wrapper_write_to_stream (wrapper, mem);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
    g_string_append_len (into, (const char *) bytes->data, (gssize) MIN (bytes->len, limit - into->len));
}

/* Appends the text of a text part, decoded and converted to UTF-8 by GMime. A part already in
 * UTF-8 or US-ASCII (most bounces) needs only its transfer encoding undone: GMime's conversion
 * would run iconv over it for nothing (interning checks the UTF-8 afterwards). */
static void
append_text (GMimeTextPart *part, GString *into)
{
    if (into->len >= MD_MAX_HUMAN_TEXT)
        return;
    const char *charset = g_mime_text_part_get_charset (part);
    /* Without a charset GMime guesses (ISO-2022-JP is 7-bit): only a named one is trusted. */
    if (charset != NULL && (g_ascii_strcasecmp (charset, "us-ascii") == 0 ||
                            g_ascii_strcasecmp (charset, "utf-8") == 0)) {
        if (into->len > 0 && into->str[into->len - 1] != '\n')
            g_string_append_c (into, '\n');
        append_content (GMIME_PART (part), into, MD_MAX_HUMAN_TEXT);
        return;
    }
    g_autofree char *text = g_mime_text_part_get_text (part);
    if (text == NULL)
        return;
    if (into->len > 0 && into->str[into->len - 1] != '\n')
        g_string_append_c (into, '\n');
    g_string_append_len (into, text, (gssize) MIN (strlen (text), MD_MAX_HUMAN_TEXT - into->len));
}

/* Facts for the message checks about one text/plain part: HTML markup sent as plain text, and
 * bytes that are not in the declared charset (8-bit in US-ASCII, invalid UTF-8). */
static void
check_plain_text (BodyWalk *walk, GMimeTextPart *part, const char *text, gsize len)
{
    MdBody *facts = &walk->analysis->body;
    gsize head = MIN (len, 4096);
    static const char *const markup[] = { "<html", "<body", "<div", "<table", "<br>", "<p>" };
    for (guint i = 0; i < G_N_ELEMENTS (markup) && !facts->plain_has_html; i++)
        for (gsize j = 0; j + strlen (markup[i]) <= head && !facts->plain_has_html; j++)
            facts->plain_has_html = g_ascii_strncasecmp (text + j, markup[i], strlen (markup[i])) == 0;
    const char *charset = g_mime_text_part_get_charset (part);
    if (charset != NULL && g_ascii_strcasecmp (charset, "us-ascii") == 0) {
        for (gsize i = 0; i < len && !facts->charset_mismatch; i++)
            facts->charset_mismatch = (guchar) text[i] >= 0x80;
    } else if (charset != NULL && g_ascii_strcasecmp (charset, "utf-8") == 0) {
        facts->charset_mismatch |= !g_utf8_validate_len (text, len, NULL);
    }
}

static void copy_returned (BodyWalk *walk, GMimeMessage *message);
static void parse_returned_headers (BodyWalk *walk, const char *data, gsize len);

static void
walk_body (BodyWalk *walk, GMimeObject *object, guint depth)
{
    if (object == NULL)
        return;
    if (depth > MD_MAX_MIME_DEPTH) {
        md_analysis_warn (walk->analysis, "mime-too-deep", 0, NULL);
        return;
    }
    GMimeContentType *type = g_mime_object_get_content_type (object);
    const char *media = type != NULL ? g_mime_content_type_get_media_type (type) : "text";
    const char *sub = type != NULL ? g_mime_content_type_get_media_subtype (type) : "plain";
    if (GMIME_IS_MULTIPART (object)) {
        if (g_ascii_strcasecmp (sub, "report") == 0 && walk->analysis->body.report_type == NULL) {
            const char *report_type = g_mime_object_get_content_type_parameter (object, "report-type");
            if (report_type != NULL)
                walk->analysis->body.report_type = md_analysis_intern (walk->analysis, report_type, -1);
        }
        GMimeMultipart *multipart = GMIME_MULTIPART (object);
        int count = g_mime_multipart_get_count (multipart);
        MdBody *facts = &walk->analysis->body;
        if (g_ascii_strcasecmp (sub, "alternative") == 0 &&
            (facts->alternative_parts < 0 || count < facts->alternative_parts))
            facts->alternative_parts = count;
        for (int i = 0; i < count; i++)
            walk_body (walk, g_mime_multipart_get_part (multipart, i), depth + 1);
        /* A boundary that never occurs (a damaged bounce) leaves the whole body in the prologue:
         * it is still the text a person would read. */
        const char *prologue = g_mime_multipart_get_prologue (multipart);
        if (count == 0 && prologue != NULL && walk->human->len < MD_MAX_HUMAN_TEXT)
            g_string_append_len (walk->human, prologue,
                                 (gssize) MIN (strlen (prologue), MD_MAX_HUMAN_TEXT - walk->human->len));
        return;
    }
    if (GMIME_IS_MESSAGE_PART (object)) {
        GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));
        GMimeObject *inner_body = inner != NULL ? g_mime_message_get_mime_part (inner) : NULL;
        GMimeContentType *inner_type =
            inner_body != NULL ? g_mime_object_get_content_type (inner_body) : NULL;
        /* A report forwarded as an attachment (lhost-x5-01): when the message itself carries no
         * report, the forwarded one is read as if it were the message. */
        if (walk->delivery_status->len == 0 && walk->returned->original == NULL &&
            inner_type != NULL && GMIME_IS_MULTIPART (inner_body) &&
            g_ascii_strcasecmp (g_mime_content_type_get_media_subtype (inner_type), "report") == 0) {
            walk_body (walk, inner_body, depth + 1);
            return;
        }
        /* message/rfc822: the returned message; its body is the sender's, not the report's. */
        copy_returned (walk, inner);
        return;
    }
    if (!GMIME_IS_PART (object))
        return;
    GMimePart *part = GMIME_PART (object);
    if (g_ascii_strcasecmp (media, "message") == 0) {
        if (g_ascii_strcasecmp (sub, "delivery-status") == 0 ||
            g_ascii_strcasecmp (sub, "global-delivery-status") == 0) {
            walk->global_dsn |= g_ascii_strcasecmp (sub, "global-delivery-status") == 0;
            append_content (part, walk->delivery_status, MD_MAX_REPORT_PART);
        } else if (g_ascii_strcasecmp (sub, "feedback-report") == 0) {
            append_content (part, walk->feedback, MD_MAX_REPORT_PART);
        } else if (g_ascii_strcasecmp (sub, "global") == 0 ||
                   g_ascii_strcasecmp (sub, "global-headers") == 0 ||
                   g_ascii_strcasecmp (sub, "rfc822") == 0) {
            /* RFC 6533's message/global(-headers): a returned message GMime keeps as a leaf. */
            g_autoptr (GString) raw = g_string_new (NULL);
            append_content (part, raw, MD_MAX_REPORT_PART);
            parse_returned_headers (walk, raw->str, raw->len);
        }
        return;
    }
    if (g_ascii_strcasecmp (media, "text") == 0) {
        if (g_ascii_strcasecmp (sub, "rfc822-headers") == 0) {
            g_autoptr (GString) raw = g_string_new (NULL);
            append_content (part, raw, MD_MAX_REPORT_PART);
            parse_returned_headers (walk, raw->str, raw->len);
        } else if (g_ascii_strcasecmp (sub, "html") == 0) {
            append_text (GMIME_TEXT_PART (object), walk->html);
        } else if (GMIME_IS_TEXT_PART (object)) {
            gsize before = walk->human->len;
            append_text (GMIME_TEXT_PART (object), walk->human);
            check_plain_text (walk, GMIME_TEXT_PART (object), walk->human->str + before,
                              walk->human->len - before);
        }
    }
}

/* Text of an HTML part without tags and with entities of the markup kept as written: enough for
 * patterns over the words of an HTML-only bounce. */
static void
strip_tags (GString *html, GString *into)
{
    gboolean in_tag = FALSE;
    for (gsize i = 0; i < html->len; i++) {
        char c = html->str[i];
        if (c == '<') {
            in_tag = TRUE;
            /* block elements end lines, so line-anchored patterns still work */
            if (i + 3 < html->len && (g_ascii_strncasecmp (html->str + i, "<br", 3) == 0 ||
                                      g_ascii_strncasecmp (html->str + i, "<p", 2) == 0 ||
                                      g_ascii_strncasecmp (html->str + i, "<tr", 3) == 0 ||
                                      g_ascii_strncasecmp (html->str + i, "<div", 4) == 0))
                g_string_append_c (into, '\n');
        } else if (c == '>' && in_tag) {
            in_tag = FALSE;
        } else if (!in_tag) {
            g_string_append_c (into, c);
        }
    }
}

static void
read_body (MdAnalysis *analysis, GMimeMessage *message, MdReturned *returned)
{
    BodyWalk walk = { analysis, returned, g_string_new (NULL), g_string_new (NULL),
                      g_string_new (NULL), g_string_new (NULL), FALSE };
    walk_body (&walk, g_mime_message_get_mime_part (message), 0);
    if (walk.html->len > 0) {
        /* what a reader sees of the HTML: its visible characters and its images */
        g_autoptr (GString) visible = g_string_new (NULL);
        strip_tags (walk.html, visible);
        int chars = 0;
        for (gsize i = 0; i < visible->len; i++)
            chars += !g_ascii_isspace (visible->str[i]);
        analysis->body.html_text_chars = chars;
        for (const char *p = walk.html->str; (p = strchr (p, '<')) != NULL; p++)
            if (g_ascii_strncasecmp (p + 1, "img", 3) == 0)
                analysis->body.html_images++;
        if (walk.human->len == 0)
            g_string_append_len (walk.human, visible->str, (gssize) visible->len);
    }
    MdBody *body = &analysis->body;
    if (walk.human->len > 0) {
        body->human_text =
            md_analysis_intern_text (analysis, walk.human->str, (gssize) walk.human->len);
        body->human_text_len = strlen (body->human_text);
    }
    if (walk.delivery_status->len > 0) {
        body->delivery_status = md_analysis_intern_text (analysis, walk.delivery_status->str,
                                                         (gssize) walk.delivery_status->len);
        body->delivery_status_len = strlen (body->delivery_status);
        body->global_dsn = walk.global_dsn;
    }
    if (walk.feedback->len > 0) {
        body->feedback_report = md_analysis_intern_text (analysis, walk.feedback->str,
                                                         (gssize) walk.feedback->len);
        body->feedback_report_len = strlen (body->feedback_report);
    }
    g_string_free (walk.human, TRUE);
    g_string_free (walk.html, TRUE);
    g_string_free (walk.delivery_status, TRUE);
    g_string_free (walk.feedback, TRUE);
}

static gboolean
parse_stream (MdAnalysis *analysis, GMimeStream *stream, GPtrArray *received, MdReturned *returned)
{
    /* No parser warning callback: with one set, GMime checks every header field for its
     * warnings and its parse of a bounce costs half again as much (callgrind, issue #7). */
    g_autoptr (GMimeParser) parser = g_mime_parser_new_with_stream (stream);
    g_autoptr (GMimeMessage) message = g_mime_parser_construct_message (parser, NULL);
    if (message == NULL)
        return FALSE;
    copy_message (analysis, message, received);
    if (returned != NULL)
        read_body (analysis, message, returned);
    return TRUE;
}

/* The first returned message wins: a report carries one. */
static gboolean
start_returned (BodyWalk *walk)
{
    if (walk->returned->original != NULL)
        return FALSE;
    walk->returned->original = md_analysis_new ();
    walk->returned->received = g_ptr_array_new ();
    return TRUE;
}

static void
copy_returned (BodyWalk *walk, GMimeMessage *message)
{
    if (message != NULL && start_returned (walk))
        copy_message (walk->returned->original, message, walk->returned->received);
}

static void
parse_returned_headers (BodyWalk *walk, const char *data, gsize len)
{
    if (len == 0 || !start_returned (walk))
        return;
    if (!md_message_parse (walk->returned->original, data, len, walk->returned->received, NULL)) {
        md_analysis_free (walk->returned->original);
        g_ptr_array_unref (walk->returned->received);
        walk->returned->original = NULL;
        walk->returned->received = NULL;
    }
}

/* The length of the header block of @data with its blank line, or @len when there is no body.
 * Where the body is not wanted, GMime is not given it: it is where GMime spends most of its
 * time on a bounce (STYLE §1: parse only what a message needs). */
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

/* GMime keeps five copies of a header field while it parses one (its buffer, the raw value,
 * the value, the unfolded and the decoded text): a field over MD_MAX_HEADER_VALUE is cut before
 * GMime sees it. Returns a copy of @data with every overlong field of the top-level header block
 * cut (the body follows unchanged), *out_len its length, or NULL when no field is overlong (then
 * nothing is copied). Each cut field gets a "header-truncated" warning. */
static char *
cut_long_fields (MdAnalysis *analysis, const char *data, gsize len, gsize *out_len)
{
    gsize head = header_block_length (data, len);
    const char *end = data + head;
    GString *out = NULL;
    gsize copied = 0; /* bytes of @data before here are in @out already */
    const char *p = data;
    while (p < end) {
        /* one field: its first line and every continuation line (starting with SP or HTAB) */
        const char *field = p;
        do {
            const char *nl = memchr (p, '\n', (gsize) (end - p));
            p = nl != NULL ? nl + 1 : end;
        } while (p < end && (*p == ' ' || *p == '\t'));
        gsize field_len = (gsize) (p - field);
        if (field_len <= MD_MAX_HEADER_VALUE + 1024) /* a name and line ends of slack */
            continue;
        if (out == NULL)
            out = g_string_sized_new (head + MD_MAX_HEADER_VALUE);
        g_string_append_len (out, data + copied, (gssize) (field - (data + copied)));
        gsize keep = capped_length (field, MD_MAX_HEADER_VALUE + 1024);
        g_string_append_len (out, field, (gssize) keep);
        g_string_append_c (out, '\n');
        copied = (gsize) (p - data);
        const char *colon = memchr (field, ':', MIN (keep, (gsize) 256));
        g_autofree char *name = g_strndup (field, colon != NULL ? (gsize) (colon - field) : 0);
        md_analysis_warn (analysis, "header-truncated", (gsize) (field - data),
                          md_analysis_intern (analysis, name, -1));
    }
    if (out == NULL)
        return NULL;
    g_string_append_len (out, data + copied, (gssize) (len - copied));
    *out_len = out->len;
    return g_string_free (out, FALSE);
}

gboolean
md_message_parse (MdAnalysis *analysis, const char *data, gsize len, GPtrArray *received,
                  MdReturned *returned)
{
    md_message_init ();
    if (returned == NULL)
        len = header_block_length (data, len);
    gsize cut_len = 0;
    g_autofree char *cut = cut_long_fields (analysis, data, len, &cut_len);
    if (cut != NULL) {
        data = cut;
        len = cut_len;
    }
    /* A byte array that borrows @data: no copy of the message (DESIGN §6: a memory stream). It
     * outlives the stream and every GMime object, which may keep substreams of it. */
    GByteArray *array = g_byte_array_new_take ((guint8 *) data, len);
    gboolean ok;
    {
        g_autoptr (GMimeStream) stream = g_mime_stream_mem_new_with_byte_array (array);
        g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
        ok = parse_stream (analysis, stream, received, returned);
    }
    (void) g_byte_array_steal (array, NULL); /* the bytes are the caller's */
    g_byte_array_unref (array);
    return ok;
}
