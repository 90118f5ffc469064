/* arf.c - feedback reports → MdBounce with format "arf" (RFC 5965 §3; RFC 6591's auth-failure
 * fields). It reads the machine-readable part only: the message complained about is the returned
 * message, and naming the complainant from its To when the report does not is bounce.c's job.
 * The fields are read with dsn.c's reader (the same header-style syntax). */
#include <string.h>

#include "arf.h"
#include "date.h"
#include "dsn.h"

/* Original-Rcpt-To may repeat (RFC 5965 §3.2), once per recipient of one message: Postfix's
 * default smtpd_recipient_limit is 1000, so more is hostile (warning "report-recipient-limit"). */
#define MD_ARF_MAX_RECIPIENTS 1000
/* Feedback-Type is a token: abuse, fraud, virus, other, not-spam, auth-failure, opt-out… */
#define MD_ARF_MAX_TYPE 32

typedef enum {
    A_FEEDBACK_TYPE,
    A_ORIGINAL_RCPT_TO,
    A_REMOVAL_RECIPIENT,
    A_REPORTING_MTA,
    A_ARRIVAL_DATE,
    A_RECEIVED_DATE,
    /* the facts that have no place of their own in the model, summarised in the diagnostic */
    A_SOURCE_IP,
    A_AUTH_FAILURE,
    A_DELIVERY_RESULT,
    A_REPORTED_DOMAIN,
    N_ARF_FIELDS,
    A_OTHER = N_ARF_FIELDS,
} ArfField;

static const char *const arf_names[N_ARF_FIELDS] = {
    [A_FEEDBACK_TYPE] = "Feedback-Type",
    [A_ORIGINAL_RCPT_TO] = "Original-Rcpt-To",
    /* opt-out reports (arf-12) name the address to remove here */
    [A_REMOVAL_RECIPIENT] = "Removal-Recipient",
    [A_REPORTING_MTA] = "Reporting-MTA",
    [A_ARRIVAL_DATE] = "Arrival-Date",
    /* the name drafts of ARF used before RFC 5965 (arf-01, Yahoo! in arf-02) */
    [A_RECEIVED_DATE] = "Received-Date",
    [A_SOURCE_IP] = "Source-IP",
    [A_AUTH_FAILURE] = "Auth-Failure",
    [A_DELIVERY_RESULT] = "Delivery-Result",
    [A_REPORTED_DOMAIN] = "Reported-Domain",
};

static ArfField
arf_lookup (const char *name, gsize n)
{
    for (guint f = 0; f < N_ARF_FIELDS; f++)
        if (strlen (arf_names[f]) == n && g_ascii_strncasecmp (name, arf_names[f], n) == 0)
            return (ArfField) f;
    return A_OTHER;
}

static void
read_date (MdAnalysis *analysis, const char *raw, MdDate *out)
{
    MdDate date = { 0 };
    md_date_parse (raw, strlen (raw), &date);
    date.raw = md_analysis_intern (analysis, raw, -1);
    *out = date;
}

gboolean
md_arf_parse (MdAnalysis *analysis, const char *text, gsize len)
{
    g_return_val_if_fail (analysis != NULL, FALSE);
    if (text == NULL)
        return FALSE;
    /* the first non-empty value of each field, NULL when absent */
    g_autoptr (GPtrArray) values = g_ptr_array_new_full (N_ARF_FIELDS, g_free);
    g_ptr_array_set_size (values, N_ARF_FIELDS);
    char **first = (char **) values->pdata;
    g_autoptr (GPtrArray) rcpt_to = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GPtrArray) removal = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GString) value = g_string_new (NULL);
    gsize pos = 0;
    MdDsnLine line;
    MdDsnItem item;
    while ((item = md_dsn_next (text, len, &pos, &line, value)) != MD_DSN_END) {
        if (item != MD_DSN_FIELD || value->len == 0)
            continue; /* RFC 5965 has one group; blank and stray lines carry nothing */
        if (line.truncated)
            md_analysis_warn (analysis, "report-field-truncated", line.offset, NULL);
        ArfField field = arf_lookup (line.name, line.name_len);
        if (field == A_ORIGINAL_RCPT_TO || field == A_REMOVAL_RECIPIENT) {
            GPtrArray *list = field == A_ORIGINAL_RCPT_TO ? rcpt_to : removal;
            char *address = md_dsn_address (value->str);
            if (address != NULL && list->len < MD_ARF_MAX_RECIPIENTS)
                g_ptr_array_add (list, address);
            else if (address != NULL) {
                md_analysis_warn (analysis, "report-recipient-limit", line.offset, NULL);
                g_free (address);
            }
        } else if (field != A_OTHER && first[field] == NULL) {
            first[field] = g_strndup (value->str, value->len);
        }
    }
    if (first[A_FEEDBACK_TYPE] == NULL)
        return FALSE;
    MdBounce *bounce = md_analysis_ensure_bounce (analysis);
    bounce->format = "arf";
    if (first[A_REPORTING_MTA] != NULL) {
        const char *mta = md_dsn_strip_type (first[A_REPORTING_MTA], NULL);
        bounce->reporting_mta = *mta != '\0' ? md_analysis_intern (analysis, mta, -1) : NULL;
    }
    const char *arrival =
        first[A_ARRIVAL_DATE] != NULL ? first[A_ARRIVAL_DATE] : first[A_RECEIVED_DATE];
    if (arrival != NULL)
        read_date (analysis, arrival, &bounce->arrival_date);

    gsize n = 0;
    while (first[A_FEEDBACK_TYPE][n] != '\0' && !g_ascii_isspace (first[A_FEEDBACK_TYPE][n]) &&
           first[A_FEEDBACK_TYPE][n] != ';' && n < MD_ARF_MAX_TYPE)
        n++;
    g_autofree char *type_down = g_ascii_strdown (first[A_FEEDBACK_TYPE], (gssize) n);
    const char *feedback_type = md_analysis_intern (analysis, type_down, -1);

    /* Source-IP is the reported message's sending host: ours, not a remote MTA, so it goes
     * with the other facts of the report into the diagnostic, "Name: value; …". */
    g_autoptr (GString) facts = g_string_new (NULL);
    for (guint f = A_SOURCE_IP; f < N_ARF_FIELDS; f++)
        if (first[f] != NULL)
            g_string_append_printf (facts, "%s%s: %s", facts->len > 0 ? "; " : "", arf_names[f],
                                    first[f]);
    const char *diagnostic =
        facts->len > 0 ? md_analysis_intern (analysis, facts->str, (gssize) facts->len) : NULL;

    GPtrArray *addresses = rcpt_to->len > 0 ? rcpt_to : removal;
    for (guint i = 0; i < MAX (addresses->len, 1u); i++) {
        MdRecipient *r = md_bounce_add_recipient (analysis);
        /* no address: bounce.c takes the complainant from the returned message's To */
        r->recipient = i < addresses->len
                           ? md_analysis_intern (analysis, g_ptr_array_index (addresses, i), -1)
                           : NULL;
        r->feedback_type = feedback_type;
        r->diagnostic = diagnostic;
        r->reason = "feedback";
        r->hard = FALSE;
    }
    return TRUE;
}
