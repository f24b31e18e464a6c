/**
 * A Lambda handler string split as the Node.js runtime splits it: the module is everything up to the first dot
 * after the last slash, the rest is the export path (aws/aws-lambda-nodejs-runtime-interface-client da5777a8,
 * src/UserFunction.js, `_moduleRootAndHandler` / `_splitHandlerString`). `dir/index.handler` → `dir/index`,
 * `['handler']`.
 */
export function splitHandlerString(handler: string): { readonly moduleName: string; readonly exportPath: readonly string[] } {
  const dot = handler.indexOf('.', handler.lastIndexOf('/') + 1);
  return dot === -1 ? { moduleName: handler, exportPath: [] } : { moduleName: handler.slice(0, dot), exportPath: handler.slice(dot + 1).split('.') };
}
