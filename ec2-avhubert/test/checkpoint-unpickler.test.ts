import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The checkpoint exporter reads untrusted .pt files: its unpickler admits a short list of
 * torch helpers by name and turns every other class or function into an inert stand-in.
 */

const run = promisify(execFile);
const EXPORT_DIR = path.resolve(import.meta.dirname, '..', 'export');
/** Debian's python3-torch (the pyenv python3 on PATH has no torch). */
const TORCH_PYTHON = process.env.TORCH_PYTHON ?? '/usr/bin/python3';

const SCRIPT = `
import io, json, pickle, sys
sys.path.insert(0, ${JSON.stringify(EXPORT_DIR)})
from fairseq_checkpoint import StandIn, StandInUnpickler

def loads(module, name):
    # A pickle that only looks the global up (GLOBAL opcode), then stops.
    data = b"c" + module.encode() + b"\\n" + name.encode() + b"\\n."
    found = StandInUnpickler(io.BytesIO(data)).load()
    return "stand-in" if isinstance(found, type) and issubclass(found, StandIn) else "real"

cases = [
    ("torch.serialization", "_open_file"),
    ("torch.serialization", "_open_zipfile_writer"),
    ("torch._utils", "_rebuild_from_type_v2"),
    ("os", "system"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch.serialization", "_get_layout"),
    ("collections", "OrderedDict"),
]
print(json.dumps({f"{m}.{n}": loads(m, n) for m, n in cases}))
`;

describe('the checkpoint unpickler', () => {
  it('admits the tensor rebuilders by name and nothing else of torch.serialization', async () => {
    // Act
    const { stdout } = await run(TORCH_PYTHON, ['-c', SCRIPT], { timeout: 120_000 });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      'torch.serialization._open_file': 'stand-in',
      'torch.serialization._open_zipfile_writer': 'stand-in',
      'torch._utils._rebuild_from_type_v2': 'stand-in',
      'os.system': 'stand-in',
      'torch._utils._rebuild_tensor_v2': 'real',
      'torch.serialization._get_layout': 'real',
      'collections.OrderedDict': 'real',
    });
  }, 180_000);
});
