#!/usr/bin/perl
# Order worker: Perl's error reports. Carp::confess and croak (the full backtrace
# Carp prints when every caller is in package main) with their tab-indented
# "main::f(...) called at FILE line N" frames and "eval {...}" frames; a message
# with ", <$fh> line N." after reading a file; a die rethrown from an eval by
# a bare die ("\t...propagated at FILE line N."); Carp::cluck's warning with a
# backtrace; a one-line die; finally an uncaught confess (exit status 255).
# Marker lines go to standard output, reports to standard error, as
# `print STDERR $@` / `warn` / an uncaught die write them.
use strict;
use warnings;
use Carp qw(confess croak cluck);

$| = 1;
my @stamp = (2026, 11, 29, 5, 30, 0);
sub info {
    my ($msg) = @_;
    printf "%04d-%02d-%02d %02d:%02d:%02d [INFO] worker: %s\n", @stamp, $msg;
    $stamp[5] += 1;
}

my %stock = (1042 => 3, 1043 => 0);

sub reserve {
    my ($order, $qty) = @_;
    confess "order $order: only $stock{$order} in stock, $qty wanted" if $stock{$order} < $qty;
    $stock{$order} -= $qty;
}

sub handle_order { my ($order, $qty) = @_; reserve($order, $qty); }

sub parse_qty {
    my ($raw) = @_;
    croak "quantity '$raw' is not a number" unless $raw =~ /^\d+$/;
    return $raw;
}

sub read_batch {
    my ($path) = @_;
    open my $fh, '<', $0 or die "cannot open $0: $!";
    my $first = <$fh>;
    handle_order(1043, 2);
}

sub with_retry {
    my ($code) = @_;
    eval { $code->(); 1 } or do { die };
}

sub check_limits { cluck "order 1042: limit nearly reached"; }

info("worker 2.3 starting");
info("handling order 1043");
eval { handle_order(1043, 5) };
print STDERR $@;
info("parsing quantity for order 1044");
eval { parse_qty("two") };
print STDERR $@;
info("reading batch batch-17.csv");
eval { read_batch("batch-17.csv") };
print STDERR $@;
info("retrying order 1045");
eval { with_retry(sub { die "connection reset by peer" }) };
print STDERR $@;
info("checking limits");
check_limits();
info("closing order 1046");
eval { die "order 1046 already closed" };
print STDERR $@;
info("handling order 1042");
# die exits with $! when it is not 0 (perldoc -f die): clear what the stdout check left, so the status is 255.
$! = 0;
handle_order(1042, 9);
info("done");
