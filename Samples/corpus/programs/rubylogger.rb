# Ordinary lines from Ruby's Logger: the default formatter, with a progname, and Rails-style request lines.
require "logger"

log = Logger.new($stdout)
log.info("Puma starting in single mode...")
log.info("* Listening on http://0.0.0.0:3000")
log.warn("Deprecation: #find_all_by is going away (called at app/models/order.rb:12)")
log.error("Redis::CannotConnectError: Error connecting to Redis on 10.0.3.9:6379 (Errno::ECONNREFUSED), retrying")
log.info("Completed 200 OK in 41ms (Views: 12.1ms | ActiveRecord: 8.4ms | Allocations: 10422)")
log.debug("  Order Load (0.6ms)  SELECT \"orders\".* FROM \"orders\" WHERE \"orders\".\"id\" = $1 LIMIT $2")
log.progname = "sidekiq"
log.info("Performing ChargeJob (Job ID: 8b1f) from Sidekiq(default) with arguments: 1042")
log.fatal("from config/puma.rb: worker count 0 is not allowed")
log.info("Started GET \"/orders/1042\" for 10.0.4.7 at 2026-03-14 10:11:34 +0000")
log.unknown("something odd: in `block in <main>' but not an error")
