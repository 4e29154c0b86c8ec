"""Identity-document upload checks and re-encoding against a plain open-and-save of the same file, in one run.

    flock /tmp/bench.lock .venv/bin/python bench/kyc_upload.py [--repeat 15]

Files (generated once per run, in memory): a 12-megapixel JPEG (4000 x 3000, a drawn document with
text, lines and sensor noise, quality 92, EXIF with camera make, GPS and orientation 1 or 6) and a
10-page PDF (Pillow's PDF writer, one 1240 x 1754 JPEG-compressed page image per page, like a scan).
Baselines: Pillow `Image.open(...).save(JPEG, quality=90)` of the same JPEG; pypdf read + write of the
same PDF (every page into a new PdfWriter). Measured: `kyc.checks.check_upload`. Runs alternate
baseline / measured. Memory per upload: the tracemalloc peak (Python objects: the bytes copies; it
does not see Pillow's pixel buffers) and the peak RSS growth of one upload in a fresh child process
(everything, pixel buffers included), each also as a multiple of the file size.
"""
import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
os.environ.setdefault("DEBUG", "1")

MB = 1024 * 1024


def document(size, *, seed=0, noise=12):
    from PIL import Image, ImageChops, ImageDraw, ImageFont

    rng = random.Random(seed)
    w, h = size
    im = Image.new("RGB", size, (246, 244, 238))
    draw = ImageDraw.Draw(im)
    unit = h // 50
    font = ImageFont.load_default(size=max(10, int(unit * 1.6)))
    draw.rectangle((unit, unit, w - unit, h - unit), outline=(40, 60, 120), width=max(2, unit // 3))
    draw.rectangle((2 * unit, 3 * unit, 2 * unit + w // 4, 3 * unit + h // 2), fill=(180, 150, 130))
    y = 3 * unit
    while y < h - 4 * unit:
        words = " ".join("".join(rng.choice("ABCDEFGHKLMNPRSTUVWXYZ0123456789") for _ in range(rng.randint(3, 9))) for _ in range(6))
        draw.text((4 * unit + w // 4, y), words, fill=(20, 20, 30), font=font)
        y += int(unit * 2.4)
    for x in range(0, w, max(4, unit // 2)):
        draw.line((x, h - 3 * unit, x + unit // 3, h - 2 * unit), fill=(60, 60, 60), width=1)
    grain = Image.effect_noise(size, noise)
    return ImageChops.add(im, Image.merge("RGB", (grain, grain, grain)), scale=1.0, offset=-128)


def make_jpeg(orientation: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model 12"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 3.25)}
    out = io.BytesIO()
    document((4000, 3000)).save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def make_pdf() -> bytes:
    pages = [document((1240, 1754), seed=n, noise=6) for n in range(10)]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=150, quality=80, title="Statement", author="Jane Doe")
    return out.getvalue()


def baseline_jpeg(data: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, "JPEG", quality=90)
    return out.getvalue()


def baseline_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ours(data: bytes):
    from kyc.checks import check_upload

    return check_upload(io.BytesIO(data))


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timings(base_fn, our_fn, data, repeat):
    base_fn(data), our_fn(data)  # warm: imports, plugin registry
    base, mine = [], []
    for _ in range(repeat):
        for fn, into in ((base_fn, base), (our_fn, mine)):
            start = time.perf_counter()
            fn(data)
            into.append((time.perf_counter() - start) * 1000)
    return base, mine


def traced_peak(fn, data) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn(data)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def child_peak_rss(kind: str, path: str) -> int:
    """Peak RSS growth (bytes) of one call in a fresh process: the file is read and modules imported first."""
    out = subprocess.run([sys.executable, __file__, "--child", kind, path], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["peak"]


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def run_child(kind: str, path: str) -> None:
    import django

    django.setup()
    import pypdf  # noqa: F401
    from PIL import Image  # noqa: F401

    from kyc import checks  # noqa: F401

    data = Path(path).read_bytes()
    fn = {"jpeg-base": baseline_jpeg, "pdf-base": baseline_pdf, "ours": ours}[kind]
    # warm-up on a small file of the same kind so lazy imports and plugin setup are not counted
    small = io.BytesIO()
    if data.startswith(b"%PDF"):
        document((800, 600), noise=6).save(small, "PDF")
    else:
        document((800, 600)).save(small, "JPEG")
    fn(small.getvalue())
    before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    fn(data)
    print(json.dumps({"peak": (_status_kb("VmHWM") - before) * 1024}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return

    import django

    django.setup()
    from django.conf import settings

    started = time.perf_counter()
    files = [
        ("12 MP JPEG, orientation 1", make_jpeg(1), baseline_jpeg, "jpeg-base"),
        ("12 MP JPEG, orientation 6", make_jpeg(6), baseline_jpeg, "jpeg-base"),
        ("10-page PDF (page images)", make_pdf(), baseline_pdf, "pdf-base"),
    ]
    print(f"setup: files generated in {time.perf_counter() - started:.1f} s; {args.repeat} runs each, alternating")
    print(f"KYC_MAX_IMAGE_PIXELS={getattr(settings, 'KYC_MAX_IMAGE_PIXELS', 'default')} "
          f"KYC_BLUR_THRESHOLD={getattr(settings, 'KYC_BLUR_THRESHOLD', 'default')}")
    header = f"{'file':<28}{'size MB':>8}{'':>3}{'median ms':>10}{'p95 ms':>9}{'py peak MB':>11}{'(x file)':>9}{'RSS peak MB':>12}{'(x file)':>9}"
    with tempfile.TemporaryDirectory() as tmp:
        for label, data, base_fn, base_kind in files:
            result = ours(data)
            path = Path(tmp) / "upload"
            path.write_bytes(data)
            base_t, our_t = timings(base_fn, ours, data, args.repeat)
            rows = (
                ("baseline", base_t, traced_peak(base_fn, data), child_peak_rss(base_kind, str(path))),
                ("check_upload", our_t, traced_peak(ours, data), child_peak_rss("ours", str(path))),
            )
            print()
            shape = f"{result.width}x{result.height}, blur score {result.blur_score}" if result.width else f"{result.pages} pages"
            print(f"{label}: {len(data) / MB:.2f} MB -> clean copy {len(result.clean) / MB:.2f} MB, {shape}")
            print(header)
            for name, times, py_peak, rss_peak in rows:
                print(f"{name:<28}{len(data) / MB:>8.2f}{'':>3}{statistics.median(times):>10.1f}{p95(times):>9.1f}"
                      f"{py_peak / MB:>11.1f}{py_peak / len(data):>9.1f}{rss_peak / MB:>12.1f}{rss_peak / len(data):>9.1f}")
            ratio = statistics.median(our_t) / statistics.median(base_t)
            print(f"{'ratio (median)':<28}{'':>11}{ratio:>10.2f}{p95(our_t) / p95(base_t):>9.2f}"
                  f"{rows[1][2] / max(rows[0][2], 1):>11.2f}{'':>9}{rows[1][3] / max(rows[0][3], 1):>12.2f}")


if __name__ == "__main__":
    main()
