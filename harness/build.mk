# The harness (placeholder until it lands).
