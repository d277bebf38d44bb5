"""Graphs from a split's train part (user–item, item–item co-occurrence) and from embeddings (kNN).

Every builder returns a polars DataFrame ``(src int32, dst int32, weight float32)`` sorted by
(src, dst); ``to_networkx`` / ``to_scipy`` need the ``graph`` extra.
"""

from recdata.graphs._convert import degree_stats, to_networkx, to_scipy
from recdata.graphs._cooc import directed_pairs, item_cooccurrence
from recdata.graphs._knn import item_knn
from recdata.graphs._user_item import UserItemWeight, user_item
from recdata.graphs._verify import verify_graph_from_train

__all__ = [
    "UserItemWeight",
    "degree_stats",
    "directed_pairs",
    "item_cooccurrence",
    "item_knn",
    "to_networkx",
    "to_scipy",
    "user_item",
    "verify_graph_from_train",
]
