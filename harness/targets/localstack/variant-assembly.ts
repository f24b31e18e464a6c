import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnTemplate, PatternModel } from '../../model/assembly.ts';

/**
 * A copy of the synthesized cloud assembly with another template, for `cdklocal deploy --app <folder>`.
 * The template is also a file asset named by its content hash (`stackTemplateAssetObjectUrl` in
 * manifest.json, the key in `<stack>.assets.json`): the copy gets the new template's hash there, or the
 * CLI would find the full template already uploaded under the old key and deploy that one.
 */
export function writeVariantAssembly(model: PatternModel, template: CfnTemplate, outdir: string): PatternModel {
  rmSync(outdir, { recursive: true, force: true });
  cpSync(model.assemblyDir, outdir, { recursive: true });
  const raw = JSON.stringify(template, null, 1);
  const hash = createHash('sha256').update(raw).digest('hex');
  const templatePath = path.join(outdir, path.basename(model.templatePath));
  writeFileSync(templatePath, raw);
  for (const file of ['manifest.json', `${model.stackName}.assets.json`]) {
    const full = path.join(outdir, file);
    writeFileSync(full, readFileSync(full, 'utf8').replaceAll(model.hash, hash));
  }
  return { ...model, assemblyDir: outdir, templatePath, template, hash };
}
