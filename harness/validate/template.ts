import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import { type PropertyType, type Resource, RichProperty, type SpecDatabase, type TypeDefinition } from '@aws-cdk/service-spec-types';

/**
 * A synthesized CloudFormation template checked resource by resource against the CloudFormation resource
 * definitions in `@aws-cdk/aws-service-spec` (the CDK's database of them, built from the CloudFormation registry
 * schemas; the version in package.json): the type exists, every property exists, every required property is
 * there, and every value has the property's type, down to nested structures. A value computed by an intrinsic
 * function (`Ref`, `Fn::…`) is known only at deploy time and is accepted wherever a value may go.
 *
 * Strict where CloudFormation may be lenient (a number written as a string is refused): our templates come from
 * the CDK, which writes each value in its declared type.
 */
export const TEMPLATE_SCHEMA_SOURCE = 'CloudFormation resource definitions from npm @aws-cdk/aws-service-spec';

/**
 * The keys CloudFormation allows on a resource besides Type and Properties ("Resource attribute reference",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-product-attribute-reference.html).
 */
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Metadata', 'Condition', 'CreationPolicy', 'DeletionPolicy', 'UpdatePolicy', 'UpdateReplacePolicy']);

export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, unknown>>;
}

let database: Promise<SpecDatabase> | undefined;

/**
 * Problems of a template, each naming the resource's logical id, its type and the property path; none when valid.
 * The first call loads the database (a few seconds), later calls reuse it.
 */
export async function validateTemplate(template: CfnTemplate): Promise<string[]> {
  database ??= loadAwsServiceSpec();
  const db = await database;
  const problems: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const type = isObject(resource) && typeof resource.Type === 'string' ? ` (${resource.Type})` : '';
    problems.push(...validateResource(db, resource).map((problem) => `${logicalId}${type}: ${problem}`));
  }
  return problems;
}

function validateResource(db: SpecDatabase, resource: unknown): string[] {
  if (!isObject(resource)) return [`must be an object, got ${show(resource)}`];
  const type = resource.Type;
  if (typeof type !== 'string') return ['Type is missing'];
  const unknownKeys = Object.keys(resource).filter((key) => !RESOURCE_KEYS.has(key));
  const problems = unknownKeys.map((key) => `${key} is not a resource attribute`);
  // Custom resources take whatever properties their provider reads.
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return problems;
  const [definition] = db.lookup('resource', 'cloudFormationType', 'equals', type);
  if (!definition) return [...problems, `${type} is not a CloudFormation resource type`];
  const properties = resource.Properties ?? {};
  if (!isObject(properties)) return [...problems, `Properties must be an object, got ${show(properties)}`];
  return [...problems, ...validateProperties(db, definition, properties)];
}

function validateProperties(db: SpecDatabase, definition: Resource | TypeDefinition, value: Record<string, unknown>, path = ''): string[] {
  const problems: string[] = [];
  for (const [name, property] of Object.entries(definition.properties)) {
    if (property.required && !(name in value)) problems.push(`${path}${name} is required but missing`);
  }
  for (const [name, item] of Object.entries(value)) {
    const property = definition.properties[name];
    if (!property) {
      problems.push(`${path}${name} is not a property of ${'cloudFormationType' in definition ? definition.cloudFormationType : definition.name}`);
      continue;
    }
    // A property whose type changed over time still takes its earlier types.
    const types = new RichProperty(property).types();
    const found = types.map((type) => check(db, type, item, `${path}${name}`));
    if (!found.some((f) => f.length === 0)) problems.push(...(found[0] ?? []));
  }
  return problems;
}

/** The problems of `value` as a `type`, where `path` names it. */
function check(db: SpecDatabase, type: PropertyType, value: unknown, path: string): string[] {
  if (isIntrinsic(value)) return [];
  const expect = (ok: boolean, what: string) => (ok ? [] : [`${path} must be ${what}, got ${show(value)}`]);
  switch (type.type) {
    case 'string':
      if (typeof value === 'string' && type.allowedValues && !type.allowedValues.includes(value)) {
        return [`${path} must be one of ${type.allowedValues.join(', ')}, got ${show(value)}`];
      }
      return expect(typeof value === 'string', 'a string');
    case 'date-time':
      return expect(typeof value === 'string', 'a date-time string');
    case 'integer':
      return expect(Number.isInteger(value), 'an integer');
    case 'number':
      return expect(typeof value === 'number', 'a number');
    case 'boolean':
      return expect(typeof value === 'boolean', 'a boolean');
    case 'null':
      return expect(value === null, 'null');
    case 'json':
      return expect(isObject(value) || typeof value === 'string', 'a JSON object');
    case 'tag':
      return isObject(value) ? validateTag(value, path) : expect(false, 'a tag { Key, Value }');
    case 'array':
      if (!Array.isArray(value)) return expect(false, 'a list');
      return value.flatMap((item, index) => check(db, type.element, item, `${path}[${index}]`));
    case 'map':
      if (!isObject(value)) return expect(false, 'a map');
      return Object.entries(value).flatMap(([key, item]) => check(db, type.element, item, `${path}.${key}`));
    case 'union': {
      const found = type.types.map((member) => check(db, member, value, path));
      return found.some((f) => f.length === 0) ? [] : (found[0] ?? []);
    }
    case 'ref': {
      const definition = db.get('typeDefinition', type.reference);
      if (!isObject(value)) return expect(false, `a ${definition.name} object`);
      return validateProperties(db, definition, value, `${path}.`);
    }
  }
}

function validateTag(value: Record<string, unknown>, path: string): string[] {
  const problems = Object.keys(value)
    .filter((key) => key !== 'Key' && key !== 'Value')
    .map((key) => `${path}.${key} is not a property of Tag`);
  for (const key of ['Key', 'Value']) {
    if (!(key in value)) problems.push(`${path}.${key} is required but missing`);
    else if (typeof value[key] !== 'string' && !isIntrinsic(value[key])) problems.push(`${path}.${key} must be a string, got ${show(value[key])}`);
  }
  return problems;
}

/** `{ "Ref": … }` or `{ "Fn::…": … }`: a value CloudFormation computes at deploy time. */
function isIntrinsic(value: unknown): boolean {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
