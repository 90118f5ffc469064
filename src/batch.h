/* batch.h - many messages at once (issue #10): analyse them on a GLib thread pool with results
 * handed back strictly in input order, and count what a batch summary needs. Prints nothing. */
#pragma once

#include <maildiag/maildiag.h>

/* How many messages may be queued or in analysis per job: enough to keep every thread busy while
 * the main thread writes, few enough that memory stays (window × message size). */
#define MD_BATCH_WINDOW_PER_JOB 4

/* md_batch_emit - called on the caller's thread, once per pushed message, in push order: either
 * @analysis (transfer none: freed after the call) or @error. Returns FALSE to stop the batch. */
typedef gboolean (*MdBatchEmit) (const char *source, guint index, MdAnalysis *analysis,
                                 const GError *error, gpointer user_data);

typedef struct MdBatch MdBatch;

/* md_batch_new - a batch analysing with @options (copied; its rules must outlive the batch) on
 * @jobs threads; @jobs <= 1 analyses on the caller's thread at push time (transfer full) */
MdBatch *md_batch_new (const MdOptions *options, guint jobs, MdBatchEmit emit, gpointer user_data);
/* md_batch_push - queues a copy of one message; may first emit finished ones in order. Returns
 * FALSE once an emit returned FALSE (the message is then not queued). */
gboolean md_batch_push (MdBatch *batch, const char *source, guint index, const char *data,
                        gsize len);
/* md_batch_finish - waits for every queued message and emits it in order; FALSE when an emit
 * returned FALSE (the rest are then dropped unprinted) */
gboolean md_batch_finish (MdBatch *batch);
/* md_batch_free - finishes without emitting what is left, joins the threads, frees */
void md_batch_free (MdBatch *batch);
/* md_batch_default_jobs - the number of processors this process may use, at least 1 */
guint md_batch_default_jobs (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdBatch, md_batch_free)

/* Counts over a batch for the text summary: only numbers and a bounded set of names survive each
 * analysis, so memory does not grow with the batch. */
typedef struct MdBatchStats MdBatchStats;

/* md_batch_stats_new - empty counts (transfer full) */
MdBatchStats *md_batch_stats_new (void);
void md_batch_stats_free (MdBatchStats *stats);
/* md_batch_stats_add - counts @analysis' verdict, and its bounce recipients' reasons, domains and
 * remote MTAs */
void md_batch_stats_add (MdBatchStats *stats, const MdAnalysis *analysis);
/* md_batch_stats_add_failed - counts a message that could not be analysed */
void md_batch_stats_add_failed (MdBatchStats *stats);
/* md_batch_stats_get_analysed - how many analyses were counted */
guint md_batch_stats_get_analysed (const MdBatchStats *stats);
/* md_batch_stats_format_text - appends the batch summary as plain text */
void md_batch_stats_format_text (const MdBatchStats *stats, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdBatchStats, md_batch_stats_free)
