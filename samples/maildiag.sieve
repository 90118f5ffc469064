# maildiag.sieve - file mail by maildiag's verdict (Dovecot Pigeonhole).
#
# "maildiag-filter" is an executable in sieve_filter_bin_dir that runs maildiag --filter:
#   #!/bin/sh
#   exec /usr/bin/maildiag --filter
# and the Dovecot configuration enables the extprograms plugin:
#   plugin {
#     sieve_plugins = sieve_extprograms
#     sieve_global_extensions = +vnd.dovecot.filter
#     sieve_filter_bin_dir = /usr/lib/dovecot/sieve-filter
#   }
# maildiag passes the message through byte for byte with one X-Maildiag: field added, e.g.
#   X-Maildiag: host 1; verdict=rejected reason=userunknown rcpt.status=5.1.1 …
# Sieve unfolds the field before :contains compares it.
require ["vnd.dovecot.filter", "fileinto", "mailbox"];

filter "maildiag-filter";

if header :contains "X-Maildiag" "reason=userunknown" {
  fileinto :create "unknown-users";
} elsif header :contains "X-Maildiag" "reason=mailboxfull" {
  fileinto :create "mailbox-full";
} elsif header :contains "X-Maildiag" "verdict=spam" {
  fileinto :create "spam";
}
# Everything else goes to INBOX (implicit keep).
