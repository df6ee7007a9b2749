// Validates rendered Strimzi (kafka.strimzi.io) and KEDA (keda.sh) objects against the
// operators' CRD schemas (the @kubernetes-models packages, generated from Strimzi 0.49's and
// KEDA's CRDs), then refuses any field the schema does not have: those packages check types,
// enums and required fields but let unknown fields through, as the API server would prune them
// silently. A field is known when giving it an impossible value (a Symbol, which no JSON type
// accepts) makes the schema complain at that field; an unknown field draws no complaint.
//
//   node check.mjs rendered.yaml ...     (exit 1 when any object fails)

import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const PACKAGES = {
  "kafka.strimzi.io": "@kubernetes-models/strimzi-kafka-operator",
  "keda.sh": "@kubernetes-models/keda",
};
// Objects whose keys are free-form by design (x-kubernetes-preserve-unknown-fields): Kafka
// topic configuration. Their values are still checked by the schema's type of the map.
const FREE_FORM = { KafkaTopic: ["/spec/config"] };

const pointer = (path) => path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("");

async function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  const pkg = PACKAGES[group];
  if (!pkg) return null;
  try {
    const module = await import(`${pkg}/${group}/${version}/${kind}`);
    return module[kind];
  } catch {
    throw new Error(`no schema for ${apiVersion} ${kind} in ${pkg}`);
  }
}

function errorsOf(Model, data) {
  try {
    new Model(data).validate();
    return [];
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    return e.errors;
  }
}

function* fieldPaths(value, path = []) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* fieldPaths(value[i], [...path, i]);
  } else if (value && typeof value === "object") {
    for (const key of Object.keys(value)) {
      yield [...path, key];
      yield* fieldPaths(value[key], [...path, key]);
    }
  }
}

function unknownFields(Model, doc) {
  const freeForm = FREE_FORM[doc.kind] ?? [];
  const unknown = [];
  for (const path of fieldPaths(doc)) {
    if (path.length <= 1) continue; // apiVersion, kind, metadata, spec: the model's own
    const where = pointer(path);
    if (freeForm.some((f) => where.startsWith(f + "/"))) continue;
    if (unknown.some((u) => where.startsWith(u + "/"))) continue; // inside an unknown field
    const probe = structuredClone(doc);
    let parent = probe;
    for (const p of path.slice(0, -1)) parent = parent[p];
    parent[path.at(-1)] = Symbol("probe");
    const complaints = errorsOf(Model, probe).filter((e) => e.instancePath === where);
    if (complaints.length === 0) unknown.push(where);
  }
  return unknown;
}

let failures = 0;
let checked = 0;
const counts = {};
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
  for (const parsed of docs) {
    if (parsed.errors.length) {
      console.log(`FAIL ${file}: ${parsed.errors.map((e) => e.message).join("; ")}`);
      failures++;
      continue;
    }
    const doc = parsed.toJS();
    if (!doc || typeof doc !== "object" || !doc.apiVersion) continue;
    const Model = await modelOf(doc.apiVersion, doc.kind);
    if (!Model) continue; // not a Strimzi or KEDA object: kubecheck's
    const id = `${doc.apiVersion} ${doc.kind} ${doc.metadata?.name}`;
    const problems = errorsOf(Model, doc).map((e) => `${e.instancePath || "/"} ${e.message}${e.params?.allowedValues ? " " + JSON.stringify(e.params.allowedValues) : ""}`);
    problems.push(...unknownFields(Model, doc).map((f) => `${f} is not a field of ${doc.kind}`));
    if (problems.length) {
      console.log(`FAIL ${file} (${id}): ${problems.join("; ")}`);
      failures++;
    } else {
      checked++;
      counts[`${doc.apiVersion} ${doc.kind}`] = (counts[`${doc.apiVersion} ${doc.kind}`] ?? 0) + 1;
    }
  }
}
const summary = Object.entries(counts).sort().map(([k, n]) => `${k} (${n})`).join(", ");
console.log(`crdcheck: ${checked} valid, ${failures} failed${summary ? ": " + summary : ""}`);
process.exit(failures ? 1 : 0);
