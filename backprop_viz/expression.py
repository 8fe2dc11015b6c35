"""expression(text, **values): a typed formula read with `ast` (never run as Python) into a Value graph.

The text is parsed by Python's own parser into a syntax tree, and only a short list of node types
is accepted: numbers, names given a value, + − * /, ** with a constant exponent, unary minus,
brackets, and calls of exp, log, tanh, sigmoid, relu. Anything else is refused with a sentence
that says what is not allowed and what is (an ExpressionError, a ValueError). Numbers combined
only with numbers are worked out once while reading (2*3 becomes the constant 6), within bounds:
no exponent above MAX_EXPONENT in size, and every such number finite — so 9**9**9 is refused
before anything is computed.
"""

from __future__ import annotations

import ast
import math
import numbers
import unicodedata

from backprop_viz.engine import Value
from backprop_viz.text.numbers import fmt
from backprop_viz.text.words import words

__all__ = ["expression", "variables", "is_number", "ExpressionError", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH",
           "MAX_EXPONENT"]

MAX_LENGTH = 300  # characters: a formula a student types, not a program
MAX_DEPTH = 100  # nesting levels of the syntax tree (x+x+…+x counts one per +)
MAX_EXPONENT = 100  # |c| of a constant exponent
FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu")  # each is the Value method of that name

# What a student may type from a printed formula: the print minus, a times sign, a division sign.
_TYPED = str.maketrans({"−": "-", "×": "*", "·": "*", "÷": "/"})
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                      ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Invert: "~", ast.Not: "not",
                      ast.And: "and", ast.Or: "or", ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
                      ast.Gt: ">", ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
                      ast.NotIn: "not in"}
# Refused node types, each with the sentence that names it (the key of words()).
_REFUSED = {ast.Attribute: "ex_attribute", ast.Subscript: "ex_subscript", ast.Slice: "ex_subscript",
            ast.Lambda: "ex_lambda", ast.ListComp: "ex_comprehension", ast.SetComp: "ex_comprehension",
            ast.DictComp: "ex_comprehension", ast.GeneratorExp: "ex_comprehension",
            ast.List: "ex_collection", ast.Tuple: "ex_collection", ast.Set: "ex_collection",
            ast.Dict: "ex_collection", ast.JoinedStr: "ex_text", ast.FormattedValue: "ex_text"}
_REFUSED_FORMS = {ast.IfExp: "if … else", ast.NamedExpr: ":=", ast.Starred: "*"}
# Sentences about the shape of the text end with the list of what is allowed.
_WITH_ALLOWED = {"ex_syntax", "ex_brackets", "ex_call", "ex_call_form", "ex_function_name", "ex_attribute",
                 "ex_subscript", "ex_lambda", "ex_comprehension", "ex_collection", "ex_text", "ex_constant",
                 "ex_operator", "ex_construct", "ex_private"}


class ExpressionError(ValueError):
    """A typed expression that cannot be used: `key` names the sentence in text.words, `fields` fill it.

    str(error) is the English sentence; sentence("ko") the Korean one (what the Sandbox shows).
    """

    def __init__(self, key, **fields):
        self.key, self.fields = key, fields
        super().__init__(self.sentence("en"))

    def sentence(self, lang="en"):
        w = words(lang)
        shown = {k: fmt(v) if isinstance(v, float) else v for k, v in self.fields.items()}
        text = w[self.key].format(**shown)
        return f"{text} {w['ex_allowed']}" if self.key in _WITH_ALLOWED else text


def expression(text, *, label_steps=False, **values):
    """The Value of `text` computed from labelled leaves: expression("tanh(x*w + b)", x=0.5, w=-1.5, b=0.2).

    Each name becomes one leaf Value labelled with that name (used twice, it is the same leaf,
    so its gradient adds up over both uses); each number becomes a constant. With
    label_steps=True every value computed on the way is labelled by how it reads (x·w, x·w + b;
    the result itself stays unlabelled), so pictures and captions use the typed expression's
    own words. Call it inside record() to watch it, or pass the result to trace_of(). Raises
    ExpressionError (a ValueError) for a text that is not allowed or a name without a value.
    """
    tree, names = _read(text)
    lookup = {unicodedata.normalize("NFKC", k): k for k in values}  # the parser reads names in NFKC form: ｘ is x
    leaves = {}
    for name in names:
        if name not in lookup:
            raise ExpressionError("ex_name", name=name)
        given = values[lookup[name]]
        if not is_number(given):
            raise ExpressionError("ex_bad_value", name=name, given=type(given).__name__)
        leaves[name] = Value(float(given), label=lookup[name])
    out = _build(tree, leaves, {} if label_steps else None)
    if label_steps and isinstance(out, Value) and out.op:
        out.label = None  # the result is named by whoever asked for it (the sandbox calls it f)
    return out


def variables(text):
    """The names `text` uses, in the order they first appear; raises ExpressionError when it is not allowed."""
    return _read(text)[1]


# ---- reading: text -> a small tree of floats, ("name", n), (op, a, b), (function, a), ("**", a, c) ----
def _read(text):
    if not isinstance(text, str):
        raise TypeError(f"expression() takes the expression as text (a str), not {type(text).__name__}.")
    text = text.translate(_TYPED)
    if not text.strip():
        raise ExpressionError("ex_empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError("ex_too_long", n=len(text), limit=MAX_LENGTH)
    source = text.strip()
    try:
        body = ast.parse(source, mode="eval").body  # a syntax tree only: nothing is compiled or run
    except SyntaxError as e:
        opened, closed = source.count("("), source.count(")")
        if opened != closed:
            raise ExpressionError("ex_brackets", opened=opened, closed=closed) from None
        if "decimal literal" in str(e.msg):  # 2x: a number written against a name
            raise ExpressionError("ex_times") from None
        col = min(e.offset, len(source)) if e.offset and e.offset > 0 else len(source)  # 0: at the end
        raise ExpressionError("ex_syntax", col=col + len(text) - len(text.lstrip())) from None
    except (ValueError, MemoryError, RecursionError):  # the parser's own limits
        raise ExpressionError("ex_syntax", col=1) from None
    _check_depth(body)
    reader = _Reader(source)
    tree = reader.node(body)
    if not reader.names:
        raise ExpressionError("ex_no_variable")
    return tree, tuple(reader.names)


def _check_depth(body):
    """Refuse a tree deeper than MAX_DEPTH before walking it recursively."""
    todo = [(body, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError("ex_too_deep", limit=MAX_DEPTH)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Reader:
    """Walks the syntax tree of `source`, accepting only the node types listed in node()."""

    def __init__(self, source):
        self.source = source
        self.names = []  # in the order they first appear

    def typed(self, node):
        """The text the student typed for `node` (shown in sentences as typed: 1/0, not 1 / 0)."""
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    def node(self, node):
        kind = type(node)
        if kind is ast.Constant:
            return self.number(node)
        if kind is ast.Name:
            return self.name(node.id)
        if kind is ast.UnaryOp:
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError("ex_operator", op=_REFUSED_OPERATORS[type(node.op)])
            a = self.node(node.operand)
            if isinstance(node.op, ast.UAdd):
                return a
            return -a if isinstance(a, float) else ("neg", a)
        if kind is ast.BinOp:
            op = _BINARY.get(type(node.op))
            if op is None:
                raise ExpressionError("ex_operator", op=_REFUSED_OPERATORS[type(node.op)])
            if op == "**":
                return self.power(node)
            a, b = self.node(node.left), self.node(node.right)
            if isinstance(a, float) and isinstance(b, float):
                return self.folded(node, lambda: _ARITHMETIC[op](a, b))
            return (op, a, b)
        if kind is ast.Call:
            return self.call(node)
        if kind in (ast.BoolOp, ast.Compare):
            first = node.op if kind is ast.BoolOp else node.ops[0]
            raise ExpressionError("ex_operator", op=_REFUSED_OPERATORS[type(first)])
        if kind in _REFUSED_FORMS:
            raise ExpressionError("ex_operator", op=_REFUSED_FORMS[kind])
        if kind in _REFUSED:
            fields = {"attr": node.attr} if kind is ast.Attribute else {}
            raise ExpressionError(_REFUSED[kind], **fields)
        raise ExpressionError("ex_construct", kind=kind.__name__)  # await, yield, …

    def number(self, node):
        value = node.value
        if isinstance(value, (str, bytes)):
            raise ExpressionError("ex_text")
        if isinstance(value, bool) or not isinstance(value, (int, float)):  # True, None, ..., 2j
            raise ExpressionError("ex_constant", text=self.typed(node))
        try:
            number = float(value)
        except OverflowError:  # an integer with hundreds of digits
            number = math.inf
        if not math.isfinite(number):
            raise ExpressionError("ex_not_finite", part=self.typed(node))
        return number

    def name(self, name):
        if name.startswith("_"):
            raise ExpressionError("ex_private", name=name)
        if name in FUNCTIONS:
            raise ExpressionError("ex_function_name", name=name)
        if name not in self.names:
            self.names.append(name)
        return ("name", name)

    def power(self, node):
        """a ** c with c a number (|c| ≤ MAX_EXPONENT, checked before any power is taken); a number
        to a number is worked out here."""
        exponent = self.node(node.right)
        if not isinstance(exponent, float):
            shown = self.typed(node.right)
            if not isinstance(node.right, (ast.Name, ast.Constant, ast.Call)):
                shown = f"({shown})"
            raise ExpressionError("ex_variable_exponent", exponent=shown, base=self.typed(node.left))
        if abs(exponent) > MAX_EXPONENT:
            raise ExpressionError("ex_big_exponent", exponent=self.typed(node.right), limit=MAX_EXPONENT)
        base = self.node(node.left)
        if isinstance(base, float):
            return self.folded(node, lambda: math.pow(base, exponent))
        return ("**", base, exponent)

    def call(self, node):
        func = node.func
        if not isinstance(func, ast.Name):
            raise ExpressionError("ex_call_form")
        if func.id not in FUNCTIONS:
            raise ExpressionError("ex_call", name=func.id)
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise ExpressionError("ex_arguments", name=func.id)
        a = self.node(node.args[0])
        if isinstance(a, float):
            return self.folded(node, lambda: _CONSTANT_FUNCTIONS[func.id](a))
        return (func.id, a)

    def folded(self, node, compute):
        """A number worked out from numbers only; refused when it is not a finite number."""
        try:
            number = compute()
        except (OverflowError, ValueError, ZeroDivisionError):  # 10.0**400, log(-1), 1/0
            number = math.nan
        if not math.isfinite(number):
            raise ExpressionError("ex_not_finite", part=self.typed(node))
        return number


def _sigmoid(x):
    # the form without overflow on either side: e^x / (1 + e^x) for x < 0
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


_ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
               "/": lambda a, b: a / b}
_CONSTANT_FUNCTIONS = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sigmoid": _sigmoid,
                       "relu": lambda x: max(0.0, x)}


# ---- building: the small tree -> Values, with the engine's own ops ----
def _build(tree, leaves, names=None):
    """The Value of the small tree; with `names` (a dict), each computed Value labelled by _text."""
    if isinstance(tree, float):
        return tree
    op = tree[0]
    if op == "name":
        return leaves[tree[1]]
    if op == "neg":
        out = -_build(tree[1], leaves, names)
    elif op == "**":
        out = _build(tree[1], leaves, names) ** tree[2]
    elif op in FUNCTIONS:
        out = getattr(_build(tree[1], leaves, names), op)()
    else:  # a number on one side: a constant
        out = _ARITHMETIC[op](_build(tree[1], leaves, names), _build(tree[2], leaves, names))
    if names is not None and isinstance(out, Value) and out.label is None:
        text = _text(tree, leaves)
        if len(text) <= STEP_LABEL_CHARS:
            out.label = text
    return out


STEP_LABEL_CHARS = 24  # a longer step keeps a generated name (pictures cut long names anyway)
_SYMBOLS = {"+": " + ", "-": " − ", "*": "·", "/": "/"}


def _text(tree, leaves):
    """How a part of the expression reads: x·w + b, tanh(x·w + b), (a + b)², −x."""
    if isinstance(tree, float):
        return fmt(tree)
    op = tree[0]
    if op == "name":
        return leaves[tree[1]].label
    sums = (" + ", " − ")
    if op == "neg":
        inner = _text(tree[1], leaves)
        return f"−({inner})" if any(s in inner for s in sums) else f"−{inner}"
    if op == "**":
        base = _text(tree[1], leaves)
        if any(c in base for c in " ·/−"):
            base = f"({base})"
        return f"{base}{_power(tree[2])}"
    if op in FUNCTIONS:
        return f"{op}({_text(tree[1], leaves)})"
    a, b = _text(tree[1], leaves), _text(tree[2], leaves)
    if op in ("*", "/"):
        a = f"({a})" if any(s in a for s in sums) else a
        b = f"({b})" if any(s in b for s in sums) or (op == "/" and ("·" in b or "/" in b)) else b
    elif op == "-" and any(s in b for s in sums):
        b = f"({b})"
    return a + _SYMBOLS[op] + b


_SUPERSCRIPT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def _power(c):
    """x², x⁻¹, x^0.5: a whole exponent as superscript digits, any other after ^."""
    return fmt(c).replace("−", "-").translate(_SUPERSCRIPT) if float(c).is_integer() else f"^{fmt(c)}"


def is_number(x):
    """True for a real number a variable may hold: an int or float (numpy's too), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
