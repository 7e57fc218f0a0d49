# Byte-code for the Lambda runtime's Python (3.13), shared by the layer's and the functions'
# Makefiles (sam build runs them, BuildMethod: makefile). Lambda's code directories are
# read-only, so a package shipped without byte-code is compiled again at every cold start.
# Byte-code must match the runtime: it is added when a python3.13 is at hand, and left out
# (the package still works) when it is not. A pyenv shim answers to the name without a
# Python behind it, so each candidate must run.
PYTHON_FOR_BYTECODE ?= $(shell for candidate in $$(command -v python3.13) $$HOME/.pyenv/versions/3.13*/bin/python3.13; do "$$candidate" -c "" 2>/dev/null && { echo "$$candidate"; break; }; done)

# $(call compile_for_runtime,<directory>,<what, for the message>)
define compile_for_runtime
	@if [ -n "$(PYTHON_FOR_BYTECODE)" ]; then \
		"$(PYTHON_FOR_BYTECODE)" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(1)"; \
	else echo "no python3.13 found: $(2) ships without byte-code (slower cold starts)"; fi
endef
