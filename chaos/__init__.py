"""`make chaos`: fault injection against a local stack, and an audit of the saga's guarantees."""
