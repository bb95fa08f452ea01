/**
 * A templates folder loaded as the build loads it (its kinds read from the
 * front matter), with English labels and no images, for tests of the html
 * stage alone.
 */
import type { FontSet } from '../../src/fonts.js';
import { builtInLabels, makeLabels } from '../../src/labels.js';
import { loadTemplates } from '../../src/pipeline/html.js';
import { readKinds } from '../../src/pipeline/kinds.js';

export const noFonts: FontSet = { families: [], faces: [], stack: 'serif', scan: () => ({ faces: [], missing: [] }), css: () => '', measure: () => 0 };

/** Load every kind of `dir`; `render(kind, data)` renders a document one folder below out/. */
export async function templatesIn(dir: string, fonts: FontSet = noFonts) {
  const kinds = await readKinds(dir, dir);
  const templates = await loadTemplates(dir, fonts, kinds, {
    labels: makeLabels('en', builtInLabels('en')!),
    assetProblem: (name) => `names "${name}", but these tests have no images.`,
    shown: (file) => file,
  });
  return {
    render(kind: string, data: object, depth = 1) {
      const spec = kinds.find((k) => k.name === kind);
      if (!spec) throw new Error(`no kind ${kind} in ${dir}`);
      return templates.render(spec, data, depth);
    },
  };
}
