.PHONY: demo test docs calibrate bench bench-kernels bench-models bench-explain bench-tabular bench-peers
demo:
	scripts/demo.sh
test:
	scripts/test.sh
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
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)
