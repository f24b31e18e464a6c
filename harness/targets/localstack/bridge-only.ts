import type { CfnResource, CfnTemplate } from '../../model/assembly.ts';

/**
 * The "bridge-only" variant of the synthesized template, for a LocalStack without the EFS API (every plan
 * below Ultimate). LocalStack never mounts EFS into a function (the EFS bridge does, through
 * LAMBDA_DOCKER_FLAGS), so there the AWS::EFS::* resources are metadata only: the variant leaves them out,
 * with everything that refers to them, and runs on the Base plan. Pure: template in, template and a list of
 * what was left out (and why) out. Infra stays the single source of truth: the scenarios, the bridge and the
 * mount path still come from the full template.
 */

export interface BridgeOnlyVariant {
  readonly template: CfnTemplate;
  /** One line per thing left out, naming it and why, in the order they were found. */
  readonly leftOut: readonly string[];
}

const PSEUDO_PREFIX = 'AWS::';

/**
 * Logical ids a value refers to: `Ref`, `Fn::GetAtt` (list and "Id.Attr" forms) and the `${Id}` /
 * `${Id.Attr}` placeholders of `Fn::Sub` (not `${!Literal}`, not pseudo parameters, not the Sub's own
 * variables).
 */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') {
        if (!inner.startsWith(PSEUDO_PREFIX)) into.add(inner);
      } else if (key === 'Fn::GetAtt') {
        const id = Array.isArray(inner) ? inner[0] : typeof inner === 'string' ? inner.split('.')[0] : undefined;
        if (typeof id === 'string') into.add(id);
        else referencedIds(inner, into);
      } else if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(inner) ? [inner[0], inner[1] as Record<string, unknown> | undefined] : [inner, undefined];
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const id = match[1]!.split('.')[0]!.trim();
            if (!id.startsWith(PSEUDO_PREFIX) && !(variables && id in variables)) into.add(id);
          }
        }
        referencedIds(variables, into);
      } else {
        referencedIds(inner, into);
      }
    }
  }
  return into;
}

const refersTo = (value: unknown, removed: ReadonlyMap<string, string>) => [...referencedIds(value)].filter((id) => removed.has(id));

interface Statement {
  readonly Sid?: string;
  readonly Action?: unknown;
}

/** Makes the variant. Resources that refer to a removed one go too (transitively), unless only a part of them does. */
export function bridgeOnlyTemplate(full: CfnTemplate): BridgeOnlyVariant {
  const template = structuredClone(full) as { Resources: Record<string, CfnResource & { Properties?: Record<string, unknown> }>; Outputs?: Record<string, { Value: unknown }> };
  const leftOut: string[] = [];
  const removed = new Map<string, string>();
  const remove = (id: string, why: string) => {
    removed.set(id, template.Resources[id]!.Type);
    leftOut.push(`${id} (${template.Resources[id]!.Type}): ${why}`);
    delete template.Resources[id];
  };

  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type.startsWith('AWS::EFS::')) remove(id, 'the EFS API is not available; LocalStack never mounts EFS anyway (the bridge stands in)');
  }

  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, resource] of Object.entries(template.Resources)) {
      const props = resource.Properties;
      if (!props) continue;
      const mounts = refersTo(props.FileSystemConfigs, removed);
      if (resource.Type === 'AWS::Lambda::Function' && mounts.length > 0) {
        const paths = (props.FileSystemConfigs as { LocalMountPath?: string }[]).map((c) => c.LocalMountPath).join(', ');
        delete props.FileSystemConfigs;
        leftOut.push(`FileSystemConfigs of ${id} (mount at ${paths}): refers to ${mounts.join(', ')}; the EFS bridge mounts the folder instead`);
        changed = true;
      }
      const document = props.PolicyDocument as { Statement?: Statement[] } | undefined;
      if (resource.Type === 'AWS::IAM::Policy' && Array.isArray(document?.Statement)) {
        const kept = document.Statement.filter((statement) => {
          const names = refersTo(statement, removed);
          if (names.length === 0) return true;
          leftOut.push(`IAM statement ${JSON.stringify(statement.Action)} of ${id}: names ${names.join(', ')}`);
          return false;
        });
        if (kept.length !== document.Statement.length) changed = true;
        document.Statement = kept;
        // IAM refuses a policy without statements.
        if (kept.length === 0) {
          remove(id, 'all of its statements named removed resources');
          continue;
        }
      }
      const names = refersTo(props, removed);
      if (names.length > 0) {
        remove(id, `refers to ${names.join(', ')}`);
        changed = true;
      }
    }
  }

  for (const resource of Object.values(template.Resources)) {
    if (resource.DependsOn === undefined) continue;
    const kept = [resource.DependsOn].flat().filter((id) => !removed.has(id));
    if (kept.length === 0) delete (resource as { DependsOn?: unknown }).DependsOn;
    else (resource as { DependsOn?: unknown }).DependsOn = kept;
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    const names = refersTo(output, removed);
    if (names.length === 0) continue;
    delete template.Outputs![name];
    leftOut.push(`output ${name}: refers to ${names.join(', ')}`);
  }
  return { template: template as CfnTemplate, leftOut };
}

/** References to logical ids the template does not define (resources or parameters): what CloudFormation would reject. */
export function danglingReferences(template: CfnTemplate & { Parameters?: Record<string, unknown> }): string[] {
  const defined = new Set([...Object.keys(template.Resources), ...Object.keys(template.Parameters ?? {})]);
  const problems: string[] = [];
  const check = (where: string, value: unknown) => {
    for (const id of referencedIds(value)) if (!defined.has(id)) problems.push(`${where} refers to ${id}`);
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    check(id, resource.Properties);
    for (const dep of [resource.DependsOn ?? []].flat()) if (!defined.has(dep)) problems.push(`${id} DependsOn ${dep}`);
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) check(`output ${name}`, output);
  return problems;
}
