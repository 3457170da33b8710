/**
 * Loads the image codecs on first need, never at activation: the bundles turn this import into a require of
 * dist/image.js (esbuild.mjs), a separate file with the WebAssembly glue, read when a generation first needs to
 * change pixels. From the sources (tests) it is the module itself.
 */
export type Codecs = typeof import('./codecs');

let loading: Promise<Codecs> | undefined;

export function loadCodecs(): Promise<Codecs> {
  loading ??= import('./codecs').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
