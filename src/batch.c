/* batch.c - many messages at once (issue #10): a GLib thread pool analyses a bounded window of
 * messages while the caller's thread emits them strictly in push order, and counts over a batch
 * for its summary. Knows no output format; prints nothing. md_analyze_bytes is re-entrant: GMime
 * and libpsl are initialised once (g_once), rules are read-only, match data is per run. */
#include <string.h>

#include "batch.h"

/* One message in flight: owned by the batch's queue; a worker fills analysis or error and sets
 * done under the batch's lock, and the caller's thread alone takes it off the queue. */
typedef struct {
    char *source;
    guint index;
    char *data; /* freed by the worker once analysed: memory is the window's messages */
    gsize len;
    MdAnalysis *analysis;
    GError *error;
    gboolean done;
} Slot;

struct MdBatch {
    MdOptions options;
    guint jobs, window;
    MdBatchEmit emit;
    gpointer user_data;
    GThreadPool *pool; /* NULL when jobs <= 1 */
    GMutex lock;       /* guards each queued slot's analysis, error and done */
    GCond cond;        /* signalled when a slot is done */
    GQueue queue;      /* Slot *, in push order; touched by the caller's thread only */
    gboolean stopped;  /* an emit returned FALSE */
};

static void
slot_free (Slot *slot)
{
    g_free (slot->source);
    g_free (slot->data);
    if (slot->analysis != NULL)
        md_analysis_free (slot->analysis);
    g_clear_error (&slot->error);
    g_free (slot);
}

static void
work (gpointer data, gpointer user_data)
{
    Slot *slot = data;
    MdBatch *batch = user_data;
    MdOptions options = batch->options;
    options.source = slot->source;
    options.index = slot->index;
    GError *error = NULL;
    MdAnalysis *analysis = md_analyze_bytes (slot->data, slot->len, &options, &error);
    g_clear_pointer (&slot->data, g_free);
    g_mutex_lock (&batch->lock);
    slot->analysis = analysis;
    slot->error = error;
    slot->done = TRUE;
    g_cond_broadcast (&batch->cond);
    g_mutex_unlock (&batch->lock);
}

guint
md_batch_default_jobs (void)
{
    return MAX (1u, g_get_num_processors ());
}

MdBatch *
md_batch_new (const MdOptions *options, guint jobs, MdBatchEmit emit, gpointer user_data)
{
    MdBatch *batch = g_new0 (MdBatch, 1);
    batch->options = *options;
    batch->jobs = MAX (1u, jobs);
    batch->window = batch->jobs * MD_BATCH_WINDOW_PER_JOB;
    batch->emit = emit;
    batch->user_data = user_data;
    g_mutex_init (&batch->lock);
    g_cond_init (&batch->cond);
    g_queue_init (&batch->queue);
    if (batch->jobs > 1) {
        /* exclusive: the threads start now and stay; a thread's creation failing leaves the
         * pool with fewer (GLib retries at each push), which is slower, not wrong. */
        batch->pool = g_thread_pool_new (work, batch, (gint) batch->jobs, FALSE, NULL);
    }
    return batch;
}

static void
emit (MdBatch *batch, Slot *slot)
{
    if (!batch->stopped &&
        !batch->emit (slot->source, slot->index, slot->analysis, slot->error, batch->user_data))
        batch->stopped = TRUE;
}

/* Emits the oldest slot, waiting for it when @wait; FALSE when there is none (or, without @wait,
 * it is not done yet). */
static gboolean
emit_head (MdBatch *batch, gboolean wait)
{
    Slot *slot = g_queue_peek_head (&batch->queue);
    if (slot == NULL)
        return FALSE;
    g_mutex_lock (&batch->lock);
    while (!slot->done && wait)
        g_cond_wait (&batch->cond, &batch->lock);
    gboolean done = slot->done;
    g_mutex_unlock (&batch->lock);
    if (!done)
        return FALSE;
    g_queue_pop_head (&batch->queue);
    emit (batch, slot);
    slot_free (slot);
    return TRUE;
}

gboolean
md_batch_push (MdBatch *batch, const char *source, guint index, const char *data, gsize len)
{
    if (batch->stopped)
        return FALSE;
    if (batch->pool == NULL) {
        MdOptions options = batch->options;
        options.source = source;
        options.index = index;
        Slot slot = { .source = (char *) source, .index = index };
        slot.analysis = md_analyze_bytes (data, len, &options, &slot.error);
        emit (batch, &slot);
        if (slot.analysis != NULL)
            md_analysis_free (slot.analysis);
        g_clear_error (&slot.error);
        return !batch->stopped;
    }
    while (g_queue_get_length (&batch->queue) >= batch->window)
        emit_head (batch, TRUE);
    while (emit_head (batch, FALSE))
        ; /* what is ready goes out now: jsonl streams */
    if (batch->stopped)
        return FALSE;
    Slot *slot = g_new0 (Slot, 1);
    slot->source = g_strdup (source);
    slot->index = index;
    slot->data = g_malloc (len + 1);
    memcpy (slot->data, data, len);
    slot->data[len] = '\0';
    slot->len = len;
    g_queue_push_tail (&batch->queue, slot);
    GError *error = NULL;
    if (!g_thread_pool_push (batch->pool, slot, &error)) {
        /* No thread at all: analyse it here rather than lose it. */
        g_error_free (error);
        work (slot, batch);
    }
    return TRUE;
}

gboolean
md_batch_finish (MdBatch *batch)
{
    while (emit_head (batch, TRUE))
        ;
    return !batch->stopped;
}

void
md_batch_free (MdBatch *batch)
{
    if (batch == NULL)
        return;
    if (batch->pool != NULL)
        g_thread_pool_free (batch->pool, TRUE, TRUE); /* drop queued work, join running */
    Slot *slot;
    while ((slot = g_queue_pop_head (&batch->queue)) != NULL)
        slot_free (slot);
    g_mutex_clear (&batch->lock);
    g_cond_clear (&batch->cond);
    g_free (batch);
}

/* --- counts for the summary --- */

/* Distinct names kept per table: a batch of a million bounces to a million domains must not grow
 * memory without bound; names past the limit are counted under OTHER. */
#define MD_BATCH_MAX_NAMES 4096
#define MD_BATCH_NAME_MAX 255 /* RFC 1035's longest domain: longer names are cut */
#define MD_BATCH_TOP 5
#define OTHER "(other)"

struct MdBatchStats {
    guint verdicts[MD_VERDICT_ERROR + 1];
    guint analysed, failed, recipients, with_mta;
    GHashTable *reasons, *domains, *mtas; /* char * → count */
};

MdBatchStats *
md_batch_stats_new (void)
{
    MdBatchStats *stats = g_new0 (MdBatchStats, 1);
    stats->reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    stats->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    stats->mtas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    return stats;
}

void
md_batch_stats_free (MdBatchStats *stats)
{
    if (stats == NULL)
        return;
    g_hash_table_unref (stats->reasons);
    g_hash_table_unref (stats->domains);
    g_hash_table_unref (stats->mtas);
    g_free (stats);
}

static void
count (GHashTable *table, const char *name, gboolean lower)
{
    g_autofree char *key = NULL;
    if (lower)
        key = g_utf8_strdown (name, -1);
    else
        key = g_strdup (name);
    if (strlen (key) > MD_BATCH_NAME_MAX)
        key[MD_BATCH_NAME_MAX] = '\0'; /* may cut a character: the model's names are ASCII */
    gpointer old = NULL;
    if (!g_hash_table_lookup_extended (table, key, NULL, &old) &&
        g_hash_table_size (table) >= MD_BATCH_MAX_NAMES) {
        g_free (key);
        key = g_strdup (OTHER);
        old = g_hash_table_lookup (table, key);
    }
    g_hash_table_insert (table, g_steal_pointer (&key),
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (old) + 1));
}

void
md_batch_stats_add (MdBatchStats *stats, const MdAnalysis *a)
{
    stats->analysed++;
    if (a->summary.verdict <= MD_VERDICT_ERROR)
        stats->verdicts[a->summary.verdict]++;
    if (a->bounce == NULL)
        return;
    for (guint i = 0; i < a->bounce->recipients->len; i++) {
        const MdRecipient *r = g_ptr_array_index (a->bounce->recipients, i);
        stats->recipients++;
        count (stats->reasons, r->reason != NULL ? r->reason : "(unclassified)", FALSE);
        const char *at = r->recipient != NULL ? strrchr (r->recipient, '@') : NULL;
        count (stats->domains, at != NULL && at[1] != '\0' ? at + 1 : "(no domain)", TRUE);
        if (r->remote_mta != NULL && *r->remote_mta != '\0') {
            stats->with_mta++;
            count (stats->mtas, r->remote_mta, TRUE);
        }
    }
}

void
md_batch_stats_add_failed (MdBatchStats *stats)
{
    stats->failed++;
}

guint
md_batch_stats_get_analysed (const MdBatchStats *stats)
{
    return stats->analysed;
}

typedef struct {
    const char *name;
    guint count;
} Entry;

/* Most first, then by name: the same batch always prints the same summary. */
static gint
entry_compare (gconstpointer a, gconstpointer b)
{
    const Entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp (x->name, y->name);
}

static void
append_entries (GString *out, GArray *entries, guint limit)
{
    g_array_sort (entries, entry_compare);
    for (guint i = 0; i < entries->len && i < limit; i++) {
        const Entry *e = &g_array_index (entries, Entry, i);
        g_string_append_printf (out, "  %-40s %7u\n", e->name, e->count);
    }
    if (entries->len > limit)
        g_string_append_printf (out, "  (%u more)\n", entries->len - limit);
}

static void
append_table (GString *out, GHashTable *table, guint limit)
{
    g_autoptr (GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init (&iter, table);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
        Entry e = { key, GPOINTER_TO_UINT (value) };
        g_array_append_val (entries, e);
    }
    append_entries (out, entries, limit);
}

void
md_batch_stats_format_text (const MdBatchStats *stats, GString *out)
{
    g_string_append_printf (out, "\nBatch summary: %u message%s analysed", stats->analysed,
                            stats->analysed == 1 ? "" : "s");
    if (stats->failed > 0)
        g_string_append_printf (out, ", %u not analysed", stats->failed);
    g_string_append (out, "\nVerdicts\n");
    g_autoptr (GArray) verdicts = g_array_new (FALSE, FALSE, sizeof (Entry));
    for (guint v = 0; v < G_N_ELEMENTS (stats->verdicts); v++)
        if (stats->verdicts[v] > 0) {
            Entry e = { md_verdict_to_string ((MdVerdict) v), stats->verdicts[v] };
            g_array_append_val (verdicts, e);
        }
    append_entries (out, verdicts, G_MAXUINT);
    if (stats->recipients == 0)
        return;
    g_string_append_printf (out, "Reasons (%u bounce recipient%s)\n", stats->recipients,
                            stats->recipients == 1 ? "" : "s");
    append_table (out, stats->reasons, G_MAXUINT);
    g_string_append_printf (out, "Top recipient domains\n");
    append_table (out, stats->domains, MD_BATCH_TOP);
    if (stats->with_mta > 0) {
        g_string_append_printf (out, "Top remote MTAs (%u recipient%s naming one)\n",
                                stats->with_mta, stats->with_mta == 1 ? "" : "s");
        append_table (out, stats->mtas, MD_BATCH_TOP);
    }
}
