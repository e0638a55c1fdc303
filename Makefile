# Jianding — the two commands of the README, and a few helpers.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: document-image demo demo-fail demo-dc demo-fuel demo-meter demo-water demo-gas gui i18n screenshots test lint benchmark clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,gui]'
	$(BIN)/python -c "from gui.app import compile_translations; compile_translations()"  # GUI English .qm, built at install
	touch $(STAMP)

## gui: the operator GUI with the demo stations on simulated hardware
gui: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db gui --sim --out jianding-out

## screenshots: a PNG of each main GUI view at 1366×768 (offscreen; one simulated gas-bench run: its run page, then its results) → docs/screenshots
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m gui.screenshots --out docs/screenshots

## document-image: the README's certificate inner page (golden AC certificate, page 2, 80 dpi) → docs/documents
document-image: $(STAMP)
	$(BIN)/python -m reports.golden --readme-image docs/documents/certificate-inner.png

## i18n: re-extract the GUI's strings into gui/i18n/jianding_en.ts (translate new ones, then `make` rebuilds the .qm)
i18n: $(STAMP)
	$(BIN)/python -c "import PySide6, pathlib, subprocess, glob; subprocess.run([str(pathlib.Path(PySide6.__file__).parent / 'lupdate'), '-silent', '-no-obsolete', '-source-language', 'zh_CN', '-target-language', 'en', *sorted(glob.glob('gui/*.py') + glob.glob('gui/views/*.py')), '-ts', 'gui/i18n/jianding_en.ts'], check=True)"
	$(BIN)/python -c "from gui.app import compile_translations; compile_translations()"

## demo: create the environment, install, run a JJG 1148 verification on simulated hardware (SQLite)
demo: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo --out jianding-out

demo-fail: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo --fail --out jianding-out

demo-dc: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo dc --out jianding-out

demo-fuel: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo fuel --out jianding-out

demo-meter: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo meter --out jianding-out

demo-water: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo water --out jianding-out

demo-gas: $(STAMP)
	$(BIN)/jianding --db jianding-demo.db demo gas --out jianding-out

## lint: ruff and the import-linter contracts of DESIGN.md
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

## test: lint, then the whole test suite (pytest-xdist, one worker per core by default)
TEST_WORKERS ?= auto
test: lint
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q -n $(TEST_WORKERS)  # fuzz suites derandomized (tests/bench/test_fuzz_inputs.py); TEST_WORKERS=0 runs in one process

benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.modbus_reads
	$(BIN)/python -m benchmarks.jjg1148_run
	$(BIN)/python -m benchmarks.bench_positions
	$(BIN)/python -m benchmarks.meter_bench_run
	$(BIN)/python -m benchmarks.sync_upload

clean:
	rm -rf $(VENV) jianding-out jianding-demo.db* .pytest_cache .ruff_cache
