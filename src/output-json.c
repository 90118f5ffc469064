/* output-json.c - the JSON schema maildiag/1 (DESIGN §3) from the model, with json-c. Every key is
 * always present, in the order of the DESIGN (json-c keeps insertion order; the golden files rely
 * on it). Reads only the model; the model's strings are valid UTF-8 already (analysis.c). */
#include <json-c/json.h>

#include <maildiag/maildiag.h>

static json_object *
str (const char *text)
{
    return text != NULL ? json_object_new_string (text) : NULL;
}

static json_object *
int_or_null (gboolean present, gint64 value)
{
    return present ? json_object_new_int64 (value) : NULL;
}

static json_object *
string_array (GPtrArray *items)
{
    json_object *array = json_object_new_array_ext ((int) items->len);
    for (guint i = 0; i < items->len; i++)
        json_object_array_add (array, str (g_ptr_array_index (items, i)));
    return array;
}

/* {"raw", "utc"}: utc only when the zone is known, else a delay would be invented (DESIGN §6). */
static json_object *
date_object (const MdDate *date)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "raw", str (date->raw));
    json_object *utc = NULL;
    if (date->valid && date->zone_known) {
        g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (date->utc);
        if (dt != NULL) {
            g_autofree char *text = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
            utc = str (text);
        }
    }
    json_object_object_add (o, "utc", utc);
    return o;
}

static json_object *
addresses (GPtrArray *list)
{
    json_object *array = json_object_new_array_ext ((int) list->len);
    for (guint i = 0; i < list->len; i++) {
        const MdAddress *address = g_ptr_array_index (list, i);
        json_object *o = json_object_new_object ();
        json_object_object_add (o, "name", str (address->name));
        json_object_object_add (o, "address", str (address->address));
        json_object_array_add (array, o);
    }
    return array;
}

static json_object *
input_object (const MdInput *input)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "bytes", json_object_new_int64 ((gint64) input->bytes));
    json_object_object_add (o, "line_ending", str (md_line_ending_to_string (input->line_ending)));
    json_object_object_add (o, "repaired", string_array (input->repaired));
    json_object *warnings = json_object_new_array ();
    for (guint i = 0; i < input->warnings->len; i++) {
        const MdWarning *w = g_ptr_array_index (input->warnings, i);
        json_object *wo = json_object_new_object ();
        json_object_object_add (wo, "code", str (w->code));
        json_object_object_add (wo, "offset", json_object_new_int64 ((gint64) w->offset));
        json_object_object_add (wo, "item", str (w->item));
        json_object_array_add (warnings, wo);
    }
    json_object_object_add (o, "warnings", warnings);
    return o;
}

static json_object *
message_object (const MdMessage *m)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "from", addresses (m->from));
    json_object_object_add (o, "to", addresses (m->to));
    json_object_object_add (o, "subject", str (m->subject));
    json_object_object_add (o, "date", date_object (&m->date));
    json_object_object_add (o, "message_id", str (m->message_id));
    json_object_object_add (o, "return_path", str (m->return_path));
    json_object_object_add (o, "auto_submitted", str (m->auto_submitted));
    json_object_object_add (o, "list_id", str (m->list_id));
    return o;
}

static json_object *
hop_object (const MdHop *hop)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "index", json_object_new_int64 (hop->index));
    json_object_object_add (o, "position", json_object_new_int64 (hop->position));
    json_object_object_add (o, "raw", str (hop->raw));
    json_object *from = json_object_new_object ();
    json_object_object_add (from, "helo", str (hop->from_helo));
    json_object_object_add (from, "rdns", str (hop->from_rdns));
    json_object_object_add (from, "ip", str (hop->from_ip));
    json_object_object_add (o, "from", from);
    json_object_object_add (o, "by", str (hop->by));
    json_object_object_add (o, "via", str (hop->via));
    json_object_object_add (o, "with", str (hop->with));
    json_object_object_add (o, "id", str (hop->id));
    json_object_object_add (o, "for", str (hop->for_addr));
    json_object_object_add (o, "tls", str (hop->tls));
    json_object_object_add (o, "authenticated", json_object_new_boolean (hop->authenticated));
    json_object_object_add (o, "date", date_object (&hop->date));
    json_object_object_add (o, "delay_s", int_or_null (hop->has_delay, hop->delay_s));
    json_object_object_add (o, "parse_ok", json_object_new_boolean (hop->parse_ok));
    return o;
}

static json_object *
hops_array (const MdAnalysis *a)
{
    json_object *hops = json_object_new_array_ext ((int) a->hops->len);
    for (guint i = 0; i < a->hops->len; i++)
        json_object_array_add (hops, hop_object (g_ptr_array_index (a->hops, i)));
    return hops;
}

static json_object *
delivery_object (const MdDelivery *d)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "hop_count", json_object_new_int64 (d->hop_count));
    json_object_object_add (o, "total_delay_s", int_or_null (d->has_total, d->total_delay_s));
    json_object_object_add (o, "max_hop_delay_s", int_or_null (d->has_max, d->max_hop_delay_s));
    json_object_object_add (o, "slowest_hop", int_or_null (d->slowest_hop > 0, d->slowest_hop));
    json_object_object_add (o, "clock_skew", json_object_new_boolean (d->clock_skew));
    return o;
}

static json_object *
recipient_object (const MdRecipient *r)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "recipient", str (r->recipient));
    json_object_object_add (o, "original_recipient", str (r->original_recipient));
    json_object_object_add (o, "action", str (r->action));
    json_object_object_add (o, "status", str (r->status));
    json_object_object_add (o, "status_source", str (r->status_source));
    json_object_object_add (o, "status_title", str (r->status_title));
    json_object_object_add (o, "reply_code", int_or_null (r->reply_code != 0, r->reply_code));
    json_object_object_add (o, "remote_mta", str (r->remote_mta));
    json_object_object_add (o, "diagnostic", str (r->diagnostic));
    json_object_object_add (o, "diagnostic_type", str (r->diagnostic_type));
    json_object_object_add (o, "smtp_command", str (r->smtp_command));
    json_object_object_add (o, "last_attempt", date_object (&r->last_attempt));
    json_object_object_add (o, "reason", str (r->reason));
    json_object_object_add (o, "hard", json_object_new_boolean (r->hard));
    json_object_object_add (o, "rule", str (r->rule));
    json_object_object_add (o, "feedback_type", str (r->feedback_type));
    return o;
}

/* The returned message, analysed like any message: its chain often shows where the delay was. */
static json_object *
original_object (const MdAnalysis *original)
{
    if (original == NULL)
        return NULL;
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "message", message_object (&original->message));
    json_object_object_add (o, "hops", hops_array (original));
    json_object_object_add (o, "delivery", delivery_object (&original->delivery));
    json_object_object_add (o, "auth", json_object_new_array ());
    json_object_object_add (o, "spam", json_object_new_array ());
    return o;
}

static json_object *
bounce_object (const MdBounce *b)
{
    if (b == NULL)
        return NULL;
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "format", str (b->format));
    json_object_object_add (o, "reporting_mta", str (b->reporting_mta));
    json_object_object_add (o, "arrival_date", date_object (&b->arrival_date));
    json_object *recipients = json_object_new_array_ext ((int) b->recipients->len);
    for (guint i = 0; i < b->recipients->len; i++)
        json_object_array_add (recipients, recipient_object (g_ptr_array_index (b->recipients, i)));
    json_object_object_add (o, "recipients", recipients);
    json_object_object_add (o, "original", original_object (b->original));
    return o;
}

static json_object *
subject_object (const MdFinding *f)
{
    json_object *o = json_object_new_object ();
    switch (f->subject_kind) {
    case MD_SUBJECT_HOP:
        json_object_object_add (o, "hop",
                                json_object_new_int64 (g_ascii_strtoll (f->subject, NULL, 10)));
        break;
    case MD_SUBJECT_HEADER:
        json_object_object_add (o, "header", str (f->subject));
        break;
    case MD_SUBJECT_RECIPIENT:
        json_object_object_add (o, "recipient", str (f->subject));
        break;
    case MD_SUBJECT_MESSAGE:
    case MD_SUBJECT_NONE:
    default:
        json_object_put (o);
        return NULL;
    }
    return o;
}

static json_object *
finding_object (const MdFinding *f)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "rule", str (f->rule));
    json_object_object_add (o, "category", str (f->category));
    json_object_object_add (o, "severity", str (md_severity_to_string (f->severity)));
    json_object_object_add (o, "title", str (f->title));
    json_object_object_add (o, "advice", str (f->advice));
    json_object_object_add (o, "subject", subject_object (f));
    json_object *evidence = json_object_new_array ();
    for (guint i = 0; f->evidence != NULL && i < f->evidence->len; i++) {
        const MdEvidence *e = g_ptr_array_index (f->evidence, i);
        json_object *eo = json_object_new_object ();
        json_object_object_add (eo, "field", str (e->field));
        json_object_object_add (eo, "value", str (e->value));
        json_object_object_add (eo, "match", str (e->match));
        json_object_array_add (evidence, eo);
    }
    json_object_object_add (o, "evidence", evidence);
    return o;
}

static json_object *
summary_object (const MdSummary *s)
{
    json_object *o = json_object_new_object ();
    json_object_object_add (o, "verdict", str (md_verdict_to_string (s->verdict)));
    json_object_object_add (o, "severity", str (md_severity_to_string (s->severity)));
    json_object_object_add (o, "hard", s->hard < 0 ? NULL : json_object_new_boolean (s->hard));
    json_object_object_add (o, "categories", string_array (s->categories));
    json_object_object_add (o, "text", str (s->text));
    return o;
}

void
md_output_json (GString *out, const MdAnalysis *a, gboolean pretty)
{
    json_object *root = json_object_new_object ();
    json_object_object_add (root, "schema", str (MD_SCHEMA));
    json_object_object_add (root, "source", str (a->source));
    json_object_object_add (root, "index", json_object_new_int64 (a->index));
    json_object_object_add (root, "kind", str (md_kind_to_string (a->kind)));
    json_object_object_add (root, "input", input_object (&a->input));
    json_object_object_add (root, "message", message_object (&a->message));
    json_object_object_add (root, "hops", hops_array (a));
    json_object_object_add (root, "delivery", delivery_object (&a->delivery));
    /* Filled by the header-analysis work; empty or null here, never a guess. */
    json_object_object_add (root, "auth", json_object_new_array ());
    json_object_object_add (root, "alignment", NULL);
    json_object_object_add (root, "spam", json_object_new_array ());
    json_object_object_add (root, "bounce", bounce_object (a->bounce));
    json_object *findings = json_object_new_array_ext ((int) a->findings->len);
    for (guint i = 0; i < a->findings->len; i++)
        json_object_array_add (findings, finding_object (g_ptr_array_index (a->findings, i)));
    json_object_object_add (root, "findings", findings);
    json_object_object_add (root, "summary", summary_object (&a->summary));

    int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
    size_t length = 0;
    const char *text = json_object_to_json_string_length (root, flags, &length);
    g_string_append_len (out, text, (gssize) length);
    g_string_append_c (out, '\n');
    json_object_put (root);
}
