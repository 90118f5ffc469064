/* test-pipeline - md_analyze_bytes end to end without rules: what is refused and why, message
 * versus header block, and the JSON schema's keys in the DESIGN's order (DESIGN §3, issue #7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include <maildiag/maildiag.h>

static const struct {
    const char *label;
    const char *data;
    gsize len; /* 0: strlen */
    gsize max_size;
    MdError want;
} refused[] = {
    { "empty", "", 0, 0, MD_ERROR_NOT_MAIL },
    { "blank-lines", "\n\r\n  \n", 0, 0, MD_ERROR_NOT_MAIL },
    { "one-byte", "x", 0, 0, MD_ERROR_NOT_MAIL },
    { "binary", "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x01\0\0\0\x10\x10\0\0\0\0\0\0",
      32, 0, MD_ERROR_NOT_MAIL },
    { "prose", "Hello, I have a question about my mail.\n", 0, 0, MD_ERROR_NOT_MAIL },
    { "too-big", "From: a@example.com\n\nbody\n", 0, 10, MD_ERROR_TOO_BIG },
};

static void
test_refused_inputs (void **state)
{
    (void) state;
    for (gsize i = 0; i < G_N_ELEMENTS (refused); i++) {
        MdOptions options = { .max_size = refused[i].max_size };
        g_autoptr (GError) error = NULL;
        gsize len = refused[i].len ? refused[i].len : strlen (refused[i].data);
        g_autoptr (MdAnalysis) a = md_analyze_bytes (refused[i].data, len, &options, &error);
        if (a != NULL || error == NULL || error->code != (int) refused[i].want)
            fail_msg ("row %s: got %s (%d)", refused[i].label, a ? "an analysis" : error->message,
                      error ? error->code : -1);
    }
}

static MdAnalysis *
analyse (const char *text)
{
    g_autoptr (GError) error = NULL;
    MdAnalysis *a = md_analyze_bytes (text, strlen (text), NULL, &error);
    if (a == NULL)
        fail_msg ("analysis failed: %s", error->message);
    return a;
}

static const char two_hops[] =
    "Received: from mx.example.org (mx.example.org [198.51.100.25])\n"
    "\tby mail.example.net (Postfix) with ESMTPS id 4AbCd;\n"
    "\tTue, 03 Nov 2026 10:20:07 +0100\n"
    "Received: from laptop (unknown [192.0.2.7])\n"
    "\tby mx.example.org (Postfix) with ESMTPSA id 1XyZ;\n"
    "\tTue, 03 Nov 2026 09:15:02 +0000\n"
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net\n"
    "Subject: =?UTF-8?Q?caf=C3=A9?=\n"
    "Date: Tue, 03 Nov 2026 09:15:00 +0000\n"
    "Message-ID: <1@example.org>\n";

static void
test_header_block_is_headers (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = analyse (two_hops);
    assert_int_equal (a->kind, MD_KIND_HEADERS);
    assert_int_equal (a->hops->len, 2);
    const MdHop *oldest = g_ptr_array_index (a->hops, 0);
    const MdHop *newest = g_ptr_array_index (a->hops, 1);
    assert_int_equal (oldest->index, 1);
    assert_int_equal (oldest->position, 1);
    assert_string_equal (oldest->by, "mx.example.org");
    assert_int_equal (newest->position, 0);
    assert_true (newest->has_delay);
    assert_int_equal (newest->delay_s, 305); /* 10:20:07+0100 is 09:20:07Z */
    assert_string_equal (a->message.subject, "café");
    assert_string_equal (((MdAddress *) g_ptr_array_index (a->message.from, 0))->address,
                         "alice@example.org");
    assert_int_equal (a->message.date.utc, 1793697300);
    assert_int_equal (a->input.line_ending, MD_LINE_ENDING_LF);
}

static void
test_body_makes_a_message (void **state)
{
    (void) state;
    g_autofree char *text = g_strconcat (two_hops, "\nHello Bob.\n", NULL);
    g_autoptr (MdAnalysis) a = analyse (text);
    assert_int_equal (a->kind, MD_KIND_MESSAGE);
    assert_int_equal (a->input.repaired->len, 0);
}

static void
test_mbox_from_line_is_skipped (void **state)
{
    (void) state;
    g_autofree char *text =
        g_strconcat ("From alice@example.org Tue Nov  3 09:15:02 2026\n", two_hops, "\nHi\n", NULL);
    g_autoptr (MdAnalysis) a = analyse (text);
    assert_int_equal (a->kind, MD_KIND_MESSAGE);
    assert_int_equal (a->hops->len, 2);
    assert_int_equal (a->input.bytes, strlen (text));
}

static void
test_pasted_with_blank_lines_is_repaired (void **state)
{
    (void) state;
    g_autofree char *text = g_strconcat ("\n\n", two_hops, NULL);
    g_autoptr (MdAnalysis) a = analyse (text);
    assert_int_equal (a->hops->len, 2);
    assert_int_equal (a->input.repaired->len, 1);
    assert_string_equal (g_ptr_array_index (a->input.repaired, 0), "leading-blank-lines");
}

/* DESIGN §3: every key always present, in this order. */
static const char *const top_keys[] = { "schema",  "source",   "index",           "kind",
                                        "input",   "message",  "hops",            "delivery",
                                        "auth",    "dkim_signatures", "alignment", "spam",
                                        "bounce",  "findings", "summary" };
static const char *const hop_keys[] = { "index", "position", "raw", "from",          "by",
                                        "via",   "with",     "id",  "for",           "tls",
                                        "authenticated", "date", "delay_s", "parse_ok" };

static void
assert_keys (json_object *object, const char *const *keys, gsize n)
{
    gsize i = 0;
    json_object_object_foreach (object, key, value)
    {
        (void) value;
        if (i >= n || strcmp (key, keys[i]) != 0)
            fail_msg ("key %zu: got %s, want %s", i, key, i < n ? keys[i] : "(none)");
        i++;
    }
    assert_int_equal (i, n);
}

static void
test_json_has_every_key_in_order (void **state)
{
    (void) state;
    g_autoptr (MdAnalysis) a = analyse (two_hops);
    g_autoptr (GString) out = g_string_new (NULL);
    md_output_json (out, a, FALSE);
    assert_int_equal (strchr (out->str, '\n') - out->str, (long) out->len - 1); /* one line */
    json_object *root = json_tokener_parse (out->str);
    assert_non_null (root);
    assert_keys (root, top_keys, G_N_ELEMENTS (top_keys));
    json_object *hops = json_object_object_get (root, "hops");
    assert_int_equal (json_object_array_length (hops), 2);
    assert_keys (json_object_array_get_idx (hops, 0), hop_keys, G_N_ELEMENTS (hop_keys));
    json_object *hop2 = json_object_array_get_idx (hops, 1);
    assert_int_equal (json_object_get_int (json_object_object_get (hop2, "delay_s")), 305);
    json_object *date = json_object_object_get (hop2, "date");
    assert_string_equal (json_object_get_string (json_object_object_get (date, "utc")),
                         "2026-11-03T09:20:07Z");
    assert_null (json_object_object_get (root, "bounce"));
    assert_string_equal (json_object_get_string (json_object_object_get (root, "kind")),
                         "headers");
    json_object_put (root);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_refused_inputs),
        cmocka_unit_test (test_header_block_is_headers),
        cmocka_unit_test (test_body_makes_a_message),
        cmocka_unit_test (test_mbox_from_line_is_skipped),
        cmocka_unit_test (test_pasted_with_blank_lines_is_repaired),
        cmocka_unit_test (test_json_has_every_key_in_order),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
