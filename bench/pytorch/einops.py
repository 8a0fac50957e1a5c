# A minimal stand-in for einops.rearrange, enough for the reference Flux modules (flux/math.py,
# flux/modules/layers.py): Debian ships no python3-einops. Patterns are "axes -> axes" where an axis is a name
# or a parenthesised group of names; group sizes come from the tensor's shape and the keyword arguments.
# Implemented as reshape (split groups) -> permute -> reshape (merge groups), which is what einops does.
import math


def _parse(side):
    out, group = [], None
    for tok in side.replace("(", " ( ").replace(")", " ) ").split():
        if tok == "(":
            group = []
        elif tok == ")":
            out.append(group)
            group = None
        elif group is not None:
            group.append(tok)
        else:
            out.append([tok])
    return out


def rearrange(x, pattern, **sizes):
    left, right = (_parse(s) for s in pattern.split("->"))
    if len(left) != x.dim():
        raise ValueError(f"rearrange '{pattern}': tensor has {x.dim()} dims")
    sizes = dict(sizes)
    for group, dim in zip(left, x.shape):
        unknown = [n for n in group if n not in sizes]
        known = math.prod(sizes[n] for n in group if n in sizes)
        if len(unknown) > 1:
            raise ValueError(f"rearrange '{pattern}': cannot infer {unknown}")
        if unknown:
            sizes[unknown[0]] = dim // known
    names = [n for g in left for n in g]
    x = x.reshape([sizes[n] for n in names])
    order = [n for g in right for n in g]
    x = x.permute([names.index(n) for n in order])
    return x.reshape([math.prod(sizes[n] for n in g) for g in right])
