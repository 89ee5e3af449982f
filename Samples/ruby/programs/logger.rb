# frozen_string_literal: true

# Payment worker: exceptions written through Ruby's Logger. Logger#error with
# an exception renders "message (Class)" followed by the bare backtrace lines;
# the second form is an application that builds the same text itself.
require_relative "pinned_logger"

$stdout.sync = true
LOG = pinned_logger("2026-11-29T05:33:00Z")

class GatewayError < StandardError; end

def authorize(order_id, cents)
  raise GatewayError, "gateway timeout after 30s (order #{order_id}, #{cents} cents)"
end

def charge(order_id, cents)
  authorize(order_id, cents)
end

def refund(order_id)
  Integer("refund-#{order_id}")
end

LOG.info("payment worker started")

LOG.info("charging order 1042")
begin
  charge(1042, 4999)
rescue GatewayError => e
  LOG.error(e)
end

LOG.info("refunding order 1043")
begin
  refund(1043)
rescue ArgumentError => e
  LOG.error("refund failed: #{e.message} (#{e.class})\n#{e.backtrace.join("\n")}")
end

LOG.info("charging orders 1044 and 1045")
[1044, 1045].each do |order_id|
  charge(order_id, 1250)
rescue GatewayError => e
  LOG.fatal(e)
end
LOG.warn("payment worker stopping: 3 failures")
