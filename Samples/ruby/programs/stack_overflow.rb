# frozen_string_literal: true

# Category tree: a cycle in the parent links makes the recursion unbounded and
# Ruby reports SystemStackError with a "... N levels..." elision (uncaught).
require_relative "pinned_logger"

$stdout.sync = true
$stderr.sync = true
LOG = pinned_logger("2026-11-29T05:32:00Z")

PARENTS = { "fruit" => "food", "food" => "fruit" }.freeze

def depth(category)
  return 0 unless PARENTS.key?(category)

  1 + depth(PARENTS[category])
end

LOG.info("building category tree")
LOG.info("depth of fruit: #{depth("fruit")}")
