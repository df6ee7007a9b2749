"""Plans: drafts each child's personal support plan against the national standards.

``data_import`` is the service's reference data for the migrations (``shared.migrations``): the
standards catalogue's shipped versions, imported after plans' SQL on every migration."""

from plans.catalogue_store import import_catalogues as data_import

__all__ = ["data_import"]
