# frozen_string_literal: true

# Shop: a Rails application (Debian's ruby-rails) whose requests fail, served
# in process through Rack::MockRequest. ActionDispatch::DebugExceptions logs
# each failure at FATAL as Rails does in production: a Logger line with a
# blank-ish message, "Class (message):", a blank-ish line, then the
# application's backtrace (or, when no frame is the application's, the
# framework's).
#
#   ruby programs/rails_app.rb plain    # production logger: Logger::Formatter
#   ruby programs/rails_app.rb tagged   # the same with config.log_tags = [:request_id]
#
# Rails' own "Started GET ..." lines are kept (the clock is frozen with
# ActiveSupport's travel_to); the Processing/Completed and Rendering/Rendered
# lines, which carry durations and allocation counts, are not subscribed. Request ids come from
# the X-Request-Id header, so they are fixed.
ENV["RAILS_ENV"] = "production"
require_relative "pinned_logger"
require "action_controller/railtie"
require "active_support/testing/time_helpers"
require "rack/mock"

MODE = ARGV.fetch(0)

class ShopApp < Rails::Application
  config.root = File.join(__dir__, "shop")
  config.eager_load = false
  config.secret_key_base = "0" * 64
  config.hosts.clear
  logger = pinned_logger("2026-11-29T05:40:00Z")
  config.logger = ActiveSupport::TaggedLogging.new(logger)
  config.log_tags = [:request_id] if MODE == "tagged"
  routes.append do
    get "/orders" => "orders#index"
    get "/orders/:id" => "orders#show"
    get "/orders/:id/receipt" => "orders#receipt"
  end
end

ShopApp.initialize!
require "action_controller/log_subscriber"
require "action_view/log_subscriber"
ActionController::LogSubscriber.detach_from(:action_controller)
ActionView::LogSubscriber.detach_from(:action_view)

include ActiveSupport::Testing::TimeHelpers
travel_to Time.utc(2026, 11, 29, 5, 40, 0)

def get(path, request_id)
  env = Rack::MockRequest.env_for(path, "REMOTE_ADDR" => "10.0.4.7", "HTTP_X_REQUEST_ID" => request_id)
  ShopApp.call(env)
end

get("/admin/settings", "5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c01")
get("/orders/1042x", "5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c02")
get("/orders/1043", "5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c03")
get("/orders/1042/receipt", "5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c04")
get("/orders", "5d0f8a3c-1b2e-4f6a-9c7d-2e8b1a4f6c05")
Rails.logger.info("shop stopped")
