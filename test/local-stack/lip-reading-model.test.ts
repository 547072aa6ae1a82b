import { chooseLipReadingModel, TEST_MODEL_DIR } from '../../scripts/local-stack/avhubert';

describe('which lip-reading model the local stack serves', () => {
  it('serves no model by default: lip reading is then skipped with the reason', () => {
    expect(chooseLipReadingModel({ testModel: false })).toEqual({
      kind: 'none',
      reason: 'no lip-reading model configured (set GORGGLE_MODEL_DIR)',
    });
  });

  it('serves the test model only when asked for the plumbing check', () => {
    expect(chooseLipReadingModel({ testModel: true })).toEqual({ kind: 'test-model', modelDir: TEST_MODEL_DIR });
  });

  it('serves a named package, GORGGLE_MODEL_DIR first, even when the test model is asked for', () => {
    expect(chooseLipReadingModel({ envModelDir: '/env/pkg', modelDir: '/config/pkg', testModel: true })).toEqual({
      kind: 'package',
      modelDir: '/env/pkg',
    });
    expect(chooseLipReadingModel({ envModelDir: '', modelDir: '/config/pkg', testModel: false })).toEqual({
      kind: 'package',
      modelDir: '/config/pkg',
    });
  });
});
