# frozen_string_literal: true

# Cart pricing: NameError / NoMethodError reports with did_you_mean
# suggestions and error_highlight's code snippet and ^^^^ marker (both default
# gems in Ruby 3.1). Earlier failures go through Exception#full_message; the
# last one is uncaught.
require_relative "pinned_logger"

$stdout.sync = true
$stderr.sync = true
LOG = pinned_logger("2026-11-29T05:31:00Z")

Item = Struct.new(:sku, :price, :quantity)

def subtotal(item)
  item.price * item.quantitty
end

def line_total(item)
  quantity = item.quantity
  item.price * quantiy
end

def customer_name(order)
  order[:customer][:name].upcase
end

def report(error)
  $stderr.print(error.full_message(highlight: false, order: :top))
end

LOG.info("pricing cart 501")
begin
  subtotal(Item.new("apple", 3, 2))
rescue NoMethodError => e
  report(e)
end

LOG.info("pricing cart 502")
begin
  line_total(Item.new("pear", 4, 1))
rescue NameError => e
  report(e)
end

LOG.info("rendering invoice for cart 503")
begin
  customer_name({ customer: { email: "ada@example.com" } })
rescue NoMethodError => e
  report(e)
end

LOG.info("rendering invoice for cart 504")
customer_name({ id: 504 })
