#!/usr/bin/perl
# Prints the rules SpamAssassin hits on each message, for swamp's
# differential test: one line per message path read from stdin,
# "PATH<TAB>RULE,RULE,...", scored rules and __ sub-rules together.
# Network tests and Bayes are off (score set 0), as in swamp's comparison.
# SA_EXTRA_CONFIG, when set, holds configuration lines read after the
# stock and site files (post_config_text), e.g. list directives.
use strict;
use warnings;
use Mail::SpamAssassin;

my $sa = Mail::SpamAssassin->new({
    rules_filename      => $ENV{SA_RULES_DIR} || '/usr/share/spamassassin',
    site_rules_filename => $ENV{SA_SITE_DIR} || '/etc/spamassassin',
    userprefs_filename  => '/dev/null',
    dont_copy_prefs     => 1,
    local_tests_only    => 1,
    post_config_text    => "use_bayes 0\nbayes_auto_learn 0\nuse_auto_whitelist 0\n"
                           . ($ENV{SA_EXTRA_CONFIG} // '') . "\n",
});
$sa->compile_now(0);

$| = 1;
while (my $path = <STDIN>) {
    chomp $path;
    next if $path eq '';
    open(my $fh, '<', $path) or do { print "$path\t!unreadable\n"; next };
    binmode $fh;
    # Slurp with $/ undefined for the read only: SpamAssassin's own code
    # chomps header values and would keep their newlines under it.
    my $text = do { local $/; <$fh> };
    close $fh;
    my $msg = $sa->parse($text);
    my $status = $sa->check($msg);
    my @hits = (split(/,/, $status->get_names_of_tests_hit() || ''),
                split(/,/, $status->get_names_of_subtests_hit() || ''));
    my %seen;
    print $path, "\t", join(',', sort grep { $_ ne '' && !$seen{$_}++ } @hits), "\n";
    $status->finish();
    $msg->finish();
}
