#!/usr/bin/perl
# Dumps what SpamAssassin's rules see for each message file given on the
# command line, in a length-prefixed format that the Swift differential test
# reads back:
#   FILE <path>\n
#   <view> <count>\n  then per element: <byte length>\n<bytes>\n
#   END\n
# A header view with no value is printed with count -1 (SA returns nothing,
# so `if-unset` applies).
use strict;
use warnings;
use Mail::SpamAssassin;

my @queries = (
  # what the stock rules read (header NAME Hdr =~ ...), plus pseudo-headers
  'Subject', 'Subject:raw', 'From', 'From:raw', 'From:addr', 'From:name', 'From:name:raw',
  'To', 'To:addr', 'To:raw', 'Cc', 'CC', 'ToCc', 'ToCc:addr', 'Reply-To', 'Reply-To:addr', 'Reply-To:name',
  'Return-Path', 'Return-Path:addr', 'Message-Id', 'Message-ID', 'MESSAGEID', 'Date', 'Date:raw',
  'X-Mailer', 'X-mailer', 'User-Agent', 'Content-Type', 'Content-Transfer-Encoding', 'MIME-Version',
  'Received', 'Received:raw', 'EnvelopeFrom', 'ALL', 'ALL:raw', 'ALL-TRUSTED', 'ALL-UNTRUSTED',
  'ALL-INTERNAL', 'ALL-EXTERNAL', 'X-Spam-Relays-Trusted', 'X-Spam-Relays-Untrusted',
  'X-Spam-Relays-Internal', 'X-Spam-Relays-External', 'From:host', 'From:domain',
  'Received:ip', 'Received:revip', 'Received:first', 'Received:last', 'To:first:addr',
  'X-MimeOLE', 'Precedence', 'References', 'In-Reply-To', 'List-Unsubscribe', 'List-Id', 'Thread-Index',
  'X-Originating-IP', 'X-Originating-IP:ip', 'Sender', 'Sender:addr', 'X-Envelope-From:addr', 'DKIM-Signature',
  'X-Priority', 'X-MSMail-Priority', 'Organization', 'Errors-To', 'Content-Disposition', 'X-Sender',
);

my $sa = Mail::SpamAssassin->new({
  userprefs_filename  => '/dev/null',
  local_tests_only    => 1,
  dont_copy_prefs     => 1,
  # SA_VIEWS_CONFIG: extra configuration lines (e.g. trusted_networks).
  post_config_text    => "use_bayes 0\n" . ($ENV{SA_VIEWS_CONFIG} // ''),
});
$sa->init(0);

sub emit {
  my ($name, @vals) = @_;
  print "$name ", scalar(@vals), "\n";
  for my $v (@vals) {
    utf8::encode($v) if utf8::is_utf8($v);
    print length($v), "\n", $v, "\n";
  }
}

binmode STDOUT;
for my $file (@ARGV) {
  my $raw = do {
    open(my $fh, '<', $file) or next;
    binmode $fh;
    local $/;  # only while slurping: SpamAssassin's chomp() needs "\n"
    <$fh>;
  };
  my $msg = $sa->parse($raw, 1);
  my $pms = Mail::SpamAssassin::PerMsgStatus->new($sa, $msg);
  $pms->extract_message_metadata();
  print "FILE $file\n";
  for my $q (@queries) {
    my @harr = $pms->get($q);
    if (!@harr) { print "H:$q -1\n"; next; }
    my $hval = join($harr[0] =~ /\n\z/ ? "" : "\n", @harr);
    emit("H:$q", $hval);
  }
  emit('BODY', @{ $msg->get_rendered_body_text_array() });
  emit('VISIBLE', @{ $msg->get_visible_rendered_body_text_array() });
  emit('INVISIBLE', @{ $msg->get_invisible_rendered_body_text_array() });
  emit('RAWBODY', @{ $msg->get_decoded_body_text_array() });
  emit('URI', sort $pms->get_uri_list());
  print "END\n";
  $pms->finish();
  $msg->finish();
}
