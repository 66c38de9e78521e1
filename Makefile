# The two commands: `make run` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng fonts-freefont-ttf
# The review page is tested in Debian's Chromium (Playwright drives it; no browser download).
TEST_APT_PACKAGES := chromium
# The benchmarks run OCRmyPDF beside archivist: Ghostscript for its PDFs, unpaper for --clean.
BENCH_APT_PACKAGES := ghostscript unpaper
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test bench system-deps venv sample clean lock

run: system-deps $(STAMP) sample
	$(VENV)/bin/archivist run data/raw --db data/processed/archive.duckdb

test: APT_PACKAGES += $(TEST_APT_PACKAGES)
test: system-deps $(STAMP)
	bash .ci/pytest.sh

bench: APT_PACKAGES += $(BENCH_APT_PACKAGES)
bench: system-deps $(BENCH_STAMP)
	$(PY) bench/ocr_accuracy.py --pages 8
	$(PY) bench/fusion_cer.py --pages 8
	$(PY) bench/passage_dedup.py --sizes 50000 100000 200000
	$(PY) bench/metadata_fields.py --letters 24 --seed 7 --profiles clean degraded
	$(PY) bench/pipeline_cost.py --pages 50 --noop-pages 200 --repeats 3
	$(PY) bench/pipeline_cost.py --scans ../shared/corpus/ehri-english ../shared/corpus/tapuscorpus-french --noop-pages 0 --repeats 3
	$(PY) bench/duckdb_scale.py --words 10000000 --runs 5
	$(PY) bench/assembly_scale.py --pages 1000 4000
	$(PY) bench/assembly_scale.py --pages 1000 16000 64000 --letters

sample: $(STAMP)
	$(PY) -m archivist.synth sample data/raw/synthetic

# Debian packages, installed only when one is missing (needs root, as on our machines).
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# Every Python package at the version in constraints.txt: a fresh machine gets what was tested.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[test,bench]'
	touch $(BENCH_STAMP)

# constraints.txt anew: the newest releases pyproject.toml admits, resolved in a throw-away venv.
# Run make test and make bench on the result before committing it.
lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip
	.lock-venv/bin/pip install -q -e '.[test,bench]'
	{ sed -n '/^#/p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv

clean:
	rm -rf data/processed data/raw/synthetic
