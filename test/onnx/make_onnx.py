"""Writes small ONNX models for the import tests (python3-onnx):
  make_onnx.py gemm OUT.onnx          Gemm(transB) + Sigmoid, batch 'batch'
  make_onnx.py unsupported OUT.onnx   a Hardmax node
  make_onnx.py badconvt OUT.onnx      a ConvTranspose whose filter is a
                                      scalar (passes the checker, crashes
                                      libonnx 1.12's shape inference)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "gemm":
        w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4) / 10, "w")
        b = numpy_helper.from_array(np.array([0.1, -0.2, 0.3], np.float32), "b")
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y0"], transB=1),
                 helper.make_node("Sigmoid", ["y0"], ["y"])]
        g = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [w, b])
    elif kind == "badconvt":
        g = helper.make_graph(
            [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[3, 2])], "c",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 3, 3]),
             helper.make_tensor_value_info("w", TensorProto.FLOAT, [])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 7, 3])])
    else:
        g = helper.make_graph(
            [helper.make_node("Hardmax", ["x"], ["y"], name="hardmax_1")], "u",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(m)
    onnx.save(m, out)


if __name__ == "__main__":
    main()
