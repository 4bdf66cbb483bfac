"""The mutants of a module: one small change to its syntax tree each, the kind of slip a person makes.

`generate(source, path)` lists them in a fixed order (so a mutant is named by its file and index), and
`Mutant.apply(tree)` makes the change on a copy of the module's tree. Nothing here runs code.

Operators (the name in brackets is what reports print):

* [binop]      a + b -> a - b, - -> +, * -> /, / -> *, ** -> *, @ -> *, // -> /, % -> /, & <-> |, also in +=, -=, ...
* [unary]      -x -> x, not x -> x, ~x -> x
* [compare]    == <-> !=, < -> <=, <= -> <, > -> >=, >= -> >, is <-> is not, in <-> not in
* [boolop]     and <-> or
* [negate]     `if c`, `while c`, `x if c else y`: c -> not c (when c is not already a comparison or `not`)
* [constant]   True <-> False, a number c -> c + 1 (0 -> 1, 1 -> 2, -1 -> -2, 0.5 -> 1.5); reports show
                 it in its expression: `axis=1 -> axis=2`, `len(needs) > 2 -> len(needs) > 3`
* [loop]       break <-> continue
* [remove]     a simple statement in a function body -> pass
* [return]     return x -> return None
* [keyword]    f(..., name=value) -> f(...): one keyword argument dropped
* [slice]      x[a:b] -> x[:b] and x[a:]: one bound of a slice dropped

Left alone, because a change there cannot be a wrong gradient: docstrings, type annotations, f-strings
(error messages; the tests match their key words, not every character), other strings, and imports.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, replace

BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
          ast.MatMult: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.Div, ast.BitAnd: ast.BitOr,
          ast.BitOr: ast.BitAnd}
COMPARES = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
            ast.GtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
REMOVABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Delete, ast.Assert,
             ast.Break, ast.Continue)


@dataclass(frozen=True)
class Mutant:
    """One change: where it is, what it does, and how to make it."""

    path: str  # the file, relative to the repository root
    index: int  # its position in generate()'s order for this file
    operator: str  # the operator's name, as in the module docstring
    line: int  # the lines the changed code spans
    end_line: int
    original: str  # the code before and after the change, for reports
    mutated: str
    source_line: str  # the whole (first) line the change is on, stripped
    previous_line: str  # and the line before it, stripped (to tell apart two lines that read the same)
    address: tuple  # where the changed node is in the tree: (field, index or None) steps from the module
    change: tuple  # (how, argument): see _CHANGES
    scopes: tuple[tuple[str, int], ...]  # enclosing functions, outermost first: (qualified name, first line)
    in_body: bool  # inside a function body, so it runs when the function is called (not when it is defined)
    definition: tuple[str, ...]  # otherwise, what it changes: ("module", name), ("class", cls, name), ("defaults", ...)

    @property
    def name(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        return f"{self.path}:{self.line} [{self.operator}] {self.original} -> {self.mutated}"

    def apply(self, tree: ast.Module) -> ast.Module:
        """A copy of `tree` with this change made (`tree` itself is left as it is)."""
        tree = copy.deepcopy(tree)
        parent, node = _locate(tree, self.address)
        field, index = self.address[-1]
        new = _CHANGES[self.change[0]](node, self.change[1])
        ast.copy_location(new, node)
        ast.fix_missing_locations(new)
        if index is None:
            setattr(parent, field, new)
        else:
            getattr(parent, field)[index] = new
        return tree


def generate(source: str, path: str) -> list[Mutant]:
    """Every mutant of the module `source`, in the order of the source."""
    finder = _Finder(source, path)
    finder.visit(ast.parse(source), (), _Where(definition=("module",)))
    return finder.mutants


# ------------------------------------------------------------------------------ making a change
def _locate(tree: ast.AST, address: tuple) -> tuple[ast.AST, ast.AST]:
    parent, node = None, tree
    for field, index in address:
        parent = node
        node = getattr(node, field) if index is None else getattr(node, field)[index]
    return parent, node


def _with(node: ast.AST, **fields) -> ast.AST:
    new = copy.copy(node)
    for key, value in fields.items():
        setattr(new, key, value)
    return new


def _compare(node: ast.Compare, position: int) -> ast.AST:
    ops = list(node.ops)
    ops[position] = COMPARES[type(ops[position])]()
    return _with(node, ops=ops)


def _drop_keyword(node: ast.Call, position: int) -> ast.AST:
    return _with(node, keywords=node.keywords[:position] + node.keywords[position + 1:])


_CHANGES = {
    "op": lambda node, op: _with(node, op=op()),  # BinOp, AugAssign, BoolOp
    "compare": _compare,
    "unwrap": lambda node, _: node.operand,  # -x -> x
    "negate": lambda node, field: _with(node, **{field: ast.UnaryOp(op=ast.Not(), operand=getattr(node, field))}),
    "constant": lambda node, value: _with(node, value=value),
    "statement": lambda node, kind: kind(),  # break <-> continue, or pass
    "return_none": lambda node, _: _with(node, value=None),
    "drop_keyword": _drop_keyword,
    "drop_slice_bound": lambda node, field: _with(node, **{field: None}),
}


# ------------------------------------------------------------------------------ finding the changes
_CONSTANT_CONTEXTS = (ast.Compare, ast.BinOp, ast.UnaryOp, ast.Subscript, ast.keyword, ast.Slice)


@dataclass(frozen=True)
class _Where:
    """What the finder knows about the code it is in."""

    prefix: str = ""  # the __qualname__ prefix of a definition here: "", "Function.", "either.<locals>."
    scopes: tuple[tuple[str, int], ...] = ()  # enclosing functions: (qualified name, first line)
    in_body: bool = False
    definition: tuple[str, ...] = ()  # outside function bodies: what the code computes (see Mutant)


class _Finder:
    def __init__(self, source: str, path: str) -> None:
        self.source = source
        self.lines = source.splitlines()
        self.path = path
        self.mutants: list[Mutant] = []

    def add(self, node, address, where, operator, change, mutated_node, shown=None) -> None:
        """Record a mutant of `node`; reports show `shown` (default: node) before and `mutated_node` after."""
        shown = shown or node
        original = ast.get_source_segment(self.source, shown) or ast.unparse(shown)
        self.mutants.append(Mutant(
            path=self.path, index=len(self.mutants), operator=operator, line=node.lineno,
            end_line=node.end_lineno or node.lineno, original=_one_line(original),
            mutated=_one_line(ast.unparse(mutated_node)), source_line=self.lines[node.lineno - 1].strip(),
            previous_line=self.lines[node.lineno - 2].strip() if node.lineno > 1 else "",
            address=address, change=change, scopes=where.scopes,
            in_body=where.in_body, definition=where.definition,
        ))

    def visit(self, node, address, where, parent=None) -> None:
        if isinstance(node, (ast.JoinedStr, ast.Import, ast.ImportFrom)):
            return
        self.mutate(node, address, where, parent)
        for field, value in ast.iter_fields(node):
            if field in ("annotation", "returns", "decorator_list"):
                continue
            children = enumerate(value) if isinstance(value, list) else [(None, value)]
            for i, child in children:
                if isinstance(child, ast.AST) and not _is_docstring(node, field, i):
                    self.visit(child, address + ((field, i),), _inside(node, field, where), node)

    def mutate(self, node, address, where, parent) -> None:
        def add(operator, change, mutated_node, target=node):
            self.add(target, address, where, operator, change, mutated_node)

        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in BINOPS:
            new_op = BINOPS[type(node.op)]
            add("binop", ("op", new_op), _with(node, op=new_op()))
        elif isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.UAdd):
            add("unary", ("unwrap", None), node.operand)
        elif isinstance(node, ast.Compare):
            for position in range(len(node.ops)):
                add("compare", ("compare", position), _compare(node, position))
        elif isinstance(node, ast.BoolOp):
            new_op = ast.Or if isinstance(node.op, ast.And) else ast.And
            add("boolop", ("op", new_op), _with(node, op=new_op()))
        elif isinstance(node, ast.Constant) and _is_number(node.value):
            value = (not node.value) if isinstance(node.value, bool) else node.value + 1
            # Shown with the expression around it (`axis=1`, `len(needs) > 2`), which says which constant it is.
            shown = parent if isinstance(parent, _CONSTANT_CONTEXTS) else node
            node.value, original = value, node.value
            mutated_text = ast.unparse(shown)
            node.value = original
            self.add(node, address, where, "constant", ("constant", value), ast.Name(id=mutated_text), shown)
        elif isinstance(node, (ast.Break, ast.Continue)):
            other = ast.Continue if isinstance(node, ast.Break) else ast.Break
            add("loop", ("statement", other), other())
        elif isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
            add("return", ("return_none", None), ast.Return(value=ast.Constant(None)))
        elif isinstance(node, ast.Call):
            for position, keyword in enumerate(node.keywords):
                if keyword.arg is not None:
                    add("keyword", ("drop_keyword", position), _drop_keyword(node, position))
        elif isinstance(node, ast.Slice):
            for field in ("lower", "upper"):
                if getattr(node, field) is not None:
                    add("slice", ("drop_slice_bound", field), _with(node, **{field: None}))
        if isinstance(node, (ast.If, ast.While, ast.IfExp)) and not isinstance(node.test, ast.Compare) and not (
                isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)):
            add("negate", ("negate", "test"), ast.UnaryOp(op=ast.Not(), operand=node.test), target=node.test)
        if where.in_body and isinstance(node, REMOVABLE):
            add("remove", ("statement", ast.Pass), ast.Pass())


def _inside(node, field, where: _Where) -> _Where:
    """Where the code in `node.field` is."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        qualname = where.prefix + ("<lambda>" if isinstance(node, ast.Lambda) else node.name)
        if field == "body":  # runs when the function is called
            scope = (qualname, _first_line(node))
            return _Where(qualname + ".<locals>.", where.scopes + (scope,), True, ())
        if field == "args" and not where.in_body:  # default values: computed when the function is defined
            return replace(where, definition=("defaults", qualname, str(_first_line(node))))
    elif isinstance(node, ast.ClassDef) and field == "body":
        qualname = where.prefix + node.name
        return replace(where, prefix=qualname + ".", definition=() if where.in_body else ("class", qualname))
    elif isinstance(node, (ast.Assign, ast.AnnAssign)) and field == "value" and not where.in_body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) == 1 and isinstance(targets[0], ast.Name) and where.definition in (
                ("module",), ("class", where.prefix[:-1])):  # `name = value` in a module or a class body
            return replace(where, definition=(*where.definition, targets[0].id))
    return where


def _first_line(node) -> int:
    """co_firstlineno: a decorated function's code starts at its first decorator."""
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _is_docstring(node, field, i) -> bool:
    return (field == "body" and i == 0 and isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                                             ast.AsyncFunctionDef))
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
            and isinstance(node.body[0].value.value, str))


def _is_number(value) -> bool:
    return isinstance(value, (bool, int, float)) and not isinstance(value, complex)


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _one_line(text: str) -> str:
    text = " ".join(part.strip() for part in text.splitlines())
    return text if len(text) <= 90 else text[:87] + "..."
