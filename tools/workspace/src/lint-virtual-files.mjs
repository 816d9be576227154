// Lints virtual files (path + text) with the workspace's real ESLint config; reads cases as JSON on stdin and
// prints the messages per case. A separate process because ESLint loads its flat config with a dynamic import,
// which jest's module sandbox does not allow.
import { ESLint } from 'eslint';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const cases = JSON.parse(input);
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { filePath, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
