"""Prints an ONNX model one line per input, initializer, node and output,
for FileCheck (runs under /usr/bin/python3 with python3-onnx):
  input image FLOAT [B, 28, 28]
  init conv2d_1.w FLOAT [32, 1, 3, 3]
  node Conv x, w -> y group=1 pads=[0, 0, 0, 0]
  output output FLOAT [B, 10]
It checks the model with onnx.checker first (full check: shape inference).
"""
import sys

import onnx
from onnx import helper


def dims(shape):
    return "[" + ", ".join(d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?")
                           for d in shape.dim) + "]"


def nodes(graph, indent):
    """One line per node; a loop's body below it, indented, with its inputs
    and outputs; a node's doc string (nnc's seeds) after `doc=`."""
    names = onnx.TensorProto.DataType.Name
    for n in graph.node:
        attrs = " ".join(f"{a.name}={helper.get_attribute_value(a)!r}"
                         for a in sorted(n.attribute, key=lambda a: a.name)
                         if a.type not in (onnx.AttributeProto.TENSOR,
                                           onnx.AttributeProto.GRAPH))
        doc = f" doc={n.doc_string!r}" if n.doc_string else ""
        print(f"{indent}node {n.op_type} {', '.join(n.input)} -> "
              f"{', '.join(n.output)}" + (" " + attrs if attrs else "") + doc)
        for a in n.attribute:
            if a.type != onnx.AttributeProto.GRAPH:
                continue
            inner = indent + "  "
            for vi in a.g.input:
                t = vi.type.tensor_type
                print(f"{inner}{a.name} input {vi.name} "
                      f"{names(t.elem_type)} {dims(t.shape)}")
            nodes(a.g, inner)
            for vi in a.g.output:
                t = vi.type.tensor_type
                print(f"{inner}{a.name} output {vi.name} "
                      f"{names(t.elem_type)} {dims(t.shape)}")


def main():
    m = onnx.load(sys.argv[1])
    onnx.checker.check_model(m, full_check=True)
    print(f"opset {m.opset_import[0].version} ir {m.ir_version} "
          f"producer {m.producer_name}")
    names = onnx.TensorProto.DataType.Name
    for vi in m.graph.input:
        t = vi.type.tensor_type
        print(f"input {vi.name} {names(t.elem_type)} {dims(t.shape)}")
    for t in m.graph.initializer:
        print(f"init {t.name} {names(t.data_type)} {list(t.dims)}")
    nodes(m.graph, "")
    for vi in m.graph.output:
        t = vi.type.tensor_type
        print(f"output {vi.name} {names(t.elem_type)} {dims(t.shape)}")


if __name__ == "__main__":
    main()
