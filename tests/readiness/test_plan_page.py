"""The plan page at fleet scale: lines paged, sorted and filtered (site, part, buys or moves, cost)
with totals; availability and targets in per cent; moves with part names and links; the budget
drawn on the curve."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from setu.readiness import web
from tests.support.jobs import follow_job_page
from tests.support.world import make_world


def _plan(client, rw, **form) -> str:
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    return follow_job_page(client, r.headers["location"]).split("?")[0]


def _rows(html: str) -> list[str]:
    body = html.split('id="plan-lines"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_target_typed_as_a_percentage_and_shown_as_one(engine, client):
    rw = make_world(engine, second_base=True)
    url = _plan(client, rw, target="90", name="pct plan")
    html = client.get(url).text
    summary = html.split('id="plan-summary"')[1].split("</dl>")[0]
    assert "90.0 %" in summary  # the target typed as 90 is 90 %, not 9,000 %
    assert re.search(r"Availability planned</dt>\s*<dd[^>]*>\d+\.\d %", summary)
    r = client.post(f"/readiness/{rw.w.type_id}/plans", data={"target": "0.9x"})
    assert r.status_code == 422 and "Must be a percentage between 0 and 100" in r.text


def test_lines_filtered_sorted_paged_with_totals(engine, client, monkeypatch):
    rw = make_world(engine, second_base=True)
    url = _plan(client, rw, budget="50000", name="big plan")
    html = client.get(url).text
    rows = _rows(html)
    assert rows, "the plan has lines"
    n = len(rows)
    total = html.split('id="plan-lines-totals"')[1].split("</tr>")[0]
    costs = [Decimal(re.sub(r"[^0-9.]", "", re.findall(r'<td class="text-end">([^<]*)</td>', r)[-1])) for r in rows]
    assert sum(costs) == Decimal(re.sub(r"[^0-9.]", "", re.findall(r'<td class="text-end">([^<]*)</td>', total)[-1]))
    assert costs == sorted(costs, reverse=True)  # the default: largest cost first
    # sorted by part number, ascending
    parts = [re.search(r'class="mono"[^>]*>([^<]+)<', r).group(1) for r in _rows(client.get(url + "?sort=part").text)]
    assert parts == sorted(parts)
    # a part number typed without its dashes still finds the part
    first = parts[0]
    found = _rows(client.get(url, params={"part": first.replace("-", "").lower()}).text)
    assert found and all(first in r for r in found)
    # one site only
    site = re.findall(r"<td>([A-Z0-9-]+)</td>\s*<td class=\"text-end\">", rows[0])[0]
    assert all(f"<td>{site}</td>" in r for r in _rows(client.get(url, params={"site": site}).text))
    # cost at least: a bad amount is named, nothing filtered away silently
    bad = client.get(url, params={"min_cost": "lots"})
    assert bad.status_code == 200 and "must be an amount such as 1000" in bad.text
    high = _rows(client.get(url, params={"min_cost": str(costs[0])}).text)
    assert 1 <= len(high) <= n
    # paging: page N of M, each line on exactly one page
    monkeypatch.setattr(web, "LINE_PAGE", 1)
    p1 = client.get(url).text
    assert f"Page 1 of {n}" in p1 and len(_rows(p1)) == 1
    if n > 1:
        p2 = client.get(url, params={"page": 2}).text
        assert f"Page 2 of {n}" in p2 and _rows(p2) != _rows(p1)


def test_moves_name_and_link_their_part_and_budget_on_the_curve(engine, client):
    rw = make_world(engine, second_base=True)
    url = _plan(client, rw, budget="2000", name="moves plan")
    html = client.get(url).text
    if 'id="plan-moves"' in html:
        moves = html.split('id="plan-moves"')[1].split("</table>")[0]
        assert re.search(r'<a class="mono" href="/parts/[0-9a-f-]{36}">', moves)
    figure = json.loads(re.search(r'data-figure="([^"]+)"', html).group(1).replace("&#34;", '"')
                        .replace("&quot;", '"')) if 'data-figure="' in html else None
    if figure is not None:
        names = [d.get("name", "") for d in figure["data"]]
        assert any(n.startswith("budget") for n in names)
        assert figure["layout"]["xaxis"]["type"] == "log"
    assert "budget (USD)" in html or "budget (" in html
    fig = web.curve_figure([{"cost": 0, "availability": 0.5}, {"cost": 10, "availability": 0.9, "recommended": True}],
                           currency="USD", budget=10, target=0.95)
    assert fig["data"][0]["x"] == [10]  # the zero-cost point cannot sit on a log axis
    assert fig["layout"]["yaxis"]["ticksuffix"] == " %" and fig["data"][1]["y"] == [90.0]
    assert {"x0": 10, "x1": 10} .items() <= fig["layout"]["shapes"][1].items()
