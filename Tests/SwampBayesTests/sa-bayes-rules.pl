#!/usr/bin/perl
# Prints "PATH<TAB>BAYES_xx ...<TAB>probability" for each message, as
# SpamAssassin (stock rules, network tests off) scores it against the Bayes
# database at bayes_path PREFIX.  Usage: sa-bayes-rules.pl PREFIX FILE...
use strict; use warnings;
use Mail::SpamAssassin;
my $prefix = shift @ARGV;
my $sa = Mail::SpamAssassin->new({ dont_copy_prefs => 1, local_tests_only => 1,
  userprefs_filename => '/dev/null',
  post_config_text => "use_bayes 1\nbayes_auto_learn 0\nbayes_path $prefix\nbayes_auto_expire 0\n" });
$sa->compile_now(0);
for my $path (@ARGV) {
  local $/; open my $fh, '<', $path or next; my $text = <$fh>; close $fh;
  my $msg = $sa->parse($text);
  my $st = $sa->check($msg);
  my @b = grep { /^BAYES_/ } split(/,/, $st->get_names_of_tests_hit());
  my $p = defined $st->{bayes_score} ? $st->{bayes_score} : '';
  print "$path\t@b\t$p\n";
  $st->finish(); $msg->finish();
}
