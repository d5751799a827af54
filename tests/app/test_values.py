"""The app shows values the service used to get wrong (issue 10, defect 7): repeated column
names each with their own value, and NaN/±Infinity as themselves, not as NULL."""

from __future__ import annotations

from tests.app.helpers import grid_text, run_sql

SIZE = (120, 20)


async def test_repeated_names_and_non_finite_floats_are_shown_as_they_are(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(
                pilot,
                "SELECT 1 AS a, 2 AS a, 3 AS a, 'nan'::DOUBLE AS n, 'inf'::DOUBLE AS p, "
                "'-inf'::DOUBLE AS m, NULL::DOUBLE AS z",
            )
            text = grid_text(app)
            assert "a_1" in text and "a_2" in text
            row = next(line for line in text.splitlines() if "NaN" in line)
            assert row.split()[-7:] == ["1", "2", "3", "NaN", "Infinity", "-Infinity", "∅"]
