/* status.c - the registry of RFC 3463 enhanced status codes (IANA titles, status-codes.def) and
 * the scanners that find a reply code, a status and the SMTP command in a server's words. It knows
 * protocol words only; what one MTA writes around them belongs to rules/. Follows RFC 3463 §2–3
 * (syntax, classes), RFC 5321 §4.2 (reply codes) and §4.1.1 (command verbs). */
#include <string.h>

#include "status.h"

/* A diagnostic is a few lines and its code comes first; scanning no further than this bounds the
 * work on a megabyte of text that holds none. */
#define MD_STATUS_SCAN_MAX (64u * 1024)
/* RFC 3463 §3 defines subjects 0 to 7 and IANA registers no other. A larger middle number is a
 * version ("Exim 4.96.1"), so the scanner, though not the parser, refuses it. */
#define MD_STATUS_MAX_SUBJECT 7
/* "550  5.1.1": the blanks a server puts between its reply code and its status */
#define MD_STATUS_MAX_GAP 8
/* How far back from a reply code to look past blanks for what precedes it */
#define MD_STATUS_MAX_LEAD 16

static const struct {
    guint16 subject, detail;
    const char *title;
} code_titles[] = {
#define MD_STATUS_CODE(subject, detail, title) { subject, detail, title },
#include "status-codes.def"
#undef MD_STATUS_CODE
};

/* RFC 3463 §3.1: the titles of the classes, for codes IANA has not registered (5.7.999). */
static const char *const class_titles[] = {
    [2] = "Success",
    [4] = "Persistent Transient Failure",
    [5] = "Permanent Failure",
};

/* read_digits - value of the 1*3DIGIT at @text, its length in @used; -1 when there is no digit */
static int
read_digits (const char *text, gsize len, gsize *used)
{
    int value = 0;
    gsize i = 0;
    while (i < len && i < 3 && g_ascii_isdigit (text[i]))
        value = value * 10 + (text[i++] - '0');
    *used = i;
    return i > 0 ? value : -1;
}

/* status-code = class "." subject "." detail; class = "2" / "4" / "5"; subject = 1*3digit;
 * detail = 1*3digit (RFC 3463 §2) */
gsize
md_status_parse (const char *text, gsize len, MdStatus *out)
{
    gsize used;
    if (len < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
        return 0;
    int subject = read_digits (text + 2, len - 2, &used); /* 1*3DIGIT, else -1 */
    gsize pos = 2 + used;
    if (subject < 0 || pos >= len || text[pos] != '.')
        return 0;
    int detail = read_digits (text + pos + 1, len - pos - 1, &used);
    pos += 1 + used;
    /* "5.1.1." ends a sentence and is a status; "5.1.1.1" is an IP address and is not. */
    if (detail < 0 ||
        (pos < len && (g_ascii_isdigit (text[pos]) ||
                       (text[pos] == '.' && pos + 1 < len && g_ascii_isdigit (text[pos + 1])))))
        return 0;
    *out = (MdStatus){ (guint16) (text[0] - '0'), (guint16) subject, (guint16) detail };
    return pos;
}

const char *
md_status_title (const MdStatus *status)
{
    g_return_val_if_fail (status != NULL, NULL);
    if (status->klass >= G_N_ELEMENTS (class_titles) || class_titles[status->klass] == NULL)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS (code_titles); i++)
        if (code_titles[i].subject == status->subject && code_titles[i].detail == status->detail)
            return code_titles[i].title;
    return class_titles[status->klass];
}

void
md_status_format (const MdStatus *status, char buf[MD_STATUS_FORMAT_SIZE])
{
    g_snprintf (buf, MD_STATUS_FORMAT_SIZE, "%u.%u.%u", (unsigned) status->klass,
                (unsigned) status->subject, (unsigned) status->detail);
}

/* A status may follow a blank or punctuation ("#5.1.1", "550-5.1.1", "(5.7.1"), never a word,
 * a number, or the joins of addresses, paths and parameters ("10.5.1.1", "v/2.4.5", "id=4.4.1"). */
static gboolean
status_may_follow (char c)
{
    return !(g_ascii_isalnum (c) || c == '.' || c == '/' || c == '_' || c == '@' || c == '=' ||
             c == '+' || c == '%');
}

/* status_at - length of a status the scanner accepts at @text[i], or 0 */
static gsize
status_at (const char *text, gsize len, gsize i, MdStatus *out)
{
    if (i > 0 && !status_may_follow (text[i - 1]))
        return 0;
    gsize n = md_status_parse (text + i, len - i, out);
    if (n == 0 || out->subject > MD_STATUS_MAX_SUBJECT)
        return 0;
    if (i + n < len && (g_ascii_isalpha (text[i + n]) || text[i + n] == '_'))
        return 0; /* "5.1.1a" is a name, not a status */
    return n;
}

/* reply_at - the reply code at @text[i], its end in @end, or 0. RFC 5321 §4.2: three digits, the
 * first 2, 4 or 5 here, the second 0–5, then a space, "-" (a continuation line) or the end. The
 * character before must be a blank or opening punctuation, so "id=250", "10.250.1.1",
 * "2013-04-12" and ":587:" are not replies. */
static int
reply_at (const char *text, gsize len, gsize i, gsize *end)
{
    if (i + 3 > len)
        return 0;
    if (i > 0 && (text[i - 1] == '\0' || strchr (" \t\r\n;:(<['\"#", text[i - 1]) == NULL))
        return 0;
    char a = text[i], b = text[i + 1], c = text[i + 2];
    if ((a != '2' && a != '4' && a != '5') || b < '0' || b > '5' || !g_ascii_isdigit (c))
        return 0;
    if (i + 3 < len && strchr (" \t\r\n-", text[i + 3]) == NULL)
        return 0;
    if (i + 3 < len && text[i + 3] == '\0')
        return 0;
    *end = i + 3;
    return (a - '0') * 100 + (b - '0') * 10 + (c - '0');
}

/* paired_status - the status right after a reply code ending at @end ("550 5.1.1", "550-5.1.1",
 * "550 #5.1.0", "550-'5.2.2"), its offset in @offset; FALSE when there is none */
static gboolean
paired_status (const char *text, gsize len, gsize end, MdStatus *out, gsize *offset)
{
    gsize p = end;
    if (p < len && text[p] == '-') {
        p++;
    } else {
        while (p < len && (text[p] == ' ' || text[p] == '\t') && p - end < MD_STATUS_MAX_GAP)
            p++;
        if (p == end)
            return FALSE;
    }
    if (p < len && (text[p] == '#' || text[p] == '\''))
        p++;
    if (p >= len || status_at (text, len, p, out) == 0)
        return FALSE;
    *offset = p;
    return TRUE;
}

/* A reply code without a status must stand where servers and MTAs put one: first in the text or a
 * line, or after "said:", "smtp;", "(", "<<< ", a quote. "in 450 seconds" is no reply. */
static gboolean
reply_position_strong (const char *text, gsize i)
{
    gsize back = 0;
    while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t') && back++ < MD_STATUS_MAX_LEAD)
        i--;
    if (i == 0)
        return TRUE;
    char c = text[i - 1];
    return c != '\0' && strchr ("\r\n;:(<['\"#", c) != NULL;
}

gboolean
md_status_scan (const char *text, gsize len, MdStatus *status, int *reply_code,
                gsize *status_offset)
{
    MdStatus found = { 0, 0, 0 }, pair = { 0, 0, 0 };
    gsize found_offset = 0, pair_offset = 0;
    int reply = 0, pair_reply = 0;
    gboolean have_status = FALSE, have_pair = FALSE;
    len = text != NULL ? MIN (len, MD_STATUS_SCAN_MAX) : 0;
    /* The last reply code with a status right after it is what the remote server said: a relay
     * that quotes the server puts the server's words last ("554 4.4.7 Message expired … <421 4.4.2
     * Connection timed out>", lhost-amazonses-17). Without such a pair, take the first reply
     * code and the first status wherever they stand: Amazon SES writes its own status before the
     * server's words ("5.1.0 - Unknown address error 550-'5.2.2 <x>… Mailbox Full'",
     * lhost-amazonses-03), so a reply found later still claims its own status. */
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isdigit (text[i]) || (i > 0 && g_ascii_isdigit (text[i - 1])))
            continue;
        gsize end = 0;
        int code = reply_at (text, len, i, &end);
        if (code != 0) {
            MdStatus paired;
            gsize offset;
            if (paired_status (text, len, end, &paired, &offset)) {
                pair_reply = code;
                pair = paired;
                pair_offset = offset;
                have_pair = TRUE;
                i = offset;
                continue;
            }
            /* "550-'Unknown user …'" (lhost-amazonses): a continuation mark is a reply anywhere */
            gboolean continued = end + 1 < len && text[end] == '-' &&
                                 !g_ascii_isdigit (text[end + 1]) &&
                                 !g_ascii_isspace (text[end + 1]);
            if (reply == 0 && (reply_position_strong (text, i) || continued)) {
                reply = code;
                continue;
            }
        }
        if (!have_status) {
            MdStatus candidate;
            /* A lone 2.x.y is more often a version ("dovecot 2.3.19") than a success in a
             * diagnostic; a success status counts only after its 2xx reply (paired above). */
            if (status_at (text, len, i, &candidate) > 0 && candidate.klass != 2) {
                found = candidate;
                found_offset = i;
                have_status = TRUE;
            }
        }
    }
    if (have_pair) {
        found = pair;
        found_offset = pair_offset;
        reply = pair_reply;
        have_status = TRUE;
    }
    if (status != NULL)
        *status = found;
    if (reply_code != NULL)
        *reply_code = reply;
    if (status_offset != NULL)
        *status_offset = found_offset;
    return have_status || reply != 0;
}

/* phrase_at - end of @phrase matched at @text[i] ignoring ASCII case, a space in @phrase matching
 * any run of white space (the text may be folded, "in reply to\n end of DATA"), or 0 */
/* ASCII lower case without a call: phrase_at runs at every word of a bounce's text */
static inline char
lower (char c)
{
    return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
}

static gsize
phrase_at (const char *text, gsize len, gsize i, const char *phrase)
{
    gsize p = i;
    for (const char *q = phrase; *q != '\0'; q++) {
        if (*q == ' ') {
            gsize start = p;
            while (p < len && g_ascii_isspace (text[p]))
                p++;
            if (p == start)
                return 0;
        } else {
            if (p >= len || lower (text[p]) != *q)
                return 0;
            p++;
        }
    }
    return p;
}

static gboolean
word_ends (const char *text, gsize len, gsize p)
{
    return p >= len || !(g_ascii_isalnum (text[p]) || text[p] == '_');
}

/* RFC 5321 §4.1.1 verbs as servers quote them: upper case ("RCPT TO", "end of DATA"). */
static const struct {
    const char *verb, *command;
} verbs[] = {
    { "RCPT", "RCPT" }, { "MAIL", "MAIL" }, { "DATA", "DATA" },         { "BDAT", "DATA" },
    { "HELO", "HELO" }, { "EHLO", "EHLO" }, { "STARTTLS", "STARTTLS" }, { "AUTH", "AUTH" },
    { "RSET", "RSET" }, { "QUIT", "QUIT" },
};

/* verb_at - the command of the verb at @text[i] as a whole word, its end in @end, or NULL */
static const char *
verb_at (const char *text, gsize len, gsize i, gsize *end)
{
    for (gsize v = 0; v < G_N_ELEMENTS (verbs); v++) {
        gsize n = strlen (verbs[v].verb);
        if (i + n <= len && memcmp (text + i, verbs[v].verb, n) == 0 &&
            word_ends (text, len, i + n)) {
            *end = i + n;
            return verbs[v].command;
        }
    }
    return NULL;
}

/* Words that introduce the command a reply answered: Postfix "(in reply to RCPT TO command)",
 * Exim "after RCPT TO:<x>", "after end of data", Sendmail ">>> RCPT To:<x>", Postfix "while
 * sending end of data", "while performing the HELO handshake". */
static const char *const command_leads[] = {
    "in reply to", "in response to", "after", "while sending", "while performing", ">>>",
};
/* Words between the lead and the verb */
static const char *const command_fillers[] = { "the ", "pipelined ", "end of " };

/* Phrases naming a stage rather than a command; weaker, used only when no command is named. */
static const struct {
    const char *phrase, *command;
} stage_phrases[] = {
    { "connect to", "CONN" },          { "while connecting", "CONN" },
    { "initial connection", "CONN" },  { "server greeting", "CONN" },
    { "connection refused", "CONN" },  { "cannot start tls", "STARTTLS" },
    { "tls is required", "STARTTLS" }, { "tls handshake", "STARTTLS" },
};

/* command_after_lead - the command named after a lead ending at @p, or NULL */
static const char *
command_after_lead (const char *text, gsize len, gsize p)
{
    while (p < len && g_ascii_isspace (text[p]))
        p++;
    gboolean end_of = FALSE;
    for (guint round = 0; round < G_N_ELEMENTS (command_fillers); round++) {
        gboolean any = FALSE;
        for (gsize f = 0; f < G_N_ELEMENTS (command_fillers); f++) {
            gsize q = phrase_at (text, len, p, command_fillers[f]);
            if (q > 0) {
                end_of |= f == 2;
                p = q;
                any = TRUE;
            }
        }
        if (!any)
            break;
    }
    gsize end;
    const char *command = verb_at (text, len, p, &end);
    /* Exim writes "after end of data" in lower case */
    if (command == NULL && end_of && phrase_at (text, len, p, "data") > 0 &&
        word_ends (text, len, p + 4))
        command = "DATA";
    return command;
}

/* command_named_at - a command named at @text[i] by a lead or by "VERB [TO|FROM] command" */
static const char *
command_named_at (const char *text, gsize len, gsize i)
{
    for (gsize l = 0; l < G_N_ELEMENTS (command_leads); l++) {
        gsize p = phrase_at (text, len, i, command_leads[l]);
        if (p > 0 && (command_leads[l][0] == '>' || word_ends (text, len, p))) {
            const char *command = command_after_lead (text, len, p);
            if (command != NULL)
                return command;
        }
    }
    gsize end;
    const char *command = verb_at (text, len, i, &end);
    if (command == NULL)
        return NULL;
    gsize p = phrase_at (text, len, end, " to");
    if (p == 0)
        p = phrase_at (text, len, end, " from");
    if (p == 0)
        p = end;
    p = phrase_at (text, len, p, " command");
    return p > 0 && word_ends (text, len, p) ? command : NULL;
}

const char *
md_smtp_command_scan (const char *text, gsize len)
{
    const char *stage = NULL;
    len = text != NULL ? MIN (len, MD_STATUS_SCAN_MAX) : 0;
    /* The first characters any lead, verb or stage phrase can start with (phrases ignore ASCII
     * case): most words are passed over at one table lookup. */
    static gsize starts_ready = 0;
    static gboolean starts[256];
    if (g_once_init_enter (&starts_ready)) {
        for (gsize l = 0; l < G_N_ELEMENTS (command_leads); l++) {
            starts[(guchar) g_ascii_tolower (command_leads[l][0])] = TRUE;
            starts[(guchar) g_ascii_toupper (command_leads[l][0])] = TRUE;
        }
        for (gsize v = 0; v < G_N_ELEMENTS (verbs); v++)
            starts[(guchar) verbs[v].verb[0]] = TRUE;
        for (gsize p = 0; p < G_N_ELEMENTS (stage_phrases); p++) {
            starts[(guchar) g_ascii_tolower (stage_phrases[p].phrase[0])] = TRUE;
            starts[(guchar) g_ascii_toupper (stage_phrases[p].phrase[0])] = TRUE;
        }
        g_once_init_leave (&starts_ready, 1);
    }
    for (gsize i = 0; i < len; i++) {
        if (!starts[(guchar) text[i]])
            continue;
        if (i > 0 && (g_ascii_isalnum (text[i - 1]) || text[i - 1] == '_'))
            continue; /* phrases start words */
        const char *command = command_named_at (text, len, i);
        if (command != NULL)
            return command;
        for (gsize s = 0; stage == NULL && s < G_N_ELEMENTS (stage_phrases); s++) {
            gsize p = phrase_at (text, len, i, stage_phrases[s].phrase);
            if (p > 0 && word_ends (text, len, p))
                stage = stage_phrases[s].command;
        }
    }
    return stage;
}
