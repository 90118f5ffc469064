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

void
md_findings_summarize (MdAnalysis *a)
{
    MdSummary *s = &a->summary;
    const MdFinding *worst = NULL, *worst_delay = NULL;
    g_ptr_array_set_size (s->categories, 0);
    s->severity = MD_SEVERITY_NONE;
    for (guint i = 0; i < a->findings->len; i++) {
        const MdFinding *f = g_ptr_array_index (a->findings, i);
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
    if (s->verdict != MD_VERDICT_ERROR)
        s->verdict = worst_delay != NULL ? MD_VERDICT_DELAYED : MD_VERDICT_OK;

    g_autoptr (GString) text = g_string_new (NULL);
    if (s->verdict == MD_VERDICT_DELAYED) {
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
