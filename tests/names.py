"""Names made up at test time: an activation or loss name that no table holds (manual/'s or the
records'), so that a test of "unknown name" keeps working whatever records are added later."""
from backproof.manual.activations import ACTIVATIONS
from backproof.manual.losses import LOSSES
from backproof.reference import records


def unused_name(stem: str, *tables) -> str:
    """`stem`, or `stem_2`, `stem_3`, ...: the first that no table holds."""
    name, k = stem, 1
    while any(name in t for t in tables):
        k += 1
        name = f"{stem}_{k}"
    return name


UNKNOWN_ACTIVATION = unused_name("swish", ACTIVATIONS, records.ACTIVATIONS)
UNKNOWN_LOSS = unused_name("log_cosh", LOSSES, records.LOSSES)
KNOWN_ACTIVATIONS = sorted(ACTIVATIONS)
