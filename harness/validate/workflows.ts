import { readdirSync } from 'node:fs';
import path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { ErrorPolicy } from '@actions/workflow-parser/model/convert';
import { PROJECT_ROOT } from '../core/run.ts';

/**
 * GitHub workflows checked with GitHub's own parser, the one behind its Actions language service: npm
 * `@actions/workflow-parser` 0.3.61 (MIT, github:actions/languageservices, gitHead b71ac284fc6a7382c22ecbf3e0009a6ae216823b),
 * which validates a workflow against GitHub's workflow schema (its `workflow-v1.0.json`: keys, value types, which
 * keys a step may combine, expression syntax), then checks what a schema cannot (jobs' `needs`, `on`, cron).
 * SchemaStore's `github-workflow.json` ships in no npm package under a licence that fits (only inside the
 * GPL-3.0 `@action-validator/core` WebAssembly build), and it is a third party's reading of the same syntax.
 */
export const WORKFLOW_SCHEMA_SOURCE = "actions/languageservices workflow-parser's workflow-v1.0.json (npm @actions/workflow-parser 0.3.61)";

export const WORKFLOWS_DIR = path.join(PROJECT_ROOT, '.github', 'workflows');

/** The project's workflow files, by name. */
export function workflowFiles(): string[] {
  return readdirSync(WORKFLOWS_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
}

/** Problems GitHub would report for a workflow, each as `<name> (Line: n, Col: m): <message>`; none when valid. */
export async function validateWorkflow(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  if (parsed.value === undefined) return parsed.context.errors.getErrors().map((error) => error.message);
  // TryConversion: the semantic checks run even when the schema found something, so that all problems show at once.
  const converted = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, { errorPolicy: ErrorPolicy.TryConversion });
  return (converted.errors ?? []).map((error) => error.Message);
}
