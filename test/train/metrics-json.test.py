"""Helper of metrics-json.test: writes its CSV files (one validation
value, 1e30, is finite but its square overflows f32), or parses a metrics file strictly and prints it."""
import json
import random
import sys


def write(folder):
    rng = random.Random(0)
    with open(folder + "/train.csv", "w") as f:
        f.write("a,b,y\n")
        for i in range(64):
            f.write(f"{rng.random() + i % 2},{rng.random()},{i % 2}\n")
    with open(folder + "/val.csv", "w") as f:
        f.write("a,b,y\n")
        for i in range(16):
            a = "1e30" if i == 3 else rng.random() + i % 2
            f.write(f"{a},{rng.random()},{i % 2}\n")


def strict(name):
    raise ValueError("not JSON: " + name)


def check(path):
    with open(path) as f:
        records = [json.loads(line, parse_constant=strict) for line in f]
    print("records", len(records))
    for r in records:
        if "epoch" in r:
            print("epoch", r["epoch"], "val_loss", r["val_loss"])
        else:
            print("final", r["final"])


if __name__ == "__main__":
    write(sys.argv[2]) if sys.argv[1] == "write" else check(sys.argv[2])
