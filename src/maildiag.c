/* maildiag.c - the pipeline of one message (DESIGN §1): input checks and repair → GMime parse →
 * Received chain → rules → summary. It owns no knowledge itself; each stage is its own module. */
#include <string.h>

#include "alignment.h"
#include "arf.h"
#include "authres.h"
#include "bounce.h"
#include "dsn.h"
#include "findings.h"
#include "input.h"
#include "message.h"
#include "received.h"
#include "rules.h"

/* TRUE when the first line of @data looks like a header field "Name:" (RFC 5322 §2.2: printable
 * ASCII but ':'): without one there is no mail to analyse. */
static gboolean
starts_with_header (const char *data, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        unsigned char c = (unsigned char) data[i];
        if (c == ':')
            return i > 0;
        if (c < 33 || c > 126)
            return FALSE;
    }
    return FALSE;
}

/* TRUE when no non-blank byte follows the header block: a pasted header block, not a message. */
static gboolean
has_body (const char *data, gsize len)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (gsize) (end - p));
        const char *line_end = nl != NULL ? nl : end;
        gsize n = (gsize) (line_end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0) {
            for (const char *q = line_end; q < end; q++)
                if (!g_ascii_isspace (*q))
                    return TRUE;
            return FALSE;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return FALSE;
}

MdAnalysis *
md_analyze_bytes (const char *data, gsize len, const MdOptions *options, GError **error)
{
    static const MdOptions defaults = { 0 };
    if (options == NULL)
        options = &defaults;
    if (options->max_size > 0 && len > options->max_size) {
        g_set_error (error, MD_ERROR, MD_ERROR_TOO_BIG,
                     "input of %" G_GSIZE_FORMAT " bytes is over the limit of %" G_GSIZE_FORMAT
                     " bytes (--max-size)",
                     len, options->max_size);
        return NULL;
    }
    gsize blank = 0;
    while (blank < len && g_ascii_isspace (data[blank]))
        blank++;
    if (blank == len) {
        g_set_error_literal (error, MD_ERROR, MD_ERROR_NOT_MAIL, "empty input: no mail to analyse");
        return NULL;
    }
    if (md_input_looks_binary (data, len)) {
        g_set_error_literal (error, MD_ERROR, MD_ERROR_NOT_MAIL,
                             "binary input: this is not a mail message or a header block");
        return NULL;
    }

    g_autoptr (MdAnalysis) a = md_analysis_new ();
    a->source = md_analysis_intern (a, options->source != NULL ? options->source : "-", -1);
    a->index = options->index;
    a->input.bytes = len;
    a->input.line_ending = md_input_line_ending (data, len);

    gsize fixed_len = 0;
    g_autofree char *fixed = md_input_repair (data, len, &fixed_len, a->input.repaired);
    const char *text = fixed != NULL ? fixed : data;
    gsize text_len = fixed != NULL ? fixed_len : len;
    /* A lone message saved from an mbox keeps its From_ line (repair may have uncovered it from
     * quoting or indent): it is no header field, skip it. */
    if (text_len >= 5 && memcmp (text, "From ", 5) == 0) {
        const char *nl = memchr (text, '\n', text_len);
        gsize skip = nl != NULL ? (gsize) (nl - text) + 1 : text_len;
        text += skip;
        text_len -= skip;
    }
    if (!starts_with_header (text, text_len)) {
        g_set_error_literal (error, MD_ERROR, MD_ERROR_NOT_MAIL,
                             "no header block: the input does not start with a header field "
                             "such as \"Received:\" or \"From:\"");
        return NULL;
    }

    g_autoptr (GPtrArray) received = g_ptr_array_new ();
    gboolean body = has_body (text, text_len);
    MdReturned returned = { NULL, NULL };
    if (!md_message_parse (a, text, text_len, received, body ? &returned : NULL)) {
        g_set_error_literal (error, MD_ERROR, MD_ERROR_NOT_MAIL,
                             "no header block could be read from the input");
        return NULL;
    }
    a->kind = body ? MD_KIND_MESSAGE : MD_KIND_HEADERS;
    md_received_build_chain (a, received);
    md_authres_extract (a, options->authserv_ids);
    md_alignment_compute (a);
    if (returned.original != NULL) {
        md_received_build_chain (returned.original, returned.received);
        g_ptr_array_unref (returned.received);
        /* the returned message's results and verdicts, as its receivers wrote them */
        md_authres_extract (returned.original, NULL);
        md_alignment_compute (returned.original);
        if (options->rules != NULL)
            md_rules_extract_spam (options->rules, returned.original);
    }

    /* Standard reports first (RFC 3464/6533, RFC 5965), then the rules for everything else. */
    if (a->body.delivery_status != NULL)
        md_dsn_parse (a, a->body.delivery_status, a->body.delivery_status_len, a->body.global_dsn);
    if (a->body.feedback_report != NULL)
        md_arf_parse (a, a->body.feedback_report, a->body.feedback_report_len);
    if (options->rules != NULL)
        md_rules_run (options->rules, MD_STAGE_EXTRACT, a, options->explain);
    md_bounce_finish (a, returned.original);
    if (options->rules != NULL) {
        md_rules_run (options->rules, MD_STAGE_CLASSIFY, a, options->explain);
        md_rules_run (options->rules, MD_STAGE_DIAGNOSE, a, options->explain);
    }
    md_findings_summarize (a);
    return g_steal_pointer (&a);
}
