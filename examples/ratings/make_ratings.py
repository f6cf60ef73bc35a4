"""Synthetic user x item ratings for matrix_factorization.nn (standard
library only, seeded): 600 users and 400 items with rank-4 tastes, user
and item biases and noise; each user rates 40 random items, 1 to 5 stars
(rounded, as MovieLens's). Writes ratings_train.csv (90 % of the ratings)
and ratings_test.csv (the other 10 %: pairs the model never sees) with the
header user,item,rating, and prints the mean-rating baseline: the test
RMSE of predicting the training ratings' mean for every test rating.

  python3 examples/ratings/make_ratings.py [FOLDER] [--users N] [--items N]
"""
import math
import os
import random
import sys


def main():
    args = sys.argv[1:]
    users = int(args[args.index("--users") + 1]) if "--users" in args else 600
    items = int(args[args.index("--items") + 1]) if "--items" in args else 400
    folder = args[0] if args and not args[0].startswith("--") else \
        os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(7)
    rank, per_user = 4, 40
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


if __name__ == "__main__":
    main()
