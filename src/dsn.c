/* dsn.c - delivery status notifications → MdBounce: a per-message group of fields, then one group
 * per recipient (RFC 3464 §2.1–2.3; RFC 6533 §3 for message/global-delivery-status). It reads the
 * report part only: the human text and non-standard bounces are for the rules and bounce.c.
 * Real MTAs are tolerated: folds, CRLF, unindented diagnostic lines, groups run together or split,
 * no per-message group, fields in any order and case (each case cites its corpus file). */
#include <string.h>

#include "date.h"
#include "dsn.h"
#include "status.h"

/* RFC 5322 §2.1.1 keeps a line within 78 characters; a longer "name" is not a field name. */
#define MD_DSN_MAX_NAME 76
/* address-type, mta-name-type and diagnostic-type are atoms: "rfc822", "x-local-hostname" */
#define MD_DSN_MAX_TYPE 32
/* "failed", "delayed", "delivered", "relayed", "expanded" (RFC 3464 §2.3.3) */
#define MD_DSN_MAX_ACTION 32

/* The fields read; RFC 3464 §2.3 per-recipient ones first. DSN-Gateway, Received-From-MTA,
 * Original-Envelope-Id and extension fields (X-Postfix-Sender, X-Display-Name…) are skipped. */
typedef enum {
    F_ORIGINAL_RECIPIENT,
    F_FINAL_RECIPIENT,
    F_ACTION,
    F_STATUS,
    F_REMOTE_MTA,
    F_DIAGNOSTIC_CODE,
    F_LAST_ATTEMPT_DATE,
    F_FINAL_LOG_ID,
    F_WILL_RETRY_UNTIL,
    N_RECIPIENT_FIELDS,
    F_REPORTING_MTA = N_RECIPIENT_FIELDS, /* §2.2 per-message */
    F_ARRIVAL_DATE,
    N_FIELDS,
    F_OTHER = N_FIELDS,
} Field;

static const char *const field_names[N_FIELDS] = {
    [F_ORIGINAL_RECIPIENT] = "Original-Recipient",
    [F_FINAL_RECIPIENT] = "Final-Recipient",
    [F_ACTION] = "Action",
    [F_STATUS] = "Status",
    [F_REMOTE_MTA] = "Remote-MTA",
    [F_DIAGNOSTIC_CODE] = "Diagnostic-Code",
    [F_LAST_ATTEMPT_DATE] = "Last-Attempt-Date",
    [F_FINAL_LOG_ID] = "Final-Log-ID",
    [F_WILL_RETRY_UNTIL] = "Will-Retry-Until",
    [F_REPORTING_MTA] = "Reporting-MTA",
    [F_ARRIVAL_DATE] = "Arrival-Date",
};

/* One per-recipient group: the values as read (owned), NULL when absent. */
typedef struct {
    char *value[N_RECIPIENT_FIELDS];
} Group;

static void
group_clear (gpointer data)
{
    Group *group = data;
    for (guint i = 0; i < N_RECIPIENT_FIELDS; i++)
        g_free (group->value[i]);
}

static gboolean
is_blank (char c)
{
    return c == ' ' || c == '\t';
}

static gsize
line_end (const char *text, gsize len, gsize p)
{
    while (p < len && text[p] != '\n' && text[p] != '\r')
        p++;
    return p;
}

/* skip_eol - past the line end at @p: LF, CRLF, a lone CR, and "CR CR LF" (a CRLF message
 * converted once more) as one line end, not two */
static gsize
skip_eol (const char *text, gsize len, gsize p)
{
    gsize q = p;
    while (q < len && text[q] == '\r')
        q++;
    if (q < len && text[q] == '\n')
        return q + 1;
    return p < len ? p + 1 : p;
}

/* append_segment - appends @text trimmed to @value, one space before it when @value is not empty,
 * at most MD_DSN_MAX_VALUE bytes in all, cut at a character boundary (sets *@truncated) */
static void
append_segment (GString *value, const char *text, gsize n, gboolean *truncated)
{
    while (n > 0 && is_blank (text[0]))
        text++, n--;
    while (n > 0 && is_blank (text[n - 1]))
        n--;
    if (n == 0 || *truncated)
        return;
    gsize room = MD_DSN_MAX_VALUE - MIN (value->len, MD_DSN_MAX_VALUE);
    if (value->len > 0) {
        if (room == 0) {
            *truncated = TRUE;
            return;
        }
        g_string_append_c (value, ' ');
        room--;
    }
    if (n > room) {
        *truncated = TRUE;
        n = room;
        while (n > 0 && ((guchar) text[n] & 0xC0) == 0x80)
            n--; /* text[n] continues a UTF-8 character: cut before it */
    }
    g_string_append_len (value, text, (gssize) n);
}

/* field-name = 1*ftext; ftext = %d33-57 / %d59-126 (RFC 5322 §3.6.8); blanks before the colon
 * are obsolete syntax (§4.5) but tolerated. */
MdDsnItem
md_dsn_next (const char *text, gsize len, gsize *pos, MdDsnLine *line, GString *value)
{
    gsize p = *pos;
    g_string_truncate (value, 0);
    *line = (MdDsnLine){ NULL, 0, p, FALSE };
    if (p >= len)
        return MD_DSN_END;
    gsize end = line_end (text, len, p);
    gsize first = p;
    while (first < end && is_blank (text[first]))
        first++;
    if (first == end) {
        *pos = skip_eol (text, len, end);
        return MD_DSN_BLANK;
    }
    gsize name_end = p;
    if (first == p)
        while (name_end < end && name_end - p <= MD_DSN_MAX_NAME && (guchar) text[name_end] > 32 &&
               (guchar) text[name_end] < 127 && text[name_end] != ':')
            name_end++;
    gsize colon = name_end;
    while (colon < end && is_blank (text[colon]))
        colon++;
    if (name_end == p || name_end - p > MD_DSN_MAX_NAME || colon >= end || text[colon] != ':') {
        append_segment (value, text + first, end - first, &line->truncated);
        *pos = skip_eol (text, len, end);
        return MD_DSN_STRAY;
    }
    line->name = text + p;
    line->name_len = name_end - p;
    append_segment (value, text + colon + 1, end - colon - 1, &line->truncated);
    p = skip_eol (text, len, end);
    /* RFC 5322 §2.2.3: a line starting with a blank continues the field; an all-blank line ends
     * the group instead (it is left for the next call). */
    while (p < len && is_blank (text[p])) {
        end = line_end (text, len, p);
        first = p;
        while (first < end && is_blank (text[first]))
            first++;
        if (first == end)
            break;
        append_segment (value, text + first, end - first, &line->truncated);
        p = skip_eol (text, len, end);
    }
    *pos = p;
    return MD_DSN_FIELD;
}

const char *
md_dsn_strip_type (const char *value, char **type)
{
    if (type != NULL)
        *type = NULL;
    const char *start = value;
    while (is_blank (*start))
        start++;
    const char *p = start;
    while ((g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.') &&
           p - start <= MD_DSN_MAX_TYPE)
        p++;
    const char *semicolon = p;
    while (is_blank (*semicolon))
        semicolon++;
    if (p == start || p - start > MD_DSN_MAX_TYPE || *semicolon != ';')
        return start;
    if (type != NULL)
        *type = g_ascii_strdown (start, p - start);
    p = semicolon + 1;
    while (is_blank (*p))
        p++;
    return p;
}

/* hex_value - the value of 1 to 6 hex digits at @p ending in "}", their count in @used, or -1 */
static gint32
hex_value (const char *p, gsize *used)
{
    gint32 v = 0;
    gsize i = 0;
    while (i < 6 && g_ascii_isxdigit (p[i]))
        v = v * 16 + g_ascii_xdigit_value (p[i++]);
    *used = i;
    return i > 0 && p[i] == '}' ? v : -1;
}

/* RFC 6533 §3: embedded-unicode-char = %x5C.78 "{" HEXPOINT "}" ("\x{E9}"), for utf-8 addresses
 * where raw UTF-8 may not stand. A code point that is not a Unicode scalar value stays as written.
 */
static char *
decode_unicode_escapes (const char *p, gsize n)
{
    GString *out = g_string_sized_new (n);
    for (gsize i = 0; i < n;) {
        gsize used;
        gint32 v;
        if (i + 4 < n && p[i] == '\\' && p[i + 1] == 'x' && p[i + 2] == '{' &&
            (v = hex_value (p + i + 3, &used)) > 0 && i + 3 + used < n && v <= 0x10FFFF &&
            (v < 0xD800 || v > 0xDFFF)) {
            g_string_append_unichar (out, (gunichar) v);
            i += 3 + used + 1;
        } else {
            g_string_append_c (out, p[i++]);
        }
    }
    return g_string_free (out, FALSE);
}

char *
md_dsn_address (const char *value)
{
    g_autofree char *type = NULL;
    const char *p = md_dsn_strip_type (value, &type);
    gsize n = strlen (p);
    /* "rfc822; <a@example.org>" (lhost-mcafee-01 writes "Original-Recipient: <a@…>") */
    if (n > 0 && p[0] == '<') {
        const char *close = memchr (p, '>', n);
        p++;
        n = close != NULL ? (gsize) (close - p) : n - 1;
    }
    while (n > 0 && is_blank (p[0]))
        p++, n--;
    while (n > 0 && is_blank (p[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    if (type != NULL && strcmp (type, "utf-8") == 0)
        return decode_unicode_escapes (p, n);
    return g_strndup (p, n);
}

static Field
field_lookup (const char *name, gsize n)
{
    for (guint f = 0; f < N_FIELDS; f++)
        if (strlen (field_names[f]) == n && g_ascii_strncasecmp (name, field_names[f], n) == 0)
            return (Field) f;
    return F_OTHER;
}

typedef struct {
    MdAnalysis *analysis;
    GArray *groups; /* Group */
    char *reporting_mta, *arrival_date;
    gboolean blank_since; /* a blank line since the last per-recipient field */
} Reader;

/* store - files one field; FALSE when the recipient limit stops the reading */
static gboolean
store (Reader *reader, Field field, const GString *value, gsize offset)
{
    if (field == F_OTHER)
        return TRUE;
    if (field == F_REPORTING_MTA || field == F_ARRIVAL_DATE) {
        char **slot = field == F_REPORTING_MTA ? &reader->reporting_mta : &reader->arrival_date;
        if (*slot == NULL)
            *slot = g_strndup (value->str, value->len);
        return TRUE;
    }
    GArray *groups = reader->groups;
    Group *group = groups->len > 0 ? &g_array_index (groups, Group, groups->len - 1) : NULL;
    /* A new group starts at a field the current one already has (groups run together without a
     * blank line), or after a blank line once the current one names its recipient. A group that
     * names none yet goes on across a blank line: rhost-messagelabs writes the per-recipient
     * fields with Final-Recipient last. */
    if (group == NULL || group->value[field] != NULL ||
        (reader->blank_since &&
         (group->value[F_FINAL_RECIPIENT] != NULL || group->value[F_ORIGINAL_RECIPIENT] != NULL))) {
        if (groups->len >= MD_DSN_MAX_RECIPIENTS) {
            md_analysis_warn (reader->analysis, "report-recipient-limit", offset, NULL);
            return FALSE;
        }
        g_array_set_size (groups, groups->len + 1);
        group = &g_array_index (groups, Group, groups->len - 1);
    }
    group->value[field] = g_strndup (value->str, value->len);
    reader->blank_since = FALSE;
    return TRUE;
}

/* read_date - @raw as an MdDate with its text kept */
static void
read_date (MdAnalysis *analysis, const char *raw, MdDate *out)
{
    if (raw == NULL || *raw == '\0')
        return;
    MdDate date = { 0 };
    md_date_parse (raw, strlen (raw), &date);
    date.raw = md_analysis_intern (analysis, raw, -1);
    *out = date;
}

/* intern_nonempty - @text interned, NULL when NULL or empty */
static const char *
intern_nonempty (MdAnalysis *analysis, const char *text)
{
    return text != NULL && *text != '\0' ? md_analysis_intern (analysis, text, -1) : NULL;
}

/* fill_status - the recipient's status, reply code and title. Like Sisimai, a DSN Status that
 * gives only its class ("5.0.0", "4.0.0") yields to a specific status of the same class in the
 * Diagnostic-Code, which is the receiving server's own word (lhost-amazonses-03: Status 5.0.0,
 * diagnostic "… 550-'5.2.2 … Mailbox Full'"); so does a missing Status. status_source tells
 * which one was used. */
static void
fill_status (MdAnalysis *analysis, MdRecipient *r, const char *status_value)
{
    MdStatus dsn = { 0, 0, 0 }, diagnostic = { 0, 0, 0 };
    gboolean have_dsn = FALSE;
    if (status_value != NULL && *status_value != '\0') {
        have_dsn = md_status_parse (status_value, strlen (status_value), &dsn) > 0;
        if (!have_dsn)
            md_analysis_warn (analysis, "dsn-bad-status", 0, status_value);
    }
    int reply = 0;
    gsize offset;
    if (r->diagnostic != NULL)
        md_status_scan (r->diagnostic, strlen (r->diagnostic), &diagnostic, &reply, &offset);
    /* "X-Unix; 255" (lhost-sendmail-18) is a local program's exit status, not an SMTP reply */
    if (g_strcmp0 (r->diagnostic_type, "x-unix") == 0)
        reply = 0;
    r->reply_code = reply;
    MdStatus status = { 0, 0, 0 };
    gboolean specific =
        diagnostic.klass != 0 && (diagnostic.subject != 0 || diagnostic.detail != 0);
    /* The remote server's own specific status beats the reporting MTA's summary of it: Sendmail
     * reports 4.4.7 for any message it gave up on, the server said "452 4.4.5 Insufficient disk
     * space" (lhost-sendmail-39); "5.1.1" for a server's "550 5.7.1 IP address blacklisted"
     * (lhost-sendmail-33). */
    gboolean same = memcmp (&dsn, &diagnostic, sizeof dsn) == 0;
    if (have_dsn && (!specific || same)) {
        status = dsn;
        r->status_source = "dsn";
    } else if (diagnostic.klass != 0) {
        status = diagnostic;
        r->status_source = "diagnostic";
    }
    if (status.klass == 0)
        return;
    char buf[MD_STATUS_FORMAT_SIZE];
    md_status_format (&status, buf);
    r->status = md_analysis_intern (analysis, buf, -1);
    r->status_title = md_status_title (&status);
    /* "554 4.4.7 Message expired" (Amazon SES): the status is trusted, the contradiction noted */
    if (reply != 0 && reply / 100 != status.klass)
        md_analysis_warn (analysis, "status-reply-mismatch", 0, r->recipient);
}

static void
fill_recipient (MdAnalysis *analysis, Group *group)
{
    char **v = group->value;
    MdRecipient *r = md_bounce_add_recipient (analysis);
    g_autofree char *final =
        v[F_FINAL_RECIPIENT] != NULL ? md_dsn_address (v[F_FINAL_RECIPIENT]) : NULL;
    g_autofree char *original =
        v[F_ORIGINAL_RECIPIENT] != NULL ? md_dsn_address (v[F_ORIGINAL_RECIPIENT]) : NULL;
    /* Final-Recipient is required (RFC 3464 §2.3.2), but lhost-mcafee gives only the original */
    r->recipient = md_analysis_intern (analysis, final != NULL ? final : original, -1);
    r->original_recipient = md_analysis_intern (analysis, original, -1);
    if (v[F_ACTION] != NULL) {
        gsize n = 0;
        while (v[F_ACTION][n] != '\0' && !g_ascii_isspace (v[F_ACTION][n]) && n < MD_DSN_MAX_ACTION)
            n++;
        g_autofree char *action = g_ascii_strdown (v[F_ACTION], (gssize) n);
        r->action = intern_nonempty (analysis, action);
    }
    if (v[F_REMOTE_MTA] != NULL)
        r->remote_mta = intern_nonempty (analysis, md_dsn_strip_type (v[F_REMOTE_MTA], NULL));
    if (v[F_DIAGNOSTIC_CODE] != NULL) {
        g_autofree char *type = NULL;
        const char *text = md_dsn_strip_type (v[F_DIAGNOSTIC_CODE], &type);
        r->diagnostic = intern_nonempty (analysis, text);
        r->diagnostic_type = intern_nonempty (analysis, type);
    }
    read_date (analysis, v[F_LAST_ATTEMPT_DATE], &r->last_attempt);
    fill_status (analysis, r, v[F_STATUS]);
    if (r->diagnostic != NULL)
        r->smtp_command = md_smtp_command_scan (r->diagnostic, strlen (r->diagnostic));
}

/* A group is a recipient when it names one, or at least gives a status. Anything else is debris:
 * the returned message's header block when the MIME boundary is lost (rhost-franceptt-08), where
 * an mbox "Status: RO" must not make a recipient. */
static gboolean
group_is_recipient (const Group *group)
{
    MdStatus status;
    const char *text = group->value[F_STATUS];
    return group->value[F_FINAL_RECIPIENT] != NULL || group->value[F_ORIGINAL_RECIPIENT] != NULL ||
           (text != NULL && md_status_parse (text, strlen (text), &status) > 0);
}

gboolean
md_dsn_parse (MdAnalysis *analysis, const char *text, gsize len, gboolean global)
{
    g_return_val_if_fail (analysis != NULL, FALSE);
    if (text == NULL)
        return FALSE;
    g_autoptr (GArray) groups = g_array_new (FALSE, TRUE, sizeof (Group));
    g_array_set_clear_func (groups, group_clear);
    Reader reader = { analysis, groups, NULL, NULL, FALSE };
    g_autofree char *reporting_mta = NULL, *arrival_date = NULL;
    g_autoptr (GString) value = g_string_new (NULL);
    g_autoptr (GString) pending = g_string_new (NULL);
    Field pending_field = F_OTHER;
    gsize pending_offset = 0;
    gboolean have_pending = FALSE, pending_truncated = FALSE;
    gsize pos = 0;
    /* A field is filed when the next item shows it complete: a stray line may still belong to it.
     */
    for (;;) {
        MdDsnLine line;
        MdDsnItem item = md_dsn_next (text, len, &pos, &line, value);
        if (item == MD_DSN_STRAY) {
            /* rhost-messagelabs-01 continues its Diagnostic-Code on unindented "550-…" lines */
            if (have_pending && pending_field == F_DIAGNOSTIC_CODE)
                append_segment (pending, value->str, value->len, &pending_truncated);
            else
                md_analysis_warn (analysis, "report-stray-line", line.offset, NULL);
            continue;
        }
        if (have_pending) {
            if (pending_truncated)
                md_analysis_warn (analysis, "report-field-truncated", pending_offset,
                                  field_names[pending_field]);
            have_pending = FALSE;
            if (!store (&reader, pending_field, pending, pending_offset))
                break;
        }
        if (item == MD_DSN_END)
            break;
        if (item == MD_DSN_BLANK) {
            reader.blank_since = TRUE;
            continue;
        }
        pending_field = field_lookup (line.name, line.name_len);
        pending_offset = line.offset;
        pending_truncated = line.truncated;
        GString *swap = pending;
        pending = value;
        value = swap;
        have_pending = TRUE;
    }
    reporting_mta = reader.reporting_mta;
    arrival_date = reader.arrival_date;

    gboolean any = FALSE;
    for (guint i = 0; i < groups->len && !any; i++)
        any = group_is_recipient (&g_array_index (groups, Group, i));
    if (!any)
        return FALSE;
    MdBounce *bounce = md_analysis_ensure_bounce (analysis);
    bounce->format = global ? "rfc6533" : "rfc3464";
    if (reporting_mta != NULL)
        bounce->reporting_mta = intern_nonempty (analysis, md_dsn_strip_type (reporting_mta, NULL));
    read_date (analysis, arrival_date, &bounce->arrival_date);
    for (guint i = 0; i < groups->len; i++) {
        Group *group = &g_array_index (groups, Group, i);
        if (group_is_recipient (group))
            fill_recipient (analysis, group);
    }
    return TRUE;
}
