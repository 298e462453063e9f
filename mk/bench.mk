# Benchmarks (bench/): side-by-side latency, throughput, cold start and memory of the chain.
BENCH_FLAGS ?=

.PHONY: bench

bench: $(VENV_STAMP) ## Measure direct model calls vs the function vs the codelab pattern (BENCH_FLAGS=--help)
	$(PY) -m bench --models-dir $(MODELS_DIR) $(BENCH_FLAGS)
