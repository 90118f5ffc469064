/* date.c - dates as real mail writes them → MdDate: UTC plus the zone as written. Normalises the
 * text (comments, day names, fractional seconds, two-digit years, named and impossible zones) and
 * leaves the calendar to GMime; finding the date inside a Received field is received.c's job.
 * Follows RFC 5322 §3.3 (date-time) and §4.3 (obsolete years and zones). */
#include <string.h>

#include "date.h"
#include "message.h"

/* A date is under 50 bytes and a trailing comment adds a few dozen; reading no further bounds the
 * work when a megabyte of garbage follows a ";". */
#define MD_DATE_MAX_SCAN 256
/* day-name, day, month, year, time, zone: a few more tokens mean this is not a date */
#define MD_DATE_MAX_TOKENS 12
/* UTC+14:00 (Line Islands) and UTC-12:00 are the extremes in use; "+9999" is no zone anywhere. */
#define MD_DATE_MAX_ZONE_HOURS 14

typedef struct {
    int day, month, year, hour, minute, second; /* -1 until read */
    int zone_min;
    gboolean zone_seen, zone_known;
} Parts;

static const char *const month_names[] = { "january",   "february", "march",    "april",
                                           "may",       "june",     "july",     "august",
                                           "september", "october",  "november", "december" };
static const char *const month_abbr[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const day_names[] = { "monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday" };

/* RFC 5322 §4.3 obs-zone, plus "UTC" and ISO 8601's "Z". The other military letters are left
 * out on purpose: §4.3 says RFC 822 defined them with the wrong sign, so they mean "-0000". */
static const struct {
    const char *name;
    int offset_min;
} zone_names[] = {
    { "UT", 0 },     { "UTC", 0 },    { "GMT", 0 },    { "Z", 0 },
    { "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
    { "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
};

static gboolean
is_separator (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == ',';
}

/* name_index - index of the name in @names that @w abbreviates ("Apr", "April", "Sept"), or -1 */
static int
name_index (const char *w, gsize n, const char *const *names, gsize count)
{
    if (n < 3)
        return -1;
    for (gsize i = 0; i < count; i++)
        if (n <= strlen (names[i]) && g_ascii_strncasecmp (w, names[i], n) == 0)
            return (int) i;
    return -1;
}

/* read_number - value of the @n digits at @w, or -1 when one is not a digit or it is too long */
static int
read_number (const char *w, gsize n)
{
    if (n == 0 || n > 9)
        return -1;
    int v = 0;
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isdigit (w[i]))
            return -1;
        v = v * 10 + (w[i] - '0');
    }
    return v;
}

/* read_zone - a numeric zone "+hhmm" or "+hh:mm" (ISO 8601); an impossible one ("+9999",
 * "+09000") is seen but not known. RFC 5322 §3.3: "-0000" also indicates Universal Time, only the
 * sender's local zone is unknown; the instant is known, so it counts (qmail writes it always). */
static void
read_zone (const char *w, gsize n, Parts *p)
{
    p->zone_seen = TRUE;
    int hh = -1, mm = -1;
    if (n == 5)
        hh = read_number (w + 1, 2), mm = read_number (w + 3, 2);
    else if (n == 6 && w[3] == ':')
        hh = read_number (w + 1, 2), mm = read_number (w + 4, 2);
    if (hh < 0 || mm < 0 || hh > MD_DATE_MAX_ZONE_HOURS || mm > 59)
        return;
    p->zone_min = (w[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    p->zone_known = TRUE;
}

/* read_time - "hh:mm[:ss][.fraction][zone]" with an ISO zone ("Z", "+09:00") glued on. GMime
 * reads any time with a fraction as 00:00:00 of that day, so the fraction is dropped here. */
static gboolean
read_time (const char *w, gsize n, Parts *p)
{
    int f[3] = { -1, -1, 0 };
    gsize i = 0;
    for (int k = 0; k < 3; k++) {
        gsize start = i;
        while (i < n && i - start < 3 && g_ascii_isdigit (w[i]))
            i++;
        if (i == start || i - start > 2)
            return FALSE;
        f[k] = read_number (w + start, i - start);
        if (k == 2 || i >= n || w[i] != ':')
            break;
        i++;
    }
    if (f[1] < 0)
        return FALSE;
    if (i < n && w[i] == '.') {
        i++;
        while (i < n && g_ascii_isdigit (w[i]))
            i++;
    }
    if (i < n) {
        if ((w[i] == 'Z' || w[i] == 'z') && i + 1 == n) {
            p->zone_seen = p->zone_known = TRUE;
            p->zone_min = 0;
        } else if (w[i] == '+' || w[i] == '-') {
            read_zone (w + i, n - i, p);
        } else {
            return FALSE;
        }
    }
    p->hour = f[0], p->minute = f[1], p->second = f[2];
    return TRUE;
}

/* read_iso_date - "YYYY-MM-DD", optionally followed by "T" and a time (Go and ISO 8601 writers) */
static gboolean
read_iso_date (const char *w, gsize n, Parts *p)
{
    if (n < 10 || w[4] != '-' || w[7] != '-')
        return FALSE;
    int y = read_number (w, 4), m = read_number (w + 5, 2), d = read_number (w + 8, 2);
    if (y < 0 || m < 1 || d < 0)
        return FALSE;
    if (n > 10 && !((w[10] == 'T' || w[10] == 't') && read_time (w + 11, n - 11, p)))
        return FALSE;
    p->year = y, p->month = m, p->day = d;
    return TRUE;
}

/* read_token - classifies one token; FALSE when it cannot belong to a date */
static gboolean
read_token (const char *w, gsize n, Parts *p)
{
    gboolean have_time = p->hour >= 0;
    if (g_ascii_isdigit (w[0])) {
        if (n >= 10 && w[4] == '-')
            return p->year < 0 && p->day < 0 && !have_time && read_iso_date (w, n, p);
        if (memchr (w, ':', n) != NULL)
            return !have_time && read_time (w, n, p);
        int v = read_number (w, n);
        if (v < 0)
            return FALSE;
        /* RFC 5322 §4.3: 00-49 are 2000-2049, 50-99 and three digits are 1900 + value. */
        if (n == 4 && p->year < 0)
            p->year = v;
        else if (n <= 3 && p->day < 0 && !have_time)
            p->day = v; /* "029" is written by some Google Groups relays */
        else if (n <= 3 && p->year < 0)
            p->year = n == 2 && v < 50 ? 2000 + v : 1900 + v;
        else
            return FALSE;
        return TRUE;
    }
    if ((w[0] == '+' || w[0] == '-') && n > 1 && g_ascii_isdigit (w[1])) {
        if (!have_time || p->zone_seen)
            return FALSE;
        read_zone (w, n, p);
        return TRUE;
    }
    int m = name_index (w, n, month_names, G_N_ELEMENTS (month_names));
    if (m >= 0 && p->month < 0) {
        p->month = m + 1;
        return TRUE;
    }
    if (name_index (w, n, day_names, G_N_ELEMENTS (day_names)) >= 0 && !have_time)
        return TRUE; /* RFC 5322 §3.3: the day name is optional and says nothing new */
    if (!have_time || p->zone_seen)
        return FALSE;
    p->zone_seen = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS (zone_names); i++)
        if (strlen (zone_names[i].name) == n &&
            g_ascii_strncasecmp (w, zone_names[i].name, n) == 0) {
            p->zone_min = zone_names[i].offset_min;
            p->zone_known = TRUE;
        }
    return TRUE;
}

/* complete - every part of a date-time has been read (the zone may be missing) */
static gboolean
complete (const Parts *p)
{
    return p->day >= 0 && p->month >= 0 && p->year >= 0 && p->hour >= 0;
}

/* read_parts - tokens of @text outside comments; stops after the zone, so trailing words (Courier's
 * "id …", Go's "m=+555016.72") cost nothing. FALSE on a token that is no part of a date. */
static gboolean
read_parts (const char *text, gsize len, Parts *p)
{
    gsize end = MIN (len, (gsize) MD_DATE_MAX_SCAN);
    guint tokens = 0;
    gsize i = 0;
    while (i < end && !(complete (p) && p->zone_seen)) {
        char c = text[i];
        if (is_separator (c) || c == ')') {
            i++;
        } else if (c == '(') {
            /* RFC 5322 §3.2.2: comments nest and may quote a parenthesis */
            gsize depth = 0;
            for (; i < end; i++) {
                if (text[i] == '\\')
                    i++;
                else if (text[i] == '(')
                    depth++;
                else if (text[i] == ')' && --depth == 0)
                    break;
            }
            i++;
        } else {
            gsize start = i;
            while (i < end && !is_separator (text[i]) && text[i] != '(' && text[i] != ')')
                i++;
            /* A stray word after a complete date-time ends it: the zone is then missing. */
            if (++tokens > MD_DATE_MAX_TOKENS || !read_token (text + start, i - start, p))
                return complete (p);
        }
    }
    return complete (p);
}

gboolean
md_date_parse (const char *text, gsize len, MdDate *out)
{
    out->utc = 0;
    out->tz_offset_min = 0;
    out->valid = FALSE;
    out->zone_known = FALSE;
    if (text == NULL)
        return FALSE;

    Parts p = { -1, -1, -1, -1, -1, -1, 0, FALSE, FALSE };
    if (!read_parts (text, len, &p))
        return FALSE;
    /* Four-digit years before 1900 are typos; GMime takes "0001" for 2001 and rejects 1000. */
    if (p.year < 1900 || p.year > 9999 || p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 ||
        !g_date_valid_dmy ((GDateDay) p.day, (GDateMonth) p.month, (GDateYear) p.year))
        return FALSE;
    if (p.hour > 23 || p.minute > 59 || p.second > 60)
        return FALSE;
    if (p.second == 60)
        p.second = 59; /* a leap second: GLib's GDateTime has none */

    /* An unknown zone is decoded as UTC only to have a number; zone_known says not to use it. */
    int zone = p.zone_known ? p.zone_min : 0;
    int zabs = ABS (zone);
    /* "3 Nov 2026 10:15:07 +0100", written digit by digit: printf's machinery cost as much as
     * the rest of the normalisation (every Received line has a date). The fields are in range
     * (checked above), the year has four digits. */
    char norm[32];
    char *o = norm;
    if (p.day >= 10)
        *o++ = (char) ('0' + p.day / 10);
    *o++ = (char) ('0' + p.day % 10);
    *o++ = ' ';
    memcpy (o, month_abbr[p.month - 1], 3);
    o += 3;
    *o++ = ' ';
    for (int d = 1000; d > 0; d /= 10)
        *o++ = (char) ('0' + p.year / d % 10);
    const int clock[3] = { p.hour, p.minute, p.second };
    for (int i = 0; i < 3; i++) {
        *o++ = i == 0 ? ' ' : ':';
        *o++ = (char) ('0' + clock[i] / 10);
        *o++ = (char) ('0' + clock[i] % 10);
    }
    *o++ = ' ';
    *o++ = zone < 0 ? '-' : '+';
    const int zone_parts[2] = { zabs / 60, zabs % 60 };
    for (int i = 0; i < 2; i++) {
        *o++ = (char) ('0' + zone_parts[i] / 10);
        *o++ = (char) ('0' + zone_parts[i] % 10);
    }
    *o = '\0';
    gint64 utc;
    int offset;
    if (!md_message_decode_date (norm, &utc, &offset))
        return FALSE;
    out->utc = utc;
    out->tz_offset_min = p.zone_known ? offset : 0;
    out->zone_known = p.zone_known;
    out->valid = TRUE;
    return TRUE;
}
