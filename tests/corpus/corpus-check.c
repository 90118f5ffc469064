/* corpus-check - maildiag's accuracy on ../shared/corpus/bounces against expected.json, one
 * named case per file (STYLE §9), and no recipient at all for ../shared/corpus/not-bounces.
 * Floors (issue #8): reason >= 95% of rows; enhanced status >= 98% of rows whose expected status
 * is not a Sisimai pseudo-code (X.0.9xx); every expected recipient found.
 *   corpus-check [-v] [CORPUS_DIR]      -v lists every row that differs */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include <maildiag/maildiag.h>

#include "config.h"
#include "input.h"

#define REASON_FLOOR 0.95
#define STATUS_FLOOR 0.98

typedef struct {
    guint rows, found, reason_ok, status_rows, status_ok, reply_rows, reply_ok, hard_ok;
} Score;

/* Every message of @path (a file may hold an mbox of several), recipients in order. */
static GPtrArray *
analyse_file (const char *path, const MdRuleSet *rules, GPtrArray *keep)
{
    GPtrArray *recipients = g_ptr_array_new ();
    char *data;
    gsize len;
    if (!g_file_get_contents (path, &data, &len, NULL))
        return recipients;
    MdOptions options = { .rules = rules, .source = path };
    if (md_input_is_mbox (data, len)) {
        FILE *stream = fmemopen (data, len, "r");
        g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
        const char *message, *from;
        gsize message_len, from_len;
        while (md_mbox_reader_next (reader, &message, &message_len, &from, &from_len, NULL)) {
            MdAnalysis *a = md_analyze_bytes (message, message_len, &options, NULL);
            if (a != NULL)
                g_ptr_array_add (keep, a);
        }
        fclose (stream);
    } else {
        MdAnalysis *a = md_analyze_bytes (data, len, &options, NULL);
        if (a != NULL)
            g_ptr_array_add (keep, a);
    }
    g_free (data);
    for (guint i = 0; i < keep->len; i++) {
        MdAnalysis *a = g_ptr_array_index (keep, i);
        for (guint j = 0; a->bounce != NULL && j < a->bounce->recipients->len; j++)
            g_ptr_array_add (recipients, g_ptr_array_index (a->bounce->recipients, j));
    }
    return recipients;
}

static const char *
jstr (json_object *o, const char *key)
{
    json_object *v = json_object_object_get (o, key);
    const char *s = v != NULL ? json_object_get_string (v) : NULL;
    return s != NULL && *s != '\0' ? s : NULL;
}

static gboolean
is_pseudo (const char *status)
{
    /* Sisimai's own X.0.9xx codes: no server wrote them, nothing can match them. */
    return status != NULL && strlen (status) == 7 && status[1] == '.' && status[2] == '0' &&
           status[3] == '.' && status[4] == '9';
}

int
main (int argc, char **argv)
{
    gboolean verbose = argc > 1 && strcmp (argv[1], "-v") == 0;
    const char *corpus = argc > 1 + verbose ? argv[1 + verbose] : NULL;
    g_autofree char *root = corpus != NULL ? g_strdup (corpus)
                                           : g_build_filename (MD_SOURCE_RULES_DIR, "..", "..",
                                                               "shared", "corpus", NULL);
    g_autoptr (MdRuleSet) rules = md_rules_new ();
    g_autoptr (GError) error = NULL;
    if (!md_rules_load_dir (rules, MD_SOURCE_RULES_DIR, FALSE, &error)) {
        fprintf (stderr, "corpus-check: %s\n", error->message);
        return 1;
    }
    g_autofree char *manifest = g_build_filename (root, "bounces", "expected.json", NULL);
    json_object *expected = json_object_from_file (manifest);
    if (expected == NULL) {
        fprintf (stderr, "corpus-check: cannot read %s\n", manifest);
        return 1;
    }
    Score score = { 0 };
    guint files = 0, files_ok = 0;
    json_object_object_foreach (expected, name, rows)
    {
        files++;
        g_autofree char *path = g_build_filename (root, "bounces", "emails", name, NULL);
        g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) md_analysis_free);
        g_autoptr (GPtrArray) got = analyse_file (path, rules, keep);
        gboolean all_ok = TRUE;
        for (size_t i = 0; i < json_object_array_length (rows); i++) {
            json_object *row = json_object_array_get_idx (rows, i);
            const char *want_reason = jstr (row, "reason");
            const char *want_status = jstr (row, "deliverystatus");
            const char *want_reply = jstr (row, "replycode");
            gboolean want_hard = json_object_get_boolean (json_object_object_get (row, "hardbounce"));
            const MdRecipient *r = i < got->len ? g_ptr_array_index (got, i) : NULL;
            score.rows++;
            char reply[8] = "";
            if (r != NULL && r->reply_code != 0)
                g_snprintf (reply, sizeof reply, "%d", r->reply_code);
            gboolean reason_ok = r != NULL && g_strcmp0 (r->reason, want_reason) == 0;
            gboolean status_ok = r != NULL && g_strcmp0 (r->status, want_status) == 0;
            gboolean reply_ok = r != NULL && g_strcmp0 (*reply ? reply : NULL, want_reply) == 0;
            gboolean hard_ok = r != NULL && r->hard == want_hard;
            score.found += r != NULL;
            score.reason_ok += reason_ok;
            if (!is_pseudo (want_status)) {
                score.status_rows++;
                score.status_ok += status_ok;
            }
            if (want_reply != NULL) {
                score.reply_rows++;
                score.reply_ok += reply_ok;
            }
            score.hard_ok += hard_ok;
            gboolean row_ok = reason_ok && (status_ok || is_pseudo (want_status));
            all_ok &= row_ok;
            if (verbose && !row_ok)
                printf ("%s[%zu]: %s reason %s (want %s), status %s (want %s), reply %s (want %s) "
                        "rule %s: %.120s\n",
                        name, i, r != NULL ? r->recipient : "MISSING",
                        r != NULL ? r->reason : "-", want_reason,
                        r != NULL ? r->status : "-", want_status ? want_status : "-",
                        *reply ? reply : "-", want_reply ? want_reply : "-",
                        r != NULL && r->rule ? r->rule : "-",
                        r != NULL && r->diagnostic ? r->diagnostic : "");
        }
        files_ok += all_ok;
    }
    json_object_put (expected);

    /* Not bounces: no recipient may be reported. */
    guint not_bounces = 0, false_bounces = 0;
    g_autofree char *nb_dir = g_build_filename (root, "not-bounces", NULL);
    g_autoptr (GDir) dir = g_dir_open (nb_dir, 0, NULL);
    for (const char *entry; dir != NULL && (entry = g_dir_read_name (dir)) != NULL;) {
        g_autofree char *path = g_build_filename (nb_dir, entry, NULL);
        g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func ((GDestroyNotify) md_analysis_free);
        g_autoptr (GPtrArray) got = analyse_file (path, rules, keep);
        not_bounces++;
        if (got->len > 0) {
            false_bounces++;
            printf ("not-bounces/%s: %u recipients reported\n", entry, got->len);
        }
    }

    double reason = (double) score.reason_ok / score.rows;
    double status = (double) score.status_ok / score.status_rows;
    printf ("files: %u, all rows right: %u\n", files, files_ok);
    printf ("recipients found: %u of %u\n", score.found, score.rows);
    printf ("reason: %u of %u (%.1f%%, floor %.0f%%)\n", score.reason_ok, score.rows, 100 * reason,
            100 * REASON_FLOOR);
    printf ("status: %u of %u non-pseudo (%.1f%%, floor %.0f%%)\n", score.status_ok,
            score.status_rows, 100 * status, 100 * STATUS_FLOOR);
    printf ("reply code: %u of %u (%.1f%%)\n", score.reply_ok, score.reply_rows,
            100.0 * score.reply_ok / MAX (score.reply_rows, 1));
    printf ("hard/soft: %u of %u (%.1f%%)\n", score.hard_ok, score.rows,
            100.0 * score.hard_ok / score.rows);
    printf ("not-bounces: %u of %u without recipients\n", not_bounces - false_bounces, not_bounces);
    gboolean pass = reason >= REASON_FLOOR && status >= STATUS_FLOOR &&
                    score.found == score.rows && false_bounces == 0;
    printf ("%s\n", pass ? "PASS" : "FAIL: below a floor");
    return pass ? 0 : 1;
}
