"""The recommend function's internals: configuration, TF Serving client, the chain, HTTP handling, logs."""
