/* test-input - bytes in: reading pipes and files under the size cap, splitting mbox streams
 * (checked against a plain reference splitter too), line endings, binary detection, and paste
 * repair with the exact bytes and tokens it must produce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <cmocka.h>

#include "input.h"

/* S ("…") gives a literal and its length, NUL bytes included. */
#define S(literal) literal, sizeof (literal) - 1

/* Bytes as C escapes, for failure messages. (transfer full) */
static char *
show (const char *data, gsize len)
{
    if (data == NULL)
        return g_strdup ("NULL");
    GString *out = g_string_new ("\"");
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar) data[i];
        if (c == '\n')
            g_string_append (out, "\\n");
        else if (c == '\r')
            g_string_append (out, "\\r");
        else if (c == '\t')
            g_string_append (out, "\\t");
        else if (c == '"' || c == '\\')
            g_string_append_printf (out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
        else
            g_string_append_c (out, (char) c);
    }
    g_string_append_c (out, '"');
    return g_string_free (out, FALSE);
}

static char *
join_tokens (GPtrArray *tokens)
{
    GString *out = g_string_new (NULL);
    for (guint i = 0; i < tokens->len; i++)
        g_string_append_printf (out, "%s%s", i > 0 ? "," : "", (const char *) tokens->pdata[i]);
    return g_string_free (out, FALSE);
}

/* --- md_input_repair ---------------------------------------------------------------------- */

static const struct {
    const char *label;
    const char *in;
    gsize in_len;
    const char *want; /* NULL: nothing to repair */
    gsize want_len;
    const char *tokens;
} repair_rows[] = {
    /* Nothing to repair: well-formed mail must come back NULL. */
    { "well-formed-lf", S ("From: a@b\nSubject: x\n\nbody\n"), NULL, 0, "" },
    { "well-formed-crlf", S ("From: a@b\r\nSubject: x\r\n\r\nbody\r\n"), NULL, 0, "" },
    { "headers-only", S ("From: a@b\nSubject: x\n"), NULL, 0, "" },
    { "no-final-newline", S ("From: a@b\nSubject: x"), NULL, 0, "" },
    { "empty", S (""), NULL, 0, "" },
    { "folded-fields-stay",
      S ("Received: from a\n\tby b; Mon, 1 Jan 2024 10:00:00 +0000\nDKIM-Signature: v=1; d=x;\n"
         " h=from:to:subject;\n b=abc\nSubject: x\n\nbody\n"),
      NULL, 0, "" },
    { "mbox-from-line-kept", S ("From a@b Mon Jan  1 00:00:00 2024\nFrom: a@b\n\nbody\n"), NULL, 0,
      "" },
    { "obs-space-before-colon", S ("From: a@b\nSubject : x\nTo: c@d\n\nbody\n"), NULL, 0, "" },
    { "fold-like-field-not-split", S ("Subject: Re: x\n Fwd: y\n\nbody\n"), NULL, 0, "" },
    { "dkim-fold-not-split", S ("DKIM-Signature: v=1;\n    h=from:to;\n    bh=x=\n"), NULL, 0, "" },
    { "ws-line-between-fields", S ("From: a@b\n   \nTo: c@d\n\nbody\n"), NULL, 0, "" },
    { "ws-line-then-empty-line", S ("From: a@b\n \n\nbody\n"), NULL, 0, "" },
    { "not-headers", S ("Hello,\nplease help\n"), NULL, 0, "" },
    { "not-headers-indented", S ("   hello there\nFrom: a@b\n"), NULL, 0, "" },
    { "partly-quoted-is-not-quoted", S ("> From: a@b\nTo: c@d\n"), NULL, 0, "" },
    /* Byte repairs. */
    { "bom",
      S ("\xef\xbb\xbf"
         "From: a@b\n\nbody\n"),
      S ("From: a@b\n\nbody\n"), "bom" },
    { "nul-bytes", S ("From: a@b\nSubject: x\0y\n\nbo\0dy\n"),
      S ("From: a@b\nSubject: x y\n\nbo dy\n"), "nul-bytes" },
    { "cr-line-ends", S ("From: a@b\rSubject: x\r\rbody\r"), S ("From: a@b\nSubject: x\n\nbody\n"),
      "cr-line-ends" },
    { "mixed-line-ends", S ("From: a@b\r\nSubject: x\n\r\nbody\r"),
      S ("From: a@b\nSubject: x\n\nbody\n"), "mixed-line-ends" },
    /* Leading blank lines and quoting. */
    { "leading-blank-lines", S ("\n\nFrom: a@b\n\nbody\n"), S ("From: a@b\n\nbody\n"),
      "leading-blank-lines" },
    { "leading-ws-only-lines", S (" \n\t\n  \nFrom: a@b\n"), S ("From: a@b\n"),
      "leading-blank-lines" },
    { "all-blank", S ("\n \n"), S (""), "leading-blank-lines" },
    { "quoted", S ("> From: a@b\n> Subject: x\n>\n> body\n"), S ("From: a@b\nSubject: x\n\nbody\n"),
      "quoted" },
    { "quoted-no-space", S (">From: a@b\n>Subject: x\n>\n>body\n"),
      S ("From: a@b\nSubject: x\n\nbody\n"), "quoted" },
    { "quoted-nested", S ("> > From: a@b\n>> To: c@d\n"), S ("From: a@b\nTo: c@d\n"), "quoted" },
    { "quoted-keeps-fold", S ("> Received: from a\n>\tby b\n> To: c@d\n"),
      S ("Received: from a\n\tby b\nTo: c@d\n"), "quoted" },
    { "quoted-unquoted-blank-line", S ("> From: a@b\n\n> body\n"), S ("From: a@b\n\nbody\n"),
      "quoted" },
    { "quoted-crlf-kept", S ("> From: a@b\r\n> To: c@d\r\n"), S ("From: a@b\r\nTo: c@d\r\n"),
      "quoted" },
    { "quoted-after-mbox-from", S ("From x Mon\n> From: a@b\n> To: c@d\n"),
      S ("From x Mon\nFrom: a@b\nTo: c@d\n"), "quoted" },
    { "quoted-leading-blank", S (">\n> From: a@b\n"), S ("From: a@b\n"),
      "quoted,leading-blank-lines" },
    { "quoted-blank-line-fewer-levels", S ("> > From: a@b\n>\n> > body\n"),
      S ("From: a@b\n\nbody\n"), "quoted" },
    { "leading-blank-then-mbox-from", S ("\n\nFrom a Mon\nTo: c@d\n"), S ("From a Mon\nTo: c@d\n"),
      "leading-blank-lines" },
    /* Indent. */
    { "indent-uniform", S ("    From: a@b\n    Subject: x\n\n    body\n"),
      S ("From: a@b\nSubject: x\n\nbody\n"), "indent" },
    { "indent-keeps-continuation", S ("  Received: from a\n      by b\n  To: c@d\n"),
      S ("Received: from a\n    by b\nTo: c@d\n"), "indent" },
    { "indent-first-line-only", S ("   From: a@b\nSubject: x\n\nbody\n"),
      S ("From: a@b\nSubject: x\n\nbody\n"), "indent" },
    { "indent-first-only-fold-stays", S ("  Received: from a\n\tby b\nTo: c@d\n"),
      S ("Received: from a\n\tby b\nTo: c@d\n"), "indent" },
    { "indent-first-deeper", S ("      From: a@b\n    To: c@d\n"), S ("From: a@b\nTo: c@d\n"),
      "indent" },
    { "indent-tab", S ("\tFrom: a@b\n\tTo: c@d\n"), S ("From: a@b\nTo: c@d\n"), "indent" },
    { "indent-first-line-lost", S ("From: a@b\n    To: c@d\n    Subject: x\n\n    body\n"),
      S ("From: a@b\nTo: c@d\nSubject: x\n\nbody\n"), "indent" },
    { "indent-body-not-uniform-kept", S ("  From: a@b\n  To: c@d\n\nbody\n  indented\n"),
      S ("From: a@b\nTo: c@d\n\nbody\n  indented\n"), "indent" },
    { "indent-ws-separator", S ("    From: a@b\n    \n    body\n"), S ("From: a@b\n\nbody\n"),
      "indent" },
    { "indent-mbox-from-line", S ("    From a@b Mon\n    Return-Path: <x>\n    To: c@d\n"),
      S ("From a@b Mon\nReturn-Path: <x>\nTo: c@d\n"), "indent" },
    { "indent-ws-separator-before-field-like-body", S ("    From: a@b\n    \n    Note: x\n"),
      S ("From: a@b\n\nNote: x\n"), "indent" },
    { "indent-first-line-lost-then-body", S ("From: a@b\n    To: c@d\n    Subject: x\nHello\n"),
      S ("From: a@b\nTo: c@d\nSubject: x\n\nHello\n"), "indent,no-blank-after-headers" },
    /* Broken folding and the end of the header block. */
    { "no-blank-after-headers", S ("From: a@b\nSubject: x\nHello there,\nbye\n"),
      S ("From: a@b\nSubject: x\n\nHello there,\nbye\n"), "no-blank-after-headers" },
    { "no-blank-after-continuation", S ("From: a@b\nSubject: x\n y\nHello\n"),
      S ("From: a@b\nSubject: x\n y\n\nHello\n"), "no-blank-after-headers" },
    { "no-blank-crlf", S ("From: a@b\r\nSubject: x\r\nHello\r\n"),
      S ("From: a@b\r\nSubject: x\r\n\r\nHello\r\n"), "no-blank-after-headers" },
    { "unindented-continuation",
      S ("From: a@b\nAuthentication-Results: mx.example;\ndkim=pass header.d=example.com\n"
         "To: c@d\n\nbody\n"),
      S ("From: a@b\nAuthentication-Results: mx.example;\n dkim=pass header.d=example.com\n"
         "To: c@d\n\nbody\n"),
      "unindented-continuation" },
    { "unindented-dkim-tags",
      S ("DKIM-Signature: v=1; a=rsa-sha256;\nh=from:to:subject;\nbh=abc=\nSubject: x\n"),
      S ("DKIM-Signature: v=1; a=rsa-sha256;\n h=from:to:subject;\n bh=abc=\nSubject: x\n"),
      "unindented-continuation" },
    { "unindented-url",
      S ("List-Unsubscribe: <mailto:u@x>,\n<https://x.example/u>\nhttps://x.example/v\nTo: c@d\n"),
      S ("List-Unsubscribe: <mailto:u@x>,\n <https://x.example/u>\n https://x.example/v\nTo: "
         "c@d\n"),
      "unindented-continuation" },
    { "unindented-date", S ("Received: from a by b;\nMon, 1 Jan 2024 10:00:00 +0000\nTo: c@d\n"),
      S ("Received: from a by b;\n Mon, 1 Jan 2024 10:00:00 +0000\nTo: c@d\n"),
      "unindented-continuation" },
    { "unindented-ipv6", S ("Received: from a\n[2001:db8::1] by b\nTo: c@d\n"),
      S ("Received: from a\n [2001:db8::1] by b\nTo: c@d\n"), "unindented-continuation" },
    { "trailing-whitespace-separator", S ("From: a@b\nSubject: x\n   \nbody text\n"),
      S ("From: a@b\nSubject: x\n\nbody text\n"), "trailing-whitespace" },
    { "trailing-whitespace-run", S ("From: a@b\n \t\n  \nbody\n"), S ("From: a@b\n\n  \nbody\n"),
      "trailing-whitespace" },
    { "ws-line-in-wrapped-field", S ("DKIM-Signature: v=1;\n   \nb=abc\nSubject: x\n\nbody\n"),
      S ("DKIM-Signature: v=1;\n   \n b=abc\nSubject: x\n\nbody\n"), "unindented-continuation" },
    /* Combinations, as they come from support tickets. */
    { "broken-fold-and-no-blank", S ("From: a@b\nSubject: a long\nsubject\nTo: c@d\nHello\n"),
      S ("From: a@b\nSubject: a long\n subject\nTo: c@d\n\nHello\n"),
      "unindented-continuation,no-blank-after-headers" },
    { "ticket-paste",
      S ("\xef\xbb\xbf\n>\n>   From: a@b\n>   Received: from a\n>\tby b\n>   To: c@d\n>   Hello\n"),
      S ("From: a@b\nReceived: from a\n\tby b\nTo: c@d\n\nHello\n"),
      "bom,quoted,leading-blank-lines,indent,no-blank-after-headers" },
    { "cr-and-indent", S ("  From: a@b\r  To: c@d\r"), S ("From: a@b\nTo: c@d\n"),
      "cr-line-ends,indent" },
    { "mixed-nul-quoted", S ("> From: a@b\r\n> Subject: x\0\n"), S ("From: a@b\nSubject: x \n"),
      "nul-bytes,mixed-line-ends,quoted" },
    { "crlf-indent-no-blank", S ("  From: a@b\r\n  To: c@d\r\n  Hi\r\n"),
      S ("From: a@b\r\nTo: c@d\r\n\r\nHi\r\n"), "indent,no-blank-after-headers" },
    { "leading-blank-indent-broken",
      S ("\n\n    From: a@b\n    Subject: a\n    long subject\n    To: c@d\n\n    body\n"),
      S ("From: a@b\nSubject: a\n long subject\nTo: c@d\n\nbody\n"),
      "leading-blank-lines,indent,unindented-continuation" },
};

static void
test_repair_rows (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (repair_rows); i++) {
        g_autoptr (GPtrArray) tokens = g_ptr_array_new ();
        gsize len = 12345;
        g_autofree char *got =
            md_input_repair (repair_rows[i].in, repair_rows[i].in_len, &len, tokens);
        g_autofree char *got_tokens = join_tokens (tokens);
        gboolean same =
            (got == NULL && repair_rows[i].want == NULL) ||
            (got != NULL && repair_rows[i].want != NULL && len == repair_rows[i].want_len &&
             memcmp (got, repair_rows[i].want, len) == 0);
        if (!same || strcmp (got_tokens, repair_rows[i].tokens) != 0) {
            g_autofree char *shown = show (got, len);
            fail_msg ("row %s: got %s [%s]", repair_rows[i].label, shown, got_tokens);
        }
        if (got == NULL && len != 0)
            fail_msg ("row %s: got NULL with length %zu", repair_rows[i].label, len);
    }
}

/* Drops what repairs may add or remove (white space, line ends, NUL, quoting marks, with
 * @bom a leading BOM): the rest must come out unchanged and in order. (transfer full) */
static GString *
content_of (const char *data, gsize len, gboolean bom)
{
    GString *out = g_string_new (NULL);
    if (bom && len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0) {
        data += 3;
        len -= 3;
    }
    for (gsize i = 0; i < len; i++)
        if (strchr (" \t\r\n>", data[i]) == NULL && data[i] != '\0')
            g_string_append_c (out, data[i]);
    return out;
}

/* Random pastes, line by line, from the pieces that trigger each repair: nothing may be lost,
 * no NUL or bare CR may be left, and a second repair must find nothing new to do. */
static void
test_repair_never_loses_content (void **state)
{
    (void) state;
    static const char *const prefixes[] = { "", "", "", "", "> ", ">", "> > ", "  ", "\t", "    " };
    static const char *const texts[] = {
        "From: a@b", "Subject: x", "To: c@d",    "Received: from a", "by b; Mon, 1 Jan 2024",
        "broken",    "Re: y",      "h=from:to;", "https://u/v",      "body text",
        "",          " ",          "From x",     "Subject : obs",    "X\0Y",
    };
    static const char *const ends[] = { "\n", "\n", "\n", "\n", "\r\n", "\r", "" };
    GRand *rand = g_rand_new_with_seed (20240601);
    for (int round = 0; round < 50000; round++) {
        g_autoptr (GString) in = g_string_new (NULL);
        if (g_rand_int_range (rand, 0, 10) == 0)
            g_string_append (in, "\xef\xbb\xbf"); /* a BOM comes only first */
        int lines = g_rand_int_range (rand, 0, 12);
        /* Mostly one style per paste, as real ones are. */
        const char *prefix = prefixes[g_rand_int_range (rand, 0, G_N_ELEMENTS (prefixes))];
        const char *end = ends[g_rand_int_range (rand, 0, G_N_ELEMENTS (ends) - 1)];
        gboolean uniform = TRUE; /* one prefix on every line, as real pastes have */
        for (int k = 0; k < lines; k++) {
            gboolean odd = g_rand_int_range (rand, 0, 5) == 0;
            uniform = uniform && !odd;
            g_string_append (in, odd ? prefixes[g_rand_int_range (rand, 0, G_N_ELEMENTS (prefixes))]
                                     : prefix);
            const char *text = texts[g_rand_int_range (rand, 0, G_N_ELEMENTS (texts))];
            g_string_append_len (in, text, text[0] == 'X' ? 3 : (gssize) strlen (text));
            odd = g_rand_int_range (rand, 0, 8) == 0;
            g_string_append (in, odd ? ends[g_rand_int_range (rand, 0, G_N_ELEMENTS (ends))] : end);
        }
        gsize len = 0;
        g_autofree char *got = md_input_repair (in->str, in->len, &len, NULL);
        if (got == NULL)
            continue;
        g_autoptr (GString) want = content_of (in->str, in->len, TRUE);
        g_autoptr (GString) have = content_of (got, len, FALSE);
        if (!g_string_equal (want, have)) {
            g_autofree char *a = show (in->str, in->len), *b = show (got, len);
            fail_msg ("row random-%d: %s became %s", round, a, b);
        }
        MdLineEnding ending = md_input_line_ending (got, len);
        if (memchr (got, '\0', len) != NULL ||
            (ending != MD_LINE_ENDING_LF && ending != MD_LINE_ENDING_CRLF &&
             ending != MD_LINE_ENDING_NONE)) {
            g_autofree char *b = show (got, len);
            fail_msg ("row random-%d: left NUL or mixed line ends: %s", round, b);
        }
        /* A second pass must find nothing more to do. Not required of garbage: when indents
         * vary from line to line, or a From_ line is quoted less deeply than the lines after
         * it, the first pass reveals a new shape. */
        if (md_input_is_mbox (got, len) || !uniform)
            continue;
        gsize again_len = 0;
        g_autoptr (GPtrArray) again = g_ptr_array_new ();
        g_autofree char *twice = md_input_repair (got, len, &again_len, again);
        if (twice != NULL) {
            g_autofree char *a = show (in->str, in->len), *b = show (got, len);
            g_autofree char *c = show (twice, again_len), *t = join_tokens (again);
            fail_msg ("row random-%d: %s became %s, then %s [%s]", round, a, b, c, t);
        }
    }
    g_rand_free (rand);
}

/* Hostile shapes that a careless look-ahead makes quadratic: each must finish at once. */
static void
test_repair_is_linear (void **state)
{
    (void) state;
    static const char *const shapes[] = { "   \n", "broken\n", "> \n", " x\n", "\r" };
    for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++) {
        g_autoptr (GString) in = g_string_new ("  From: a@b\n");
        for (int i = 0; i < 200000; i++)
            g_string_append (in, shapes[s]);
        g_string_append (in, "To: c@d\n");
        gint64 start = g_get_monotonic_time ();
        gsize len;
        g_autofree char *got = md_input_repair (in->str, in->len, &len, NULL);
        gint64 took = g_get_monotonic_time () - start;
        if (got == NULL || took > 2 * G_USEC_PER_SEC)
            fail_msg ("row shape-%zu: got %s in %" G_GINT64_FORMAT " us", s, got ? "text" : "NULL",
                      took);
    }
}

/* --- mbox --------------------------------------------------------------------------------- */

typedef struct {
    const char *from_line; /* NULL: the message has none */
    const char *data;
} MboxWant;

static const struct {
    const char *label;
    const char *in;
    gsize in_len;
    MboxWant want[4]; /* ends at the first { NULL, NULL } */
} mbox_rows[] = {
    { "two-messages",
      S ("From a\nSubject: 1\n\nbody1\n\nFrom b\nSubject: 2\n\nbody2\n\n"),
      { { "From a\n", "Subject: 1\n\nbody1\n" }, { "From b\n", "Subject: 2\n\nbody2\n" } } },
    { "crlf",
      S ("From a\r\nS: 1\r\n\r\nb1\r\n\r\nFrom b\r\nS: 2\r\n\r\nb2\r\n\r\n"),
      { { "From a\r\n", "S: 1\r\n\r\nb1\r\n" }, { "From b\r\n", "S: 2\r\n\r\nb2\r\n" } } },
    { "from-in-body-not-separator",
      S ("From a\nS: 1\n\nline\nFrom here on\n\nFrom b\nS: 2\n"),
      { { "From a\n", "S: 1\n\nline\nFrom here on\n" }, { "From b\n", "S: 2\n" } } },
    { "escaped-from-kept", S ("From a\n\n>From x\n"), { { "From a\n", "\n>From x\n" } } },
    { "empty-messages",
      S ("From a\n\nFrom b\n\nFrom c\n"),
      { { "From a\n", "" }, { "From b\n", "" }, { "From c\n", "" } } },
    { "no-trailing-newline", S ("From a\nS: 1\n\nbody"), { { "From a\n", "S: 1\n\nbody" } } },
    { "from-line-without-newline",
      S ("From a\nS: 1\n\nFrom b"),
      { { "From a\n", "S: 1\n" }, { "From b", "" } } },
    { "only-a-from-line", S ("From a\n"), { { "From a\n", "" } } },
    { "from-right-after-from", S ("From a\nFrom b\n"), { { "From a\n", "From b\n" } } },
    /* rhost-cox-01: a dated separator right after a MIME closing boundary, no blank line */
    { "dated-from-without-blank",
      S ("From a Mon Jan  1 00:00:00 2024\nS: 1\n--b--\nFrom b@x  Thu Jul  2 12:05:05 2020\nS: 2\n"),
      { { "From a Mon Jan  1 00:00:00 2024\n", "S: 1\n--b--\n" },
        { "From b@x  Thu Jul  2 12:05:05 2020\n", "S: 2\n" } } },
    { "blank-lines-kept-but-one",
      S ("From a\nS: 1\n\n\n\nFrom b\n"),
      { { "From a\n", "S: 1\n\n\n" }, { "From b\n", "" } } },
    { "ws-line-is-not-blank", S ("From a\nS\n \nFrom b\n"), { { "From a\n", "S\n \nFrom b\n" } } },
    { "blank-preamble-skipped", S ("\n\nFrom a\nS: 1\n"), { { "From a\n", "S: 1\n" } } },
    { "text-preamble-kept",
      S ("junk\n\nFrom a\nS: 1\n"),
      { { NULL, "junk\n" }, { "From a\n", "S: 1\n" } } },
    { "no-from-line-at-all", S ("S: 1\n\nbody\n"), { { NULL, "S: 1\n\nbody\n" } } },
    { "empty-file", S (""), { { NULL, NULL } } },
};

/* Reads every message of @stream into a list "from|data" (from "-" when absent), checked against
 * the reader's own invariants on the way. (transfer full) */
static GPtrArray *
read_all (FILE *stream, const char *label)
{
    GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
    const char *data, *from;
    gsize len, from_len;
    g_autoptr (GError) error = NULL;
    while (md_mbox_reader_next (reader, &data, &len, &from, &from_len, &error)) {
        if (data[len] != '\0' || (from != NULL && from[from_len] != '\0'))
            fail_msg ("row %s: data not NUL-terminated", label);
        GString *one = g_string_new (NULL);
        if (from != NULL)
            g_string_append_len (one, from, (gssize) from_len);
        else
            g_string_append (one, "-");
        g_string_append_c (one, '|');
        g_string_append_len (one, data, (gssize) len);
        g_ptr_array_add (got, g_string_free (one, FALSE));
    }
    if (error != NULL)
        fail_msg ("row %s: error %s", label, error->message);
    /* After the end, the reader stays at the end. */
    if (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL))
        fail_msg ("row %s: a message after the end", label);
    return got;
}

static void
test_mbox_rows (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (mbox_rows); i++) {
        FILE *stream = fmemopen ((void *) mbox_rows[i].in, mbox_rows[i].in_len, "r");
        assert_non_null (stream);
        g_autoptr (GPtrArray) got = read_all (stream, mbox_rows[i].label);
        fclose (stream);
        g_autoptr (GString) want = g_string_new (NULL), have = g_string_new (NULL);
        for (gsize k = 0; mbox_rows[i].want[k].data != NULL; k++) {
            const MboxWant *w = &mbox_rows[i].want[k];
            g_string_append_printf (want, "[%s|%s]", w->from_line ? w->from_line : "-", w->data);
        }
        for (guint k = 0; k < got->len; k++)
            g_string_append_printf (have, "[%s]", (const char *) got->pdata[k]);
        if (!g_string_equal (want, have)) {
            g_autofree char *shown = show (have->str, have->len);
            fail_msg ("row %s: got %s", mbox_rows[i].label, shown);
        }
    }
}

static void
test_mbox_keeps_nul_bytes (void **state)
{
    (void) state;
    static const char text[] = "From a\nS: \0x\n\nFrom b\n";
    FILE *stream = fmemopen ((void *) text, sizeof text - 1, "r");
    g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
    const char *data, *from;
    gsize len, from_len;
    assert_true (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL));
    assert_int_equal (len, 6);
    assert_memory_equal (data, "S: \0x\n", 6);
    assert_true (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL));
    assert_int_equal (len, 0);
    assert_false (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL));
    fclose (stream);
}

/* The obvious splitter over the whole text, line by line, that the streaming one must match. */
static GPtrArray *
reference_split (const char *text, gsize len)
{
    GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
    GString *msg = NULL, *from = NULL;
    gsize blank = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr (text + pos, '\n', len - pos);
        gsize n = nl != NULL ? (gsize) (nl - (text + pos)) + 1 : len - pos;
        const char *line = text + pos;
        gboolean is_from = n >= 5 && memcmp (line, "From ", 5) == 0;
        /* the generator's separators carry a date, its "From inside" body lines none */
        gboolean dated = is_from && g_strstr_len (line, (gssize) n, " 00:00:00 2024") != NULL;
        if (is_from && (pos == 0 || blank > 0 || dated)) {
            if (msg != NULL) {
                g_string_truncate (msg, msg->len - blank);
                g_ptr_array_add (out, g_strdup_printf ("%s|%s", from->str, msg->str));
                g_string_free (msg, TRUE);
                g_string_free (from, TRUE);
            }
            from = g_string_new_len (line, (gssize) n);
            msg = g_string_new (NULL);
            blank = 0;
        } else {
            g_assert_nonnull (msg); /* the generator starts with a From_ line */
            blank = (n == 1 && line[0] == '\n') || (n == 2 && line[0] == '\r' && line[1] == '\n')
                        ? n
                        : 0;
            g_string_append_len (msg, line, (gssize) n);
        }
        pos += n;
    }
    if (msg != NULL) {
        g_string_truncate (msg, msg->len - blank);
        g_ptr_array_add (out, g_strdup_printf ("%s|%s", from->str, msg->str));
        g_string_free (msg, TRUE);
        g_string_free (from, TRUE);
    }
    return out;
}

/* Messages of random sizes, lines of up to 300 KB (longer than the reader's buffer), CRLF or LF,
 * "From " in bodies: lines straddle every buffer boundary. */
static void
test_mbox_matches_reference_splitter (void **state)
{
    (void) state;
    GRand *rand = g_rand_new_with_seed (4155);
    g_autoptr (GString) text = g_string_new (NULL);
    for (int m = 0; m < 400; m++) {
        const char *eol = g_rand_boolean (rand) ? "\n" : "\r\n";
        g_string_append_printf (text, "From sender%d Mon Jan  1 00:00:00 2024%s", m, eol);
        int lines = g_rand_int_range (rand, 0, 30);
        for (int l = 0; l < lines; l++) {
            switch (g_rand_int_range (rand, 0, 40)) {
            case 0:
                g_string_append (text, eol);
                break;
            case 1:
                g_string_append_printf (text, "From inside %d%s", l, eol);
                break;
            case 2: {
                gsize n = (gsize) g_rand_int_range (rand, 1, 300000), at = text->len;
                g_string_set_size (text, at + n);
                memset (text->str + at, 'x', n);
                g_string_append (text, eol);
                break;
            }
            default:
                g_string_append_printf (text, "Header-%d: value %d%s", l, m, eol);
            }
        }
        if (g_rand_int_range (rand, 0, 4) != 0)
            g_string_append (text, eol);
    }
    g_rand_free (rand);
    g_autoptr (GPtrArray) want = reference_split (text->str, text->len);
    FILE *stream = fmemopen (text->str, text->len, "r");
    g_autoptr (GPtrArray) got = read_all (stream, "random");
    fclose (stream);
    assert_int_equal (got->len, want->len);
    for (guint i = 0; i < got->len; i++)
        if (strcmp (got->pdata[i], want->pdata[i]) != 0)
            fail_msg ("row random-message-%u: got %.60s… want %.60s…", i,
                      (const char *) got->pdata[i], (const char *) want->pdata[i]);
}

static void
test_mbox_very_long_line (void **state)
{
    (void) state;
    gsize big = 3 * 1024 * 1024;
    g_autoptr (GString) text = g_string_new ("From a\nSubject: long\n\n");
    for (gsize i = 0; i < big; i++)
        g_string_append_c (text, 'x');
    g_string_append (text, "\n\nFrom b\nSubject: short\n");
    FILE *stream = fmemopen (text->str, text->len, "r");
    g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
    const char *data, *from;
    gsize len, from_len;
    assert_true (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL));
    assert_int_equal (len, strlen ("Subject: long\n\n") + big + 1);
    assert_int_equal (data[len - 1], '\n');
    assert_true (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL));
    assert_int_equal (from_len, 7);
    assert_memory_equal (from, "From b\n", 7);
    assert_int_equal (len, strlen ("Subject: short\n"));
    assert_false (md_mbox_reader_next (reader, &data, &len, &from, &from_len, NULL));
    fclose (stream);
}

static void
test_mbox_read_error_is_reported (void **state)
{
    (void) state;
    FILE *stream = fopen ("/", "r"); /* a directory: fread fails with EISDIR */
    assert_non_null (stream);
    g_autoptr (MdMboxReader) reader = md_mbox_reader_new (stream);
    const char *data;
    gsize len;
    g_autoptr (GError) error = NULL;
    assert_false (md_mbox_reader_next (reader, &data, &len, NULL, NULL, &error));
    assert_true (g_error_matches (error, MD_ERROR, MD_ERROR_READ));
    fclose (stream);
}

static void
test_is_mbox_rows (void **state)
{
    (void) state;
    static const struct {
        const char *label, *in;
        gboolean want;
    } rows[] = {
        { "from-line", "From a@b Mon Jan  1 00:00:00 2024\n", TRUE },
        { "from-space-only", "From ", TRUE },
        { "from-header", "From: a@b\n", FALSE },
        { "escaped", ">From a\n", FALSE },
        { "lowercase", "from a\n", FALSE },
        { "short", "From", FALSE },
        { "empty", "", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
        if (md_input_is_mbox (rows[i].in, strlen (rows[i].in)) != rows[i].want)
            fail_msg ("row %s: got %d", rows[i].label, !rows[i].want);
}

/* --- line endings, binary ----------------------------------------------------------------- */

static void
test_line_ending_rows (void **state)
{
    (void) state;
    static const struct {
        const char *label, *in;
        gsize in_len;
        MdLineEnding want;
    } rows[] = {
        { "lf", S ("a\nb\n"), MD_LINE_ENDING_LF },
        { "crlf", S ("a\r\nb\r\n"), MD_LINE_ENDING_CRLF },
        { "cr", S ("a\rb\r"), MD_LINE_ENDING_CR },
        { "crlf-and-lf", S ("a\r\nb\n"), MD_LINE_ENDING_MIXED },
        { "lf-and-cr", S ("a\nb\rc"), MD_LINE_ENDING_MIXED },
        { "cr-cr-lf", S ("a\r\r\n"), MD_LINE_ENDING_MIXED },
        { "one-line", S ("no end"), MD_LINE_ENDING_NONE },
        { "empty", S (""), MD_LINE_ENDING_NONE },
        { "crlf-first-byte", S ("\r\n"), MD_LINE_ENDING_CRLF },
        { "lf-first-byte", S ("\nx"), MD_LINE_ENDING_LF },
        { "nul-inside", S ("a\0b\r\n"), MD_LINE_ENDING_CRLF },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        MdLineEnding got = md_input_line_ending (rows[i].in, rows[i].in_len);
        if (got != rows[i].want)
            fail_msg ("row %s: got %s", rows[i].label, md_line_ending_to_string (got));
    }
}

static void
test_looks_binary_rows (void **state)
{
    (void) state;
    static const struct {
        const char *label, *in;
        gsize in_len;
        gboolean want;
    } rows[] = {
        { "empty", S (""), TRUE },
        { "white-space-only", S (" \r\n\t\n"), TRUE },
        { "mail", S ("From: a@b\r\nSubject: x\r\n\r\nbody\r\n"), FALSE },
        { "utf8", S ("Subject: \xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\n\n\xc3\xa9t\xc3\xa9\n"),
          FALSE },
        { "latin1", S ("Subject: caf\xe9\n\nd\xe9j\xe0 vu, na\xefve\n"), FALSE },
        { "iso-2022-jp", S ("Subject: x\n\n\x1b$B%a!<%k\x1b(B\n\x1b$B%F%9%H\x1b(B\n"), FALSE },
        { "a-few-nuls", S ("From: a@b\nSubject: x\0\n\nsome text with one more \0 in it\n"),
          FALSE },
        { "nul-heavy", S ("F\0r\0o\0m\0:\0 \0a\0\n\0"), TRUE },
        { "control-bytes",
          S ("\x01\x02\x03\x04\x05\x06\x07\x08"
             "abcdefgh"),
          TRUE },
        { "form-feed-ok", S ("From: a@b\n\n\fpage\n"), FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        gboolean got = md_input_looks_binary (rows[i].in, rows[i].in_len);
        if (got != rows[i].want)
            fail_msg ("row %s: got %d", rows[i].label, got);
    }
}

/* Compressed or random data has ~11 % control bytes, close to the 10 % line: never text. */
static void
test_random_bytes_are_binary (void **state)
{
    (void) state;
    GRand *rand = g_rand_new_with_seed (7);
    for (int round = 0; round < 500; round++) {
        char buf[8192];
        for (gsize i = 0; i < sizeof buf; i++)
            buf[i] = (char) g_rand_int_range (rand, 0, 256);
        if (!md_input_looks_binary (buf, sizeof buf))
            fail_msg ("row random-%d: got text", round);
    }
    g_rand_free (rand);
}

/* --- md_input_read_fd --------------------------------------------------------------------- */

typedef struct {
    int fd;
    const char *data;
    gsize len;
} Writer;

/* Writes everything (or until the reader goes away) and closes the pipe. */
static gpointer
write_all (gpointer data)
{
    Writer *w = data;
    gsize done = 0;
    while (done < w->len) {
        ssize_t n = write (w->fd, w->data + done, w->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (gsize) n;
    }
    close (w->fd);
    return NULL;
}

/* Reads @len bytes of @data through a pipe, written by a thread in pieces. */
static GBytes *
read_through_pipe (const char *data, gsize len, gsize max_size, gboolean keep_over, gboolean *over,
                   GError **error)
{
    int fds[2];
    assert_int_equal (pipe (fds), 0);
    Writer w = { fds[1], data, len };
    GThread *thread = g_thread_new ("writer", write_all, &w);
    GBytes *got = md_input_read_fd (fds[0], max_size, keep_over, over, error);
    close (fds[0]); /* before the join: a writer blocked on a full pipe then gets EPIPE */
    g_thread_join (thread);
    return got;
}

static char *
pattern (gsize len)
{
    char *data = g_malloc (len);
    for (gsize i = 0; i < len; i++)
        data[i] = (char) ('A' + i % 23);
    return data;
}

static void
test_read_fd_pipe_rows (void **state)
{
    (void) state;
    static const struct {
        const char *label;
        gsize len, max_size;
        gboolean keep_over;
        gboolean want_ok, want_over;
    } rows[] = {
        { "empty", 0, 0, FALSE, TRUE, FALSE },
        { "small", 10, 0, FALSE, TRUE, FALSE },
        { "bigger-than-pipe", 300000, 0, FALSE, TRUE, FALSE },
        { "at-the-limit", 300000, 300000, FALSE, TRUE, FALSE },
        { "one-over-the-limit", 300001, 300000, FALSE, FALSE, FALSE },
        { "far-over-the-limit", 1000000, 100, FALSE, FALSE, FALSE },
        { "over-kept", 300000, 1000, TRUE, TRUE, TRUE },
        { "at-the-limit-kept", 1000, 1000, TRUE, TRUE, FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
        g_autofree char *data = pattern (rows[i].len);
        gboolean over = !rows[i].want_over;
        g_autoptr (GError) error = NULL;
        g_autoptr (GBytes) got = read_through_pipe (data, rows[i].len, rows[i].max_size,
                                                    rows[i].keep_over, &over, &error);
        if ((got != NULL) != rows[i].want_ok || over != rows[i].want_over)
            fail_msg ("row %s: got %s over=%d error=%s", rows[i].label, got ? "bytes" : "NULL",
                      over, error ? error->message : "none");
        if (got != NULL) {
            gsize len;
            const char *bytes = g_bytes_get_data (got, &len);
            if (len != rows[i].len || (len > 0 && memcmp (bytes, data, len) != 0))
                fail_msg ("row %s: got %zu bytes, not the %zu written", rows[i].label, len,
                          rows[i].len);
        } else if (!g_error_matches (error, MD_ERROR, MD_ERROR_TOO_BIG) ||
                   strstr (error->message, "size limit") == NULL) {
            fail_msg ("row %s: got error %s", rows[i].label, error ? error->message : "none");
        }
    }
}

static int
temp_file_with (const char *data, gsize len)
{
    char path[] = "/tmp/test-input-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    unlink (path);
    assert_int_equal (write (fd, data, len), (ssize_t) len);
    assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
    return fd;
}

static void
test_read_fd_regular_file (void **state)
{
    (void) state;
    gsize size = 200000;
    g_autofree char *data = pattern (size);
    int fd = temp_file_with (data, size);
    g_autoptr (GBytes) whole = md_input_read_fd (fd, 0, FALSE, NULL, NULL);
    assert_non_null (whole);
    assert_int_equal (g_bytes_get_size (whole), size);
    assert_memory_equal (g_bytes_get_data (whole, NULL), data, size);
    /* From the current offset, as for stdin redirected from a file someone already read from. */
    assert_int_equal (lseek (fd, 1000, SEEK_SET), 1000);
    g_autoptr (GBytes) rest = md_input_read_fd (fd, size, FALSE, NULL, NULL);
    assert_int_equal (g_bytes_get_size (rest), size - 1000);
    /* Over the limit: refused from the size alone, the offset untouched. */
    assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
    g_autoptr (GError) error = NULL;
    assert_null (md_input_read_fd (fd, size - 1, FALSE, NULL, &error));
    assert_true (g_error_matches (error, MD_ERROR, MD_ERROR_TOO_BIG));
    assert_int_equal (lseek (fd, 0, SEEK_CUR), 0);
    gboolean over = FALSE;
    g_autoptr (GBytes) kept = md_input_read_fd (fd, size - 1, TRUE, &over, NULL);
    assert_true (over);
    assert_int_equal (g_bytes_get_size (kept), size);
    close (fd);
}

static void
test_read_fd_error_is_read_error (void **state)
{
    (void) state;
    int fd = open ("/", O_RDONLY | O_DIRECTORY);
    assert_true (fd >= 0);
    g_autoptr (GError) error = NULL;
    assert_null (md_input_read_fd (fd, 0, FALSE, NULL, &error));
    assert_true (g_error_matches (error, MD_ERROR, MD_ERROR_READ));
    assert_non_null (strstr (error->message, "cannot read input"));
    close (fd);
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN); /* the size cap closes pipes under a writer */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_repair_rows),
        cmocka_unit_test (test_repair_never_loses_content),
        cmocka_unit_test (test_repair_is_linear),
        cmocka_unit_test (test_mbox_rows),
        cmocka_unit_test (test_mbox_keeps_nul_bytes),
        cmocka_unit_test (test_mbox_matches_reference_splitter),
        cmocka_unit_test (test_mbox_very_long_line),
        cmocka_unit_test (test_mbox_read_error_is_reported),
        cmocka_unit_test (test_is_mbox_rows),
        cmocka_unit_test (test_line_ending_rows),
        cmocka_unit_test (test_looks_binary_rows),
        cmocka_unit_test (test_random_bytes_are_binary),
        cmocka_unit_test (test_read_fd_pipe_rows),
        cmocka_unit_test (test_read_fd_regular_file),
        cmocka_unit_test (test_read_fd_error_is_read_error),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
