.PHONY: demo test bench bench-kernels bench-models
demo:
	scripts/demo.sh
test:
	scripts/test.sh
bench: bench-kernels bench-models
bench-kernels:
	scripts/bench-kernels.sh
bench-models:
	scripts/bench-models.sh
