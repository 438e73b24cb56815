.PHONY: demo test docs bench bench-kernels bench-models bench-explain
demo:
	scripts/demo.sh
test:
	scripts/test.sh
docs:
	scripts/docs.sh
bench: bench-kernels bench-models bench-explain
bench-kernels:
	scripts/bench-kernels.sh
bench-models:
	scripts/bench-models.sh
bench-explain:
	scripts/bench-explain.sh
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)
