/* status.h - SMTP reply codes (RFC 5321 §4.2) and enhanced status codes (RFC 3463): parse, name,
 * format, and find them, and the SMTP command they answered, in a server's free text (private). */
#pragma once
#include <glib.h>

/* An RFC 3463 status-code; klass 0 means none. */
typedef struct {
    guint16 klass, subject, detail;
} MdStatus;

/* Size of the buffer md_status_format writes: "5.999.999" and a NUL, with room to spare. */
#define MD_STATUS_FORMAT_SIZE 16

/* md_status_parse - length of the RFC 3463 code at @text (no NUL needed), or 0; fills @out */
gsize md_status_parse (const char *text, gsize len, MdStatus *out);
/* md_status_title - IANA's title of @status, else its class's title ("Permanent Failure" for an
 * unregistered 5.7.999); NULL only for a class other than 2, 4, 5 (transfer none, static) */
const char *md_status_title (const MdStatus *status);
/* md_status_format - writes @status as "5.1.1" into @buf */
void md_status_format (const MdStatus *status, char buf[MD_STATUS_FORMAT_SIZE]);
/* md_status_scan - finds the SMTP reply code and the enhanced status a server wrote in free text
 * ("550 5.1.1 <x>: …", "550-5.1.1 …", "#5.1.1", "Remote host said: 554 …"). Either out pointer may
 * be NULL. @status gets klass 0 and @status_offset 0 when there is no status, @reply_code 0 when
 * there is no reply. The two are reported as written even when their classes disagree (Amazon SES
 * writes "554 4.4.7 Message expired"): the caller trusts the status and notes the mismatch.
 * Returns TRUE when either was found. */
gboolean md_status_scan (const char *text, gsize len, MdStatus *status, int *reply_code,
                         gsize *status_offset);
/* md_smtp_command_scan - the SMTP command a server's text says it answered ("RCPT", "MAIL",
 * "DATA", "HELO", "EHLO", "STARTTLS", "AUTH", "RSET", "QUIT", or "CONN" for the connection and
 * greeting), or NULL (transfer none, static) */
const char *md_smtp_command_scan (const char *text, gsize len);
