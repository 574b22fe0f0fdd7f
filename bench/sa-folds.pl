#!/usr/bin/perl
# SpamAssassin with Bayes, cross-validated on the same folds as
# `swamp bench --folds N`: names sorted, ham and spam dealt round-robin
# into N folds; per fold a fresh Bayes database trained with sa-learn's
# code path on the other folds, then the held-out fold scored. Network
# tests off, autolearn off. Prints JSON like swamp bench --json.
# Usage: sa-folds.pl DIR [N]   (DIR/ham and DIR/spam)
use strict;
use warnings;
use Mail::SpamAssassin;
use File::Temp qw(tempdir);
use Time::HiRes qw(time);

my ($dir, $k) = @ARGV;
$k ||= 5;
my @msgs;
for my $label ('ham', 'spam') {
    my $i = 0;
    for my $f (sort glob("$dir/$label/*")) {
        local $/; open(my $fh, '<', $f) or die "$f: $!"; binmode $fh;
        push @msgs, { text => scalar(<$fh>), spam => ($label eq 'spam' ? 1 : 0), fold => $i++ % $k };
    }
}

my %c = map { $_ => { tp => 0, fp => 0, tn => 0, fn => 0 } } qw(rules_bayes bayes);
my ($learned, $learn_s, $scanned, $scan_s) = (0, 0, 0, 0);
for my $fold (0 .. $k - 1) {
    my $tmp = tempdir(CLEANUP => 1);
    my $sa = Mail::SpamAssassin->new({
        rules_filename => '/usr/share/spamassassin', site_rules_filename => '/etc/spamassassin',
        userprefs_filename => '/dev/null', dont_copy_prefs => 1, local_tests_only => 1,
        post_config_text => "use_bayes 1\nbayes_auto_learn 0\nbayes_path $tmp/bayes\nlock_method flock\n",
    });
    $sa->compile_now(0);
    my $t0 = time;
    $sa->init_learner({ caller_will_untie => 1 });
    for my $m (grep { $_->{fold} != $fold } @msgs) {
        my $msg = $sa->parse($m->{text});
        $sa->learn($msg, undef, $m->{spam}, 0);
        $msg->finish();
        $learned++;
    }
    $sa->rebuild_learner_caches();
    $sa->finish_learner();
    $learn_s += time - $t0;
    $t0 = time;
    for my $m (grep { $_->{fold} == $fold } @msgs) {
        my $msg = $sa->parse($m->{text});
        my $st = $sa->check($msg);
        my $hits = $st->get_names_of_tests_hit();
        my $bayes_spam = ($hits =~ /\bBAYES_(?:60|80|95|99|999)\b/) ? 1 : 0;
        for ([rules_bayes => $st->is_spam() ? 1 : 0], [bayes => $bayes_spam]) {
            my ($name, $pred) = @$_;
            $c{$name}{ $m->{spam} ? ($pred ? 'tp' : 'fn') : ($pred ? 'fp' : 'tn') }++;
        }
        $st->finish(); $msg->finish();
        $scanned++;
    }
    $scan_s += time - $t0;
    $sa->finish();
    printf STDERR "fold %d done\n", $fold;
}
sub fig {
    my $x = shift;
    my $p = $x->{tp} + $x->{fp} ? $x->{tp} / ($x->{tp} + $x->{fp}) : 0;
    my $r = $x->{tp} + $x->{fn} ? $x->{tp} / ($x->{tp} + $x->{fn}) : 0;
    my $f1 = $p + $r ? 2 * $p * $r / ($p + $r) : 0;
    my $fpr = $x->{fp} + $x->{tn} ? $x->{fp} / ($x->{fp} + $x->{tn}) : 0;
    return sprintf('{"tp": %d, "fp": %d, "tn": %d, "fn": %d, "precision": %.6f, "recall": %.6f, "f1": %.6f, "false_positive_rate": %.6f}',
                   @$x{qw(tp fp tn fn)}, $p, $r, $f1, $fpr);
}
printf "{\"messages\": %d, \"folds\": %d, \"rules_bayes\": %s, \"bayes\": %s, \"learn_messages_per_second\": %.1f, \"scan_messages_per_second\": %.1f}\n",
    scalar(@msgs), $k, fig($c{rules_bayes}), fig($c{bayes}), $learned / $learn_s, $scanned / $scan_s;
