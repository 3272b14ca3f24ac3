// Reads the policy YAML named by POLICY_FILE and resolves it over the built-in defaults.
import fs from 'node:fs';
import { DeskbotError } from './errors.ts';
import { defaultPolicy, resolvePolicy, type Policy } from './domain/policy.ts';
import { formatYamlSyntaxError, parseYamlDocument } from './yaml-syntax-errors.ts';

export function loadPolicy(file: string | undefined): Policy {
  if (!file) return defaultPolicy();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeskbotError('POLICY_INVALID', `Cannot read policy file ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  }
  const yaml = parseYamlDocument(text);
  if (!yaml.ok) {
    const errors = yaml.errors.map((error) => `  ${formatYamlSyntaxError(error, '    ')}`);
    throw new DeskbotError('POLICY_INVALID', `Policy file ${file} is not valid YAML:\n${errors.join('\n')}`, { details: { file, errors: yaml.errors } });
  }
  let parsed: unknown;
  try {
    parsed = yaml.document.toJS();
  } catch (error) {
    throw new DeskbotError('POLICY_INVALID', `Policy file ${file} is not valid YAML: ${(error as Error).message}`, { cause: error, details: { file } });
  }
  const resolved = resolvePolicy(parsed ?? {});
  if ('issues' in resolved) {
    const lines = resolved.issues.map((issue) => `  ${issue.path}: ${issue.message}`);
    throw new DeskbotError('POLICY_INVALID', `Policy file ${file} is invalid:\n${lines.join('\n')}`, { details: { file, issues: resolved.issues } });
  }
  return resolved.policy;
}
