"""Decodes 8-bit, non-interlaced PNG files (what save_image and nnc plot
write) with the standard library only, and prints each one's size,
channels and pixel rows, so FileCheck can check the pixels."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0
            ch = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * ch, [], bytearray(w * ch)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b, c = prev[i], prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, ch, rows


# --colors R,G,B ...: also count the pixels of each colour (RGB files).
args, colors = sys.argv[1:], []
if "--colors" in args:
    i = args.index("--colors")
    colors = [tuple(int(v) for v in c.split(",")) for c in args[i + 1:]]
    args = args[:i]
for path in args:
    w, h, ch, rows = decode(path)
    print(f"{path.split('/')[-1]}: {w}x{h} channels {ch}")
    if w * h * ch <= 64:
        for r in rows:
            print("  " + " ".join(str(v) for v in r))
    for c in colors:
        n = sum(1 for r in rows for x in range(w) if tuple(r[x * ch:x * ch + 3]) == c)
        print(f"  colour {c[0]},{c[1]},{c[2]}: {'present' if n > 50 else 'absent'}")
