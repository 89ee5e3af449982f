# frozen_string_literal: true

# Order importer: the shapes of Ruby's uncaught-exception report. Earlier
# failures are printed with Exception#full_message (the interpreter's own
# error printer, as used for uncaught exceptions); the last one is uncaught.
require_relative "pinned_logger"

$stdout.sync = true
$stderr.sync = true
LOG = pinned_logger("2026-11-29T05:30:00Z")

class ImportError < StandardError; end

def read_manifest(path)
  File.read(path)
end

def parse_row(row)
  fields = row.split(";")
  raise ArgumentError, "invalid row:\n  id: missing\n  amount: #{fields[1]}" if fields[0].empty?

  fields
end

def import(path)
  read_manifest(path)
rescue SystemCallError
  raise ImportError, "import of #{path} failed"
end

def report(error)
  $stderr.print(error.full_message(highlight: false, order: :top))
end

LOG.info("importer started")

LOG.info("reading manifest imports/manifest.csv")
begin
  read_manifest("imports/manifest.csv")
rescue SystemCallError => e
  report(e)
end

LOG.info("parsing row 2")
begin
  parse_row(";-5")
rescue ArgumentError => e
  report(e)
end

LOG.info("importing imports/orders-1.csv")
begin
  import("imports/orders-1.csv")
rescue ImportError => e
  report(e)
end

LOG.info("starting background checksum thread")
worker = Thread.new do
  Integer("0xZZ")
end
begin
  worker.join
rescue ArgumentError
  LOG.info("checksum thread died")
end

LOG.info("importing imports/orders-2.csv")
import("imports/orders-2.csv")
