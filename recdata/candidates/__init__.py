"""Evaluation candidates: the positive plus N seeded negatives per valid/test row.

``add_candidates(DIR, ...)`` adds ``splits/<protocol>/candidates-{valid,test}.parquet`` to a
folder; ``compute_candidates`` is the pure function the build and the verb share.
"""

from recdata.candidates._add import add_candidates, resolve_protocols
from recdata.candidates._compute import (
    IMPRESSIONS,
    CandidateOutputs,
    candidates_path,
    compute_candidates,
    popularity_weights,
)
from recdata.candidates._exclude import Exclusion, exclusion
from recdata.candidates._sample import Lists, Rows, Sampler
from recdata.candidates._spec import (
    EVAL_PARTS,
    CandidateExclude,
    CandidateSampler,
    CandidatesSpec,
)

__all__ = [
    "EVAL_PARTS",
    "IMPRESSIONS",
    "CandidateExclude",
    "CandidateOutputs",
    "CandidateSampler",
    "CandidatesSpec",
    "Exclusion",
    "Lists",
    "Rows",
    "Sampler",
    "add_candidates",
    "candidates_path",
    "compute_candidates",
    "exclusion",
    "popularity_weights",
    "resolve_protocols",
]
