/* dsn.h - RFC 3464 message/delivery-status and RFC 6533 message/global-delivery-status bodies →
 * the analysis' bounce (private). The field reader and the address cleaner are shared with arf.c:
 * a feedback report is written in the same header-style fields. */
#pragma once
#include <maildiag/analysis.h>

/* An unfolded field value longer than this is cut, with a "report-field-truncated" warning: the
 * longest real Diagnostic-Code (Exchange's, quoting a MAPI exception) is under 1 KB, and a
 * megabyte "value" is garbage that would bloat every output. */
#define MD_DSN_MAX_VALUE (8u * 1024)
/* At most this many recipients are read from one report (warning "report-recipient-limit"). A
 * DSN covers one SMTP transaction; Postfix's default smtpd_recipient_limit is 1000, so this is
 * ten times what any real one holds, and it bounds a hostile one. */
#define MD_DSN_MAX_RECIPIENTS 10000

/* What md_dsn_next read. */
typedef enum {
    MD_DSN_END,   /* no more text */
    MD_DSN_FIELD, /* "Name: value" with its continuation lines */
    MD_DSN_BLANK, /* an empty or all-blank line: the end of a group (RFC 3464 §2.1) */
    MD_DSN_STRAY, /* a line that is neither: not a field, or a continuation without a field */
} MdDsnItem;

typedef struct {
    const char *name; /* MD_DSN_FIELD: the name as written, not NUL-terminated */
    gsize name_len;
    gsize offset;       /* where the item starts in the text */
    gboolean truncated; /* the value was cut at MD_DSN_MAX_VALUE */
} MdDsnLine;

/* md_dsn_next - reads the item at *@pos and moves *@pos past it. For a field, @value gets the
 * value unfolded (each fold and the blanks around it become one space) and trimmed; for a stray
 * line, the line trimmed. Lines end in LF, CRLF or CR. */
MdDsnItem md_dsn_next (const char *text, gsize len, gsize *pos, MdDsnLine *line, GString *value);
/* md_dsn_strip_type - @value (NUL-terminated) after a leading "type;" (RFC 3464 address-type,
 * mta-name-type, diagnostic-type: an atom), trimmed; the type lower-cased into @type when given
 * (NULL when there was none, else transfer full) (transfer none: points into @value) */
const char *md_dsn_strip_type (const char *value, char **type);
/* md_dsn_address - the address in an address field ("rfc822; <a@example.org>" → a@example.org),
 * with RFC 6533 \x{HEX} escapes decoded when the type is utf-8; NULL when empty (transfer full) */
char *md_dsn_address (const char *value);

/* md_dsn_parse - reads a delivery-status body (@global: RFC 6533) into the analysis' bounce: one
 * recipient per per-recipient group, with status, reply code, diagnostic and SMTP command.
 * Returns FALSE, leaving the analysis as it was but for warnings, when no recipient group is found.
 */
gboolean md_dsn_parse (MdAnalysis *analysis, const char *text, gsize len, gboolean global);
