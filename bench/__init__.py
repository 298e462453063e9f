"""Side-by-side latency, throughput, cold start and memory of the recommendation chain (`python -m bench`)."""
