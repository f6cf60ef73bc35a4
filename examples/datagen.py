"""Synthetic data sets for the examples that have no data on these
machines (standard library only, seeded, so every run writes the same
files). Each writes into FOLDER, by default the example's own folder:

  python3 examples/datagen.py ratings [FOLDER]       examples/ratings
  python3 examples/datagen.py shapes [FOLDER]        examples/segmentation
  python3 examples/datagen.py preferences [FOLDER]   examples/preferences
  python3 examples/datagen.py spirals [FOLDER]       examples/neural_ode
  python3 examples/datagen.py biased [FOLDER]        examples/debias

ratings: 600 users and 400 items with rank-4 tastes, user and item biases
and noise; each user rates 40 random items, 1 to 5 stars (rounded, as
MovieLens's). ratings_train.csv (90 % of the ratings) and ratings_test.csv
(the other 10 %: pairs the model never sees), header user,item,rating.
Prints the mean-rating baseline: the test RMSE of predicting the training
ratings' mean for every test rating.

shapes: 32 x 32 grey images holding a disc, a square and a triangle (one
to three of them, random sizes and places, on a noisy background) and
their masks (0 background, 1 disc, 2 square, 3 triangle; a later shape
covers an earlier one). shapes_{train,test}_x.npy [N, 32, 32, 1] f32,
shapes_{train,test}_y.npy [N, 32, 32] uint8 (4000 and 500 images). For
the multi-label example also shapes_{train,test}_tags.npy [N, 3] uint8:
whether a disc, a square, a triangle is drawn (1) or not (0), and in the
training set half of these answers hidden (2: unknown, a partial label);
the test set's are all known.

preferences: items are 16 features; a hidden reward r(x) (a linear part
and an interaction) decides which of two items people prefer, with
probability sigmoid(r(a) - r(b)) (noisy, the Bradley-Terry model).
pairs_{train,test}_x.npy [N, 2, 16] f32 and pairs_{train,test}_y.npy [N]
uint8 (the preferred item: 0 or 1). The 8000 training labels are drawn
from that probability; the 2000 test labels are the true order (which
item has the higher reward), so test accuracy is agreement with r.

spirals: trajectories of the cubic spiral dz/dt = (z ** 3) A, with
A = [[-0.1, 2], [-2, -0.1]] (torchdiffeq's demo system), from starting
points on a ring of radius 0.5 to 1.5, integrated with fine RK4 steps and
observed every 0.05 for 2 time units. spirals_{train,test}.npy
[N, 41, 2] f32: the start, then 40 observations (2000 and 200
trajectories).

biased: Fashion-MNIST with a hidden bias, for examples/debias. 1 % of the
training images (600, a seeded choice) are inverted (255 - pixel: light
background, dark garment), the rest are as they are: a classifier sees
the inverted kind rarely. biased_train_x.npy [60000, 28, 28] uint8 and
biased_train_y.npy [60000] uint8 (labels); the 10,000 test images as they
are (biased_test_x.npy) and all inverted (biased_test_inverted_x.npy),
with biased_test_y.npy. Reads the IDX files of Debian's
dataset-fashion-mnist (or $NNC_DATA_PATH).
"""
import gzip
import math
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def save_npy(path, values, shape, code):
    """Writes a flat list as an NPY v1.0 file ('<f4' or '|u1')."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        code, "".join("%d, " % d for d in shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), "f" if code == "<f4" else "B"),
                            *values))


def ratings(folder):
    rng = random.Random(7)
    users, items, rank, per_user = 600, 400, 4, 40
    u = [[rng.gauss(0, 0.6) for _ in range(rank)] for _ in range(users)]
    v = [[rng.gauss(0, 0.6) for _ in range(rank)] for _ in range(items)]
    ub = [rng.gauss(0, 0.4) for _ in range(users)]
    ib = [rng.gauss(0, 0.4) for _ in range(items)]
    rows = []
    for a in range(users):
        for b in rng.sample(range(items), min(per_user, items)):
            r = 3.2 + ub[a] + ib[b] + sum(x * y for x, y in zip(u[a], v[b]))
            r = min(5, max(1, round(r + rng.gauss(0, 0.3))))
            rows.append((a, b, r))
    rng.shuffle(rows)
    cut = len(rows) * 9 // 10
    for name, part in (("ratings_train.csv", rows[:cut]),
                       ("ratings_test.csv", rows[cut:])):
        with open(os.path.join(folder, name), "w") as f:
            f.write("user,item,rating\n")
            f.writelines("%d,%d,%d\n" % r for r in part)
    mean = sum(r for _, _, r in rows[:cut]) / cut
    test = rows[cut:]
    rmse = math.sqrt(sum((r - mean) ** 2 for _, _, r in test) / len(test))
    print("wrote %d training and %d test ratings (%d users, %d items) in %s"
          % (cut, len(test), users, items, folder))
    print("mean-rating baseline: test RMSE %.4f (predicting %.4f)" % (rmse, mean))


def draw_shape(img, mask, kind, rng, size):
    """Paints one shape of class `kind` (1 disc, 2 square, 3 triangle)."""
    r = rng.randint(4, 9)
    cy, cx = rng.randint(r, size - r - 1), rng.randint(r, size - r - 1)
    shade = rng.uniform(0.5, 1.0)
    for y in range(cy - r, cy + r + 1):
        for x in range(cx - r, cx + r + 1):
            dy, dx = y - cy, x - cx
            inside = (dy * dy + dx * dx <= r * r if kind == 1 else
                      True if kind == 2 else
                      dy >= -r and abs(dx) <= (dy + r) / 2)
            if inside:
                img[y * size + x] = shade
                mask[y * size + x] = kind


def shapes(folder):
    rng = random.Random(11)
    hide = random.Random(23)  # its own stream: the images stay as they were
    size = 32
    for name, count in (("train", 4000), ("test", 500)):
        xs, ys, tags = [], [], []
        for _ in range(count):
            img = [rng.uniform(0.0, 0.3) for _ in range(size * size)]
            mask = [0] * (size * size)
            kinds = rng.sample([1, 2, 3], rng.randint(1, 3))
            for kind in kinds:
                draw_shape(img, mask, kind, rng, size)
            xs += img
            ys += mask
            # Drawn: 1; a later shape may hide an earlier one entirely.
            seen = [int(k in mask) for k in (1, 2, 3)]
            tags += [2 if name == "train" and hide.random() < 0.5 else t
                     for t in seen]
        save_npy(os.path.join(folder, "shapes_%s_x.npy" % name), xs,
                 (count, size, size, 1), "<f4")
        save_npy(os.path.join(folder, "shapes_%s_y.npy" % name), ys,
                 (count, size, size), "|u1")
        save_npy(os.path.join(folder, "shapes_%s_tags.npy" % name), tags,
                 (count, 3), "|u1")
    print("wrote 4000 training and 500 test images with masks in %s" % folder)


def preferences(folder):
    rng = random.Random(13)
    dim = 16
    w = [rng.gauss(0, 1) for _ in range(dim)]

    def reward(x):
        return sum(a * b for a, b in zip(w, x)) / 2 + 2 * x[0] * x[1]
    for name, count in (("train", 8000), ("test", 2000)):
        xs, ys = [], []
        for _ in range(count):
            a = [rng.gauss(0, 1) for _ in range(dim)]
            b = [rng.gauss(0, 1) for _ in range(dim)]
            d = reward(a) - reward(b)
            if name == "train":
                first = rng.random() < 1 / (1 + math.exp(-d))
            else:
                first = d > 0
            xs += a + b
            ys.append(0 if first else 1)
        save_npy(os.path.join(folder, "pairs_%s_x.npy" % name), xs,
                 (count, 2, dim), "<f4")
        save_npy(os.path.join(folder, "pairs_%s_y.npy" % name), ys,
                 (count,), "|u1")
    print("wrote 8000 training and 2000 test pairs in %s" % folder)


def spiral_rate(z):
    a, b = z[0] ** 3, z[1] ** 3
    return (-0.1 * a - 2.0 * b, 2.0 * a - 0.1 * b)


def spirals(folder):
    rng = random.Random(17)
    observations, every, fine = 40, 0.05, 10
    h = every / fine
    for name, count in (("train", 2000), ("test", 200)):
        values = []
        for _ in range(count):
            r, t = rng.uniform(0.5, 1.5), rng.uniform(0, 2 * math.pi)
            z = (r * math.cos(t), r * math.sin(t))
            values += z
            for _ in range(observations):
                for _ in range(fine):
                    k1 = spiral_rate(z)
                    k2 = spiral_rate((z[0] + h / 2 * k1[0], z[1] + h / 2 * k1[1]))
                    k3 = spiral_rate((z[0] + h / 2 * k2[0], z[1] + h / 2 * k2[1]))
                    k4 = spiral_rate((z[0] + h * k3[0], z[1] + h * k3[1]))
                    z = tuple(z[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])
                              for i in range(2))
                values += z
        save_npy(os.path.join(folder, "spirals_%s.npy" % name), values,
                 (count, observations + 1, 2), "<f4")
    print("wrote 2000 training and 200 test trajectories in %s" % folder)


def save_npy_bytes(path, data, shape):
    """Writes bytes as a '|u1' NPY v1.0 file of the given shape."""
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (%s), }" % (
        "".join("%d, " % d for d in shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(data)


def fashion_file(name):
    """The bytes of one of Fashion-MNIST's IDX files (gzip or plain)."""
    folders = [p for p in os.environ.get("NNC_DATA_PATH", "").split(":") if p]
    folders = [d for p in folders for d in (p, os.path.join(p, "fashion-mnist"))]
    for d in folders + ["/usr/share/datasets/fashion-mnist"]:
        for path, opener in ((os.path.join(d, name + ".gz"), gzip.open),
                             (os.path.join(d, name), open)):
            if os.path.exists(path):
                with opener(path, "rb") as f:
                    return f.read()
    sys.exit("datagen.py: %s not found (install dataset-fashion-mnist or "
             "set NNC_DATA_PATH)" % name)


def biased(folder):
    rng = random.Random(5)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = bytearray(fashion_file(prefix + "-images-idx3-ubyte")[16:])
        labels = fashion_file(prefix + "-labels-idx1-ubyte")[8:]
        count = len(labels)
        save_npy_bytes(os.path.join(folder, "biased_%s_y.npy" % split), labels,
                       (count,))
        flipped = images.translate(bytes(255 - v for v in range(256)))
        if split == "train":
            for i in rng.sample(range(count), count // 100):
                images[i * 784:(i + 1) * 784] = flipped[i * 784:(i + 1) * 784]
        else:
            save_npy_bytes(os.path.join(folder, "biased_test_inverted_x.npy"),
                           flipped, (count, 28, 28))
        save_npy_bytes(os.path.join(folder, "biased_%s_x.npy" % split),
                       bytes(images), (count, 28, 28))
    print("wrote 60,000 training images (600 inverted) and the 10,000 test "
          "images, as they are and inverted, in %s" % folder)


KINDS = {"ratings": (ratings, "ratings"), "shapes": (shapes, "segmentation"),
         "preferences": (preferences, "preferences"),
         "spirals": (spirals, "neural_ode"), "biased": (biased, "debias")}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in KINDS:
        sys.exit("usage: datagen.py {%s} [FOLDER]" % "|".join(KINDS))
    make, example = KINDS[sys.argv[1]]
    folder = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, example)
    os.makedirs(folder, exist_ok=True)
    make(folder)


if __name__ == "__main__":
    main()
