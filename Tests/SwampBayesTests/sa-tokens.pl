#!/usr/bin/perl
# Prints SpamAssassin's Bayes tokens (raw strings, sorted, one a line) for a message file.
use strict; use warnings;
use Mail::SpamAssassin;
my $sa = Mail::SpamAssassin->new({ dont_copy_prefs => 1, local_tests_only => 1,
  userprefs_filename => '/dev/null', site_rules_filename => '/nonexistent',
  pre_config_text => "loadplugin Mail::SpamAssassin::Plugin::Bayes\n", post_config_text => "use_bayes 1\nbayes_path /tmp/bayes-sa-tokens/x\n" });
$sa->init(1);
my $bayes;
for my $p (@{$sa->{plugins}->{plugins}}) { $bayes = $p if ref($p) =~ /Plugin::Bayes$/ }
binmode STDOUT;
# One message per argument; each list starts with "==> PATH".
for my $path (@ARGV) {
  local $/; open my $fh, '<', $path or next; my $text = <$fh>; close $fh;
  my $msg = $sa->parse($text);
  my $data = $bayes->get_body_from_msg($msg);
  my $toks = $bayes->tokenize($msg, $data);
  print "==> $path\n";
  print "$_\n" for sort values %$toks;
  $msg->finish();
}
