/* hostile-run - runs one command under a wall-clock and a peak-memory bound, for the hostile
 * input tests (run.sh). The bounds are the test's claim: a hostile input must cost a clear
 * result in bounded time and memory, never a hang or an unbounded allocation.
 *   hostile-run SECONDS RSS_MB STDIN OUT -- COMMAND [ARG…]
 *       runs COMMAND with STDIN ("-": /dev/null) as standard input, standard output to OUT and
 *       standard error to OUT.err; prints "time T s, peak RSS M MB" to standard error; exits with
 *       COMMAND's status (128 + signal when killed), or 124 past SECONDS (it is killed), or 125
 *       when its peak RSS was over RSS_MB.
 *   hostile-run --json FILE
 *       exits 0 when FILE is one well-formed JSON value in valid UTF-8, else 1.
 * Under AddressSanitizer (this helper is built with the same flags as maildiag) the bounds are
 * scaled: ASan's shadow memory, redzones and freed-memory quarantine add to
 * RSS (measured: 28 MB for an empty input, 262 MB for the 100 MB header line), and
 * instrumented code runs some 2-3 times slower. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>
#include <json-c/json.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifdef UNDER_ASAN
#define TIME_FACTOR 3     /* instrumented code is slower */
#define RSS_FACTOR 2      /* shadow memory and redzones */
#define RSS_EXTRA_MB 64   /* the runtime, its shadow of the binary and quarantined freed memory */
#else
#define TIME_FACTOR 1
#define RSS_FACTOR 1
#define RSS_EXTRA_MB 0
#endif

static int
check_json (const char *path)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents (path, &text, &len, NULL))
        return 1;
    if (!g_utf8_validate (text, (gssize) len, NULL)) {
        fprintf (stderr, "hostile-run: %s is not valid UTF-8\n", path);
        return 1;
    }
    json_tokener *tok = json_tokener_new_ex (1000);
    json_object *value = json_tokener_parse_ex (tok, text, (int) len);
    enum json_tokener_error err = json_tokener_get_error (tok);
    json_tokener_free (tok);
    if (value == NULL || err != json_tokener_success) {
        fprintf (stderr, "hostile-run: %s is not JSON: %s\n", path, json_tokener_error_desc (err));
        json_object_put (value);
        return 1;
    }
    json_object_put (value);
    return 0;
}

static double
now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main (int argc, char **argv)
{
    if (argc == 3 && strcmp (argv[1], "--json") == 0)
        return check_json (argv[2]);
    if (argc < 7 || strcmp (argv[5], "--") != 0) {
        fprintf (stderr, "usage: hostile-run SECONDS RSS_MB STDIN OUT -- COMMAND [ARG…]\n"
                         "       hostile-run --json FILE\n");
        return 2;
    }
    double seconds = atof (argv[1]) * TIME_FACTOR;
    long rss_mb = atol (argv[2]) * RSS_FACTOR + RSS_EXTRA_MB;
    const char *in = strcmp (argv[3], "-") == 0 ? "/dev/null" : argv[3];
    g_autofree char *err_path = g_strconcat (argv[4], ".err", NULL);

    double start = now ();
    pid_t pid = fork ();
    if (pid < 0) {
        perror ("hostile-run: fork");
        return 2;
    }
    if (pid == 0) {
        int fd_in = open (in, O_RDONLY);
        int fd_out = open (argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fd_err = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd_in < 0 || fd_out < 0 || fd_err < 0 || dup2 (fd_in, 0) < 0 || dup2 (fd_out, 1) < 0 ||
            dup2 (fd_err, 2) < 0)
            _exit (127);
        execvp (argv[6], argv + 6);
        _exit (127);
    }
    int status = 0;
    struct rusage usage;
    gboolean timed_out = FALSE;
    for (;;) {
        pid_t got = wait4 (pid, &status, WNOHANG, &usage);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR) {
            perror ("hostile-run: wait4");
            return 2;
        }
        if (!timed_out && now () - start > seconds) {
            kill (pid, SIGKILL);
            timed_out = TRUE;
        }
        g_usleep (5000);
    }
    double elapsed = now () - start;
    long peak_mb = usage.ru_maxrss / 1024; /* KB on Linux */
    fprintf (stderr, "time %.2f s (bound %.0f), peak RSS %ld MB (bound %ld)\n", elapsed, seconds,
             peak_mb, rss_mb);
    if (timed_out)
        return 124;
    if (peak_mb > rss_mb)
        return 125;
    if (WIFSIGNALED (status))
        return 128 + WTERMSIG (status);
    return WEXITSTATUS (status);
}
