/* analysis.h - the analysis model: a plain C tree that extractors fill, rules read and formatters print.
 * No GMime or PCRE2 type appears here (DESIGN §1). Every string is valid UTF-8, interned in the
 * analysis' GStringChunk, so one md_analysis_free releases all of it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#ifndef MD_API
#define MD_API __attribute__ ((visibility ("default")))
#endif

/* A date as written and as UTC. utc is meaningful only when zone_known: a missing or unknown zone
 * would otherwise invent a delay of hours (DESIGN §6). */
typedef struct {
    const char *raw;     /* NULL when the field had no date */
    gint64 utc;          /* seconds since the epoch, UTC */
    gint tz_offset_min;  /* the zone as written, when zone_known */
    gboolean valid;      /* date and time were read */
    gboolean zone_known; /* the zone was numeric or a known name */
} MdDate;

typedef struct {
    const char *name;    /* NULL when absent */
    const char *address; /* NULL for a group or an unparsable mailbox */
} MdAddress;

typedef struct {
    const char *name;  /* as written */
    const char *value; /* unfolded, RFC 2047 words decoded, valid UTF-8 */
} MdHeader;

/* One Received field. index 1 = oldest; position 0 = the topmost header field. */
typedef struct {
    guint index;
    guint position;
    const char *raw; /* unfolded field body */
    const char *from_helo, *from_rdns, *from_ip;
    const char *by, *via, *with, *id, *for_addr;
    const char *tls; /* "TLS1.3 TLS_AES_256_GCM_SHA384", "TLS1.2", or NULL */
    gboolean authenticated;
    MdDate date;
    gint64 delay_s; /* against the previous dated hop; meaningful when has_delay */
    gboolean has_delay;
    gboolean parse_ok; /* FALSE for lines that are not hops (qmail "invoked by uid") or damaged */
} MdHop;

typedef struct {
    guint hop_count;
    gint64 total_delay_s;   /* oldest dated hop to newest; has_total */
    gint64 max_hop_delay_s; /* has_max */
    guint slowest_hop;      /* hop index, 0 = none */
    gboolean has_total, has_max;
    gboolean clock_skew; /* a negative delay somewhere */
} MdDelivery;

typedef enum {
    MD_LINE_ENDING_NONE, /* a single line without an end */
    MD_LINE_ENDING_LF,
    MD_LINE_ENDING_CRLF,
    MD_LINE_ENDING_CR,
    MD_LINE_ENDING_MIXED,
} MdLineEnding;

typedef struct {
    const char *code; /* "invalid-utf8", "nul-bytes", "rule-limit", … */
    gsize offset;     /* byte offset in the input, or 0 */
    const char *item; /* header name, rule id, … or NULL */
} MdWarning;

typedef struct {
    gsize bytes;
    MdLineEnding line_ending;
    GPtrArray *repaired; /* const char * tokens ("leading-blank-lines", …) */
    GPtrArray *warnings; /* MdWarning * */
} MdInput;

typedef struct {
    GPtrArray *from; /* MdAddress * */
    GPtrArray *to;   /* MdAddress * */
    const char *subject;
    MdDate date;
    const char *message_id;
    const char *return_path;
    const char *auto_submitted;
    const char *list_id;
} MdMessage;

typedef enum {
    MD_KIND_MESSAGE,
    MD_KIND_HEADERS,
    MD_KIND_BOUNCE,
    MD_KIND_FEEDBACK,
    MD_KIND_AUTO_REPLY,
} MdKind;

typedef enum {
    MD_SEVERITY_NONE, /* no finding: only for a summary */
    MD_SEVERITY_INFO,
    MD_SEVERITY_NOTICE,
    MD_SEVERITY_WARNING,
    MD_SEVERITY_ERROR,
} MdSeverity;

typedef enum {
    MD_VERDICT_OK,
    MD_VERDICT_DELAYED,
    MD_VERDICT_SPAM,
    MD_VERDICT_REJECTED,
    MD_VERDICT_DEFERRED,
    MD_VERDICT_FEEDBACK,
    MD_VERDICT_AUTO_REPLY,
    MD_VERDICT_ERROR,
} MdVerdict;

typedef enum {
    MD_SUBJECT_NONE,
    MD_SUBJECT_MESSAGE,
    MD_SUBJECT_HOP,
    MD_SUBJECT_HEADER,
    MD_SUBJECT_RECIPIENT,
} MdSubjectKind;

typedef struct {
    const char *field; /* selector that matched: "header:X-Greylist", "hop.delay" */
    const char *value; /* the text or number it matched against (bounded) */
    const char *match; /* the matched part, or the comparison ("3600 >= 1800") */
} MdEvidence;

typedef struct {
    const char *rule;
    const char *category;
    MdSeverity severity;
    const char *title;
    const char *advice; /* placeholders filled, sanitised */
    MdSubjectKind subject_kind;
    const char *subject; /* hop index as text, header name, recipient address */
    GPtrArray *evidence; /* MdEvidence * */
    gboolean explain;    /* a note of --explain (which rule classified), not a diagnosis: the
                          * summary ignores it */
} MdFinding;

typedef struct {
    MdVerdict verdict;
    MdSeverity severity;
    int hard; /* -1 = null (no bounce), 0, 1 */
    GPtrArray *categories; /* const char * */
    const char *text;
} MdSummary;

typedef struct MdAnalysis MdAnalysis;

/* A name and value pair: ptype.property of an authentication result, a spam filter's detail. */
typedef struct {
    const char *name;
    const char *value;
} MdPair;

/* One result of an authentication header (DESIGN §3 auth[]): one method of one
 * Authentication-Results (or ARC-Authentication-Results, X-MS-Exchange-Authentication-Results)
 * field, or one Received-SPF field. */
typedef struct {
    const char *header;      /* "Authentication-Results", "Received-SPF", … as written */
    const char *authserv_id; /* NULL when the field has none (Microsoft 365) */
    gboolean trusted;        /* added by the receiving side: may drive findings */
    guint position;          /* which field of that name, 0 = topmost */
    int instance;            /* ARC i=, or 0 */
    const char *method;      /* "spf", "dkim", "dmarc", "arc", "iprev", "auth", "compauth", … */
    const char *result;      /* "pass", "fail", "softfail", … lower case */
    const char *reason;      /* reason= text, or NULL */
    const char *comment;     /* the comments, joined, or NULL */
    GPtrArray *props;        /* MdPair *: "smtp.mailfrom" = "bounces.example.org", … */
} MdAuthResult;

/* A DKIM-Signature field, summarised (its verification is the receiver's result above). */
typedef struct {
    const char *domain;   /* d= */
    const char *selector; /* s= */
    const char *algorithm; /* a= */
    const char *identity;  /* i=, or NULL */
} MdDkimSignature;

/* DMARC alignment (RFC 7489 §3.1) of the From domain with SPF's and DKIM's domains. */
typedef struct {
    const char *from_domain, *from_org_domain, *spf_domain;
    int spf_aligned;          /* -1 unknown (no From or no SPF pass), 0, 1 */
    GPtrArray *dkim_domains;  /* const char *: d= of DKIM results that passed */
    int dkim_aligned;         /* -1 unknown, 0, 1 */
    gboolean computed;        /* FALSE: nothing to compare, printed as null */
} MdAlignment;

/* One spam filter's verdict, decoded by rules (rules/70-spam-*.rules). */
typedef struct {
    const char *filter;  /* "spamassassin", "rspamd", "microsoft", … */
    const char *header;  /* the field it was read from */
    const char *verdict; /* "spam", "ham", "unknown" */
    double score, threshold;
    gboolean has_score, has_threshold;
    GPtrArray *tests;    /* const char *: rules or symbols that fired */
    GPtrArray *details;  /* MdPair *: "SFV" = "SPM", "SCL" = "9", … */
    const char *rule;    /* the rule that read it */
} MdSpamVerdict;

/* One recipient of a bounce (DESIGN §3 bounce.recipients). */
typedef struct {
    const char *recipient;          /* the address, without "rfc822;" */
    const char *original_recipient; /* Original-Recipient, or NULL */
    const char *action;             /* failed|delayed|delivered|relayed|expanded, or NULL */
    const char *status;             /* "5.1.1", or NULL */
    const char *status_source;      /* "dsn" | "diagnostic" | "inferred", or NULL with no status */
    const char *status_title;       /* IANA's title of the status (or its class), or NULL */
    int reply_code;                 /* SMTP reply code, 0 when none */
    const char *remote_mta;
    const char *diagnostic;      /* the server's words (Diagnostic-Code text, or the bounce text) */
    const char *diagnostic_type; /* "smtp", "x-unix", … */
    const char *smtp_command;    /* RCPT, MAIL, DATA, CONN, HELO, … or NULL */
    MdDate last_attempt;
    const char *reason;        /* DESIGN §5 vocabulary; NULL until classified */
    gboolean hard;
    const char *rule;          /* the classification rule that decided, or NULL */
    const char *feedback_type; /* ARF Feedback-Type, or NULL */
} MdRecipient;

typedef struct {
    const char *format;        /* "rfc3464", "rfc6533", "arf", or an MTA or provider name */
    const char *reporting_mta;
    MdDate arrival_date;
    GPtrArray *recipients;     /* MdRecipient * */
    MdAnalysis *original;      /* the returned message (message, hops, auth, spam), or NULL */
} MdBounce;

/* The parts of a body that bounce extraction reads; filled by the GMime boundary (message.c). */
typedef struct {
    const char *human_text;      /* readable text parts outside the returned message, UTF-8, bounded */
    gsize human_text_len;
    const char *delivery_status; /* message/delivery-status content, decoded; NULL when none */
    gsize delivery_status_len;
    gboolean global_dsn;         /* message/global-delivery-status (RFC 6533) */
    const char *feedback_report; /* message/feedback-report content (RFC 5965); NULL when none */
    gsize feedback_report_len;
    const char *report_type;     /* multipart/report's report-type parameter, or NULL */
    /* Facts the message checks read (issue #9): */
    int alternative_parts;       /* fewest parts of a multipart/alternative; -1: none */
    gboolean plain_has_html;     /* a text/plain part holds HTML markup */
    gboolean charset_mismatch;   /* a part's bytes are not in its declared charset */
    int html_text_chars;         /* visible characters of the HTML parts; -1: no HTML */
    int html_images;             /* <img> elements in the HTML parts */
} MdBody;

struct MdAnalysis {
    GStringChunk *strings; /* owns every const char * below */
    const char *source;
    guint index;
    MdKind kind;
    MdInput input;
    MdMessage message;
    GPtrArray *headers;  /* MdHeader *, top to bottom: the top-level header block */
    GPtrArray *hops;     /* MdHop *, oldest first (index 1 first) */
    MdDelivery delivery;
    GPtrArray *auth;     /* MdAuthResult *, in field order */
    GPtrArray *dkim_signatures; /* MdDkimSignature * */
    MdAlignment alignment;
    GPtrArray *spam;     /* MdSpamVerdict * */
    MdBody body;         /* the parts bounce extraction reads (strings in @strings) */
    MdBounce *bounce;    /* a bounce, feedback report or auto-reply; NULL for other mail */
    GPtrArray *findings; /* MdFinding * */
    MdSummary summary;
};

/* md_analysis_new - an empty analysis owning its string chunk (transfer full) */
MD_API MdAnalysis *md_analysis_new (void);
/* md_analysis_free - releases the analysis and every string and array it holds */
MD_API void md_analysis_free (MdAnalysis *analysis);
/* md_analysis_intern_text - like md_analysis_intern for multi-line text: keeps line feeds (CRLF
 * and CR become LF), NUL becomes a space, invalid UTF-8 becomes U+FFFD (transfer none) */
MD_API const char *md_analysis_intern_text (MdAnalysis *analysis, const char *text, gssize len);
/* md_analysis_intern - copies @len bytes of @text into the analysis, made valid UTF-8 with NUL,
 * CR and LF replaced, returns the copy (transfer none; lives as long as @analysis) */
MD_API const char *md_analysis_intern (MdAnalysis *analysis, const char *text, gssize len);
/* md_analysis_add_auth - a new zeroed auth result with an empty props array, appended
 * (transfer none) */
MD_API MdAuthResult *md_analysis_add_auth (MdAnalysis *analysis);
/* md_analysis_add_spam - a new spam verdict ("unknown", no score), appended (transfer none) */
MD_API MdSpamVerdict *md_analysis_add_spam (MdAnalysis *analysis);
/* md_pairs_add - appends @name = @value (both interned) to @pairs, an array of MdPair * */
MD_API void md_pairs_add (MdAnalysis *analysis, GPtrArray *pairs, const char *name,
                          const char *value);
/* md_analysis_ensure_bounce - the analysis' bounce, created empty when missing (transfer none) */
MD_API MdBounce *md_analysis_ensure_bounce (MdAnalysis *analysis);
/* md_bounce_add_recipient - a new zeroed recipient appended to the bounce (transfer none) */
MD_API MdRecipient *md_bounce_add_recipient (MdAnalysis *analysis);
/* md_analysis_warn - records a warning about the input (@code a static token, @item interned),
 * once per code and item, and at most MD_MAX_WARNINGS in all: hostile input must not grow it. */
#define MD_MAX_WARNINGS 64
MD_API void md_analysis_warn (MdAnalysis *analysis, const char *code, gsize offset, const char *item);
/* md_header_name_equal - field names compared ASCII case-insensitively (RFC 5322 §1.2.2); the
 * first letters first, where most names differ: lookups run per rule and header */
static inline gboolean
md_header_name_equal (const char *a, const char *b)
{
    return g_ascii_tolower (*a) == g_ascii_tolower (*b) && g_ascii_strcasecmp (a, b) == 0;
}
/* md_analysis_get_header - value of the first header field named @name (case-insensitive), or NULL */
MD_API const char *md_analysis_get_header (const MdAnalysis *analysis, const char *name);
/* md_analysis_count_header - how many top-level header fields are named @name */
MD_API guint md_analysis_count_header (const MdAnalysis *analysis, const char *name);

MD_API const char *md_kind_to_string (MdKind kind);
MD_API const char *md_severity_to_string (MdSeverity severity);
MD_API const char *md_verdict_to_string (MdVerdict verdict);
MD_API const char *md_line_ending_to_string (MdLineEnding ending);
/* md_hop_describe_from - where a hop came from, as a person reads it: "name [ip]", "name" or
 * "ip", written into @buf of @size bytes; returns @buf, or NULL when the hop names nothing */
MD_API const char *md_hop_describe_from (const MdHop *hop, char *buf, gsize size);
/* md_duration_format - @seconds as a person reads it ("12s", "47m 5s", "2h 5m", "3d 4h", "-9m"),
 * written into @buf of @size bytes; returns @buf */
MD_API char *md_duration_format (gint64 seconds, char *buf, gsize size);
/* md_severity_from_string - the severity named @text, or -1 */
MD_API int md_severity_from_string (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdAnalysis, md_analysis_free)

G_END_DECLS
