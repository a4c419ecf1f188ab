"""Draws the trace waterfalls of diagrams/ (one per stage of the track, so that a slide never shows
a span the learner cannot produce yet): python3 slides/diagrams-src/waterfalls.py.
Labels are at least 20 units in a 1150-wide picture shown at w:1150: 20 px on the slide."""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

# Trace waterfalls for the deck: one per stage of the track.
X0, X1, MS = 470, 1130, 20.0   # bar area and its span in milliseconds
def x(ms): return X0 + (X1 - X0) * ms / MS
SPANS = {
    'server': ('GET /distance/{place}', 0, 'server · iss-distance', 0.0, 19.6, '#2b4b80'),
    'client': ('GET', 1, 'client · iss-distance', 1.2, 14.6, '#4f74b3'),
    'position': ('GET /position', 2, 'server · iss-position', 2.6, 13.0, '#f5a800'),
    'compute': ('compute-distance', 1, 'internal · iss-distance', 15.0, 18.8, '#4f74b3'),
}
def draw(name, keys, events=(), title=''):
    ROW, TOP = 70, 50
    h = TOP + ROW * len(keys) + 10
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1150 {h}" width="1150" height="{h}" font-family="Liberation Sans, Arial, Helvetica, sans-serif" font-size="20">',
         f'  <title>{title}</title>',
         f'  <line x1="{X0}" y1="{TOP - 8}" x2="{X1}" y2="{TOP - 8}" stroke="#888"/>',
         '  <g fill="#666" text-anchor="middle">']
    for ms in (0, 5, 10, 15, 20):
        label = f'{ms} ms' if ms in (0, 20) else str(ms)
        anchor = ' text-anchor="start"' if ms == 0 else (' text-anchor="end"' if ms == 20 else '')
        o.append(f'    <text x="{x(ms):.0f}" y="{TOP - 16}"{anchor}>{label}</text>')
    o.append('  </g>')
    o.append('  <g stroke="#e2e2e2">' + ''.join(f'<line x1="{x(ms):.0f}" y1="{TOP - 8}" x2="{x(ms):.0f}" y2="{h - 6}"/>' for ms in (5, 10, 15)) + '</g>')
    rows = {}
    for i, k in enumerate(keys):
        label, indent, kind, start, end, colour = SPANS[k]
        y = TOP + i * ROW
        rows[k] = y
        o.append(f'  <text x="{indent * 22}" y="{y + 24}" font-family="Liberation Mono, Courier New, monospace" font-size="22">{label}</text>')
        o.append(f'  <text x="{indent * 22}" y="{y + 50}" fill="#555">{kind}</text>')
        o.append(f'  <rect x="{x(start):.0f}" y="{y + 8}" width="{x(end) - x(start):.0f}" height="34" rx="5" fill="{colour}"/>')
    for k, at, label, side in events:
        y = rows[k] + 25
        cx = x(at)
        anchor = 'start' if side == 'right' else 'end'
        tx = cx + 18 if side == 'right' else cx - 18
        o.append(f'  <path d="M{cx:.0f},{y - 13} l11,13 l-11,13 l-11,-13 z" fill="#fff" stroke="#c0392b" stroke-width="3"/>')
        o.append(f'  <text x="{tx:.0f}" y="{y + 7}" fill="#fff" font-weight="bold" text-anchor="{anchor}">{label}</text>')
    o.append('</svg>')
    open(HERE.parent / 'diagrams' / f'{name}.svg', 'w').write('\n'.join(o) + '\n')

draw('waterfall-first-span', ['server'], title='Exercise 3: one server span per request')
draw('waterfall-nested', ['server', 'client', 'compute'], title='Exercise 4: the server span and its two children')
draw('waterfall-events', ['server', 'client', 'compute'],
     events=[('server', 0.6, 'place.resolved', 'right'), ('client', 13.2, 'iss.position.received', 'left')], title='Exercise 6: an event on the server span and one on the client span')
draw('waterfall', ['server', 'client', 'position', 'compute'], title='From exercise 11: one trace across two services')
