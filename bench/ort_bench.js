// ONNX Runtime's side of the inference benchmark (bench/bench.py): times
// session.run of an exported model on one thread, all graph optimisations
// on, and of a one-op model (ReduceMax) on the same input, whose time is the
// per-call overhead of node and the binding (reported, and subtracted in
// a row of its own).
//   node ort_bench.js MODULES_DIR MODEL.onnx OVERHEAD.onnx INPUT BATCH RUNS
// INPUT: the model's input name; its shape is [BATCH, 28, 28], uniform
// random in [0, 1). Prints {"model": [ms...], "identity": [ms...] (the one-op
// model), "version": "1.30.0"}.
'use strict';
const path = require('path');
const [modulesDir, modelPath, identityPath, input, batchText, runsText] =
    process.argv.slice(2);
const ort = require(path.join(modulesDir, 'onnxruntime-node'));
const batch = Number(batchText), runs = Number(runsText);

async function times(file) {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads : 1,
    interOpNumThreads : 1,
    graphOptimizationLevel : 'all',
    executionMode : 'sequential',
  });
  const data = new Float32Array(batch * 28 * 28);
  for (let i = 0; i < data.length; ++i)
    data[i] = Math.random();
  const feeds = {
    [session.inputNames[0]] : new ort.Tensor('float32', data, [ batch, 28, 28 ])
  };
  for (let i = 0; i < 10; ++i)
    await session.run(feeds);
  const ms = [];
  for (let i = 0; i < runs; ++i) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return ms;
}

async function main() {
  const model = await times(modelPath);
  const identity = await times(identityPath);
  const version =
      require(path.join(modulesDir, 'onnxruntime-node', 'package.json'))
          .version;
  console.log(JSON.stringify({model, identity, version, input}));
}

main().catch((e) => {
  console.error('onnxruntime: ' + e.message);
  process.exit(1);
});
