# An allocation-heavy Perl program for the prog_perl workload: hashes of
# arrays of hashes built, walked in sorted order and dropped; lines
# generated, matched and substituted by regexes, counted, joined, split and
# reversed; in three rounds. Deterministic (every hash is walked in sorted
# order, so Perl's per-process hash seed does not show): prints a checksum
# that must match under every allocator. Usage: perl alloc_heavy.pl N
use strict;
use warnings;

my $n = shift // 15000;
my $check = 0;
sub mix { $check = ($check * 31 + $_[0]) % 2147483647 }

for my $round (1 .. 3) {
    my %index;
    for my $i (1 .. $n) {
        my $key = sprintf "k%06d", ($i * 7919) % $n;
        push @{ $index{ substr($key, -2) } }, { id => $i, key => $key, tag => $i % 13 };
    }
    for my $bucket (sort keys %index) {
        my @recs = sort { $a->{key} cmp $b->{key} || $a->{id} <=> $b->{id} } @{ $index{$bucket} };
        mix($recs[0]{id} + scalar @recs);
    }
    undef %index;

    my @lines;
    for my $i (1 .. $n) {
        my $line = join " ", map { sprintf "%x", ($i * 2654435761 + $_ * $round) % 4294967296 } 1 .. 4;
        $line =~ s/([a-f]+)/\U$1/g;
        push @lines, $line if $line =~ /^[0-9A-F]+ [0-9]/;
    }
    my $text = join "\n", @lines;
    my %count;
    $count{$_}++ for $text =~ /([A-F]{2,})/g;
    mix(scalar(@lines) + scalar(keys %count));
    mix(length join ",", reverse split /\s+/, $text);
}
print "records $n checksum $check\n";
