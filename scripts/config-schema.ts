// `npm run config:schema [file]`: writes the JSON Schema of config.yaml (for editors and CI validation).
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from '../lib/config/schema';

const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
const output = process.argv[2] ?? 'config.schema.json';
writeFileSync(output, `${JSON.stringify({ title: 'Auth-O-Tron configuration', ...schema }, null, 2)}\n`);
console.log(`wrote ${output}`);
