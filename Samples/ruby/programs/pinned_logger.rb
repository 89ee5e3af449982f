# frozen_string_literal: true

require "logger"
require "time"

# Logger::Formatter with a pinned clock and pid: the line layout and the
# rendering of messages and exceptions (msg2str) are Ruby's own; only the time
# (a fixed start, 1.125 s per entry) and the pid (4242) are fixed so the
# captured samples are the same on every run.
class PinnedFormatter < Logger::Formatter
  PINNED_PID = 4242

  def initialize(start)
    super()
    @next = Time.iso8601(start).utc
  end

  def call(severity, _time, progname, msg)
    time = @next
    @next += 1.125
    format(Format, severity[0, 1], format_datetime(time), PINNED_PID, severity, progname, msg2str(msg))
  end
end

def pinned_logger(start, io: $stdout)
  io.sync = true
  Logger.new(io, formatter: PinnedFormatter.new(start))
end
