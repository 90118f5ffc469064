/* main.c - the maildiag program: options, inputs, rule loading, output and exit codes (DESIGN §2,
 * §7). It holds no analysis: everything it prints comes from libmaildiag's model and formatters. */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <maildiag/maildiag.h>

#include "config.h"
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

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_JSONL } Format;

typedef struct {
    Format format;
    gboolean color, explain, quiet, verbose, force_mbox;
    MdOptions options;
    GString *out;
    guint messages; /* analysed or failed, for --format=json's one-message rule */
    int status;     /* worst exit status so far */
} Run;

static char *opt_format = NULL;
static char **opt_rules = NULL;
static char **opt_authserv_ids = NULL;
static char *opt_max_size = NULL;
static gboolean opt_no_default_rules, opt_check_rules, opt_explain, opt_mbox, opt_quiet,
    opt_verbose, opt_version;
static char **opt_files = NULL;

static const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &opt_format,
      "Output format: text (default), json, jsonl", "FMT" },
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
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_files, NULL, "[FILE…]" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

static const char description[] =
    "Reads a message, a bounce, an mbox or a pasted header block and prints why the mail was\n"
    "delayed, flagged or rejected. FILE \"-\" or none: standard input.\n"
    "\n"
    "Exit status: 0 analysed; 64 usage; 65 not mail (empty, binary, no header block) or over\n"
    "--max-size; 66 missing input file; 70 internal error; 74 I/O error; 78 bad rule file.\n";

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
    run->options.source = source;
    run->options.index = index;
    g_autoptr (GError) error = NULL;
    g_autoptr (MdAnalysis) analysis = md_analyze_bytes (data, len, &run->options, &error);
    if (analysis == NULL) {
        report_error (run, source, error);
        return TRUE;
    }
    switch (run->format) {
    case FORMAT_JSON:
        md_output_json (run->out, analysis, TRUE);
        break;
    case FORMAT_JSONL:
        md_output_json (run->out, analysis, FALSE);
        break;
    case FORMAT_TEXT: {
        MdTextOptions text = { run->color, run->explain };
        if (run->messages > 1)
            g_string_append (run->out, "\n");
        md_output_text (run->out, analysis, &text);
        break;
    }
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

static gboolean
analyse_fd (Run *run, const char *path, int fd, guint index)
{
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

static gboolean
analyse_path (Run *run, const char *path, guint index)
{
    if (strcmp (path, "-") == 0)
        return analyse_fd (run, path, STDIN_FILENO, index);
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
    else {
        g_printerr ("maildiag: unknown format '%s' (text, json, jsonl)\nTry 'maildiag --help'.\n",
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
    run.color = isatty (STDOUT_FILENO) && g_getenv ("NO_COLOR") == NULL;

    g_autoptr (MdRuleSet) rules = load_rules (opt_verbose, &error);
    if (rules == NULL) {
        /* One problem a line, each "file:line: message": prefix every line. */
        g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
        for (char **line = lines; *line != NULL; line++)
            if (**line != '\0')
                g_printerr ("maildiag: %s\n", *line);
        return EXIT_CONFIG;
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
    run.out = g_string_sized_new (65536);
    if (n_files == 0) {
        analyse_path (&run, "-", 0);
    } else {
        for (guint i = 0; i < n_files; i++)
            if (!analyse_path (&run, opt_files[i], i))
                break;
    }
    g_string_free (run.out, TRUE);
    g_strfreev (opt_files);
    g_strfreev (opt_rules);
    g_strfreev (opt_authserv_ids);
    g_free (opt_format);
    g_free (opt_max_size);
    if (fflush (stdout) != 0 || ferror (stdout) || fclose (stdout) != 0) {
        g_printerr ("maildiag: writing output: %s\n", g_strerror (errno));
        worsen (&run, EXIT_IOERR);
    }
    return run.status;
}
