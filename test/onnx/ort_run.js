// Runs an ONNX model with ONNX Runtime (CPU, the npm package
// onnxruntime-node that scripts/setup.sh installs under tools/onnxruntime):
//   node ort_run.js MODULES_DIR MODEL.onnx IN_DIR OUT_DIR
// Each input NAME is read from IN_DIR/NAME.bin (raw little-endian) with
// IN_DIR/NAME.json ({"dtype": "float32"|"float64"|"int32"|"int64"|"bool",
// "dims": [...]}); each output is written to OUT_DIR the same way.
'use strict';
const fs = require('fs');
const path = require('path');
const [modulesDir, modelPath, inDir, outDir] = process.argv.slice(2);
const ort = require(path.join(modulesDir, 'onnxruntime-node'));

const arrays = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array,
  int64: BigInt64Array, bool: Uint8Array,
};

async function main() {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  const feeds = {};
  for (const name of session.inputNames) {
    const meta = JSON.parse(fs.readFileSync(path.join(inDir, name + '.json')));
    const raw = fs.readFileSync(path.join(inDir, name + '.bin'));
    const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
    const data = new arrays[meta.dtype](buf);
    feeds[name] = new ort.Tensor(meta.dtype, data, meta.dims);
  }
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    fs.writeFileSync(path.join(outDir, name + '.bin'), bytes);
    fs.writeFileSync(path.join(outDir, name + '.json'),
                     JSON.stringify({ dtype: t.type, dims: t.dims }));
  }
}

main().catch((e) => {
  console.error('onnxruntime: ' + e.message);
  process.exit(1);
});
