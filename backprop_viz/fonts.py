"""Fonts for the pictures made here: a system CJK font when there is one, else the Hangul font pip installed.

Korean text needs a font with Hangul. A system Noto Sans CJK (Debian's fonts-noto-cjk) is used
when present; otherwise NanumGothic (SIL Open Font License), which the koreanize-matplotlib
package ships. Its files are found without importing that package: the import would change
matplotlib's global font settings, and it needs `distutils`, which Python 3.12 no longer has.
Latin, Greek and monospace text uses the DejaVu fonts that matplotlib ships.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["SYSTEM_CJK", "PIP_HANGUL", "pip_hangul_files", "system_cjk_files", "hangul_family", "svg_font_files"]

SYSTEM_CJK = ("Noto Sans CJK KR", "Noto Sans CJK JP")  # either has every Hangul syllable
PIP_HANGUL = "NanumGothic"
_PIP_PACKAGE = "koreanize_matplotlib"
_DEJAVU = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")
_found = {}  # looked up once per process


def pip_hangul_files():
    """[regular, bold] NanumGothic files from the koreanize-matplotlib wheel, or [] without it."""
    if "pip" not in _found:
        spec = importlib.util.find_spec(_PIP_PACKAGE)  # finds the package without running it
        folders = list(spec.submodule_search_locations or []) if spec else []
        files = [os.path.join(d, "fonts", f) for d in folders[:1] for f in ("NanumGothic.ttf", "NanumGothicBold.ttf")]
        _found["pip"] = [f for f in files if os.path.isfile(f)]
    return _found["pip"]


def system_cjk_files():
    """{family: [font files]} of the system CJK fonts matplotlib knows (Noto Sans CJK KR / JP)."""
    if "system" not in _found:
        from matplotlib import font_manager

        def known():
            out = {}
            for f in font_manager.fontManager.ttflist:
                if f.name in SYSTEM_CJK:
                    out.setdefault(f.name, []).append(f.fname)
            return out

        found = known()
        if not found:  # installed after matplotlib cached its font list: add the files themselves
            for path in font_manager.findSystemFonts():
                if os.path.basename(path).startswith("NotoSansCJK"):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
            found = known()
        _found["system"] = {name: sorted(set(files)) for name, files in found.items()}
    return _found["system"]


def hangul_family():
    """The matplotlib font family for Hangul: a system CJK one when present, else NanumGothic
    from pip (registered with matplotlib here); None when neither exists."""
    if "family" not in _found:
        system = system_cjk_files()
        family = next((name for name in SYSTEM_CJK if name in system), None)
        if family is None and pip_hangul_files():
            from matplotlib import font_manager

            for path in pip_hangul_files():
                font_manager.fontManager.addfont(path)
            family = PIP_HANGUL
        _found["family"] = family
    return _found["family"]


def svg_font_files():
    """Font files an SVG rasteriser needs for our frames, so it can skip scanning the system:
    DejaVu Sans and Sans Mono (from matplotlib) and a Hangul font (system CJK first, else pip's)."""
    if "svg" not in _found:
        import matplotlib

        ttf = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf")
        files = [os.path.join(ttf, f) for f in _DEJAVU if os.path.isfile(os.path.join(ttf, f))]
        system = system_cjk_files()
        hangul = next((system[name] for name in SYSTEM_CJK if name in system), None) or pip_hangul_files()
        _found["svg"] = files + list(hangul)
    return _found["svg"]
