// The Khronos glTF-Validator on files given as arguments; prints one JSON report per file, as a list.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import validator from 'gltf-validator';

const reports = [];
for (const path of process.argv.slice(2)) {
  reports.push(await validator.validateBytes(new Uint8Array(readFileSync(path)), {
    uri: basename(path), maxIssues: 100, format: path.endsWith('.glb') ? 'glb' : 'gltf',
  }));
}
process.stdout.write(JSON.stringify(reports));
