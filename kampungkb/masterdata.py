"""Everything the portal needs before anyone logs in: regions, agencies, groups.

Migrations load it once; ``ensure_master_data()`` reloads it idempotently (e.g. after a
test that flushed the database).
"""


def ensure_master_data():
    from activities.agencies import seed_agencies
    from villages.boundaries import load_tangsel as load_tangsel_boundaries
    from villages.wilayah import load_tangsel

    from .roles import sync_groups

    load_tangsel()
    load_tangsel_boundaries()
    seed_agencies()
    sync_groups()
