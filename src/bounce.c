/* bounce.c - the last step of reading a bounce, between extraction and classification: fills what
 * the report left implicit from the text it did give, so that classification rules see one shape
 * whatever the MTA. It knows no MTA: formats are rules (rules/10-bounce-*.rules), codes are
 * status.c's registry. */
#include <string.h>

#include "bounce.h"

/* How much of a bounce's text is searched for the SMTP command: the report's own words come
 * first, the returned message and translations after them. */
#define MD_TEXT_COMMAND_SCAN 1024
#include "status.h"

/* The status and reply code the remote server gave, read from its words where the report's own
 * fields are missing or only a summary: the same policy as dsn.c's for a DSN, so that a
 * recipient an extraction rule found reads the same ("Status: 5.0.0" in an OpenSMTPD report,
 * "550 5.1.1 … User unknown" in its text). */
static void
complete_status (MdAnalysis *a, MdRecipient *r)
{
    /* "X-Unix; 255" is a local program's exit status, not an SMTP reply (lhost-sendmail-18) */
    if (r->diagnostic != NULL && g_strcmp0 (r->diagnostic_type, "x-unix") != 0) {
        MdStatus found = { 0, 0, 0 }, current = { 0, 0, 0 };
        int reply = 0;
        gsize offset = 0;
        md_status_scan (r->diagnostic, strlen (r->diagnostic), &found, &reply, &offset);
        if (r->reply_code == 0 && reply != 0)
            r->reply_code = reply;
        gboolean have = r->status != NULL && md_status_parse (r->status, strlen (r->status), &current) > 0;
        gboolean specific = found.klass != 0 && (found.subject != 0 || found.detail != 0);
        gboolean same = memcmp (&found, &current, sizeof found) == 0;
        if (found.klass != 0 && !same && (!have || specific)) {
            char buf[MD_STATUS_FORMAT_SIZE];
            md_status_format (&found, buf);
            r->status = md_analysis_intern (a, buf, -1);
            r->status_source = "diagnostic";
            r->status_title = NULL;
        }
    }
    if (r->status != NULL && r->status_source == NULL)
        r->status_source = "diagnostic"; /* an extraction rule read it from the bounce text */
    MdStatus status;
    if (r->status_title == NULL && r->status != NULL &&
        md_status_parse (r->status, strlen (r->status), &status) > 0)
        r->status_title = md_status_title (&status);
    if (r->smtp_command == NULL && r->diagnostic != NULL)
        r->smtp_command = md_smtp_command_scan (r->diagnostic, strlen (r->diagnostic));
    /* Postfix writes "(in reply to end of DATA command)" in its text, not in the DSN: with one
     * recipient, the text can only be about that one. */
    if (r->smtp_command == NULL && a->bounce->recipients->len == 1 && a->body.human_text != NULL)
        r->smtp_command = md_smtp_command_scan (a->body.human_text,
                                                MIN (a->body.human_text_len, MD_TEXT_COMMAND_SCAN));
}

void
md_bounce_finish (MdAnalysis *a, MdAnalysis *original)
{
    MdBounce *bounce = a->bounce;
    if (bounce == NULL) {
        md_analysis_free (original);
        return;
    }
    if (bounce->original == NULL)
        bounce->original = original;
    else
        md_analysis_free (original);
    for (guint i = 0; i < bounce->recipients->len; i++) {
        MdRecipient *r = g_ptr_array_index (bounce->recipients, i);
        complete_status (a, r);
        /* An ARF report names the complaining recipient only in the returned message's To. */
        if (r->recipient == NULL && bounce->original != NULL && bounce->original->message.to->len > 0) {
            const MdAddress *to = g_ptr_array_index (bounce->original->message.to, 0);
            if (to->address != NULL)
                r->recipient = md_analysis_intern (a, to->address, -1);
        }
    }
    if (a->kind == MD_KIND_MESSAGE || a->kind == MD_KIND_HEADERS) {
        if (g_strcmp0 (bounce->format, "arf") == 0)
            a->kind = MD_KIND_FEEDBACK;
        else if (bounce->recipients->len > 0)
            a->kind = MD_KIND_BOUNCE;
    }
}
