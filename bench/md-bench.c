/* md-bench - throughput of maildiag against its floor, GMime alone, in one process and one run
 * (machines differ up to 2x, so only ratios within a run count; issue #7).
 *   md-bench gmime FILE…          GMime alone: one parser reused, each message from memory
 *   md-bench pipeline FILE…       md_analyze_bytes + JSON Lines output, with phase times
 *   md-bench make-mbox OUT N FILE…  an mbox of N messages cycling through FILEs
 *   md-bench child CMD…           runs CMD, prints its wall time and peak RSS
 * Prints "key: value" lines; bench/run puts them together. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gmime/gmime.h>

#include <maildiag/maildiag.h>

#define MIN_SECONDS 2.0 /* repeat the set until this much time has passed: stable rates */

typedef struct {
    GPtrArray *messages; /* GBytes * */
    gsize bytes;
} Set;

static Set
load (int argc, char **argv)
{
    Set set = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref), 0 };
    for (int i = 0; i < argc; i++) {
        char *data;
        gsize len;
        if (!g_file_get_contents (argv[i], &data, &len, NULL)) {
            g_printerr ("md-bench: cannot read %s\n", argv[i]);
            continue;
        }
        g_ptr_array_add (set.messages, g_bytes_new_take (data, len));
        set.bytes += len;
    }
    return set;
}

static double
now (void)
{
    return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

static void
print_rate (const char *name, guint64 messages, guint64 bytes, double seconds)
{
    printf ("%s.messages: %" G_GUINT64_FORMAT "\n", name, messages);
    printf ("%s.seconds: %.3f\n", name, seconds);
    printf ("%s.msgs_per_s: %.0f\n", name, (double) messages / seconds);
    printf ("%s.mb_per_s: %.2f\n", name, (double) bytes / seconds / 1e6);
}

static int
bench_gmime (Set *set)
{
    g_mime_init ();
    GMimeParser *parser = g_mime_parser_new ();
    guint64 n = 0, bytes = 0;
    double start = now (), elapsed = 0;
    do {
        for (guint i = 0; i < set->messages->len; i++) {
            gsize len;
            const guint8 *data = g_bytes_get_data (g_ptr_array_index (set->messages, i), &len);
            /* Borrowed bytes, as src/message.c does: no copy on either side. */
            GByteArray *array = g_byte_array_new_take ((guint8 *) data, len);
            GMimeStream *stream = g_mime_stream_mem_new_with_byte_array (array);
            g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
            g_mime_parser_init_with_stream (parser, stream);
            GMimeMessage *message = g_mime_parser_construct_message (parser, NULL);
            if (message != NULL)
                g_object_unref (message);
            g_object_unref (stream);
            (void) g_byte_array_steal (array, NULL);
            g_byte_array_unref (array);
            n++;
            bytes += len;
        }
        elapsed = now () - start;
    } while (elapsed < MIN_SECONDS);
    g_object_unref (parser);
    print_rate ("gmime", n, bytes, elapsed);
    return 0;
}

static MdRuleSet *
default_rules (void)
{
    MdRuleSet *rules = md_rules_new ();
    g_autoptr (GPtrArray) dirs = md_rules_default_dirs ();
    for (guint i = 0; i < dirs->len; i++) {
        g_autoptr (GError) error = NULL;
        if (!md_rules_load_dir (rules, g_ptr_array_index (dirs, i), TRUE, &error))
            g_printerr ("md-bench: %s\n", error->message);
    }
    printf ("rules: %u\n", md_rules_count (rules));
    return rules;
}

static int
bench_pipeline (Set *set)
{
    g_autoptr (MdRuleSet) rules = default_rules ();
    MdOptions bare = { .source = "bench" }, full = { .rules = rules, .source = "bench" };
    g_autoptr (GString) out = g_string_sized_new (1 << 16);
    FILE *sink = fopen ("/dev/null", "w");
    guint64 n = 0, bytes = 0;
    double t_parse = 0, t_rules = 0, t_output = 0;
    double start = now (), elapsed = 0;
    do {
        for (guint i = 0; i < set->messages->len; i++) {
            gsize len;
            const char *data = g_bytes_get_data (g_ptr_array_index (set->messages, i), &len);
            /* The whole pipeline, timed as the CLI runs it with --format=jsonl. */
            double t0 = now ();
            MdAnalysis *a = md_analyze_bytes (data, len, &full, NULL);
            double t1 = now ();
            if (a != NULL) {
                md_output_json (out, a, FALSE);
                fwrite (out->str, 1, out->len, sink);
                g_string_truncate (out, 0);
                md_analysis_free (a);
            }
            double t2 = now ();
            n++;
            bytes += len;
            t_rules += t1 - t0;
            t_output += t2 - t1;
        }
        elapsed = now () - start;
    } while (elapsed < MIN_SECONDS && g_getenv ("MD_BENCH_ONCE") == NULL);
    print_rate ("pipeline", n, bytes, elapsed);
    /* The same messages without rules or output: what parsing costs inside the pipeline. Left
     * out with MD_BENCH_ONCE=1 (one pass of the full pipeline, for callgrind). */
    if (g_getenv ("MD_BENCH_ONCE") != NULL) {
        fclose (sink);
        return 0;
    }
    guint64 bare_n = 0;
    start = now ();
    do {
        for (guint i = 0; i < set->messages->len; i++, bare_n++) {
            gsize len;
            const char *data = g_bytes_get_data (g_ptr_array_index (set->messages, i), &len);
            md_analysis_free (md_analyze_bytes (data, len, &bare, NULL));
        }
        t_parse = now () - start;
    } while (t_parse < MIN_SECONDS);
    double parse_us = t_parse / bare_n * 1e6;
    printf ("phase.parse_us: %.1f\n", parse_us);
    printf ("phase.analysis_us: %.1f\n", t_rules / n * 1e6 - parse_us);
    printf ("phase.output_us: %.1f\n", t_output / n * 1e6);
    fclose (sink);
    return 0;
}

static int
make_mbox (const char *path, guint64 count, Set *set)
{
    FILE *out = fopen (path, "w");
    if (out == NULL || set->messages->len == 0)
        return 1;
    for (guint64 k = 0; k < count; k++) {
        gsize len;
        const char *data = g_bytes_get_data (g_ptr_array_index (set->messages, k % set->messages->len), &len);
        fprintf (out, "From bench@example.org Tue Nov  3 09:00:00 2026\n");
        /* A corpus file saved from an mbox brings its own From_ line: ours replaces it. */
        if (len >= 5 && memcmp (data, "From ", 5) == 0) {
            const char *nl = memchr (data, '\n', len);
            gsize skip = nl != NULL ? (gsize) (nl - data) + 1 : len;
            data += skip;
            len -= skip;
        }
        /* mboxrd quoting: a body line starting "From " would split the message. */
        const char *p = data, *end = data + len;
        while (p < end) {
            const char *nl = memchr (p, '\n', (gsize) (end - p));
            gsize n = nl != NULL ? (gsize) (nl - p) + 1 : (gsize) (end - p);
            if (n >= 5 && memcmp (p, "From ", 5) == 0)
                fputc ('>', out);
            fwrite (p, 1, n, out);
            p += n;
        }
        if (len > 0 && data[len - 1] != '\n')
            fputc ('\n', out);
        fputc ('\n', out);
    }
    return fclose (out) == 0 ? 0 : 1;
}

static int
run_child (char **argv)
{
    double start = now ();
    pid_t pid = fork ();
    if (pid == 0) {
        execvp (argv[0], argv);
        _exit (127);
    }
    int status = 0;
    waitpid (pid, &status, 0);
    double elapsed = now () - start;
    struct rusage usage;
    getrusage (RUSAGE_CHILDREN, &usage);
    printf ("child.status: %d\n", WIFEXITED (status) ? WEXITSTATUS (status) : -1);
    printf ("child.seconds: %.3f\n", elapsed);
    printf ("child.cpu_seconds: %.3f\n",
            usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                usage.ru_stime.tv_usec / 1e6);
    printf ("child.peak_rss_kb: %ld\n", usage.ru_maxrss);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        g_printerr ("usage: md-bench gmime|pipeline FILE… | make-mbox OUT N FILE… | child CMD…\n");
        return 64;
    }
    if (strcmp (argv[1], "child") == 0)
        return run_child (argv + 2);
    if (strcmp (argv[1], "make-mbox") == 0 && argc > 4) {
        Set set = load (argc - 4, argv + 4);
        return make_mbox (argv[2], g_ascii_strtoull (argv[3], NULL, 10), &set);
    }
    Set set = load (argc - 2, argv + 2);
    printf ("%s.files: %u\n%s.bytes: %" G_GSIZE_FORMAT "\n", argv[1], set.messages->len, argv[1],
            set.bytes);
    int status = strcmp (argv[1], "gmime") == 0 ? bench_gmime (&set) : bench_pipeline (&set);
    g_ptr_array_unref (set.messages);
    return status;
}
