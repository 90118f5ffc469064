#!/usr/bin/perl
# sisimai.pl FILE|MBOX… - Sisimai's rate over the same input maildiag is timed on, in one process:
# prints "sisimai.messages", "sisimai.records", "sisimai.seconds", "sisimai.msgs_per_s".
# Sisimai (Debian libsisimai-perl) is the baseline of issue #8: only the ratio in one run counts.
use strict;
use warnings;
use Sisimai;
use Time::HiRes qw(time);

my ($messages, $records) = (0, 0);
for my $path (@ARGV) {    # counted before the clock starts
    open my $fh, '<', $path or die "$path: $!";
    my $n = 0;
    while (<$fh>) { $n++ if /^From / }
    close $fh;
    $messages += $n > 0 ? $n : 1;
}
my $start = time;
for my $path (@ARGV) {
    # make() reads a file or an mbox and returns the bounces it understood.
    my $data = Sisimai->make($path, 'delivered' => 1) || [];
    $records += scalar @$data;
}
my $seconds = time - $start;
printf "sisimai.messages: %d\nsisimai.records: %d\nsisimai.seconds: %.3f\nsisimai.msgs_per_s: %.0f\n",
    $messages, $records, $seconds, $messages / $seconds;
