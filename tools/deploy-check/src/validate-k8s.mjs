// Validates Kubernetes objects (JSON on stdin) with kubernetes-models, the API's OpenAPI schemas compiled to
// validators, and prints one result per object: null when valid, else the error. A separate process because
// kubernetes-models is ESM only, which jest's CommonJS module sandbox cannot load.
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const object of JSON.parse(input)) {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : [undefined, object.apiVersion];
  const modulePath = `kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`;
  let Model;
  try {
    Model = (await import(modulePath))[object.kind];
  } catch {
    results.push(`no model for ${object.apiVersion} ${object.kind} (${modulePath})`);
    continue;
  }
  try {
    new Model(object).validate();
    results.push(null);
  } catch (err) {
    results.push(String(err?.message ?? err));
  }
}
process.stdout.write(JSON.stringify(results));
