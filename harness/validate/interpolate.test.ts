import { describe, expect, it } from 'vitest';
import { interpolate, type Lookup, substitute } from './interpolate.ts';

// Expected values are compose-go's own, with the same variables: FOO set, BAR set but empty, others unset.
// Source: https://github.com/compose-spec/compose-go/blob/e70e961c3a3acebf0800b882f1afb3dbf1fb74a2/template/template_test.go
const VARIABLES: Record<string, string> = { FOO: 'first', BAR: '' };
const lookup: Lookup = (name) => VARIABLES[name];

describe('substitute', () => {
  it.each([
    ['$${foo}', '${foo}'], // TestEscaped
    ['$}', '$}'], // TestUnescaped
    ['$', '$'],
    ['$FOO-bar', 'first-bar'], // TestNonBraced: `-` after an unbraced name is text
    ['This ${missing} var', 'This  var'], // TestNoValueNoDefault
    ['This ${BAR} var', 'This  var'],
    ['This $FOO var', 'This first var'], // TestValueNoDefault
    ['ok ${missing:-def}', 'ok def'], // TestNoValueWithDefault
    ['ok ${missing-def}', 'ok def'],
    ['ok ${BAR:-def}', 'ok def'], // TestEmptyValueWithSoftDefault
    ['ok ${FOO:-def}', 'ok first'],
    ['ok ${BAR-def}', 'ok '], // TestEmptyValueWithHardDefault: set, so no default
    ['ok ${UNSET_VAR:+presence_value}', 'ok '], // TestPresentValue*
    ['ok ${UNSET_VAR+presence_value}', 'ok '],
    ['ok ${FOO:+presence_value}', 'ok presence_value'],
    ['ok ${FOO+presence_value}', 'ok presence_value'],
    ['ok ${BAR+presence_value}', 'ok presence_value'],
    ['ok ${BAR:+presence_value}', 'ok '],
    ['ok ${BAR:-/non:-alphanumeric}', 'ok /non:-alphanumeric'], // TestNonAlphanumericDefault
    ['${A:+${A},}B', 'B'], // TestLazyDefaultDoesNotWarn
    ['+ok ${UNSET:-${BAR-defaultValue}}', '+ok '], // TestInterpolationExternalInterference
    [':-ok ${UNSET-defaultValue}', ':-ok defaultValue'],
    ['?ok ${BAR:-defaultValue}', '?ok defaultValue'],
    ['ok ${UNSET_VAR-${FOO} ${FOO}}', 'ok first first'], // TestDefaultsWithNestedExpansion
    ['ok ${BAR:-$FOO}', 'ok first'],
    ['ok ${BAR+$FOO ${FOO:+second}}', 'ok first second'],
    ['ok ${FOO:?err}', 'ok first'], // TestDefaultsForMandatoryVariables
    ['ok ${BAR?err}', 'ok '],
  ])('should turn %j into %j', (template, expected) => {
    expect(substitute(template, lookup)).toBe(expected);
  });

  it.each([
    ['not ok ${UNSET_VAR:?Mandatory Variable Unset}', 'required variable UNSET_VAR is missing a value: Mandatory Variable Unset'],
    ['not ok ${BAR:?Mandatory Variable Empty}', 'required variable BAR is missing a value: Mandatory Variable Empty'],
    ['not ok ${UNSET_VAR:?}', 'required variable UNSET_VAR is missing a value'],
    ['not ok ${UNSET_VAR?Mandatory Variable ${FOO}}', 'required variable UNSET_VAR is missing a value: Mandatory Variable first'],
  ])('should refuse %j with compose\'s message', (template, message) => {
    expect(() => substitute(template, lookup)).toThrow(message);
  });

  it.each(['${', '${}', '${ }', '${ foo}', '${foo }', '${foo!}'])('should call %j an invalid template', (template) => {
    expect(() => substitute(template, lookup)).toThrow(`Invalid template: ${JSON.stringify(template)}`);
  });

  it("should resolve this project's nested default from PWD, or take HARNESS_EFS_DIR when set and not empty", () => {
    const flags = '-v "${HARNESS_EFS_DIR:-${PWD}/.efs}/lambda:/mnt/msg"';
    expect(substitute(flags, (n) => ({ PWD: '/home/dev/my project' })[n])).toBe('-v "/home/dev/my project/.efs/lambda:/mnt/msg"');
    expect(substitute(flags, (n) => ({ PWD: '/p', HARNESS_EFS_DIR: '' })[n])).toBe('-v "/p/.efs/lambda:/mnt/msg"');
    expect(substitute(flags, (n) => ({ PWD: '/p', HARNESS_EFS_DIR: '/srv/efs' })[n])).toBe('-v "/srv/efs/lambda:/mnt/msg"');
  });
});

describe('interpolate', () => {
  // Source: compose-go@e70e961c interpolation/interpolation.go (recursiveInterpolate, newPathError).
  it('should interpolate values at any depth, never keys, and name the path of a failing value', () => {
    const config = { services: { app: { image: 'node:${TAG:-24}', environment: { $FOO: '$FOO' }, command: ['echo', '$$HOME'] } } };
    expect(interpolate(config, lookup)).toEqual({ services: { app: { image: 'node:24', environment: { $FOO: 'first' }, command: ['echo', '$HOME'] } } });
    expect(() => interpolate({ services: { app: { image: '${IMAGE:?pick one}' } } }, lookup)).toThrow(
      'error while interpolating services.app.image: required variable IMAGE is missing a value: pick one',
    );
    expect(() => interpolate({ services: { app: { image: '${IMAGE' } } }, lookup)).toThrow('invalid interpolation format for services.app.image');
  });

  // Source: compose-go@e70e961c loader/interpolate.go (healthcheck.retries: toInt = strconv.Atoi, tty and
  // networks.*.external: toBoolean); the message wraps Go's *strconv.NumError as is.
  it('should cast the values compose casts, and refuse what does not cast (loader/interpolate.go)', () => {
    const numbers: Lookup = (name) => ({ RETRIES: '3', TTY: 'yes', EXTERNAL: 'false' })[name];
    const config = { services: { app: { tty: '$TTY', healthcheck: { retries: '${RETRIES}' }, environment: { RETRIES: '$RETRIES' } } }, networks: { n: { external: '$EXTERNAL' } } };
    expect(interpolate(config, numbers)).toEqual({
      services: { app: { tty: true, healthcheck: { retries: 3 }, environment: { RETRIES: '3' } } },
      networks: { n: { external: false } },
    });
    expect(() => interpolate({ services: { app: { healthcheck: { retries: 'many' } } } }, lookup)).toThrow(
      'error while interpolating services.app.healthcheck.retries: failed to cast to expected type: strconv.Atoi: parsing "many": invalid syntax',
    );
    expect(() => interpolate({ services: { app: { pids_limit: 'lots' } } }, lookup)).toThrow(
      'error while interpolating services.app.pids_limit: failed to cast to expected type: strconv.ParseInt: parsing "lots": invalid syntax',
    );
    expect(() => interpolate({ services: { app: { cpus: 'half' } } }, lookup)).toThrow(
      'error while interpolating services.app.cpus: failed to cast to expected type: strconv.ParseFloat: parsing "half": invalid syntax',
    );
  });
});
