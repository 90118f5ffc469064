/* findings.c - the diagnosis: turns the findings the rules produced into one verdict, a severity,
 * the categories concerned and a line for humans. It decides nothing about the world itself: what
 * is slow or wrong is the rules' business; this only ranks what they found. */
#include <string.h>

#include "findings.h"

/* A delay finding means the mail was late, even when its cause needs no action (greylisting). */
static gboolean
is_delay (const MdFinding *finding)
{
    return g_strcmp0 (finding->category, "delay") == 0;
}

static void
append_route (GString *text, const MdAnalysis *a)
{
    const MdDelivery *d = &a->delivery;
    char buf[32];
    if (d->hop_count == 0) {
        g_string_append (text, "no Received chain");
        return;
    }
    g_string_append_printf (text, "%u hop%s", d->hop_count, d->hop_count == 1 ? "" : "s");
    if (d->has_total)
        g_string_append_printf (text, ", %s in all",
                                md_duration_format (d->total_delay_s, buf, sizeof buf));
    if (d->has_max && d->slowest_hop > 0 && d->max_hop_delay_s > 0)
        g_string_append_printf (text, ", slowest hop %u (%s)", d->slowest_hop,
                                md_duration_format (d->max_hop_delay_s, buf, sizeof buf));
}

/* The verdict a bounce gives: rejected when a recipient failed, deferred when one is still being
 * retried, ok when every recipient was delivered (a success DSN). */
static MdVerdict
bounce_verdict (const MdAnalysis *a, const MdRecipient **first_bad, int *hard)
{
    gboolean failed = FALSE, delayed = FALSE;
    *hard = 0;
    for (guint i = 0; i < a->bounce->recipients->len; i++) {
        const MdRecipient *r = g_ptr_array_index (a->bounce->recipients, i);
        gboolean is_delayed = g_strcmp0 (r->action, "delayed") == 0 ||
                              (r->action == NULL && r->status != NULL && r->status[0] == '4');
        gboolean is_ok = g_strcmp0 (r->action, "delivered") == 0 ||
                         g_strcmp0 (r->action, "relayed") == 0 ||
                         g_strcmp0 (r->action, "expanded") == 0;
        if (!is_ok && *first_bad == NULL)
            *first_bad = r;
        if (r->hard)
            *hard = 1;
        if (is_delayed)
            delayed = TRUE;
        else if (!is_ok)
            failed = TRUE;
    }
    return failed ? MD_VERDICT_REJECTED : delayed ? MD_VERDICT_DEFERRED : MD_VERDICT_OK;
}

static void
append_recipient (GString *text, const MdRecipient *r, guint others)
{
    g_string_append_printf (text, "%s", r->recipient != NULL ? r->recipient : "a recipient");
    if (r->reason != NULL)
        g_string_append_printf (text, ", %s", r->reason);
    if (r->status != NULL || r->reply_code != 0) {
        g_string_append (text, " (");
        if (r->reply_code != 0)
            g_string_append_printf (text, "%d%s", r->reply_code, r->status != NULL ? " " : "");
        if (r->status != NULL)
            g_string_append (text, r->status);
        g_string_append_c (text, ')');
    }
    if (others > 0)
        g_string_append_printf (text, " and %u more", others);
}

void
md_findings_summarize (MdAnalysis *a)
{
    MdSummary *s = &a->summary;
    const MdFinding *worst = NULL, *worst_delay = NULL;
    g_ptr_array_set_size (s->categories, 0);
    s->severity = MD_SEVERITY_NONE;
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (f->explain)
            continue;
        if (f->severity > s->severity) {
            s->severity = f->severity;
            worst = f;
        }
        if (is_delay (f) && (worst_delay == NULL || f->severity > worst_delay->severity))
            worst_delay = f;
        gboolean seen = FALSE;
        for (guint j = 0; j < s->categories->len && !seen; j++)
            seen = strcmp (g_ptr_array_index (s->categories, j), f->category) == 0;
        if (!seen && f->category != NULL)
            g_ptr_array_add (s->categories, (gpointer) f->category);
    }
    g_autoptr (GString) text = g_string_new (NULL);
    if (a->kind == MD_KIND_FEEDBACK || a->kind == MD_KIND_AUTO_REPLY) {
        s->verdict = a->kind == MD_KIND_FEEDBACK ? MD_VERDICT_FEEDBACK : MD_VERDICT_AUTO_REPLY;
        s->hard = 0;
        const MdRecipient *r = a->bounce != NULL && a->bounce->recipients->len > 0
                                   ? g_ptr_array_index (a->bounce->recipients, 0)
                                   : NULL;
        if (a->kind == MD_KIND_FEEDBACK)
            g_string_append_printf (text, "Complaint report (%s) about mail to %s",
                                    r != NULL && r->feedback_type ? r->feedback_type : "feedback",
                                    r != NULL && r->recipient ? r->recipient : "a recipient");
        else
            g_string_append_printf (text, "Automatic reply from %s: not a bounce",
                                    r != NULL && r->recipient ? r->recipient : "the recipient");
        s->text = md_analysis_intern (a, text->str, (gssize) text->len);
        return;
    }
    if (a->bounce != NULL && a->bounce->recipients->len > 0) {
        const MdRecipient *bad = NULL;
        int hard = 0;
        s->verdict = bounce_verdict (a, &bad, &hard);
        s->hard = hard;
        guint n = a->bounce->recipients->len;
        if (s->verdict == MD_VERDICT_OK) {
            g_string_append_printf (text, "Delivered: a success report for %u recipient%s", n,
                                    n == 1 ? "" : "s");
        } else {
            g_string_append (text, s->verdict == MD_VERDICT_REJECTED ? "Rejected: " : "Deferred: ");
            /* The advice rule's title says it best ("bob@example.net does not exist (5.1.1)");
             * without one, the recipient, its reason and codes. */
            if (worst != NULL && worst->title != NULL && worst->severity >= MD_SEVERITY_INFO &&
                worst->subject_kind == MD_SUBJECT_RECIPIENT) {
                g_string_append (text, worst->title);
                if (n > 1)
                    g_string_append_printf (text, " (%u recipients in all)", n);
            } else {
                append_recipient (text, bad, n - 1);
            }
        }
        s->text = md_analysis_intern (a, text->str, (gssize) text->len);
        return;
    }
    /* A spam filter's own verdict, or a spam finding worth a warning: the message was flagged. */
    const MdFinding *worst_spam = NULL;
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
        if (!f->explain && g_strcmp0 (f->category, "spam") == 0 &&
            f->severity >= MD_SEVERITY_WARNING &&
            (worst_spam == NULL || f->severity > worst_spam->severity))
            worst_spam = f;
    }
    gboolean flagged = worst_spam != NULL;
    for (guint i = 0; i < a->spam->len && !flagged; i++)
        flagged = g_strcmp0 (((const MdSpamVerdict *) g_ptr_array_index (a->spam, i))->verdict,
                             "spam") == 0;
    if (s->verdict != MD_VERDICT_ERROR) {
        if (flagged)
            s->verdict = MD_VERDICT_SPAM;
        else
            s->verdict = worst_delay != NULL ? MD_VERDICT_DELAYED : MD_VERDICT_OK;
    }

    if (s->verdict == MD_VERDICT_SPAM) {
        g_string_append (text, "Flagged as spam");
        if (worst_spam != NULL)
            worst = worst_spam;
    } else if (s->verdict == MD_VERDICT_DELAYED) {
        g_string_append (text, "Delayed");
        worst = worst_delay; /* the verdict's cause comes first, other findings follow below */
    }
    else if (s->verdict == MD_VERDICT_ERROR)
        g_string_append (text, "Not analysed");
    else if (s->severity >= MD_SEVERITY_WARNING)
        g_string_append (text, "Problem found");
    else if (s->severity == MD_SEVERITY_NOTICE)
        g_string_append (text, "Worth a look");
    else
        g_string_append (text, "No problem found");
    /* The most severe finding names the cause; among equals, the first (rules' priority order). */
    if (worst != NULL && worst->title != NULL)
        g_string_append_printf (text, ": %s", worst->title);
    g_string_append (text, "; ");
    append_route (text, a);
    s->text = md_analysis_intern (a, text->str, (gssize) text->len);
}
