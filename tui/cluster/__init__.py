"""Running folio as several replicas over shared backends (a demo launcher and its parts)."""
