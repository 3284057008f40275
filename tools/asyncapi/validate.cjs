// Validates AsyncAPI documents with the AsyncAPI project's own parser and its Avro schema
// parser, so `make test` checks what `bus asyncapi` writes against the specification itself.
// Usage: NODE_PATH=.cache/node/node_modules node tools/asyncapi/validate.cjs FILE...
// Prints every diagnostic; exits 1 when a document has an error, 0 otherwise.
"use strict";
const fs = require("node:fs");
const { Parser } = require("@asyncapi/parser");
const { AvroSchemaParser } = require("@asyncapi/avro-schema-parser");

const SEVERITY = ["error", "warning", "information", "hint"];
const ORIGINAL = "x-parser-original-payload";

// The parser converts Avro payloads of a 3.0 document to JSON Schema without validating them
// (its v3 rules check only the document), so every Avro schema is also given to the Avro
// parser's own validate(), which compiles it with avsc.
// A resolved $ref is the same object wherever it is used: each is checked once.
async function avroProblems(avro, node, path, found, seen = new Set()) {
  if (node === null || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  if (ORIGINAL in node && avro.getMimeTypes().includes(node.schemaFormat)) {
    const problems = await avro.validate({ data: node[ORIGINAL], path });
    for (const p of problems) found.push({ path: p.path ?? path, message: p.message });
  }
  for (const [key, child] of Object.entries(node)) {
    if (key !== ORIGINAL) await avroProblems(avro, child, [...path, key], found, seen);
  }
}

async function main(files) {
  const avro = AvroSchemaParser();
  const parser = new Parser();
  parser.registerSchemaParser(avro);
  let failed = false;
  for (const file of files) {
    const { document, diagnostics } = await parser.parse(fs.readFileSync(file, "utf8"), {
      source: file,
    });
    for (const d of diagnostics) {
      const where = d.path.join("/");
      console.log(`${file}: ${SEVERITY[d.severity]}: ${d.code}: ${d.message} at /${where}`);
    }
    if (document === undefined || diagnostics.some((d) => d.severity === 0)) {
      failed = true;
      continue;
    }
    const found = [];
    await avroProblems(avro, document.json(), [], found);
    for (const p of found) console.log(`${file}: error: avro: ${p.message} at /${p.path.join("/")}`);
    if (found.length) failed = true;
    else console.log(`${file}: valid AsyncAPI ${document.version()}`);
  }
  process.exit(failed ? 1 : 0);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
