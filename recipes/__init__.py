"""The recipe catalog shipped with recdata (YAML files; see recdata.recipe)."""
