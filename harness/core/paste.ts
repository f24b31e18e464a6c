/**
 * Printed lines a person pastes into a shell on the host: quoted (LocalStack's path-style API URL contains
 * `$default`, which an unquoted paste expands to nothing) and named as the host sees them (compose's deployer
 * runs in a container: `localstack:4566` and `/project/.efs` mean nothing outside it).
 */

/** POSIX single quotes around anything beyond plain path characters; `'` itself becomes `'\''`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface HostView {
  readonly apiUrl: string;
  readonly efsDir?: string;
}

/**
 * Maps what a target reports to the host's names: HARNESS_PUBLIC_ENDPOINT replaces the emulator's URL as the
 * container reaches it, and HARNESS_PUBLIC_EFS_DIR replaces HARNESS_EFS_DIR at the start of the EFS folder.
 * Without them (a run on the host) everything stays as it is.
 */
export function hostView(info: { readonly apiUrl: string; readonly efsDir?: string; readonly awsEndpoint?: string }, env: NodeJS.ProcessEnv): HostView {
  const trim = (value: string | undefined) => value?.trim().replace(/\/+$/, '') || undefined;
  const publicEndpoint = trim(env.HARNESS_PUBLIC_ENDPOINT);
  const apiUrl =
    publicEndpoint && info.awsEndpoint && info.apiUrl.startsWith(info.awsEndpoint)
      ? publicEndpoint + info.apiUrl.slice(info.awsEndpoint.length)
      : info.apiUrl;
  const containerEfs = trim(env.HARNESS_EFS_DIR);
  const publicEfs = trim(env.HARNESS_PUBLIC_EFS_DIR);
  const efsDir =
    info.efsDir && containerEfs && publicEfs && (info.efsDir === containerEfs || info.efsDir.startsWith(`${containerEfs}/`))
      ? publicEfs + info.efsDir.slice(containerEfs.length)
      : info.efsDir;
  return { apiUrl, ...(efsDir ? { efsDir } : {}) };
}

/** The lines `deploy` and `up` print: every URL and path quoted for the shell. */
export function pasteableLines(view: HostView, mountPath: string, greetingPath = '/myHelloVPCLambda'): string[] {
  return [
    `API:        ${shellQuote(view.apiUrl)}`,
    `Greeting:   curl ${shellQuote(`${view.apiUrl}${greetingPath}`)}`,
    ...(view.efsDir ? [`EFS folder: ${shellQuote(view.efsDir)}  (what the function sees at ${mountPath})`] : []),
  ];
}
