#!/usr/bin/perl
# Times SpamAssassin's own engine on the messages of a corpus, in one
# process after the rules are loaded (the fairest figure for SpamAssassin:
# no start-up cost per message). Network tests and Bayes off.
# Usage: sa-time.pl DIR [LIMIT]   (DIR/ham and DIR/spam)
use strict;
use warnings;
use Mail::SpamAssassin;
use Time::HiRes qw(time);

my ($dir, $limit) = @ARGV;
my @files = sort(glob("$dir/ham/*"), glob("$dir/spam/*"));
@files = @files[0 .. $limit - 1] if $limit && $limit < @files;

my $t0 = time;
my $sa = Mail::SpamAssassin->new({
    rules_filename      => '/usr/share/spamassassin',
    site_rules_filename => '/etc/spamassassin',
    userprefs_filename  => '/dev/null',
    dont_copy_prefs     => 1,
    local_tests_only    => 1,
    post_config_text    => "use_bayes 0\nbayes_auto_learn 0\n",
});
$sa->compile_now(0);
my $load = time - $t0;

my @texts = map { local $/; open(my $fh, '<', $_) or die "$_: $!"; binmode $fh; my $t = <$fh>; $t } @files;
my ($n, $spam) = (0, 0);
my $start = time;
# User plus system CPU time, as swamp bench counts it.
my $cpu0 = do { my ($u, $s) = times; $u + $s };
for my $text (@texts) {
    my $msg = $sa->parse($text);
    my $status = $sa->check($msg);
    $spam++ if $status->is_spam();
    $status->finish();
    $msg->finish();
    $n++;
}
my $elapsed = time - $start;
my $cpu1 = do { my ($u, $s) = times; $u + $s };
printf "{\"messages\": %d, \"spam\": %d, \"scan_ms_per_message\": %.3f, \"scan_messages_per_second\": %.2f, \"scan_cpu_ms_per_message\": %.3f, \"load_seconds\": %.2f}\n",
    $n, $spam, $elapsed * 1000 / $n, $n / $elapsed, ($cpu1 - $cpu0) * 1000 / $n, $load;
