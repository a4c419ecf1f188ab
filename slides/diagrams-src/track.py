"""Draws diagrams/track.svg, the agenda slide's picture of the track: python3 slides/diagrams-src/track.py.
Labels are 22 units in a 1150-wide picture shown at w:1150: 22 px on the slide."""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

rows = [
    ("Traces", "#2b4b80", ["1 Resource", "2 Tracer provider", "3 First span", "4 Nested spans"]),
    ("", "#2b4b80", ["5 Attributes", "6 Events", "7 Errors"]),
    ("Metrics, logs", "#3d7a3d", ["8 Rate and errors", "9 Duration and saturation", "10 Log bridging"]),
    ("Across services", "#8a4f9e", ["11 Propagation", "12 Middleware"]),
    ("Production", "#b35900", ["13 Shipping it", "14 Tracing idiom"]),
    ("Real systems", "#7a5c00", ["15 Context across tasks", "16 Baggage and metric views"]),
    ("", "#7a5c00", ["17 A queue", "18 A database", "19 The real pipeline"]),
    ("Your tests", "#a03030", ["20 Test your telemetry"]),
]
W, ROW, TOP = 1150, 58, 10
out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {TOP + ROW * len(rows)}" width="{W}" height="{TOP + ROW * len(rows)}" font-family="Liberation Sans, Arial, Helvetica, sans-serif" font-size="22">',
       '  <title>The track: 20 exercises in six parts, each starting where the previous ended</title>']
for i, (part, colour, chips) in enumerate(rows):
    y = TOP + i * ROW
    if part:
        out.append(f'  <text x="0" y="{y + 33}" font-weight="bold" fill="{colour}">{part}</text>')
    x = 200
    for chip in chips:
        number, name = chip.split(" ", 1)
        w = int(len(chip) * 12.4 + 34)
        out.append(f'  <rect x="{x}" y="{y + 6}" width="{w}" height="42" rx="8" fill="#fff" stroke="{colour}" stroke-width="2"/>')
        out.append(f'  <text x="{x + 14}" y="{y + 34}"><tspan font-weight="bold" fill="{colour}">{number}</tspan> {name}</text>')
        x += w + 16
    assert x <= W + 16, (chip, x)
out.append('</svg>')
open(HERE.parent / 'diagrams' / 'track.svg', 'w').write("\n".join(out) + "\n")
