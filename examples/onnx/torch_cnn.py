"""A small PyTorch CNN written as ONNX (torch.onnx.export), the starting
point of this example: nnc imports it and fine-tunes it on Fashion-MNIST.

    /usr/bin/python3 torch_cnn.py            # writes torch_cnn.onnx

(Debian's python3 with python3-torch and python3-onnx; any PyTorch that
can export ONNX works.) The network starts from PyTorch's own seeded
initialisation: it has not seen Fashion-MNIST.
"""
import torch
import torch.nn as nn


class TorchCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


if __name__ == "__main__":
    torch.manual_seed(0)
    model = TorchCnn().eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), "torch_cnn.onnx",
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13)
    print("wrote torch_cnn.onnx")
