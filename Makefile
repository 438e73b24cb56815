.PHONY: demo test docs calibrate bench bench-kernels bench-models bench-explain bench-tabular bench-peers bench-mpi
demo:
	scripts/demo.sh
test:
	scripts/test.sh
	scripts/test-mpi.sh
docs:
	scripts/docs.sh
calibrate:
	scripts/calibrate.sh
bench: bench-kernels bench-models bench-explain bench-tabular bench-peers
bench-kernels:
	scripts/bench-kernels.sh
bench-models:
	scripts/bench-models.sh
bench-explain:
	scripts/bench-explain.sh
bench-tabular:
	scripts/bench-tabular.sh
bench-peers:
	scripts/bench-peers.sh
bench-mpi:
	scripts/bench-mpi.sh
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)
