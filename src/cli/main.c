/* main.c - the maildiag program: options, inputs, rule loading, output and exit codes (DESIGN §2,
 * §7). It holds no analysis: everything it prints comes from libmaildiag's model and formatters. */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <maildiag/maildiag.h>

#include "batch.h"
#include "config.h"
#include "filter.h"
#include "input.h"
#include "rules.h"

/* sysexits(3) values, spelled out so the table below is the whole mapping (STYLE §8). */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 64,
    EXIT_DATAERR = 65,
    EXIT_NOINPUT = 66,
    EXIT_SOFTWARE = 70,
    EXIT_IOERR = 74,
    EXIT_TEMPFAIL = 75, /* --filter only: input unreadable or output unwritable */
    EXIT_CONFIG = 78,
};

#define DEFAULT_MAX_SIZE (64u * 1024 * 1024) /* DESIGN §2: 64 MiB, far above any real message */

static const struct {
    MdError code;
    int status;
} exit_table[] = {
    { MD_ERROR_NO_INPUT, EXIT_NOINPUT }, { MD_ERROR_READ, EXIT_IOERR },
    { MD_ERROR_NOT_MAIL, EXIT_DATAERR }, { MD_ERROR_RULES, EXIT_CONFIG },
    { MD_ERROR_TOO_BIG, EXIT_DATAERR },  { MD_ERROR_INTERNAL, EXIT_SOFTWARE },
};

static int
exit_status_for (const GError *error)
{
    if (error->domain == MD_ERROR)
        for (guint i = 0; i < G_N_ELEMENTS (exit_table); i++)
            if ((MdError) error->code == exit_table[i].code)
                return exit_table[i].status;
    return EXIT_SOFTWARE;
}

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_JSONL, FORMAT_MARKDOWN, FORMAT_HEADERS } Format;

typedef struct {
    Format format;
    gboolean color, explain, quiet, verbose, force_mbox;
    MdOptions options;
    GString *out;
    guint messages; /* analysed or failed, for --format=json's one-message rule */
    guint printed;  /* messages handed to the output, in order: separators */
    MdBatch *batch; /* analyses in input order, on -j threads */
    MdBatchStats *stats; /* text: the batch summary's counts */
    int status;     /* worst exit status so far */
    gboolean filter;        /* --filter */
    int verdict_status;     /* worst --exit-verdict status so far */
    const GError *fail_all; /* --filter with unloadable rules: every message is verdict=error */
} Run;

static char *opt_format = NULL;
static char **opt_rules = NULL;
static char **opt_authserv_ids = NULL;
static char *opt_max_size = NULL;
static int opt_jobs = 0; /* 0: one per processor */
static gboolean opt_filter, opt_exit_verdict;
static gboolean opt_no_default_rules, opt_check_rules, opt_explain, opt_mbox, opt_quiet,
    opt_verbose, opt_version;
static char **opt_files = NULL;

static const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &opt_format,
      "Output format: text (default), json, jsonl, markdown, headers (the X-Maildiag field)",
      "FMT" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &opt_jobs,
      "Analyse N messages of a batch at once (default: one per processor; 1: no threads)", "N" },
    { "filter", 0, 0, G_OPTION_ARG_NONE, &opt_filter,
      "Pass the input through byte for byte with one X-Maildiag header field added per message",
      NULL },
    { "exit-verdict", 0, 0, G_OPTION_ARG_NONE, &opt_exit_verdict,
      "Exit 0 ok, 1 delayed or deferred, 2 spam, 3 rejected (the worst message); never under an "
      "MTA",
      NULL },
    { "mbox", 0, 0, G_OPTION_ARG_NONE, &opt_mbox,
      "Treat input as mbox (detected when it starts with \"From \")", NULL },
    { "rules", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_rules,
      "Add a rules directory (repeatable; later ones override by rule id)", "DIR" },
    { "no-default-rules", 0, 0, G_OPTION_ARG_NONE, &opt_no_default_rules,
      "Load only the --rules directories", NULL },
    { "check-rules", 0, 0, G_OPTION_ARG_NONE, &opt_check_rules,
      "Load and compile all rules, report problems as file:line, and exit", NULL },
    { "authserv-id", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_authserv_ids,
      "Trust authentication results of this authserv-id (repeatable; default: the topmost "
      "Authentication-Results' id)",
      "ID" },
    { "explain", 0, 0, G_OPTION_ARG_NONE, &opt_explain,
      "Show which condition of which rule matched which text", NULL },
    { "max-size", 0, 0, G_OPTION_ARG_STRING, &opt_max_size,
      "Refuse to analyse a message over N bytes (default 64M; suffixes K, M, G)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No warnings on standard error", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
      "Say which rule directories were loaded", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_files, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

static const char description[] =
    "Reads a message, a bounce, an mbox or a pasted header block and prints why the mail was\n"
    "delayed, flagged or rejected. FILE \"-\" or none: standard input.\n"
    "\n"
    "Exit status: 0 analysed; 64 usage; 65 not mail (empty, binary, no header block) or over\n"
    "--max-size; 66 missing input file; 70 internal error; 74 I/O error; 78 bad rule file.\n"
    "--filter: 0 passed through (verdict=error when it could not be analysed); 75 input\n"
    "unreadable or output unwritable (the MTA keeps the mail). --exit-verdict: 0 ok, 1 delayed\n"
    "or deferred, 2 spam, 3 rejected, the worst of all messages, unless an error above is worse.\n"
    "X-Maildiag (RFC 8601 syntax, authserv-id the host name): \"HOST 1; verdict=V [reason=R\n"
    "rcpt.addr=A rcpt.status=S smtp.reply=N rcpt.hard=yes|no rcpt.count=N]; delay=pass|fail|none\n"
    "[hop.max=SEC hop.total=SEC] hop.count=N; finding=SEVERITY|none [rule.id=ID] "
    "finding.count=N\".\n";

static gboolean
parse_size (const char *text, gsize *out)
{
    char *end = NULL;
    errno = 0;
    guint64 n = g_ascii_strtoull (text, &end, 10);
    if (errno != 0 || end == text)
        return FALSE;
    guint64 scale = 1;
    if (*end == 'k' || *end == 'K')
        scale = 1024;
    else if (*end == 'm' || *end == 'M')
        scale = 1024 * 1024;
    else if (*end == 'g' || *end == 'G')
        scale = 1024 * 1024 * 1024;
    if (scale != 1)
        end++;
    if (*end != '\0' || n > G_MAXSIZE / scale)
        return FALSE;
    *out = (gsize) (n * scale);
    return TRUE;
}

static void
worsen (Run *run, int status)
{
    if (status > run->status)
        run->status = status;
}

/* Writes the buffered output; a write failure is EX_IOERR (a full disk is no success). */
static gboolean
flush_out (Run *run)
{
    if (run->out->len > 0 && fwrite (run->out->str, 1, run->out->len, stdout) != run->out->len) {
        g_string_truncate (run->out, 0);
        return FALSE;
    }
    g_string_truncate (run->out, 0);
    return run->format != FORMAT_JSONL || fflush (stdout) == 0;
}

static void
report_error (Run *run, const char *source, const GError *error)
{
    /* --format=headers still prints a field, verdict=error; the exit status says why. */
    if (run->format == FORMAT_HEADERS) {
        md_filter_field (run->out, NULL, error, NULL, "\n");
        if (!flush_out (run))
            worsen (run, EXIT_IOERR);
    }
    if (!run->quiet || error->code != MD_ERROR_NOT_MAIL)
        g_printerr ("maildiag: %s: %s\n", source, error->message);
    worsen (run, exit_status_for (error));
}

static gboolean
analyse_one (Run *run, const char *source, guint index, const char *data, gsize len)
{
    if (run->format == FORMAT_JSON && run->messages > 0) {
        g_printerr ("maildiag: several messages need --format=jsonl, not json\n");
        worsen (run, EXIT_USAGE);
        return FALSE;
    }
    run->messages++;
    return md_batch_push (run->batch, source, index, data, len);
}

/* --exit-verdict's status for a verdict, like spamc -E (DESIGN §7); the worst one wins. */
static void
note_verdict (Run *run, MdVerdict verdict)
{
    int status = 0;
    if (verdict == MD_VERDICT_DELAYED || verdict == MD_VERDICT_DEFERRED)
        status = 1;
    else if (verdict == MD_VERDICT_SPAM)
        status = 2;
    else if (verdict == MD_VERDICT_REJECTED)
        status = 3;
    run->verdict_status = MAX (run->verdict_status, status);
}

/* Prints one message's result; md_batch calls it in input order, whatever -j says. */
static gboolean
output_one (const char *source, guint index, MdAnalysis *analysis, const GError *error,
            gpointer user_data)
{
    Run *run = user_data;
    (void) index;
    run->printed++;
    if (analysis != NULL)
        note_verdict (run, analysis->summary.verdict);
    if (analysis == NULL) {
        if (run->stats != NULL)
            md_batch_stats_add_failed (run->stats);
        report_error (run, source, error);
        return TRUE;
    }
    if (run->stats != NULL)
        md_batch_stats_add (run->stats, analysis);
    switch (run->format) {
    case FORMAT_JSON:
        md_output_json (run->out, analysis, TRUE);
        break;
    case FORMAT_JSONL:
        md_output_json (run->out, analysis, FALSE);
        break;
    case FORMAT_TEXT: {
        MdTextOptions text = { run->color, run->explain };
        if (run->printed > 1)
            g_string_append (run->out, "\n");
        md_output_text (run->out, analysis, &text);
        break;
    }
    case FORMAT_HEADERS:
        md_filter_field (run->out, analysis, NULL, NULL, "\n");
        break;
    case FORMAT_MARKDOWN:
        if (run->printed > 1)
            g_string_append (run->out, "\n---\n\n"); /* a rule, not a heading: blank line first */
        md_output_markdown (run->out, analysis);
        break;
    }
    if (!flush_out (run)) {
        g_printerr ("maildiag: writing output: %s\n", g_strerror (errno));
        worsen (run, EXIT_IOERR);
        return FALSE;
    }
    return TRUE;
}

/* A stdio stream that first yields the bytes already read to sniff the format, then the rest of
 * the underlying stream: so a pipe can be split as mbox after its first bytes were looked at. */
typedef struct {
    char prefix[8];
    gsize prefix_len, prefix_pos;
    FILE *rest;
} Sniffed;

static ssize_t
sniffed_read (void *cookie, char *buf, size_t size)
{
    Sniffed *s = cookie;
    if (s->prefix_pos < s->prefix_len) {
        gsize n = MIN (size, s->prefix_len - s->prefix_pos);
        memcpy (buf, s->prefix + s->prefix_pos, n);
        s->prefix_pos += n;
        return (ssize_t) n;
    }
    size_t n = fread (buf, 1, size, s->rest);
    return n == 0 && ferror (s->rest) ? -1 : (ssize_t) n;
}

static gboolean
analyse_mbox (Run *run, const char *source, Sniffed *sniffed)
{
    cookie_io_functions_t io = { sniffed_read, NULL, NULL, NULL };
    FILE *stream = fopencookie (sniffed, "r", io);
    if (stream == NULL) {
        g_printerr ("maildiag: %s: %s\n", source, g_strerror (errno));
        worsen (run, EXIT_SOFTWARE);
        return TRUE;
    }
    g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
    g_autoptr (GError) error = NULL;
    const char *data, *from_line;
    gsize len, from_len;
    gboolean go_on = TRUE;
    for (guint index = 0;
         go_on && md_mbox_reader_next (reader, &data, &len, &from_line, &from_len, &error);
         index++)
        go_on = analyse_one (run, source, index, data, len);
    if (error != NULL) {
        g_printerr ("maildiag: %s: %s\n", source, error->message);
        worsen (run, EXIT_IOERR);
    }
    fclose (stream);
    return go_on;
}

/* Reads up to @size bytes from @fd, retrying on EINTR and short pipe reads: the format sniff. */
static gssize
read_prefix (int fd, char *buf, gsize size)
{
    gsize got = 0;
    while (got < size) {
        ssize_t n = read (fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (gsize) n;
    }
    return (gssize) got;
}

/* --filter's report of each message it wrote: a verdict, or why it could not be analysed (the
 * message still passed through, with verdict=error). */
static void
filter_notify (const MdAnalysis *analysis, const GError *error, gpointer user_data)
{
    Run *run = user_data;
    if (analysis != NULL)
        note_verdict (run, analysis->summary.verdict);
    else if (!run->quiet && run->fail_all == NULL)
        g_printerr ("maildiag: %s: %s (passed through with verdict=error)\n", run->options.source,
                    error->message);
}

/* --filter (DESIGN §7): reads all of the input, then writes it back with X-Maildiag fields. Only
 * a read or write failure is an error, EX_TEMPFAIL: the MTA then keeps the mail and retries. */
static gboolean
filter_fd (Run *run, const char *path, int fd, guint index)
{
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) input = md_input_read_fd (fd, 0, FALSE, NULL, &error);
    if (input == NULL) {
        g_printerr ("maildiag: %s: %s\n", path, error->message);
        worsen (run, EXIT_TEMPFAIL);
        return FALSE;
    }
    gsize len;
    const char *data = g_bytes_get_data (input, &len);
    MdOptions analysis = run->options;
    analysis.source = path;
    analysis.index = index;
    run->options.source = path;
    MdFilterOptions options = {
        &analysis, NULL, run->force_mbox, run->fail_all, filter_notify, run
    };
    if (!md_filter_write (stdout, data, len, &options) || fflush (stdout) != 0) {
        g_printerr ("maildiag: writing output: %s\n", g_strerror (errno));
        worsen (run, EXIT_TEMPFAIL);
        return FALSE;
    }
    return TRUE;
}

static gboolean
analyse_fd (Run *run, const char *path, int fd, guint index)
{
    if (run->filter)
        return filter_fd (run, path, fd, index);
    Sniffed sniffed = { 0 };
    gssize n = read_prefix (fd, sniffed.prefix, 5);
    if (n < 0) {
        g_printerr ("maildiag: %s: %s\n", path, g_strerror (errno));
        worsen (run, EXIT_IOERR);
        return TRUE;
    }
    sniffed.prefix_len = (gsize) n;
    if (run->force_mbox || md_input_is_mbox (sniffed.prefix, sniffed.prefix_len)) {
        sniffed.rest = fdopen (dup (fd), "rb");
        if (sniffed.rest == NULL) {
            g_printerr ("maildiag: %s: %s\n", path, g_strerror (errno));
            worsen (run, EXIT_SOFTWARE);
            return TRUE;
        }
        gboolean go_on = analyse_mbox (run, path, &sniffed);
        fclose (sniffed.rest);
        return go_on;
    }
    /* The limit applies to the whole message, the sniffed bytes included. */
    gsize max = run->options.max_size;
    if (max > 0)
        max = max > sniffed.prefix_len ? max - sniffed.prefix_len : 1;
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) rest = md_input_read_fd (fd, max, FALSE, NULL, &error);
    if (rest == NULL) {
        report_error (run, path, error);
        return TRUE;
    }
    gsize rest_len;
    const char *rest_data = g_bytes_get_data (rest, &rest_len);
    g_autofree char *whole = g_malloc (sniffed.prefix_len + rest_len + 1);
    memcpy (whole, sniffed.prefix, sniffed.prefix_len);
    if (rest_len > 0)
        memcpy (whole + sniffed.prefix_len, rest_data, rest_len);
    return analyse_one (run, path, index, whole, sniffed.prefix_len + rest_len);
}

static gboolean analyse_path (Run *run, const char *path, guint index);

typedef struct {
    char *name;
    const char *sub; /* "cur" or "new" */
} MaildirEntry;

static int
maildir_entry_compare (gconstpointer a, gconstpointer b)
{
    const MaildirEntry *x = a, *y = b;
    int c = strcmp (x->name, y->name);
    return c != 0 ? c : strcmp (x->sub, y->sub);
}

static void
maildir_entry_clear (gpointer data)
{
    g_free (((MaildirEntry *) data)->name);
}

static gboolean
is_maildir (const char *path)
{
    g_autofree char *cur = g_build_filename (path, "cur", NULL);
    g_autofree char *new = g_build_filename (path, "new", NULL);
    return g_file_test (path, G_FILE_TEST_IS_DIR) &&
           (g_file_test (cur, G_FILE_TEST_IS_DIR) || g_file_test (new, G_FILE_TEST_IS_DIR));
}

/* A maildir: every file of cur/ and new/ (not tmp/, where mail is still being written) is a
 * message, taken in file-name order: delivery names start with the time, and the order is the
 * same on every run. Dot files are skipped. */
static gboolean
analyse_maildir (Run *run, const char *path)
{
    g_autoptr (GArray) names = g_array_new (FALSE, FALSE, sizeof (MaildirEntry));
    g_array_set_clear_func (names, maildir_entry_clear);
    static const char *const subs[] = { "cur", "new" };
    for (guint s = 0; s < G_N_ELEMENTS (subs); s++) {
        g_autofree char *dir_path = g_build_filename (path, subs[s], NULL);
        g_autoptr (GError) error = NULL;
        g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
        if (dir == NULL) {
            if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                g_printerr ("maildiag: %s\n", error->message);
                worsen (run, EXIT_IOERR);
            }
            continue;
        }
        const char *name;
        while ((name = g_dir_read_name (dir)) != NULL) {
            if (name[0] == '.')
                continue;
            MaildirEntry e = { g_strdup (name), subs[s] };
            g_array_append_val (names, e);
        }
    }
    g_array_sort (names, maildir_entry_compare);
    for (guint i = 0; i < names->len; i++) {
        const MaildirEntry *e = &g_array_index (names, MaildirEntry, i);
        g_autofree char *file = g_build_filename (path, e->sub, e->name, NULL);
        if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
            continue;
        if (!analyse_path (run, file, i))
            return FALSE;
    }
    return TRUE;
}

static gboolean
analyse_path (Run *run, const char *path, guint index)
{
    if (strcmp (path, "-") == 0)
        return analyse_fd (run, path, STDIN_FILENO, index);
    if (is_maildir (path))
        return analyse_maildir (run, path);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_printerr ("maildiag: %s: %s\n", path, g_strerror (errno));
        worsen (run, errno == ENOENT || errno == EACCES || errno == ENOTDIR ? EXIT_NOINPUT
                                                                           : EXIT_IOERR);
        return TRUE;
    }
    gboolean go_on = analyse_fd (run, path, fd, index);
    close (fd);
    return go_on;
}

static gboolean
running_uninstalled (void)
{
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
    return dir != NULL && g_strcmp0 (dir, MD_BUILD_SRC_DIR) == 0;
}

static MdRuleSet *
load_rules (gboolean verbose, GError **error)
{
    g_autoptr (MdRuleSet) set = md_rules_new ();
    if (!opt_no_default_rules) {
        /* From the build tree, the checkout's rules/ stand in for $datadir's (DESIGN §2). */
        if (running_uninstalled ())
            g_setenv ("MAILDIAG_RULES_DIR", MD_SOURCE_RULES_DIR, FALSE);
        g_autoptr (GPtrArray) dirs = md_rules_default_dirs ();
        for (guint i = 0; i < dirs->len; i++) {
            const char *dir = g_ptr_array_index (dirs, i);
            if (verbose)
                g_printerr ("maildiag: rules from %s\n", dir);
            if (!md_rules_load_dir (set, dir, TRUE, error))
                return NULL;
        }
    }
    for (char **dir = opt_rules; dir != NULL && *dir != NULL; dir++) {
        if (verbose)
            g_printerr ("maildiag: rules from %s\n", *dir);
        if (!md_rules_load_dir (set, *dir, FALSE, error))
            return NULL;
    }
    return g_steal_pointer (&set);
}

int
main (int argc, char **argv)
{
    g_autoptr (GOptionContext) context = g_option_context_new ("[FILE…]");
    g_option_context_add_main_entries (context, entries, NULL);
    g_option_context_set_summary (context, "Diagnose why an email was delayed, flagged or rejected.");
    g_option_context_set_description (context, description);
    g_autoptr (GError) error = NULL;
    if (!g_option_context_parse (context, &argc, &argv, &error)) {
        g_printerr ("maildiag: %s\nTry 'maildiag --help'.\n", error->message);
        return EXIT_USAGE;
    }
    if (opt_version) {
        g_print ("maildiag %s\n", MD_VERSION);
        return EXIT_OK;
    }

    Run run = { 0 };
    if (opt_format == NULL || strcmp (opt_format, "text") == 0)
        run.format = FORMAT_TEXT;
    else if (strcmp (opt_format, "json") == 0)
        run.format = FORMAT_JSON;
    else if (strcmp (opt_format, "jsonl") == 0)
        run.format = FORMAT_JSONL;
    else if (strcmp (opt_format, "markdown") == 0)
        run.format = FORMAT_MARKDOWN;
    else if (strcmp (opt_format, "headers") == 0)
        run.format = FORMAT_HEADERS;
    else {
        g_printerr ("maildiag: unknown format '%s' (text, json, jsonl, markdown, headers)\nTry 'maildiag --help'.\n",
                    opt_format);
        return EXIT_USAGE;
    }
    run.options.max_size = DEFAULT_MAX_SIZE;
    if (opt_max_size != NULL && !parse_size (opt_max_size, &run.options.max_size)) {
        g_printerr ("maildiag: --max-size: '%s' is not a size\nTry 'maildiag --help'.\n",
                    opt_max_size);
        return EXIT_USAGE;
    }
    run.explain = run.options.explain = opt_explain;
    run.options.authserv_ids = (const char *const *) opt_authserv_ids;
    run.quiet = opt_quiet;
    run.force_mbox = opt_mbox;
    run.filter = opt_filter;
    if (opt_filter && opt_format != NULL) {
        g_printerr ("maildiag: --filter writes the message itself: no --format\nTry 'maildiag "
                    "--help'.\n");
        return EXIT_USAGE;
    }
    run.color = isatty (STDOUT_FILENO) && g_getenv ("NO_COLOR") == NULL;

    g_autoptr (MdRuleSet) rules = load_rules (opt_verbose, &error);
    if (rules == NULL) {
        /* One problem a line, each "file:line: message": prefix every line. */
        g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
        for (char **line = lines; *line != NULL; line++)
            if (**line != '\0')
                g_printerr ("maildiag: %s\n", *line);
        /* A filter must neither lose nor hold mail for a broken rule file: every message passes
         * through with verdict=error (DESIGN §7). */
        if (!opt_filter || opt_check_rules)
            return EXIT_CONFIG;
        run.fail_all = error;
    }
    if (opt_check_rules) {
        g_autoptr (GString) summary = g_string_new (NULL);
        md_rules_summary (rules, summary);
        g_print ("%s: OK\n", summary->str);
        return EXIT_OK;
    }
    run.options.rules = rules;

    guint n_files = opt_files != NULL ? g_strv_length (opt_files) : 0;
    if (run.format == FORMAT_JSON && n_files > 1) {
        g_printerr ("maildiag: several files need --format=jsonl, not json\n");
        return EXIT_USAGE;
    }
    if (opt_jobs < 0) {
        g_printerr ("maildiag: --jobs: %d is not a number of jobs\nTry 'maildiag --help'.\n",
                    opt_jobs);
        return EXIT_USAGE;
    }
    /* json is one message, --filter analyses on its own: no threads. Options are final here:
     * the batch copies them. */
    guint jobs = run.format == FORMAT_JSON || run.filter ? 1
                 : opt_jobs > 0            ? (guint) opt_jobs
                                           : md_batch_default_jobs ();
    if (run.format == FORMAT_TEXT)
        run.stats = md_batch_stats_new ();
    run.batch = md_batch_new (&run.options, jobs, output_one, &run);
    run.out = g_string_sized_new (65536);
    if (n_files == 0) {
        analyse_path (&run, "-", 0);
    } else {
        for (guint i = 0; i < n_files; i++)
            if (!analyse_path (&run, opt_files[i], i))
                break;
    }
    if (md_batch_finish (run.batch) && run.stats != NULL &&
        md_batch_stats_get_analysed (run.stats) > 1) {
        md_batch_stats_format_text (run.stats, run.out);
        if (!flush_out (&run)) {
            g_printerr ("maildiag: writing output: %s\n", g_strerror (errno));
            worsen (&run, EXIT_IOERR);
        }
    }
    md_batch_free (run.batch);
    md_batch_stats_free (run.stats);
    g_string_free (run.out, TRUE);
    g_strfreev (opt_files);
    g_strfreev (opt_rules);
    g_strfreev (opt_authserv_ids);
    g_free (opt_format);
    g_free (opt_max_size);
    if (fflush (stdout) != 0 || ferror (stdout) || fclose (stdout) != 0) {
        if (run.status != EXIT_TEMPFAIL) /* filter_fd said it already */
            g_printerr ("maildiag: writing output: %s\n", g_strerror (errno));
        worsen (&run, run.filter ? EXIT_TEMPFAIL : EXIT_IOERR);
    }
    if (opt_exit_verdict)
        worsen (&run, run.verdict_status);
    return run.status;
}
