"""A plugin module with a syntax error (an unclosed parenthesis)."""

DEFAULTS = {"retries": 3, "timeout": 2.5}

def configure(overrides):
    merged = dict(DEFAULTS,
    return merged
