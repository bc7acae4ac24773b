"""02's (and 04's) ER diagram is an SVG drawn from the schema's table
definitions: it renders with no script and no network, shows every table,
column and reference of the DDL's source, and keeps its boxes apart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sparkify_nb.warehouse import diagram, schema

SVG = "{http://www.w3.org/2000/svg}"


def boxes(root):
    """{table: (x, y, width, height, [column names])} of the drawing."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        texts = group.findall(f"{SVG}text")
        found[group.get("data-table")] = (float(rect.get("x")), float(rect.get("y")), float(rect.get("width")),
                                          float(rect.get("height")), [t.text for t in texts[1:] if t.get("text-anchor") != "end"])
    return found


def test_the_diagram_shows_every_star_table_with_its_columns_and_keys():
    root = ET.fromstring(diagram.er_svg())
    found = boxes(root)
    assert list(found) == [t.name for t in schema.STAR_TABLES]
    for table in schema.STAR_TABLES:
        assert found[table.name][4] == table.column_names
    keys = {g.get("data-table"): [t.text for t in g.findall(f"{SVG}text") if t.get("text-anchor") == "end"]
            for g in root.iter(f"{SVG}g")}
    assert keys["songplays"] == ["PK", "FK", "FK", "FK", "FK"]  # songplay_id; start_time, user_id, song_id, artist_id
    assert keys["songs"] == ["PK", "FK"]
    assert keys["users"] == keys["artists"] == keys["time"] == ["PK"]


def test_each_reference_is_one_line_dashed_exactly_when_its_column_may_be_null():
    root = ET.fromstring(diagram.er_svg())
    lines = {(p.get("data-from"), p.get("data-to")): p.get("stroke-dasharray") is not None
             for p in root.iter(f"{SVG}path") if p.get("class") == "reference"}
    assert lines == {("songplays.user_id", "users"): True, ("songplays.song_id", "songs"): True,
                     ("songplays.artist_id", "artists"): True, ("songplays.start_time", "time"): False,
                     ("songs.artist_id", "artists"): True}


def test_the_boxes_fit_the_drawing_and_do_not_overlap():
    root = ET.fromstring(diagram.er_svg())
    width, height = float(root.get("width")), float(root.get("height"))
    found = list(boxes(root).values())
    for x, y, w, h, _ in found:
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
    for i, (x1, y1, w1, h1, _) in enumerate(found):
        for x2, y2, w2, h2, _ in found[i + 1:]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_the_drawing_needs_nothing_from_the_network_and_is_the_same_every_time():
    svg = diagram.er_svg()
    assert "<script" not in svg and "href" not in svg and "@import" not in svg
    assert svg == diagram.er_svg()
    assert diagram.show()._repr_svg_() == svg
