"""Exporters: a dataset folder in the formats trainers read (RecBole, SASRec, Amazon 2023, ...).

``export(DIR, to=FORMAT, out=OUT)`` writes one format atomically with a ``recdata-export.json``
record; ``to_hf(DIR)`` returns the Hugging Face ``DatasetDict`` in memory.
"""

from recdata.exporters._amazon2023 import export_amazon2023
from recdata.exporters._common import EXPORT_RECORD, ExportResult
from recdata.exporters._elliot import export_elliot
from recdata.exporters._export import EXPORTERS, export, exporter_options
from recdata.exporters._graph import export_graph
from recdata.exporters._hf import export_hf, to_hf
from recdata.exporters._ncf import export_ncf
from recdata.exporters._prompts import TEMPLATES, PromptTemplate, export_prompts, sample_negatives
from recdata.exporters._recbole import export_recbole
from recdata.exporters._rechorus import export_rechorus
from recdata.exporters._sasrec import export_sasrec
from recdata.exporters._semantic_ids import export_semantic_ids
from recdata.exporters._srgnn import export_srgnn

__all__ = [
    "EXPORTERS",
    "EXPORT_RECORD",
    "TEMPLATES",
    "ExportResult",
    "PromptTemplate",
    "export",
    "export_amazon2023",
    "export_elliot",
    "export_graph",
    "export_hf",
    "export_ncf",
    "export_prompts",
    "export_rechorus",
    "export_recbole",
    "export_sasrec",
    "export_semantic_ids",
    "export_srgnn",
    "exporter_options",
    "sample_negatives",
    "to_hf",
]
