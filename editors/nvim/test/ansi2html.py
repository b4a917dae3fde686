"""Render a terminal capture (tmux capture-pane -e -p) as an HTML page.

Understands the SGR sequences tmux emits: reset, bold, italic, underline,
reverse, the 16 standard colours, 256-colour and 24-bit colours. Used by
screenshot.sh to turn a Neovim screen into a PNG for the README.
"""
import html
import re
import sys

BASE16 = [
    "#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]
FG, BG = "#d4d4d4", "#1e1e1e"


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (v, v, v)


def apply(codes, st):
    it = iter(codes or [0])
    for c in it:
        if c == 0:
            st.clear()
        elif c == 1:
            st["bold"] = True
        elif c == 3:
            st["italic"] = True
        elif c == 4:
            st["underline"] = True
        elif c == 7:
            st["reverse"] = True
        elif c in (22, 23, 24, 27):
            st.pop({22: "bold", 23: "italic", 24: "underline", 27: "reverse"}[c], None)
        elif 30 <= c <= 37 or 90 <= c <= 97:
            st["fg"] = BASE16[c - 30 if c < 90 else c - 82]
        elif 40 <= c <= 47 or 100 <= c <= 107:
            st["bg"] = BASE16[c - 40 if c < 100 else c - 92]
        elif c in (38, 48):
            kind = next(it, None)
            if kind == 5:
                value = color256(next(it, 0))
            elif kind == 2:
                value = "#%02x%02x%02x" % (next(it, 0), next(it, 0), next(it, 0))
            else:
                continue
            st["fg" if c == 38 else "bg"] = value
        elif c == 39:
            st.pop("fg", None)
        elif c == 49:
            st.pop("bg", None)


def style(st):
    fg, bg = st.get("fg", FG), st.get("bg", BG)
    if st.get("reverse"):
        fg, bg = bg, fg
    css = ["color:%s" % fg, "background:%s" % bg]
    if st.get("bold"):
        css.append("font-weight:bold")
    if st.get("italic"):
        css.append("font-style:italic")
    if st.get("underline"):
        css.append("text-decoration:underline")
    return ";".join(css)


def render(text):
    st, out = {}, []
    for part in re.split(r"(\x1b\[[0-9;]*m)", text):
        m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
        if m:
            apply([int(x) if x else 0 for x in m.group(1).split(";")], st)
        elif part:
            out.append('<span style="%s">%s</span>' % (style(st), html.escape(part)))
    return (
        '<!doctype html><meta charset="utf-8"><body style="margin:0;background:%s">'
        '<pre style="margin:0;padding:8px;font:15px/1.25 \'DejaVu Sans Mono\',monospace;color:%s">%s</pre>'
        % (BG, FG, "".join(out))
    )


if __name__ == "__main__":
    sys.stdout.write(render(sys.stdin.read()))
